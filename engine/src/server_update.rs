//! One revision's update of the server graph (server-side HMR), beside the page's
//! (`update.rs`): build the server graph, plan with the same planner, encode the same update
//! frame for the Node.js server process. No side effects; the dev loop sends it.
//!
//! The server entry accepts itself (`queries::graph::server_graph`), so an edit no module
//! accepts re-evaluates the entry in place and the next request gets its new handler: the
//! process is not restarted and module-level state survives through `import.meta.hot.data`.
//! Only what the planner calls a full reload (a config file, a package installed) restarts it
//! with a new chunk.

use std::sync::Arc;

use crate::graph::ModuleIndex;
use crate::host::{EngineHost, ServerBuild};
use crate::plan::{Changes, UpdatePlan, plan_update};
use crate::telemetry::UpdateOutcome;
use crate::update::hot_outcome;
use hotloop_protocol::wire::{self as protocol, HotUpdate, ModuleCode, ServerMessage};

/// What the server process must receive after one build.
#[derive(Debug)]
pub struct PreparedServerUpdate {
    pub build: ServerBuild,
    pub outcome: UpdateOutcome,
    pub action: ServerAction,
}

/// How the server process takes an update.
#[derive(Debug)]
pub enum ServerAction {
    /// Nothing changed for it.
    Nothing,
    /// An update frame (revision, bytes) to apply in place.
    Hot(u32, Arc<[u8]>),
    /// Start it again with the chunk of this revision (`EngineHost::server_chunk`): what
    /// the planner calls a full reload.
    Restart(u32),
}

/// Builds the server graph and plans its update for the edit of `files` (relative paths);
/// `previous` is the last server build (none: the first, which starts the process), and
/// `revision` the last revision the process has. `None` without a server entry. A module
/// whose new code would fail in the process waits (`EngineHost::server_waits`): withheld in
/// the host, and sent by a later update once it would not.
pub fn prepare_server(
    host: &mut EngineHost,
    previous: Option<&ServerBuild>,
    files: &[String],
    config_changed: Option<&str>,
    revision: u32,
) -> Option<PreparedServerUpdate> {
    let build = host.build_server()?;
    let next = revision + 1;
    let Some(previous) = previous else {
        return Some(PreparedServerUpdate {
            build,
            outcome: UpdateOutcome::NoChange,
            action: ServerAction::Restart(next),
        });
    };
    // A module whose new code would fail in the process (an import that does not resolve, of
    // a module that never compiled or of a name not exported) waits with its last good code
    // running, and goes with the update after the fix; so does what waited before.
    let involved = host.server_link_error_modules();
    let mut changed: Vec<ModuleIndex> = Vec::new();
    let mut withheld: Vec<Arc<str>> = Vec::new();
    let waited = host.take_server_withheld();
    let candidates = build.changed.iter().copied().chain(
        waited
            .iter()
            .filter_map(|id| build.graph().index_of(id))
            .filter(|m| !build.changed.contains(m)),
    );
    for index in candidates {
        if host.server_waits(index, &involved) {
            withheld.push(build.graph().module(index).id.clone());
        } else {
            changed.push(index);
        }
    }
    let changes = Changes {
        changed: &changed,
        html_changed: false,
        changed_pages: &[],
        config_changed,
        // The server process re-runs its entry in place; nothing renders a failed import.
        first_compiled: &[],
        not_running: Default::default(),
    };
    let plan = plan_update(build.graph(), &changes);
    let (outcome, action) = match plan {
        UpdatePlan::Nothing if build.removed.is_empty() => {
            (UpdateOutcome::NoChange, ServerAction::Nothing)
        }
        UpdatePlan::Nothing | UpdatePlan::Hot(_) => {
            let hot = match plan {
                UpdatePlan::Hot(hot) => hot,
                _ => Default::default(),
            };
            let graph = build.graph();
            let id = |index: ModuleIndex| graph.module(index).id.clone();
            let mut modules: Vec<ModuleCode> = host
                .new_server_externals(previous)
                .iter()
                .map(EngineHost::server_external_code)
                .collect();
            modules.extend(hot.send.iter().filter_map(|&i| host.server_module_code(i)));
            let update = HotUpdate {
                revision: next,
                modules,
                invalidate: hot.invalidate.iter().map(|&i| id(i)).collect(),
                boundaries: hot
                    .boundaries
                    .iter()
                    .map(|b| (id(b.module), b.accepted_dep.map(id)))
                    .collect(),
                removed: build.removed.clone(),
                css_links: Vec::new(),
                css_patches: Vec::new(),
                changed_files: files.iter().map(|f| Arc::from(format!("/{f}"))).collect(),
            };
            let outcome = hot_outcome(&update, false);
            let frame: Arc<[u8]> = protocol::encode(&ServerMessage::Update(update)).into();
            (outcome, ServerAction::Hot(next, frame))
        }
        UpdatePlan::FullReload(reason) => (
            UpdateOutcome::FullReload {
                reason: reason.to_string(),
            },
            ServerAction::Restart(next),
        ),
    };
    // A restart evaluates every module's last good code anew: nothing waits then.
    if !matches!(action, ServerAction::Restart(_)) {
        host.withhold_server(withheld);
    }
    Some(PreparedServerUpdate {
        build,
        outcome,
        action,
    })
}
