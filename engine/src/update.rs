//! One revision's update, computed without sending anything: build (recording which queries
//! ran) → plan → encode the message once. The dev loop then publishes the served snapshot and
//! broadcasts the frame (in that order); `hotloop profile` only measures. Both run exactly this code, so the profile
//! measures what a save costs in `hotloop dev` minus the watcher and the sockets.
//!
//! Its one effect on the host is what it withholds (`host/link_errors.rs`): the edited modules
//! that take part in an import of a name not exported, and an update whose new code waits on a
//! part of a deleted file. Modules no open page loaded are held back (`PreparedUpdate::held_back`),
//! and an update of modules only lazy chunks hold is for the pages that loaded one of those chunks
//! (`EngineHost::lazy_holders`, `PreparedUpdate::for_chunks`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::Db as _;
use crate::graph::{ModuleIndex, ModuleKind};
use crate::host::{BuildResult, EngineHost};
use crate::host::{QueryRun, linked_roots};
use hotloop_protocol::FullReloadReason;

use crate::plan::{
    Changes, HotPlan, NotRunning, UpdatePlan, plan_invalidate, plan_requested_reload, plan_update,
};
use crate::queries::graph::ProjectGraph;
use crate::telemetry::{Phase, UpdateOutcome};
use hotloop_protocol::wire::{self as protocol, CssLink, HotUpdate, ModuleCode, ServerMessage};

/// What one build produced and what the clients must receive.
#[derive(Debug)]
pub struct PreparedUpdate {
    pub build: BuildResult,
    /// The files (relative paths) the update is about: the edited ones, or the module that
    /// invalidated itself; what the message and the report name.
    pub files: Vec<String>,
    /// Which queries ran during the build and which memos were reused.
    pub queries: Vec<QueryRun>,
    /// The build's phases (parse, resolve, emit, graph: exclusive times, see `timing`), then
    /// `Plan`, then `Encode` when there is a message.
    pub phases: Vec<(Phase, Duration)>,
    pub outcome: UpdateOutcome,
    /// The encoded message and the revision it carries (the previous revision + 1); `None`
    /// when the clients need nothing.
    pub frame: Option<(u32, Arc<[u8]>)>,
    /// Modules whose code changed but that no open page has loaded
    /// ([`EngineHost::lazy_holders`]): not planned; a page gets them with their lazy chunk.
    pub held_back: Vec<Arc<str>>,
    /// Every module whose code changed that only lazy chunks hold, held back or sent: a page
    /// that loads one of their chunks from a snapshot older than this edit's is sent them
    /// (`Cause::Resend`).
    pub lazy_edited: Vec<Arc<str>>,
    /// Who needs `frame`: the pages that loaded one of these lazy chunks (an edit only lazy
    /// chunks hold); `None`: every page. Always `None` for causes other than an edit.
    pub for_chunks: Option<Vec<Arc<str>>>,
}

/// What asks for an update. Every cause goes through the same build → plan → encode path, so
/// every full reload's reason is the planner's.
#[derive(Clone, Copy, Debug)]
pub enum Cause<'a> {
    /// Files changed and were applied to the inputs; `files` (relative paths) are what the
    /// message names.
    Edit { files: &'a [String] },
    /// A page's `import.meta.hot.invalidate()` for module `module`; `already` holds the modules
    /// invalidated since the last edit (coming back to one of them is a loop: full reload).
    Invalidate {
        module: &'a str,
        already: &'a [Arc<str>],
        /// The reason the page gave (`invalidate(message)`), for the report.
        message: Option<&'a str>,
    },
    /// The user asked every tab to reload.
    Reload,
    /// A page loaded a lazy chunk from a snapshot older than these modules' last edit, which
    /// was held back: planned as if they had just changed.
    Resend { modules: &'a [Arc<str>] },
}

/// Builds what changed since the last build, plans the update for `cause` and encodes it.
/// `revision` is the last revision sent to the clients. An edited module that takes part in an
/// import of a name not exported is withheld in the host, and sent by a later edit's update
/// (`host/link_errors.rs`).
pub fn prepare(host: &mut EngineHost, cause: Cause<'_>, revision: u32) -> PreparedUpdate {
    host.record_queries(true);
    let build = host.build();
    let queries = host.take_query_runs();
    host.record_queries(false);
    let left_out = host.take_left_out();
    let mut phases = build.phases.0.clone();

    // What an earlier edit withheld (host/link_errors.rs), to be sent with this one or again
    // withheld.
    let withheld_before = match cause {
        Cause::Edit { .. } => host.take_withheld(),
        _ => Vec::new(),
    };
    let resend = match cause {
        Cause::Edit { .. } => host.take_resend(),
        _ => Vec::new(),
    };
    // Plan and encode are frames of the clock too, so that traces show them (their times
    // here come from the frames' own `Instant`s).
    let plan_frame = host.db().clock().enter(Phase::Plan, "plan");
    let plan_start = Instant::now();
    // A module that no longer compiles keeps its last good code in the browser: only modules
    // that have code are sent. One that compiled but imports a module that does not (a
    // component given a `<style>` block that fails) waits for that import, withheld: the fix
    // of the import leaves the module as this build made it, and the page would get the
    // import alone, which its last good code does not run.
    let mut waiting: Vec<Arc<str>> = Vec::new();
    let mut changed: Vec<ModuleIndex> = Vec::new();
    for &index in &build.changed {
        if host.has_code(index) {
            changed.push(index);
        } else if host.waits_on_an_import(index) {
            waiting.push(build.graph.graph.module(index).id.clone());
        }
    }
    let graph = &build.graph.graph;
    // An edited file's modules the plugins' hot update left out are not sent with it.
    let edit = matches!(cause, Cause::Edit { .. });
    let mut dropped = Vec::new();
    if edit && !left_out.is_empty() {
        changed.retain(|&m| {
            let id = &graph.module(m).id;
            let keep = !left_out.contains(id);
            if !keep {
                dropped.push(id.clone());
            }
            keep
        });
    }
    // A module that takes part in an import of a name not exported waits, and what waited
    // goes with this edit once nothing it takes part in is missing (host/link_errors.rs); so
    // does one an earlier update left out that a plugin reloaded since (`take_resend`).
    let mut withheld = Vec::new();
    if edit {
        let resend = resend.into_iter().filter(|id| !left_out.contains(id));
        for id in withheld_before.into_iter().chain(resend) {
            let Some(index) = graph.index_of(&id) else {
                continue;
            };
            if changed.contains(&index) {
                continue;
            }
            if host.has_code(index) {
                changed.push(index);
            } else if host.waits_on_an_import(index) && !waiting.contains(&id) {
                waiting.push(id);
            }
        }
        let involved = host.link_error_modules();
        if !involved.is_empty() {
            let (held, sent): (Vec<ModuleIndex>, Vec<ModuleIndex>) =
                changed.into_iter().partition(|m| involved.contains(m));
            withheld = held.iter().map(|&m| graph.module(m).id.clone()).collect();
            changed = sent;
        }
    }
    // What no open page has loaded waits for its lazy chunk; what only lazy chunks hold goes to
    // the pages that loaded one of them.
    let mut held = Vec::new();
    let mut lazy_edited = Vec::new();
    let mut for_chunks: Option<Vec<Arc<str>>> = Some(Vec::new());
    for &m in &changed {
        match host.lazy_holders(m) {
            None => for_chunks = None,
            Some(open) => {
                lazy_edited.push(graph.module(m).id.clone());
                if open.is_empty() {
                    held.push(m);
                } else if let Some(chunks) = &mut for_chunks {
                    for root in open {
                        if !chunks.contains(&root) {
                            chunks.push(root);
                        }
                    }
                }
            }
        }
    }
    changed.retain(|m| !held.contains(m));
    let held_back = held.iter().map(|&m| graph.module(m).id.clone()).collect();
    let only_lazy = matches!(cause, Cause::Edit { .. })
        && !build.html_changed
        && build.config_changed.is_none()
        && build.removed.is_empty()
        && build
            .first_compiled
            .iter()
            .all(|&m| host.lazy_holders(m).is_some());
    let only_pages = matches!(cause, Cause::Edit { .. })
        && build.html_changed
        && build.config_changed.is_none()
        && build.changed.is_empty()
        && build.removed.is_empty();
    let for_chunks = if only_pages {
        // Another page's HTML alone: its tabs reload, the others keep their state.
        build.reload_only_for.clone()
    } else {
        for_chunks.filter(|chunks| only_lazy && !chunks.is_empty())
    };
    let (plan, files): (UpdatePlan, Vec<String>) = match cause {
        Cause::Edit { files } => {
            // Asked about importers the walk meets; computed the first time one is only in
            // lazy chunks (a page's own modules never need it).
            let closed = std::cell::OnceCell::new();
            let not_running = |m: ModuleIndex| {
                !graph.module(m).loaded && closed.get_or_init(|| host.not_running()).contains(&m)
            };
            let plan_for = |changed: &[ModuleIndex]| {
                let changes = Changes {
                    changed,
                    html_changed: build.html_changed,
                    changed_pages: &build.changed_pages,
                    config_changed: build.config_changed.as_deref(),
                    first_compiled: &build.first_compiled,
                    not_running: NotRunning(Some(&not_running)),
                };
                plan_update(graph, &changes)
            };
            let mut plan = plan_for(&changed);
            // A left-out module that the update re-evaluates anyway runs its current code, as
            // Vite imports a boundary anew: plugin-vue answers an `<i18n>` block's edit with the
            // block's module, which the component accepts, and the component's old code (a
            // template edit's `_rerender_only`) would only re-render it, the block not applied.
            if let UpdatePlan::Hot(hot) = &plan {
                let rerun: Vec<ModuleIndex> = dropped
                    .iter()
                    .filter_map(|id| graph.index_of(id))
                    .filter(|m| hot.invalidate.contains(m))
                    .collect();
                if !rerun.is_empty() {
                    dropped.retain(|id| graph.index_of(id).is_none_or(|m| !rerun.contains(&m)));
                    changed.extend(rerun);
                    plan = plan_for(&changed);
                }
            }
            // A module the update would re-evaluate whose new code waits on a part of a file
            // that is gone runs its last good code, whose import of that part the batch that
            // deleted the file removed from the page: unplugin-vue-router's routes module,
            // rewritten with a new page's `?definePage` block while it still names the renamed
            // page's ("Cannot find module" in the page). The update waits, withheld, for the
            // batch that makes that module whole (the plugin's next routes module), as Vite's
            // re-import of it fails. (A part a plugin failed on keeps its last good code in
            // the page, which the last good importer runs.)
            if let UpdatePlan::Hot(hot) = &plan
                && hot
                    .invalidate
                    .iter()
                    .any(|&m| !hot.send.contains(&m) && host.imports_a_part_of_a_gone_file(m))
            {
                withheld.extend(changed.drain(..).map(|m| graph.module(m).id.clone()));
                plan = UpdatePlan::Nothing;
            }
            // Modules back with the code the page holds (`BuildResult::returned`) go along
            // for the pages loaded since, which lack them; nothing runs them again.
            if let UpdatePlan::Hot(hot) = &mut plan
                && !build.returned.is_empty()
            {
                for &m in &build.returned {
                    if !hot.send.contains(&m) {
                        hot.send.push(m);
                    }
                }
                hot.send.sort_unstable();
                hot.css_only &= build
                    .returned
                    .iter()
                    .all(|&m| graph.module(m).kind == ModuleKind::Css);
            }
            (plan, files.to_vec())
        }
        Cause::Invalidate {
            module, already, ..
        } => {
            let already: Vec<ModuleIndex> =
                already.iter().filter_map(|id| graph.index_of(id)).collect();
            let plan = match graph.index_of(module) {
                Some(index) => plan_invalidate(graph, index, &already),
                None => {
                    tracing::debug!("invalidate for unknown module {module}");
                    UpdatePlan::Nothing
                }
            };
            (plan, vec![module.trim_start_matches('/').to_owned()])
        }
        Cause::Reload => (plan_requested_reload(), Vec::new()),
        Cause::Resend { modules } => {
            let resend: Vec<ModuleIndex> = modules
                .iter()
                .filter_map(|id| graph.index_of(id))
                .filter(|&index| host.has_code(index))
                .collect();
            let changes = Changes {
                changed: &resend,
                ..Changes::default()
            };
            let files = modules
                .iter()
                .map(|id| id.trim_start_matches('/').to_owned())
                .collect();
            (plan_update(graph, &changes), files)
        }
    };
    phases.push((Phase::Plan, plan_start.elapsed()));
    drop(plan_frame);
    if edit {
        // (What waits for its lazy chunk counts as sent: the chunk brings its current code.)
        let sent: Vec<Arc<str>> = changed
            .iter()
            .chain(&held)
            .map(|&m| graph.module(m).id.clone())
            .collect();
        host.note_sent(&dropped, &sent);
    }
    // A full reload loads every module's current code, the withheld ones' too: nothing waits.
    if !matches!(plan, UpdatePlan::FullReload(_)) {
        host.withhold(withheld);
        if edit {
            host.withhold(waiting);
        }
    }

    let encode_frame = host.db().clock().enter(Phase::Encode, "encode");
    let encode_start = Instant::now();
    let next = revision + 1;
    let (outcome, frame) = match plan {
        UpdatePlan::Nothing if build.removed.is_empty() => {
            let outcome = if build.diagnostics.is_empty() {
                UpdateOutcome::NoChange
            } else {
                UpdateOutcome::Errors {
                    count: build.diagnostics.len(),
                }
            };
            (outcome, None)
        }
        UpdatePlan::Nothing => {
            let (frame, outcome) = encode_hot(
                host,
                &build.graph,
                &HotPlan::default(),
                &build.removed,
                &files,
                next,
            );
            (outcome, Some((next, frame)))
        }
        UpdatePlan::Hot(hot) => {
            let (frame, outcome) =
                encode_hot(host, &build.graph, &hot, &build.removed, &files, next);
            (outcome, Some((next, frame)))
        }
        UpdatePlan::FullReload(reason) => {
            let (frame, outcome) = encode_full_reload(&reason, next);
            (outcome, Some((next, frame)))
        }
    };
    if frame.is_some() {
        phases.push((Phase::Encode, encode_start.elapsed()));
    }
    drop(encode_frame);
    PreparedUpdate {
        build,
        files,
        queries,
        phases,
        outcome,
        frame,
        held_back,
        lazy_edited,
        for_chunks,
    }
}

/// Encodes a hot update for `plan` as revision `revision`.
fn encode_hot(
    host: &EngineHost,
    graph: &ProjectGraph,
    plan: &HotPlan,
    removed: &[Arc<str>],
    files: &[String],
    revision: u32,
) -> (Arc<[u8]>, UpdateOutcome) {
    let graph = &graph.graph;
    let id = |index: ModuleIndex| graph.module(index).id.clone();
    let modules: Vec<ModuleCode> = plan
        .send
        .iter()
        .filter_map(|&index| host.module_code(index))
        .collect();
    // Linked stylesheets (`<link rel=stylesheet>`) are not in the chunk: the page swaps the
    // link instead of re-evaluating a module, for an edit to the sheet or to any sheet its
    // `@import` chain reaches (the served texts version their imports: host/stylesheets.rs).
    let mut roots: Vec<ModuleIndex> = Vec::new();
    for &index in &plan.send {
        if graph.module(index).kind == ModuleKind::Css {
            for root in linked_roots(graph, index) {
                if !roots.contains(&root) {
                    roots.push(root);
                }
            }
        }
    }
    // Each sheet the pages hold also gets a rule-level patch when its change is small (see
    // "CSS patches" in hotloop-protocol's wire.rs); the page falls back to the full form.
    let (css_patches, versions) = host.css_patches(&plan.send, &roots);
    let css_links: Vec<CssLink> = roots
        .into_iter()
        .zip(versions)
        .map(|(index, version)| CssLink {
            href: id(index).to_string(),
            version: format!("{version:08x}"),
        })
        .collect();
    let update = HotUpdate {
        revision,
        modules,
        invalidate: plan.invalidate.iter().map(|&i| id(i)).collect(),
        boundaries: plan
            .boundaries
            .iter()
            .map(|b| (id(b.module), b.accepted_dep.map(id)))
            .collect(),
        removed: removed.to_vec(),
        css_links,
        changed_files: files.iter().map(|f| Arc::from(format!("/{f}"))).collect(),
        css_patches,
    };
    let outcome = hot_outcome(&update, plan.css_only);
    let frame: Arc<[u8]> = protocol::encode(&ServerMessage::Update(update)).into();
    (frame, outcome)
}

/// What the report says of a hot update: the modules sent and the boundaries taking them.
pub(crate) fn hot_outcome(update: &HotUpdate, css_only: bool) -> UpdateOutcome {
    UpdateOutcome::Hot {
        modules: update.modules.iter().map(|m| m.id.to_string()).collect(),
        boundaries: update
            .boundaries
            .iter()
            .map(|(b, dep)| match dep {
                Some(dep) => format!("{b} accepts {dep}"),
                None => b.to_string(),
            })
            .collect(),
        css_only,
    }
}

/// Encodes a full reload as revision `revision`.
fn encode_full_reload(reason: &FullReloadReason, revision: u32) -> (Arc<[u8]>, UpdateOutcome) {
    let frame: Arc<[u8]> = protocol::encode(&ServerMessage::full_reload(revision, reason)).into();
    (
        frame,
        UpdateOutcome::FullReload {
            reason: reason.to_string(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::QueryEventKind;
    use crate::inputs::ProjectOptions;
    use crate::testing::TempProject;
    use hotloop_protocol::wire::{CssEdit, CssPatch, CssTarget, css_version, decode_server};

    const FIXTURE: &str = r#"
//- /index.html
<!doctype html>
<html><head><title>t</title></head><body>
<script type="module" src="/src/main.js"></script>
</body></html>
//- /src/main.js
import { v } from './leaf.js';
console.log(v);
//- /src/leaf.js
export const v = 1;
if (import.meta.hot) import.meta.hot.accept();
"#;
    const LEAF: &str = "export const v = 1;\nif (import.meta.hot) import.meta.hot.accept();\n";

    struct Project {
        files: TempProject,
        host: EngineHost,
    }

    fn project() -> Project {
        let files = TempProject::new(FIXTURE);
        let host = EngineHost::new(files.root(), ProjectOptions::default()).expect("host");
        Project { files, host }
    }

    fn phase_names(phases: &[(Phase, Duration)]) -> Vec<&'static str> {
        phases.iter().map(|(p, _)| p.name()).collect()
    }

    fn ran(queries: &[QueryRun], query: &str) -> usize {
        queries
            .iter()
            .filter(|e| e.kind == QueryEventKind::Executed && &*e.query == query)
            .count()
    }

    #[test]
    fn a_cold_build_reports_every_build_phase() {
        let mut p = project();
        p.host.record_queries(true);
        let build = p.host.build();
        let names: Vec<&str> = build.phases.0.iter().map(|(p, _)| p.name()).collect();
        assert_eq!(names, ["parse", "resolve", "emit", "graph"]);
        let queries = p.host.take_query_runs();
        assert_eq!(ran(&queries, "parsed_module"), 2);
        assert_eq!(ran(&queries, "module_graph"), 1);
    }

    #[test]
    fn a_body_edit_is_parse_and_emit_then_one_encoded_hot_update() {
        let mut p = project();
        p.host.build();
        let path = p.files.write("src/leaf.js", LEAF.replace("= 1", "= 2"));
        p.host.apply_changes(&[path]);
        let update = prepare(
            &mut p.host,
            Cause::Edit {
                files: &["src/leaf.js".into()],
            },
            4,
        );
        assert_eq!(
            phase_names(&update.phases),
            ["parse", "resolve", "emit", "plan", "encode"],
            "no graph phase for a body edit"
        );
        assert_eq!(ran(&update.queries, "parsed_module"), 1);
        assert_eq!(ran(&update.queries, "resolved_imports"), 0);
        assert_eq!(ran(&update.queries, "module_graph"), 0);
        assert_eq!(
            update.outcome,
            UpdateOutcome::Hot {
                modules: vec!["/src/leaf.js".into()],
                boundaries: vec!["/src/leaf.js".into()],
                css_only: false,
            }
        );
        let (revision, frame) = update.frame.expect("a frame");
        assert_eq!(revision, 5);
        match decode_server(&frame).expect("decodes") {
            ServerMessage::Update(hot) => {
                assert_eq!(hot.revision, 5);
                assert_eq!(hot.changed_files, vec![Arc::<str>::from("/src/leaf.js")]);
                assert!(
                    hot.modules[0].code.contains("v=2"),
                    "{}",
                    hot.modules[0].code
                );
            }
            other => panic!("expected an update, got {other:?}"),
        }
    }

    #[test]
    fn an_import_edit_rebuilds_the_graph() {
        let mut p = project();
        p.host.build();
        let other = p.files.write("src/other.js", "export const w = 1;\n");
        let path = p.files.write(
            "src/leaf.js",
            format!("import {{ w }} from './other.js';\n{LEAF}"),
        );
        p.host.apply_changes(&[other, path]);
        let update = prepare(
            &mut p.host,
            Cause::Edit {
                files: &["src/leaf.js".into()],
            },
            0,
        );
        assert!(
            update.phases.iter().any(|(p, _)| *p == Phase::Graph),
            "{:?}",
            update.phases
        );
        assert_eq!(ran(&update.queries, "module_graph"), 1);
        assert!(
            matches!(update.outcome, UpdateOutcome::Hot { .. }),
            "{:?}",
            update.outcome
        );
    }

    const CSS_FIXTURE: &str = r#"
//- /index.html
<!doctype html>
<html><head><link rel="stylesheet" href="/src/site.css"></head><body>
<script type="module" src="/src/main.js"></script>
</body></html>
//- /src/main.js
import './style.css';
//- /src/style.css
.a { color: red; }
.b { color: green; }
/* a comment */
.c { color: blue; }
//- /src/site.css
@import "./base.css";
.s { margin: 0; }
.t { margin: 1px; }
//- /src/base.css
body { padding: 0; }
"#;

    /// Saves `path` as `text`, prepares the update after `revision`, publishes it (as the dev
    /// loop does) and returns the message.
    fn save(p: &mut Project, path: &str, text: &str, revision: u32) -> HotUpdate {
        let file = p.files.write(path, text);
        p.host.apply_changes(&[file]);
        let update = prepare(
            &mut p.host,
            Cause::Edit {
                files: &[path.into()],
            },
            revision,
        );
        let (next, frame) = update.frame.expect("a frame");
        let _ = p.host.served(&Arc::from("srv"), next);
        match decode_server(&frame).expect("decodes") {
            ServerMessage::Update(hot) => hot,
            other => panic!("expected an update, got {other:?}"),
        }
    }

    fn css_project() -> Project {
        let files = TempProject::new(CSS_FIXTURE);
        let mut host = EngineHost::new(files.root(), ProjectOptions::default()).expect("host");
        let _ = host.served(&Arc::from("srv"), 0);
        Project { files, host }
    }

    fn patch_of(update: &HotUpdate, target: CssTarget) -> Option<&CssPatch> {
        update.css_patches.iter().find(|p| p.target == target)
    }

    #[test]
    fn a_stylesheet_edit_carries_a_patch_from_the_published_text_and_saves_compose() {
        let mut p = css_project();
        let v1 = ".a { color: red; }\n.b { color: green; }\n/* a comment */\n.c { color: blue; }\n";
        let v2 = v1.replace("green", "lime");
        let update = save(&mut p, "src/style.css", &v2, 0);
        assert!(
            update.modules.iter().any(|m| &*m.id == "/src/style.css"),
            "the full text is still sent"
        );
        assert_eq!(
            patch_of(&update, CssTarget::Style),
            Some(&CssPatch {
                target: CssTarget::Style,
                id: "/src/style.css".into(),
                base: css_version(v1),
                version: css_version(&v2),
                rules: 3,
                edits: vec![
                    CssEdit::Delete { index: 1 },
                    CssEdit::Insert {
                        index: 1,
                        rule: ".b { color: lime; }".into(),
                    },
                ],
            })
        );
        // The next save patches from what the last one published.
        let v3 = v2.replace("blue", "navy");
        let update = save(&mut p, "src/style.css", &v3, 1);
        let patch = patch_of(&update, CssTarget::Style).expect("a patch");
        assert_eq!(
            (patch.base, patch.version),
            (css_version(&v2), css_version(&v3))
        );
        assert_eq!(
            patch.edits,
            [
                CssEdit::Delete { index: 2 },
                CssEdit::Insert {
                    index: 2,
                    rule: ".c { color: navy; }".into()
                }
            ]
        );
        // A change among the @imports (a new one) sends the whole sheet only.
        let update = save(
            &mut p,
            "src/style.css",
            &format!("@import 'https://cdn.example/x.css';\n{v3}"),
            2,
        );
        assert_eq!(patch_of(&update, CssTarget::Style), None);
    }

    #[test]
    fn a_linked_sheet_gets_a_patch_and_the_version_the_server_then_serves() {
        let mut p = css_project();
        let update = save(
            &mut p,
            "src/site.css",
            "@import \"./base.css\";\n.s { margin: 0; }\n.t { margin: 2px; }\n",
            0,
        );
        let served = p.host.served(&Arc::from("srv"), 1);
        let sheet = served.modules["/src/site.css"]
            .stylesheet
            .clone()
            .expect("a stylesheet");
        let version = css_version(&sheet);
        assert_eq!(
            update.css_links,
            [CssLink {
                href: "/src/site.css".into(),
                version: format!("{version:08x}"),
            }]
        );
        let patch = patch_of(&update, CssTarget::Link).expect("a link patch");
        assert_eq!(
            (patch.id.as_ref(), patch.version, patch.rules),
            ("/src/site.css", version, 3)
        );
        assert_eq!(
            patch.edits,
            [
                CssEdit::Delete { index: 2 },
                CssEdit::Insert {
                    index: 2,
                    rule: ".t { margin: 2px; }".into()
                }
            ]
        );
        assert_eq!(
            patch_of(&update, CssTarget::Style),
            None,
            "no <style> for a linked sheet"
        );

        // An edit of the imported sheet changes the root's `@import` version: whole sheet.
        let update = save(&mut p, "src/base.css", "body { padding: 1px; }\n", 1);
        assert_eq!(update.css_links.len(), 1);
        assert_eq!(update.css_patches, []);
    }

    #[test]
    fn a_css_module_patch_is_computed_from_its_compiled_text() {
        let files = TempProject::new(
            r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import styles from './card.module.css';
console.log(styles.card);
//- /src/card.module.css
.card { color: red; }
.title { font-weight: bold; }
"#,
        );
        let mut host = EngineHost::new(files.root(), ProjectOptions::default()).expect("host");
        let _ = host.served(&Arc::from("srv"), 0);
        let mut p = Project { files, host };
        let update = save(
            &mut p,
            "src/card.module.css",
            ".card { color: blue; }\n.title { font-weight: bold; }\n",
            0,
        );
        let patch = patch_of(&update, CssTarget::Style).expect("a patch");
        assert_eq!(patch.rules, 2);
        match &patch.edits[..] {
            [
                CssEdit::Delete { index: 0 },
                CssEdit::Insert { index: 0, rule },
            ] => {
                // lightningcss's output, with the scoped name the page's elements carry.
                assert_eq!(&**rule, ".card-module_q70Lpa_card {\n  color: #00f;\n}");
            }
            other => panic!("expected one rule replaced, got {other:?}"),
        }
    }
}
