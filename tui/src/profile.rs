//! `hotloop profile`: loads a project, runs the cold build, then replays edits of the given
//! files through the engine's real update path (`apply_changes`, then `update::prepare`: build →
//! plan → encode, then the served snapshot) without a watcher or sockets, and reports where
//! every update's time went: phases, queries executed and reused, modules sent, boundary or
//! reload reason; then p50/p95/max per phase. `--json` writes the same for scripts (schema in
//! `SCHEMA_HELP`), `--trace` a Chrome trace-event file with every query as a span.
//!
//! Between the cold build and the edits, every lazy chunk (what sits behind an `import()`) is
//! compiled as a page's first `import()` of it asks for it (`EngineHost::request_lazy`, then a
//! build), nested ones included, each reported as a lazy compile whose own phase is `lazy`;
//! the edits then run with every chunk in the graph, as after a session that visited every
//! route.
//!
//! Each edit appends something harmless that differs from the previous edit (a counter): a
//! string statement to a script (a comment would not change the code the engine emits, which
//! has none), a comment to a stylesheet or a page, an HTML comment in a `.vue` file's
//! `<template>` (a re-render) or a `.svelte` file's markup; the original bytes are restored at
//! the end, on error, on panic and on Ctrl-C.
//!
//! The project's `vite.config` and its plugins run as under `hotloop dev` (one Node.js process,
//! only when there is a config or a stylesheet that needs one), so a framework's files are
//! profiled through their plugins: the plugins' `hotUpdate` is part of `read`, their
//! `load`/`transform` of `parse`.
//!
//! With `--server`, each edit's server update is profiled too, after the page's.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use engine::{
    EngineHost, Phase, ProjectOptions, QueryEventKind, QueryRun, TraceSpan, UpdateOutcome,
};
use serde::Serialize;

use crate::cli::ProfileArgs;
use crate::vite_config;

/// The `--json` schema, shown in `hotloop profile --help`.
pub const SCHEMA_HELP: &str = "\
JSON output (--json OUT), schema 1. Times are milliseconds (floats); a phase that did not run
in an update is absent from its `phases_ms`.
  schema        1
  root          canonical project root
  build         \"debug\" or \"release\" (how hotloop was compiled)
  modules       modules in the graph after the cold build
  cold          { total_ms, phases_ms, queries }: the cold build (it runs queries on several
                threads: its phases add up the threads' times and can exceed total_ms)
  server_modules  with --server: modules in the server graph after its first build, else null
  lazy[]        { target, modules, total_ms, phases_ms, queries }: each lazy chunk compiled as
                a page's first import() asks for it (after the cold build); modules: how many
                it added to the graph; phases_ms: lazy (the chunk's compile, wall time), parse,
                resolve, emit (its threads' times), graph
  updates[]     { index, repeat, file, revision, outcome, reason, modules_sent[], boundaries[],
                  errors, frame_bytes, total_ms, phases_ms, queries, server }
                outcome: \"hot\" | \"full_reload\" | \"no_change\" | \"errors\"
                phases_ms: read, parse, resolve, emit, graph, plan, encode, publish (and lazy
                in summary, from lazy[])
                queries: { <query>: { executed, reused } }
                server: with --server, the same edit's server update (after the page's):
                  { revision, outcome, reason, modules_sent[], boundaries[], frame_bytes,
                    total_ms, queries }; outcome \"full_reload\" restarts the app's server
  summary       { updates, phases_ms: { <phase, \"server\" or \"total\">: { runs, p50, p95, max } } }
  memory        { rss_bytes, allocator_committed, allocator_peak, emitted_code_bytes,
                  source_map_bytes, memory_usage_ms, queries: [{ name, count, bytes }] }";

/// Runs `hotloop profile`.
pub fn run_profile(args: ProfileArgs) -> anyhow::Result<()> {
    let root = project_root(&args.root)?;
    let targets = args
        .touch
        .iter()
        .map(|file| Target::new(&root, file))
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(args.repeat > 0, "--repeat must be at least 1");

    let server = args
        .server
        .as_deref()
        .map(|entry| server_entry(&root, entry))
        .transpose()?;

    let originals = Originals::new(&targets)?;
    let _restore = originals.restore_on_signal();
    // Measured on a thread set up as `hotloop dev`'s engine thread (swc compiles in place on
    // its big stack), so the phases are the server's.
    let report = std::thread::scope(|scope| {
        let engine = std::thread::Builder::new()
            .name("hotloop-engine".into())
            .stack_size(engine::ENGINE_STACK)
            .spawn_scoped(scope, || {
                engine::assume_big_stack();
                measure(
                    &root,
                    server.clone(),
                    &targets,
                    args.repeat,
                    args.trace.is_some(),
                    &originals,
                )
            })
            .context("failed to start the profiling thread")?;
        engine
            .join()
            .map_err(|_| anyhow::anyhow!("profiling stopped on an internal error (see above)"))?
    });
    originals.restore();
    let report = report?;

    let mut out = std::io::stdout().lock();
    print_report(&mut out, &report)?;
    if let Some(path) = &args.json {
        write_json(path, &report.json)?;
        writeln!(out, "wrote {}", path.display())?;
    }
    if let Some(path) = &args.trace {
        write_json(path, &report.trace)?;
        writeln!(
            out,
            "wrote {} (open it in https://ui.perfetto.dev or chrome://tracing)",
            path.display()
        )?;
    }
    Ok(())
}

fn project_root(root: &Path) -> anyhow::Result<PathBuf> {
    let canonical = std::fs::canonicalize(root).with_context(|| {
        format!(
            "project root {} does not exist: pass the directory that holds index.html",
            root.display()
        )
    })?;
    anyhow::ensure!(
        canonical.is_dir(),
        "project root {} is not a directory: pass the directory that holds index.html",
        root.display()
    );
    Ok(canonical)
}

/// `--server FILE`, canonical; a missing file names itself and what to pass.
fn server_entry(root: &Path, entry: &Path) -> anyhow::Result<PathBuf> {
    let path = root.join(entry);
    std::fs::canonicalize(&path)
        .ok()
        .filter(|p| p.is_file())
        .with_context(|| {
            format!(
                "--server {}: no such file ({}); pass the app's server entry relative to the \
                 project root, e.g. --server src/server.ts",
                entry.display(),
                path.display()
            )
        })
}

/// A file to touch.
struct Target {
    path: PathBuf,
    /// Relative to the root, with `/` separators.
    rel: String,
    comment: CommentStyle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CommentStyle {
    /// `;"…";`, a string statement (JS, TS): emitted code has no comments, so a comment
    /// would be no change at all.
    Statement,
    /// `/* … */` (CSS).
    Block,
    /// `<!-- … -->` (HTML, SVG).
    Markup,
    /// Trailing whitespace (JSON has no comments; the value does not change).
    Whitespace,
    /// `<!-- … -->` inside the last `</template>` (a Vue single-file component: the template
    /// compiles again, a re-render).
    Template,
}

impl CommentStyle {
    fn of(path: &Path) -> Option<CommentStyle> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" | "mts" | "cts" => CommentStyle::Statement,
            "css" => CommentStyle::Block,
            "html" | "htm" | "svg" | "svelte" => CommentStyle::Markup,
            "json" => CommentStyle::Whitespace,
            "vue" => CommentStyle::Template,
            _ => return None,
        })
    }

    /// `original` with edit number `n`.
    fn edit(self, original: &[u8], n: u64) -> Vec<u8> {
        let suffix = self.suffix(n);
        let at = match self {
            CommentStyle::Template => original
                .windows(b"</template>".len())
                .rposition(|w| w == b"</template>")
                .unwrap_or(original.len()),
            _ => original.len(),
        };
        let mut text = original[..at].to_vec();
        text.extend_from_slice(suffix.as_bytes());
        text.extend_from_slice(&original[at..]);
        text
    }

    /// What edit number `n` adds.
    fn suffix(self, n: u64) -> String {
        match self {
            CommentStyle::Statement => format!("\n;\"hotloop profile {n}\";\n"),
            CommentStyle::Block => format!("\n/* hotloop profile {n} */\n"),
            CommentStyle::Markup | CommentStyle::Template => {
                format!("\n<!-- hotloop profile {n} -->\n")
            }
            CommentStyle::Whitespace => format!("\n{}\n", " ".repeat(1 + (n % 2) as usize)),
        }
    }
}

impl Target {
    /// `file` is relative to the root (or to the working directory, if it names a file
    /// inside the root from there).
    fn new(root: &Path, file: &Path) -> anyhow::Result<Target> {
        let candidates = [root.join(file), file.to_path_buf()];
        let Some(path) = candidates
            .iter()
            .filter_map(|c| std::fs::canonicalize(c).ok())
            .find(|c| c.starts_with(root))
        else {
            bail!(
                "file to touch {} does not exist in {}: pass paths relative to the project root",
                file.display(),
                root.display()
            );
        };
        anyhow::ensure!(
            path.is_file(),
            "{} is not a file: --touch takes files to edit",
            path.display()
        );
        let comment = CommentStyle::of(&path).with_context(|| {
            format!(
                "cannot edit {} harmlessly: --touch takes .js .jsx .ts .tsx .mjs .cjs .mts .cts \
                 .css .html .svg .json .vue or .svelte files",
                file.display()
            )
        })?;
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        Ok(Target { path, rel, comment })
    }
}

/// The original bytes of every touched file, restored exactly once: at the end, when the
/// profile fails or panics (drop), or on Ctrl-C / SIGTERM.
#[derive(Clone)]
struct Originals {
    files: Arc<Mutex<Saved>>,
}

/// `(path, original bytes)`; emptied once restored.
type Saved = Vec<(PathBuf, Vec<u8>)>;

impl Originals {
    fn new(targets: &[Target]) -> anyhow::Result<Originals> {
        let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        for target in targets {
            if files.iter().any(|(p, _)| *p == target.path) {
                continue;
            }
            let bytes = std::fs::read(&target.path)
                .with_context(|| format!("failed to read {}", target.path.display()))?;
            files.push((target.path.clone(), bytes));
        }
        Ok(Originals {
            files: Arc::new(Mutex::new(files)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Saved> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `text` to `path` unless the originals were already restored (a signal arrived).
    fn write(&self, path: &Path, text: &[u8]) -> anyhow::Result<bool> {
        let files = self.lock();
        if files.is_empty() {
            return Ok(false);
        }
        std::fs::write(path, text)
            .with_context(|| format!("failed to write {}", path.display()))?;
        Ok(true)
    }

    fn original(&self, path: &Path) -> Option<Vec<u8>> {
        self.lock()
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
    }

    fn restore(&self) {
        let mut files = self.lock();
        for (path, bytes) in files.drain(..) {
            if let Err(error) = std::fs::write(&path, &bytes) {
                let _ = writeln!(
                    std::io::stderr(),
                    "error: failed to restore {}: {error}",
                    path.display()
                );
            }
        }
    }

    /// Restores the files and exits when the process is interrupted. The returned guard
    /// restores them when dropped (errors and panics unwind through it).
    fn restore_on_signal(&self) -> RestoreGuard {
        let originals = self.clone();
        let spawned = std::thread::Builder::new()
            .name("hotloop-profile-signals".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(crate::dev::wait_for_signal());
                originals.restore();
                let _ = writeln!(std::io::stderr(), "interrupted: restored the touched files");
                std::process::exit(130);
            });
        if let Err(error) = spawned {
            tracing::warn!("no Ctrl-C handler (touched files are restored at the end): {error}");
        }
        RestoreGuard(self.clone())
    }
}

struct RestoreGuard(Originals);

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        self.0.restore();
    }
}

// ------------------------------------------------------------------------------ measuring

/// Everything measured, as printed and as written.
struct Report {
    json: JsonReport,
    trace: TraceFile,
}

#[derive(Serialize)]
struct JsonReport {
    schema: u32,
    root: String,
    build: &'static str,
    modules: usize,
    server_modules: Option<usize>,
    cold: JsonCold,
    lazy: Vec<JsonLazy>,
    updates: Vec<JsonUpdate>,
    summary: JsonSummary,
    memory: JsonMemory,
}

#[derive(Serialize)]
struct JsonCold {
    total_ms: f64,
    phases_ms: BTreeMap<&'static str, f64>,
    queries: BTreeMap<String, JsonQueryCounts>,
}

/// One lazy chunk compiled on request.
#[derive(Serialize)]
struct JsonLazy {
    target: String,
    modules: usize,
    total_ms: f64,
    phases_ms: BTreeMap<&'static str, f64>,
    queries: BTreeMap<String, JsonQueryCounts>,
}

#[derive(Serialize)]
struct JsonUpdate {
    index: usize,
    repeat: u32,
    file: String,
    revision: u32,
    outcome: &'static str,
    reason: Option<String>,
    modules_sent: Vec<String>,
    boundaries: Vec<String>,
    errors: usize,
    frame_bytes: usize,
    total_ms: f64,
    phases_ms: BTreeMap<&'static str, f64>,
    queries: BTreeMap<String, JsonQueryCounts>,
    server: Option<JsonServerUpdate>,
}

/// The server graph's update for the same edit (`--server`).
#[derive(Serialize)]
struct JsonServerUpdate {
    revision: u32,
    outcome: &'static str,
    reason: Option<String>,
    modules_sent: Vec<String>,
    boundaries: Vec<String>,
    frame_bytes: usize,
    total_ms: f64,
    queries: BTreeMap<String, JsonQueryCounts>,
}

#[derive(Serialize, Default, Clone, Copy, PartialEq, Eq, Debug)]
struct JsonQueryCounts {
    executed: usize,
    reused: usize,
}

#[derive(Serialize)]
struct JsonSummary {
    updates: usize,
    phases_ms: BTreeMap<&'static str, JsonStat>,
}

#[derive(Serialize, Clone, Copy)]
struct JsonStat {
    runs: usize,
    p50: f64,
    p95: f64,
    max: f64,
}

#[derive(Serialize)]
struct JsonMemory {
    rss_bytes: u64,
    allocator_committed: u64,
    allocator_peak: u64,
    emitted_code_bytes: u64,
    source_map_bytes: u64,
    memory_usage_ms: f64,
    queries: Vec<JsonQueryMemory>,
}

#[derive(Serialize)]
struct JsonQueryMemory {
    name: String,
    count: usize,
    bytes: usize,
}

/// Phases in report order: the engine's, with `publish` (the served snapshot) after encode.
const PHASES: [&str; 9] = [
    "read", "lazy", "parse", "resolve", "emit", "graph", "plan", "encode", "publish",
];

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The project's `vite.config` and its plugins, and the options they give, as `hotloop dev`
/// loads them (with the defaults of its flags); `None` without a config or a stylesheet that
/// needs the plugin host. The host's Node.js process stops when the `ViteConfig` is dropped.
fn project_setup(
    root: &Path,
    server_entry: Option<PathBuf>,
) -> anyhow::Result<(Option<vite_config::ViteConfig>, ProjectOptions)> {
    use clap::Parser as _;
    let mut serve = crate::cli::Cli::parse_from(["hotloop"]).dev.serve;
    let mut options = ProjectOptions {
        server_entry,
        node_cjs_interop: vite_config::node_cjs_interop(root, false),
        ..ProjectOptions::default()
    };
    let vite = match vite_config::find(root, None)? {
        // What the updates run on is Node's own answer, not the last session's.
        Some(path) => Some(vite_config::settled(vite_config::load(
            root, &path, &serve,
        )?)?),
        None => match vite_config::css_tools_without_config(root) {
            Some(needed_by) => Some(vite_config::load_without_config(root, &needed_by, &serve)?),
            None => None,
        },
    };
    if let Some(vite) = &vite {
        if options.server_entry.is_none() {
            options.server_entry = vite_config::server_entry(&vite.config, root)?;
        }
        vite_config::apply(&vite.config, root, root, &mut options, &mut serve);
        vite.resolver.configure(&options.resolve);
    }
    Ok((vite, options))
}

fn measure(
    root: &Path,
    server_entry: Option<PathBuf>,
    targets: &[Target],
    repeat: u32,
    trace: bool,
    originals: &Originals,
) -> anyhow::Result<Report> {
    let epoch = Instant::now();
    let mut tracer = Tracer::new(epoch, trace);
    let server_id: Arc<str> = Arc::from("profile");

    let cold_start = Instant::now();
    let (vite, options) = project_setup(root, server_entry)?;
    let mut host = EngineHost::new(root, options)
        .with_context(|| format!("failed to load the project at {}", root.display()))?;
    if let Some(vite) = &vite {
        host.use_plugins(vite_config::plugins(vite));
    }
    host.record_trace(trace);
    host.record_queries(true);
    let build = host.build();
    let events = host.take_query_runs();
    host.record_queries(false);
    let publish_start = Instant::now();
    let _ = host.served(&server_id, 0);
    let publish = publish_start.elapsed();
    let cold_total = cold_start.elapsed();
    let mut cold_phases: BTreeMap<&'static str, f64> = build
        .phases
        .0
        .iter()
        .map(|(p, d)| (p.name(), ms(*d)))
        .collect();
    cold_phases.insert("publish", ms(publish));
    tracer.spans(host.take_trace());
    tracer.slice("publish", "publish", publish_start, publish, None);
    tracer.slice("cold build", "build", cold_start, cold_total, None);
    let cold = JsonCold {
        total_ms: ms(cold_total),
        phases_ms: cold_phases,
        queries: query_counts(&events),
    };
    let lazy = compile_lazy_chunks(&mut host, &mut tracer);
    let modules = build.graph().len();
    // The server graph's first build (what starts the app's server in `hotloop dev`).
    let mut server_build = engine::prepare_server(&mut host, None, &[], None, 0).map(|p| p.build);
    let server_modules = server_build.as_ref().map(|b| b.graph().len());
    let mut server_revision = 1u32;
    for target in targets {
        if host.is_in_server_graph(&target.path) {
            continue;
        }
        if !host.is_in_graph(&target.path) {
            tracing::warn!("{} is not in the module graph", target.rel);
            let _ = writeln!(
                std::io::stderr(),
                "note: {} is not in the module graph (nothing imports it): its edits only re-read it",
                target.rel
            );
        }
    }

    let mut updates = Vec::new();
    let mut revision = 0u32;
    let mut edit = 0u64;
    for round in 1..=repeat {
        for target in targets {
            edit += 1;
            let Some(original) = originals.original(&target.path) else {
                bail!("interrupted");
            };
            let text = target.comment.edit(&original, edit);
            if !originals.write(&target.path, &text)? {
                bail!("interrupted");
            }
            let started = Instant::now();
            let applied = host.apply_changes(std::slice::from_ref(&target.path));
            let read = started.elapsed();
            let files = vec![target.rel.clone()];
            let prepared =
                engine::prepare(&mut host, engine::Cause::Edit { files: &files }, revision);
            let mut publish = Duration::ZERO;
            let publish_start = Instant::now();
            if let Some((next, _)) = &prepared.frame {
                revision = *next;
                let _ = host.served(&server_id, revision);
                publish = publish_start.elapsed();
            }
            let total = started.elapsed();
            if applied.is_empty() {
                tracing::warn!("{}: the edit changed no input", target.rel);
            }

            let mut phases_ms: BTreeMap<&'static str, f64> = BTreeMap::new();
            phases_ms.insert("read", ms(read));
            for (phase, d) in &prepared.phases {
                phases_ms.insert(phase.name(), ms(*d));
            }
            if prepared.frame.is_some() {
                phases_ms.insert("publish", ms(publish));
            }
            let (outcome, reason, modules_sent, boundaries, errors) =
                outcome_parts(&prepared.outcome);
            let server = match server_build.take() {
                Some(previous) => {
                    let server_start = Instant::now();
                    host.record_queries(true);
                    let prepared = engine::prepare_server(
                        &mut host,
                        Some(&previous),
                        &files,
                        prepared.build.config_changed.as_deref(),
                        server_revision,
                    );
                    let queries = host.take_query_runs();
                    host.record_queries(false);
                    let server_total = server_start.elapsed();
                    tracer.slice("server update", "server", server_start, server_total, None);
                    match prepared {
                        Some(prepared) => {
                            let frame_bytes = match &prepared.action {
                                engine::ServerAction::Hot(next, frame) => {
                                    server_revision = *next;
                                    frame.len()
                                }
                                engine::ServerAction::Restart(next) => {
                                    server_revision = *next;
                                    0
                                }
                                engine::ServerAction::Nothing => 0,
                            };
                            let summary = outcome_parts(&prepared.outcome);
                            server_build = Some(prepared.build);
                            Some(JsonServerUpdate {
                                revision: server_revision,
                                outcome: summary.0,
                                reason: summary.1,
                                modules_sent: summary.2,
                                boundaries: summary.3,
                                frame_bytes,
                                total_ms: ms(server_total),
                                queries: query_counts(&queries),
                            })
                        }
                        None => None,
                    }
                }
                None => None,
            };
            let index = updates.len() + 1;
            let label = format!("update #{index} {}", target.rel);
            tracer.slice("read", "read", started, read, None);
            tracer.spans(host.take_trace());
            if prepared.frame.is_some() {
                tracer.slice("publish", "publish", publish_start, publish, None);
            }
            tracer.slice(&label, "update", started, total, Some(outcome));
            updates.push(JsonUpdate {
                index,
                repeat: round,
                file: target.rel.clone(),
                revision,
                outcome,
                reason,
                modules_sent,
                boundaries,
                errors,
                frame_bytes: prepared.frame.as_ref().map_or(0, |(_, f)| f.len()),
                total_ms: ms(total),
                phases_ms,
                queries: query_counts(&prepared.queries),
                server,
            });
        }
    }
    host.record_trace(false);

    let summary = summarize(&updates, &lazy);
    let memory_start = Instant::now();
    let queries = host.query_memory();
    let memory_usage = memory_start.elapsed();
    let allocator = crate::alloc_stats::mimalloc_stats();
    let held = host.held_bytes();
    let memory = JsonMemory {
        rss_bytes: engine::rss_bytes(),
        allocator_committed: allocator.committed,
        allocator_peak: allocator.peak,
        emitted_code_bytes: held.code,
        source_map_bytes: held.maps,
        memory_usage_ms: ms(memory_usage),
        queries: queries
            .into_iter()
            .map(|(name, count, bytes)| JsonQueryMemory { name, count, bytes })
            .collect(),
    };
    Ok(Report {
        json: JsonReport {
            schema: 1,
            root: root.display().to_string(),
            build: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
            modules,
            server_modules,
            cold,
            lazy,
            updates,
            summary,
            memory,
        },
        trace: tracer.finish(),
    })
}

/// Compiles every lazy chunk as a page's first `import()` of it asks for it: one request and
/// one build each, nested chunks (found in the chunks compiled before) included.
fn compile_lazy_chunks(host: &mut EngineHost, tracer: &mut Tracer) -> Vec<JsonLazy> {
    let mut lazy = Vec::new();
    let mut asked: Vec<Arc<str>> = Vec::new();
    while let Some(target) = host
        .pending_lazy_targets()
        .into_iter()
        .find(|t| !asked.contains(t))
    {
        asked.push(target.clone());
        if host.request_lazy(&target) != engine::LazyRequest::Added {
            continue;
        }
        let before = host.graph().map_or(0, |g| g.len());
        let started = Instant::now();
        host.record_queries(true);
        let build = host.build();
        let queries = host.take_query_runs();
        host.record_queries(false);
        let total = started.elapsed();
        tracer.spans(host.take_trace());
        tracer.slice(&format!("lazy {target}"), "lazy", started, total, None);
        lazy.push(JsonLazy {
            target: target.to_string(),
            modules: build.graph().len().saturating_sub(before),
            total_ms: ms(total),
            phases_ms: build
                .phases
                .0
                .iter()
                .map(|(p, d)| (p.name(), ms(*d)))
                .collect(),
            queries: query_counts(&queries),
        });
    }
    lazy
}

/// `(outcome, reason, modules sent, boundaries, errors)` of an update's outcome.
type OutcomeParts = (
    &'static str,
    Option<String>,
    Vec<String>,
    Vec<String>,
    usize,
);

fn outcome_parts(outcome: &UpdateOutcome) -> OutcomeParts {
    match outcome {
        UpdateOutcome::NoChange => ("no_change", None, Vec::new(), Vec::new(), 0),
        UpdateOutcome::Hot {
            modules,
            boundaries,
            ..
        } => ("hot", None, modules.clone(), boundaries.clone(), 0),
        UpdateOutcome::FullReload { reason } => (
            "full_reload",
            Some(reason.clone()),
            Vec::new(),
            Vec::new(),
            0,
        ),
        UpdateOutcome::Errors { count, .. } => ("errors", None, Vec::new(), Vec::new(), *count),
    }
}

fn query_counts(events: &[QueryRun]) -> BTreeMap<String, JsonQueryCounts> {
    let mut out: BTreeMap<String, JsonQueryCounts> = BTreeMap::new();
    for event in events {
        let counts = out.entry(event.query.to_string()).or_default();
        match event.kind {
            QueryEventKind::Executed => counts.executed += 1,
            QueryEventKind::Reused => counts.reused += 1,
        }
    }
    out
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn stat(mut samples: Vec<f64>) -> Option<JsonStat> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_by(f64::total_cmp);
    Some(JsonStat {
        runs: samples.len(),
        p50: percentile(&samples, 0.50),
        p95: percentile(&samples, 0.95),
        max: samples[samples.len() - 1],
    })
}

fn summarize(updates: &[JsonUpdate], lazy: &[JsonLazy]) -> JsonSummary {
    let mut phases_ms = BTreeMap::new();
    for phase in PHASES {
        let samples: Vec<f64> = if phase == "lazy" {
            lazy.iter()
                .filter_map(|l| l.phases_ms.get(phase).copied())
                .collect()
        } else {
            updates
                .iter()
                .filter_map(|u| u.phases_ms.get(phase).copied())
                .collect()
        };
        if let Some(stat) = stat(samples) {
            phases_ms.insert(phase, stat);
        }
    }
    let server = updates
        .iter()
        .filter_map(|u| u.server.as_ref().map(|s| s.total_ms))
        .collect();
    if let Some(stat) = stat(server) {
        phases_ms.insert("server", stat);
    }
    if let Some(stat) = stat(updates.iter().map(|u| u.total_ms).collect()) {
        phases_ms.insert("total", stat);
    }
    JsonSummary {
        updates: updates.len(),
        phases_ms,
    }
}

// ------------------------------------------------------------------------------ printing

fn print_report(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let json = &report.json;
    let cold_sum: f64 = json.cold.phases_ms.values().sum();
    let server = json
        .server_modules
        .map(|n| format!(" (+{n} in the server graph)"))
        .unwrap_or_default();
    writeln!(
        out,
        "{} ({} build): {} modules{server}, cold build {:.1} ms ({}{})",
        json.root,
        json.build,
        json.modules,
        json.cold.total_ms,
        phase_line(&json.cold.phases_ms),
        if cold_sum > json.cold.total_ms {
            "; the phases add up the warm-up threads' times"
        } else {
            ""
        }
    )?;
    for (n, lazy) in json.lazy.iter().enumerate() {
        writeln!(
            out,
            "lazy #{:<3}{}  {:.2} ms  {} compiled on request",
            n + 1,
            lazy.target,
            lazy.total_ms,
            format_modules(lazy.modules)
        )?;
        writeln!(out, "      {}", phase_line(&lazy.phases_ms))?;
    }
    for update in &json.updates {
        let what = match update.outcome {
            "hot" => format!(
                "hot: {} module{} sent, boundar{} {}",
                update.modules_sent.len(),
                if update.modules_sent.len() == 1 {
                    ""
                } else {
                    "s"
                },
                if update.boundaries.len() == 1 {
                    "y"
                } else {
                    "ies"
                },
                if update.boundaries.is_empty() {
                    "none".to_owned()
                } else {
                    update.boundaries.join(", ")
                }
            ),
            "full_reload" => format!(
                "full reload: {}",
                update.reason.as_deref().unwrap_or("no reason")
            ),
            "errors" => format!(
                "errors: {} (the page keeps its last good state)",
                update.errors
            ),
            _ => "no change reaches the page".to_owned(),
        };
        writeln!(
            out,
            "#{:<3} {}  {:.2} ms  {what}",
            update.index, update.file, update.total_ms
        )?;
        writeln!(out, "      {}", phase_line(&update.phases_ms))?;
        let executed: Vec<String> = update
            .queries
            .iter()
            .filter(|(_, c)| c.executed > 0)
            .map(|(q, c)| format!("{q} {}", c.executed))
            .collect();
        let reused: Vec<String> = update
            .queries
            .iter()
            .filter(|(_, c)| c.reused > 0)
            .map(|(q, c)| format!("{q} {}", c.reused))
            .collect();
        writeln!(
            out,
            "      executed: {}",
            if executed.is_empty() {
                "none".to_owned()
            } else {
                executed.join(", ")
            }
        )?;
        writeln!(
            out,
            "      reused:   {}",
            if reused.is_empty() {
                "none".to_owned()
            } else {
                reused.join(", ")
            }
        )?;
        if let Some(server) = &update.server {
            let what = match server.outcome {
                "hot" => format!(
                    "hot: {} sent, re-run from {}",
                    server.modules_sent.join(", "),
                    server.boundaries.join(", ")
                ),
                "full_reload" => format!(
                    "restart: {}",
                    server.reason.as_deref().unwrap_or("no reason")
                ),
                "errors" => "errors (it keeps its last good code)".to_owned(),
                _ => "no change reaches the server".to_owned(),
            };
            let executed: Vec<String> = server
                .queries
                .iter()
                .filter(|(_, c)| c.executed > 0)
                .map(|(q, c)| format!("{q} {}", c.executed))
                .collect();
            writeln!(
                out,
                "      server r{}  {:.2} ms  {what}; executed: {}",
                server.revision,
                server.total_ms,
                if executed.is_empty() {
                    "none".to_owned()
                } else {
                    executed.join(", ")
                }
            )?;
        }
    }
    writeln!(
        out,
        "summary over {} update{} (ms):   runs      p50      p95      max",
        json.summary.updates,
        if json.summary.updates == 1 { "" } else { "s" }
    )?;
    for name in PHASES.iter().copied().chain(["server", "total"]) {
        if let Some(s) = json.summary.phases_ms.get(name) {
            writeln!(
                out,
                "  {name:<27}{:>6} {:>8.3} {:>8.3} {:>8.3}",
                s.runs, s.p50, s.p95, s.max
            )?;
        }
    }
    let memory = &json.memory;
    writeln!(
        out,
        "memory: RSS {:.1} MiB, allocator {:.1} MiB committed ({:.1} MiB peak), code {:.1} MiB, \
         source maps {:.1} MiB; salsa memory_usage took {:.2} ms",
        mib(memory.rss_bytes),
        mib(memory.allocator_committed),
        mib(memory.allocator_peak),
        mib(memory.emitted_code_bytes),
        mib(memory.source_map_bytes),
        memory.memory_usage_ms
    )?;
    Ok(())
}

fn format_modules(n: usize) -> String {
    format!("{n} module{}", if n == 1 { "" } else { "s" })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn phase_line(phases: &BTreeMap<&'static str, f64>) -> String {
    PHASES
        .iter()
        .filter_map(|name| phases.get(name).map(|ms| format!("{name} {ms:.3}")))
        .collect::<Vec<_>>()
        .join("  ")
}

fn write_json(path: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("failed to create {}", path.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut writer, value)
        .with_context(|| format!("failed to write {}", path.display()))?;
    writer
        .flush()
        .with_context(|| format!("failed to write {}", path.display()))
}

// ------------------------------------------------------------------------------ tracing

/// Chrome trace-event JSON (`{"traceEvents": [...]}`), complete events (`ph: "X"`) only.
#[derive(Serialize)]
struct TraceFile {
    #[serde(rename = "traceEvents")]
    trace_events: Vec<TraceEvent>,
    #[serde(rename = "displayTimeUnit")]
    display_time_unit: &'static str,
}

#[derive(Serialize)]
struct TraceEvent {
    name: String,
    cat: &'static str,
    ph: &'static str,
    /// Microseconds since the profile started.
    ts: f64,
    dur: f64,
    pid: u32,
    tid: u32,
    args: BTreeMap<&'static str, String>,
}

struct Tracer {
    epoch: Instant,
    on: bool,
    events: Vec<TraceEvent>,
    /// Trace thread ids: this thread is 1, the cold build's warm-up workers 2, 3, ...
    threads: Vec<std::thread::ThreadId>,
}

impl Tracer {
    fn new(epoch: Instant, on: bool) -> Tracer {
        Tracer {
            epoch,
            on,
            events: Vec::new(),
            threads: vec![std::thread::current().id()],
        }
    }

    fn us(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_secs_f64() * 1e6
    }

    fn slice(
        &mut self,
        name: &str,
        cat: &'static str,
        start: Instant,
        dur: Duration,
        outcome: Option<&str>,
    ) {
        if !self.on {
            return;
        }
        let mut args = BTreeMap::new();
        if let Some(outcome) = outcome {
            args.insert("outcome", outcome.to_owned());
        }
        self.events.push(TraceEvent {
            name: name.to_owned(),
            cat,
            ph: "X",
            ts: self.us(start),
            dur: dur.as_secs_f64() * 1e6,
            pid: 1,
            tid: 1,
            args,
        });
    }

    /// The trace's id for `thread` (1 for this thread, then in order of appearance).
    fn tid(&mut self, thread: std::thread::ThreadId) -> u32 {
        let index = match self.threads.iter().position(|t| *t == thread) {
            Some(index) => index,
            None => {
                self.threads.push(thread);
                self.threads.len() - 1
            }
        };
        index as u32 + 1
    }

    /// The engine's frames (queries and build steps), named by query and file.
    fn spans(&mut self, spans: Vec<TraceSpan>) {
        if !self.on {
            return;
        }
        for span in spans {
            let key = span.module;
            let mut args = BTreeMap::new();
            args.insert("phase", span.phase.name().to_owned());
            let name = match &key {
                Some(key) => {
                    args.insert("module", key.clone());
                    format!("{} {key}", span.name)
                }
                None => span.name.to_owned(),
            };
            let tid = self.tid(span.thread);
            self.events.push(TraceEvent {
                name,
                cat: phase_category(span.phase),
                ph: "X",
                ts: self.us(span.start),
                dur: span.end.saturating_duration_since(span.start).as_secs_f64() * 1e6,
                pid: 1,
                tid,
                args,
            });
        }
    }

    fn finish(mut self) -> TraceFile {
        // Parents before children when they start together (longer first).
        self.events
            .sort_by(|a, b| a.ts.total_cmp(&b.ts).then(b.dur.total_cmp(&a.dur)));
        TraceFile {
            trace_events: self.events,
            display_time_unit: "ms",
        }
    }
}

fn phase_category(phase: Phase) -> &'static str {
    phase.name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&samples, 0.50), 10.0);
        assert_eq!(percentile(&samples, 0.95), 19.0);
        assert_eq!(percentile(&[3.0], 0.95), 3.0);
        let s = stat(vec![5.0, 1.0, 3.0]).expect("samples");
        assert_eq!((s.runs, s.p50, s.max), (3, 3.0, 5.0));
        assert!(stat(Vec::new()).is_none());
    }

    #[test]
    fn every_edit_differs_from_the_previous_one() {
        for style in [
            CommentStyle::Statement,
            CommentStyle::Block,
            CommentStyle::Markup,
            CommentStyle::Whitespace,
            CommentStyle::Template,
        ] {
            assert_ne!(style.suffix(1), style.suffix(2), "{style:?}");
            assert_ne!(style.suffix(2), style.suffix(3), "{style:?}");
        }
        // A Vue component's edit is in its template (the last one), not after the file.
        let sfc = b"<template>\n  <p>hi</p>\n</template>\n<style>p{}</style>\n";
        assert_eq!(
            String::from_utf8(CommentStyle::Template.edit(sfc, 7)).unwrap(),
            "<template>\n  <p>hi</p>\n\n<!-- hotloop profile 7 -->\n</template>\n<style>p{}</style>\n"
        );
        assert_eq!(
            CommentStyle::of(Path::new("src/App.vue")),
            Some(CommentStyle::Template)
        );
        assert_eq!(
            CommentStyle::of(Path::new("a/b.tsx")),
            Some(CommentStyle::Statement)
        );
        assert_eq!(CommentStyle::of(Path::new("logo.png")), None);
    }
}
