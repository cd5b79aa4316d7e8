//! Update planning: pure functions from "these modules changed" and the module graph to the
//! smallest correct hot update, or a typed reason for a full reload. No salsa, no IO.
//!
//! The rules (boundaries, propagation, lazy chunks, workers, every full-reload reason the
//! engine raises) are listed on [`plan_update`]; among them, a module compiling for the first
//! time is no boundary itself: its importers update.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use hotloop_protocol::FullReloadReason;

use crate::environment::EnvironmentKind;
use crate::graph::{GraphModule, ModuleGraph, ModuleIndex, ModuleKind};

/// A tab whose session missed updates must reload: the planner's answer to a lagging client
/// (the engine publishes it with every snapshot; the server only sends it).
pub fn client_out_of_sync() -> FullReloadReason {
    FullReloadReason::ClientOutOfSync
}

/// The user asked every tab to reload (the dashboard's `r`).
pub fn plan_requested_reload() -> UpdatePlan {
    UpdatePlan::FullReload(FullReloadReason::Requested)
}

/// The reload an edit reaching `module` of a `kind` environment needs; `None` for a kind whose
/// code takes updates in place.
fn environment_reload(kind: EnvironmentKind, module: &str) -> Option<FullReloadReason> {
    match kind {
        EnvironmentKind::Worker => Some(FullReloadReason::InWorker {
            module: module.to_owned(),
        }),
        EnvironmentKind::Page | EnvironmentKind::Server => None,
    }
}

/// A module that accepts the update: itself (`accepted_dep == None`) or one of its deps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Boundary {
    pub module: ModuleIndex,
    pub accepted_dep: Option<ModuleIndex>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HotPlan {
    /// Modules whose emitted code changed: their new factories are sent.
    pub send: Vec<ModuleIndex>,
    /// Modules on the paths from changed modules to their boundaries, dependencies first:
    /// disposed and re-evaluated.
    pub invalidate: Vec<ModuleIndex>,
    pub boundaries: Vec<Boundary>,
    /// Only CSS modules changed: no JS is re-evaluated.
    pub css_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdatePlan {
    /// Nothing the browser runs changed.
    Nothing,
    Hot(HotPlan),
    FullReload(FullReloadReason),
}

/// What changed in one batch, in terms of the current graph.
#[derive(Clone, Debug, Default)]
pub struct Changes<'a> {
    /// Modules whose emitted code changed.
    pub changed: &'a [ModuleIndex],
    pub html_changed: bool,
    /// The pages whose HTML changed, by module id (`BuildResult::changed_pages`): what the
    /// reload's reason names.
    pub changed_pages: &'a [Arc<str>],
    /// A config file that can change every module or the page (`package.json`,
    /// `tsconfig.json`, a `.env` file): rather than reason about partial effects, reload.
    pub config_changed: Option<&'a str>,
    /// Changed modules that compile for the first time (they were in the graph without code):
    /// no page ever evaluated them, so their own `accept` (a Fast Refresh boundary) takes
    /// nothing; the update goes to their importers, whose `import()` or evaluation of them
    /// failed (a lazy route with a syntax error, fixed: its importer renders it again).
    pub first_compiled: &'a [ModuleIndex],
    /// Modules no open page runs (see [`NotRunning`]).
    pub not_running: NotRunning<'a>,
}

/// Modules no open page runs: they are only in lazy chunks that no open page loaded (a route
/// not visited, another page of a multi-page app that no tab shows). The walk does not go
/// up through them: a dead end there (another page's entry that accepts nothing) reloads no
/// tab, and a boundary there re-runs nothing anyone sees. A page that loads their chunk later
/// gets the current code with it. Default: every module may run.
#[derive(Clone, Copy, Default)]
pub struct NotRunning<'a>(pub Option<&'a dyn Fn(ModuleIndex) -> bool>);

impl NotRunning<'_> {
    fn contains(&self, module: ModuleIndex) -> bool {
        self.0.is_some_and(|not_running| not_running(module))
    }
}

impl std::fmt::Debug for NotRunning<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "NotRunning(..)"
        } else {
            "NotRunning(none)"
        })
    }
}

/// Plans the update for `changes` on `graph`, following Vite's propagation rules:
///
/// - a config file changed: full reload; the HTML changed: full reload; nothing changed:
///   nothing;
/// - from every changed module, walk up the importers. A module that accepts itself (CSS
///   modules always do) is a boundary and is re-evaluated; an importer that accepts the module
///   we came from (`hot.accept(dep, cb)`) is a boundary and is *not* re-evaluated; an entry or
///   a module nobody imports reached without a boundary means a full reload. Every path must
///   end at a boundary. `import.meta.hot.decline()` changes nothing: Vite documents it as a
///   no-op kept for compatibility (and so does Bun), so code written for Vite expects the
///   update to go on.
/// - an `import()` target no page has asked for is not in the graph (`queries::graph`): an edit
///   to it plans nothing, and a page gets its new code with the chunk;
/// - a module compiling for the first time (`Changes::first_compiled`) is no boundary itself:
///   no page ran it, so the walk starts at its importers;
/// - modules reachable only through `import()` (`loaded == false`) propagate like any other,
///   through their dynamic importers too, when an open page loaded their lazy chunk: the plan
///   covers every tab and each tab's runtime skips the boundaries and invalidations of modules
///   it never evaluated (Vite does the same). A lazily loaded page is updated in the tabs that
///   show it, never left stale. Those in lazy chunks no open page loaded
///   (`Changes::not_running`: a route nobody visits, another page no tab shows) are not
///   walked through: their dead ends reload nobody;
/// - a module of an environment whose running code cannot take new code (a web worker:
///   `EnvironmentKind::update_rule`) means a full reload, which restarts it;
/// - every module entered on the way is re-evaluated (`invalidate`), not only the changed one:
///   a boundary two importers up must not read the old exports of the module in between
///   (Bun's stale-value bug).
///
/// The walk only touches the changed modules and their importers up to the boundaries: its
/// cost does not depend on the size of the graph.
pub fn plan_update(graph: &ModuleGraph, changes: &Changes<'_>) -> UpdatePlan {
    if let Some(file) = changes.config_changed {
        return UpdatePlan::FullReload(FullReloadReason::ConfigChanged {
            file: file.to_owned(),
        });
    }
    if changes.html_changed {
        let page = if changes.changed_pages.is_empty() {
            "index.html".to_owned()
        } else {
            let names: Vec<&str> = changes
                .changed_pages
                .iter()
                .map(|id| id.trim_start_matches('/'))
                .collect();
            names.join(", ")
        };
        return UpdatePlan::FullReload(FullReloadReason::HtmlChanged { page });
    }
    let mut send = changes.changed.to_vec();
    send.sort_unstable();
    send.dedup();
    if send.is_empty() {
        return UpdatePlan::Nothing;
    }
    let css_only = send
        .iter()
        .all(|&m| graph.module(m).kind == ModuleKind::Css);
    let mut walk = Walk::new(graph);
    walk.never_evaluated = changes.first_compiled.iter().copied().collect();
    walk.not_running = changes.not_running;
    for &module in &send {
        walk.enter(module, None);
    }
    match walk.run() {
        Ok(()) => UpdatePlan::Hot(walk.into_plan(send, css_only)),
        Err(reason) => UpdatePlan::FullReload(reason),
    }
}

/// Plans the update for a client's `import.meta.hot.invalidate()` from `module`: the module
/// already runs its new code but cannot apply it, so its importers are updated as if they had
/// changed (no code is sent). `already` holds the modules invalidated earlier in the same
/// update chain; meeting one again means the chain loops: full reload.
pub fn plan_invalidate(
    graph: &ModuleGraph,
    module: ModuleIndex,
    already: &[ModuleIndex],
) -> UpdatePlan {
    let circular = |m: ModuleIndex| {
        UpdatePlan::FullReload(FullReloadReason::CircularInvalidate {
            module: graph.module(m).id.to_string(),
        })
    };
    if already.contains(&module) {
        return circular(module);
    }
    let mut walk = Walk::new(graph);
    // The invalidating module itself is not re-evaluated: it is marked as entered so that a
    // cycle back to it does not re-enter it.
    walk.entered.insert(module);
    if let Err(reason) = walk.step(module) {
        return UpdatePlan::FullReload(reason);
    }
    if let Err(reason) = walk.run() {
        return UpdatePlan::FullReload(reason);
    }
    let reached = walk
        .order
        .iter()
        .copied()
        .chain(walk.boundaries.iter().map(|b| b.module))
        .find(|m| already.contains(m));
    if let Some(m) = reached {
        return circular(m);
    }
    UpdatePlan::Hot(walk.into_plan(Vec::new(), false))
}

/// Why an edit to one module hot-updates or reloads the page, for display (the dashboard's
/// Graph tab): the plan `plan_update` makes for it, and the chains of modules walked, edited
/// module first — one per boundary (an importer accepting a dep ends the chain after that
/// dep), or the single dead-end chain of a full reload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub plan: UpdatePlan,
    pub chains: Vec<Vec<ModuleIndex>>,
}

/// Explains an edit to `module` with the same walk `plan_update` runs.
pub fn explain(graph: &ModuleGraph, module: ModuleIndex) -> Explanation {
    let mut walk = Walk::new(graph);
    walk.enter(module, None);
    match walk.run() {
        Ok(()) => {
            // Sorted and deduplicated as `into_plan` orders the boundaries, so the chains line
            // up with `HotPlan::boundaries`.
            let mut chains: Vec<(Boundary, Vec<ModuleIndex>)> = walk
                .boundaries
                .iter()
                .map(|&b| match b.accepted_dep {
                    Some(dep) => {
                        let mut chain = walk.chain_to(dep);
                        chain.push(b.module);
                        (b, chain)
                    }
                    None => (b, walk.chain_to(b.module)),
                })
                .collect();
            chains.sort_by_key(|(b, _)| (b.module, b.accepted_dep));
            chains.dedup_by_key(|(b, _)| *b);
            let plan = UpdatePlan::Hot(walk.into_plan(vec![module], false));
            Explanation {
                plan,
                chains: chains.into_iter().map(|(_, chain)| chain).collect(),
            }
        }
        Err(reason) => {
            let chain = match &reason {
                FullReloadReason::NoBoundary { chain, .. } => {
                    chain.iter().filter_map(|id| graph.index_of(id)).collect()
                }
                FullReloadReason::InWorker { module } => graph
                    .index_of(module)
                    .map(|m| walk.chain_to(m))
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            Explanation {
                plan: UpdatePlan::FullReload(reason),
                chains: vec![chain],
            }
        }
    }
}

/// CSS modules accept their own updates by nature: the new text replaces the old style.
fn accepts_itself(module: &GraphModule) -> bool {
    module.self_accepts || module.kind == ModuleKind::Css
}

/// A breadth-first walk from changed modules up through their importers.
struct Walk<'g> {
    graph: &'g ModuleGraph,
    /// Modules entered (queued) so far; shared by all changed modules, so cycles and shared
    /// importers are walked once.
    entered: FxHashSet<ModuleIndex>,
    /// Entered modules in the order they were entered.
    order: Vec<ModuleIndex>,
    /// The module a module was first entered from, to rebuild the chain of a dead end.
    parent: FxHashMap<ModuleIndex, ModuleIndex>,
    queue: VecDeque<ModuleIndex>,
    boundaries: Vec<Boundary>,
    /// Modules whose own accept does not count (see `Changes::first_compiled`).
    never_evaluated: FxHashSet<ModuleIndex>,
    /// Importers the walk does not go up through (see `Changes::not_running`).
    not_running: NotRunning<'g>,
}

impl<'g> Walk<'g> {
    fn new(graph: &'g ModuleGraph) -> Self {
        Walk {
            graph,
            entered: FxHashSet::default(),
            order: Vec::new(),
            parent: FxHashMap::default(),
            queue: VecDeque::new(),
            boundaries: Vec::new(),
            never_evaluated: FxHashSet::default(),
            not_running: NotRunning::default(),
        }
    }

    fn enter(&mut self, module: ModuleIndex, from: Option<ModuleIndex>) {
        if self.entered.insert(module) {
            if let Some(from) = from {
                self.parent.insert(module, from);
            }
            self.order.push(module);
            self.queue.push_back(module);
        }
    }

    fn run(&mut self) -> Result<(), FullReloadReason> {
        while let Some(module) = self.queue.pop_front() {
            let facts = self.graph.module(module);
            if let Some(reason) = self
                .graph
                .reloading_environment(module)
                .and_then(|env| environment_reload(env.kind, &facts.id))
            {
                return Err(reason);
            }
            if accepts_itself(facts) && !self.never_evaluated.contains(&module) {
                self.boundaries.push(Boundary {
                    module,
                    accepted_dep: None,
                });
                continue;
            }
            self.step(module)?;
        }
        Ok(())
    }

    /// Propagates from `module` to its importers: a dead end is a full reload.
    fn step(&mut self, module: ModuleIndex) -> Result<(), FullReloadReason> {
        let graph = self.graph;
        let importers = graph.importers(module);
        if importers.is_empty() || graph.entries.contains(&module) {
            return Err(self.no_boundary(module));
        }
        for &importer in importers {
            if self.not_running.contains(importer) {
                continue;
            }
            let facts = graph.module(importer);
            if facts.accepted_deps.contains(&module) {
                self.boundaries.push(Boundary {
                    module: importer,
                    accepted_dep: Some(module),
                });
            } else {
                self.enter(importer, Some(module));
            }
        }
        Ok(())
    }

    /// The modules walked from a changed module up to `end`, changed module first.
    fn chain_to(&self, end: ModuleIndex) -> Vec<ModuleIndex> {
        let mut chain = vec![end];
        let mut at = end;
        while let Some(&from) = self.parent.get(&at) {
            chain.push(from);
            at = from;
        }
        chain.reverse();
        chain
    }

    fn no_boundary(&self, dead_end: ModuleIndex) -> FullReloadReason {
        let chain = self.chain_to(dead_end);
        let id = |m: ModuleIndex| self.graph.module(m).id.to_string();
        let refresh_refused = self
            .graph
            .module(chain[0])
            .refresh_refused
            .as_deref()
            .map(str::to_owned);
        FullReloadReason::NoBoundary {
            changed: id(chain[0]),
            chain: chain.into_iter().map(id).collect(),
            refresh_refused,
        }
    }

    fn into_plan(self, send: Vec<ModuleIndex>, css_only: bool) -> HotPlan {
        let graph = self.graph;
        let invalidate = self.order;
        let mut boundaries = self.boundaries;
        boundaries.sort_unstable_by_key(|b| (b.module, b.accepted_dep));
        boundaries.dedup();
        HotPlan {
            send,
            invalidate: dependencies_first(graph, invalidate),
            boundaries,
            css_only,
        }
    }
}

/// Orders `modules` so that a module comes after the modules it imports (among `modules`);
/// ties and cycles are broken by the lowest index, so the order is deterministic.
fn dependencies_first(graph: &ModuleGraph, mut modules: Vec<ModuleIndex>) -> Vec<ModuleIndex> {
    modules.sort_unstable();
    let inside: FxHashSet<ModuleIndex> = modules.iter().copied().collect();
    // Number of imports of each module that are still waiting to be placed.
    let mut waiting: FxHashMap<ModuleIndex, usize> = modules
        .iter()
        .map(|&m| {
            let deps = graph
                .imports(m)
                .iter()
                .filter(|&&d| d != m && inside.contains(&d))
                .count();
            (m, deps)
        })
        .collect();
    let mut ready: BTreeSet<ModuleIndex> = waiting
        .iter()
        .filter(|&(_, &n)| n == 0)
        .map(|(&m, _)| m)
        .collect();
    let mut ordered = Vec::with_capacity(modules.len());
    while ordered.len() < modules.len() {
        let next = match ready.pop_first() {
            Some(m) => m,
            // Only cycles are left: break the one holding the lowest index.
            None => match modules.iter().copied().find(|m| waiting.contains_key(m)) {
                Some(m) => m,
                None => break,
            },
        };
        if waiting.remove(&next).is_none() {
            continue;
        }
        ordered.push(next);
        for &importer in graph.importers(next) {
            if importer == next {
                continue;
            }
            if let Some(n) = waiting.get_mut(&importer) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    ready.insert(importer);
                }
            }
        }
    }
    ordered
}

#[cfg(test)]
mod tests;
