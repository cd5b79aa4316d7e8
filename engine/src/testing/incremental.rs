//! `check(fixture, edits, expect![..])`: the incremental suite as data. The fixture is written
//! to a temp project and built; then each edit is applied and built, and the snapshot shows,
//! per edit, what the host took from the disk, which queries executed and which memos were
//! reused (one line per query: `parsed_module: ran /src/a.js; reused /src/b.js`, from
//! [`EngineHost::take_query_runs`]), what the build
//! reports (changed and removed modules, the graph when it is a new one, diagnostics when they
//! change) and the update the planner makes of it. `UPDATE_EXPECT=1` regenerates.
//!
//! An edit is itself a fixture, one header per operation, applied as one batch:
//! - `//- /path` then the text: write the file (`edit` or `create` in the snapshot);
//! - `//- rm /path`: delete the file or directory;
//! - `//- unreported /path` then the text: write it without telling the host (the watcher
//!   missed it, or does not watch there);
//! - `//- report /path`: tell the host about `path` without writing (a re-read);
//! - `//- watched`: tell the host through `apply_watched_changes` (which defers files that
//!   turned empty) instead of `apply_changes` (`watched:` in the snapshot);
//! - `//- rescan`: the host rescans every known file instead of being told the paths
//!   (`rescan:` in the snapshot).
//!
//! The snapshot's first section is the initial build: its graph and diagnostics (its queries
//! are all of them, so they are not listed).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use expect_test::Expect;

use super::fixture::{TempProject, parse_fixture};
use super::graph::{render_graph, render_plan};
use crate::db::QueryEventKind;
use crate::host::{AppliedChanges, BuildResult, EngineHost, QueryRun};
use crate::inputs::ProjectOptions;
use crate::plan::{Changes, UpdatePlan, plan_update};
use crate::update::PreparedUpdate;
use hotloop_protocol::Served;

/// Writes `fixture`, builds it, applies each of `edits` in turn and compares the report (see
/// the module docs) with `expect`. Returns the project for assertions on its last state.
#[track_caller]
pub fn check(fixture: &str, edits: &[&str], expect: Expect) -> Incremental {
    let mut project = Incremental::new(fixture);
    project.check(edits, expect);
    project
}

/// A host on a temp project that records its queries.
pub struct Incremental {
    pub project: TempProject,
    pub host: EngineHost,
    last: Option<BuildResult>,
    /// The diagnostics the snapshot showed last.
    shown_diagnostics: Vec<String>,
}

enum Report {
    Changes,
    Watched,
    Rescan,
}

impl Incremental {
    /// Writes `fixture` and opens a host on it (not built yet).
    pub fn new(fixture: &str) -> Incremental {
        Incremental::with_options(fixture, ProjectOptions::default())
    }

    /// [`Incremental::new`] with other project options.
    pub fn with_options(fixture: &str, options: ProjectOptions) -> Incremental {
        let project = TempProject::new(fixture);
        let host = EngineHost::new(project.root(), options).expect("host");
        host.record_queries(true);
        Incremental {
            project,
            host,
            last: None,
            shown_diagnostics: Vec::new(),
        }
    }

    /// Builds the project (the first time, or after edits made by hand) and forgets which
    /// queries ran.
    pub fn build(&mut self) -> BuildResult {
        let result = self.host.build();
        self.host.take_query_runs();
        self.last = Some(result.clone());
        // Seen by the test that built by hand: a later snapshot shows when they change.
        self.shown_diagnostics = self.snapshot_diagnostics();
        result
    }

    /// The last build's result.
    pub fn last(&self) -> &BuildResult {
        self.last.as_ref().expect("built")
    }

    /// Applies each of `edits` and compares the report with `expect`; builds first when it
    /// has not been built (the report then starts with that build).
    #[track_caller]
    pub fn check(&mut self, edits: &[&str], expect: Expect) {
        let mut out = String::new();
        if self.last.is_none() {
            let result = self.host.build();
            self.host.take_query_runs();
            out.push_str("build\n");
            self.report_graph(&mut out, &result);
            self.report_diagnostics(&mut out);
            self.last = Some(result);
        }
        for edit in edits {
            self.step(edit, &mut out);
        }
        expect.assert_eq(&out);
    }

    fn step(&mut self, edit: &str, out: &mut String) {
        self.host.take_query_runs();
        let mut reported: Vec<PathBuf> = Vec::new();
        let mut how = Report::Changes;
        let mut header: Vec<String> = Vec::new();
        for file in parse_fixture(edit) {
            let (directive, path) = match file.path.split_once(' ') {
                Some((directive, path)) => (directive, path.trim()),
                None => ("", file.path.as_str()),
            };
            match (directive, path) {
                ("", "watched") => how = Report::Watched,
                ("", "rescan") => how = Report::Rescan,
                ("", path) => {
                    let verb = if self.project.path(path).exists() {
                        "edit"
                    } else {
                        "create"
                    };
                    header.push(format!("{verb} {path}"));
                    reported.push(self.project.write(path, &file.text));
                }
                ("rm", path) => {
                    header.push(format!("delete {path}"));
                    reported.push(self.project.remove(path));
                }
                ("unreported", path) => {
                    header.push(format!("edit {path} (unreported)"));
                    self.project.write(path, &file.text);
                }
                ("report", path) => {
                    header.push(format!("report {path}"));
                    reported.push(self.project.path(path));
                }
                (other, _) => panic!("unknown edit directive {other:?} in {edit:?}"),
            }
        }
        let applied = match &how {
            Report::Changes => self.host.apply_changes(&reported),
            Report::Watched => self.host.apply_watched_changes(&reported),
            Report::Rescan => self.host.rescan(),
        };
        let result = self.host.build();
        let runs = self.host.take_query_runs();

        let how = match how {
            Report::Changes => "",
            Report::Watched => "watched: ",
            Report::Rescan => "rescan: ",
        };
        let _ = writeln!(out, "{how}{}", header.join(", "));
        let _ = writeln!(out, "  applied: {}", self.applied(&applied));
        report_runs(out, &runs);
        let ids = |indices: &[crate::graph::ModuleIndex]| {
            let graph = result.graph();
            indices
                .iter()
                .map(|&i| graph.module(i).id.to_string())
                .collect::<Vec<_>>()
        };
        let changed = ids(&result.changed);
        let _ = writeln!(
            out,
            "  changed: {}",
            if changed.is_empty() {
                "nothing".to_string()
            } else {
                changed.join(" ")
            }
        );
        if !result.removed.is_empty() {
            let removed: Vec<&str> = result.removed.iter().map(|r| &**r).collect();
            let _ = writeln!(out, "  removed: {}", removed.join(" "));
        }
        if result.html_changed {
            let _ = writeln!(out, "  html changed");
        }
        if let Some(config) = &result.config_changed {
            let _ = writeln!(out, "  config changed: {config}");
        }
        if let Some(packages) = &result.packages_changed {
            let _ = writeln!(out, "  packages changed: {packages}");
        }
        let same_graph = self.last.as_ref().is_some_and(|l| result.same_graph(l));
        if !same_graph {
            self.report_graph(out, &result);
        }
        self.report_diagnostics(out);
        let plan = plan_of(&result);
        let _ = writeln!(out, "  plan: {}", render_plan(result.graph(), &plan));
        self.last = Some(result);
    }

    fn applied(&self, applied: &AppliedChanges) -> String {
        let mut parts: Vec<String> = Vec::new();
        let list = |items: &[Arc<str>]| items.iter().map(|i| &**i).collect::<Vec<_>>().join(" ");
        if !applied.changed_files.is_empty() {
            parts.push(format!("files [{}]", list(&applied.changed_files)));
        }
        if applied.html_changed {
            parts.push("html".to_string());
        }
        if !applied.config_changed.is_empty() {
            parts.push(format!("config [{}]", list(&applied.config_changed)));
        }
        if applied.epoch_moved {
            parts.push("epoch moved".to_string());
        }
        if !applied.deferred.is_empty() {
            let deferred: Vec<String> = applied
                .deferred
                .iter()
                .map(|p| self.project.id(p))
                .collect();
            parts.push(format!("deferred [{}]", deferred.join(" ")));
        }
        if parts.is_empty() {
            "nothing".to_string()
        } else {
            parts.join(", ")
        }
    }

    fn report_graph(&self, out: &mut String, result: &BuildResult) {
        let _ = writeln!(out, "  graph:");
        for line in render_graph(result.graph()).lines() {
            let _ = writeln!(out, "    {line}");
        }
    }

    /// The diagnostics (`kind file:line:column: message`, the temp root as `<root>`), when
    /// they differ from the ones shown last.
    fn report_diagnostics(&mut self, out: &mut String) {
        let now = self.snapshot_diagnostics();
        if now == self.shown_diagnostics {
            return;
        }
        if now.is_empty() {
            let _ = writeln!(out, "  diagnostics: none");
        } else {
            let _ = writeln!(out, "  diagnostics:");
            for d in &now {
                let _ = writeln!(out, "    {d}");
            }
        }
        self.shown_diagnostics = now;
    }

    fn snapshot_diagnostics(&self) -> Vec<String> {
        let root = self.project.root().to_string_lossy().into_owned();
        self.host
            .diagnostics()
            .iter()
            .map(|d| {
                let line = format!(
                    "{:?} {}:{}:{}: {}",
                    d.kind, d.file, d.line, d.column, d.message
                );
                line.replace(&root, "<root>")
            })
            .collect()
    }

    // ---------------------------------------------------------------- for assertions by hand

    /// The absolute path of `path` in the project.
    pub fn path(&self, path: &str) -> PathBuf {
        self.project.path(path)
    }

    /// Every diagnostic as `file:line:column: message`.
    pub fn diagnostics(&self) -> Vec<String> {
        self.host
            .diagnostics()
            .iter()
            .map(|d| format!("{}:{}:{}: {}", d.file, d.line, d.column, d.message))
            .collect()
    }

    /// What the server would serve now (`test-server`, `revision`).
    pub fn served(&mut self, revision: u32) -> Served {
        self.host.served(&Arc::from("test-server"), revision)
    }

    /// The page's chunk as text.
    pub fn chunk(&mut self) -> String {
        let served = self.served(1);
        String::from_utf8(served.chunk.bytes().to_vec()).expect("utf-8 chunk")
    }

    /// The graph's module ids, in graph order.
    pub fn module_ids(&self) -> Vec<String> {
        let graph = self.host.graph().expect("built");
        graph
            .graph
            .modules
            .iter()
            .map(|m| m.id.to_string())
            .collect()
    }

    /// The modules whose `parsed_module` executed since the last look at the query runs (the
    /// files compiled), which it forgets.
    pub fn parsed(&self) -> BTreeSet<String> {
        self.parsed_in_order().into_iter().collect()
    }

    /// [`Incremental::parsed`], in the order they were compiled.
    pub fn parsed_in_order(&self) -> Vec<String> {
        self.host
            .take_query_runs()
            .into_iter()
            .filter(|run| run.kind == QueryEventKind::Executed && &*run.query == "parsed_module")
            .map(|run| run.module)
            .collect()
    }

    /// What `id` imports, in order.
    #[track_caller]
    pub fn imports_of(&self, id: &str) -> Vec<String> {
        let graph = &self.host.graph().expect("built").graph;
        let index = graph
            .index_of(id)
            .unwrap_or_else(|| panic!("{id} is not in the graph"));
        graph
            .imports(index)
            .iter()
            .map(|&i| graph.module(i).id.to_string())
            .collect()
    }
}

/// The update the planner makes of a build's changes.
pub(crate) fn plan_of(build: &BuildResult) -> UpdatePlan {
    plan_update(
        build.graph(),
        &Changes {
            changed: &build.changed,
            html_changed: build.html_changed,
            changed_pages: &build.changed_pages,
            config_changed: build.config_changed.as_deref(),
            first_compiled: &build.first_compiled,
            not_running: Default::default(),
        },
    )
}

/// `  queries:` then one line per query that ran or was validated, sorted:
/// `query: ran <modules>; reused <modules>` (modules sorted; `×n` when it happened n times for
/// one module); `  queries: none` when salsa did nothing at all.
fn report_runs(out: &mut String, runs: &[QueryRun]) {
    let mut by_query: BTreeMap<&str, [BTreeMap<&str, usize>; 2]> = BTreeMap::new();
    for run in runs {
        let slot = match run.kind {
            QueryEventKind::Executed => 0,
            QueryEventKind::Reused => 1,
        };
        *by_query.entry(&run.query).or_default()[slot]
            .entry(&run.module)
            .or_default() += 1;
    }
    if by_query.is_empty() {
        let _ = writeln!(out, "  queries: none");
        return;
    }
    let _ = writeln!(out, "  queries:");
    for (query, [ran, reused]) in by_query {
        let list = |modules: BTreeMap<&str, usize>| {
            modules
                .into_iter()
                .map(|(module, n)| match n {
                    1 => module.to_string(),
                    n => format!("{module} ×{n}"),
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut parts = Vec::new();
        if !ran.is_empty() {
            parts.push(format!("ran {}", list(ran)));
        }
        if !reused.is_empty() {
            parts.push(format!("reused {}", list(reused)));
        }
        let _ = writeln!(out, "    {query}: {}", parts.join("; "));
    }
}

/// `ids` as a set, to compare with [`Incremental::parsed`].
pub fn id_set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// The ids of the modules `update`'s frame sends, in its order; `["full reload"]` for a reload,
/// nothing without a frame.
pub fn sent_modules(update: &PreparedUpdate) -> Vec<String> {
    let Some((_, frame)) = &update.frame else {
        return Vec::new();
    };
    match hotloop_protocol::wire::decode_server(frame).expect("decodes") {
        hotloop_protocol::ServerMessage::Update(hot) => {
            hot.modules.iter().map(|m| m.id.to_string()).collect()
        }
        hotloop_protocol::ServerMessage::FullReload { .. } => vec!["full reload".to_string()],
        other => panic!("not an update: {other:?}"),
    }
}
