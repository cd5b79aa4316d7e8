//! Engine benchmarks (divan; `cargo bench --bench engine`): cold `EngineHost::new + build`, and a
//! one-leaf body edit (set the input → build → plan → update frame encoded: `apply_changes` +
//! `update::prepare`, what the dev loop does before it broadcasts) on generated projects of 1k, 10k and 50k ES
//! modules, shaped like `hmrbench/gen-fixture.mjs --kind plain` (node i imports 10i+1..10i+10;
//! leaves self-accept); and a page's request for a lazy chunk the background warm-up compiled
//! (the same tree again behind one `import()`, at 1k and 10k). Before the timings it prints the
//! resident memory per module after a cold build (RSS delta / module count, from
//! /proc/self/status).
//!
//! Fixtures are generated into a temp dir that is removed at the end.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use engine::EngineHost;
use engine::ProjectOptions;
use engine::testing::TempProject;
use engine::testing::tree::{children, file_of, relative};

/// Project sizes; `HOTLOOP_BENCH_SIZES=1000,5000` overrides.
fn sizes() -> Vec<usize> {
    std::env::var("HOTLOOP_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 50_000])
}

static FIXTURES: OnceLock<PathBuf> = OnceLock::new();

fn main() {
    let dir = TempProject::empty();
    for n in sizes() {
        generate(&dir, n);
    }
    FIXTURES.set(dir.root().to_path_buf()).expect("set once");
    for n in sizes() {
        report_memory(&fixture(n), n);
    }
    divan::main();
    drop(dir);
}

fn fixture(n: usize) -> PathBuf {
    FIXTURES
        .get()
        .expect("fixtures generated")
        .join(n.to_string())
}

fn host(root: &Path) -> EngineHost {
    EngineHost::new(root, ProjectOptions::default()).expect("host")
}

/// Cold start: open the project and build everything.
#[divan::bench(args = sizes(), sample_count = 3, sample_size = 1)]
fn cold_build(bencher: divan::Bencher, n: usize) {
    let root = fixture(n);
    bencher.bench_local(|| {
        let mut host = host(&root);
        let result = host.build();
        assert_eq!(
            result.graph().len(),
            n + 1,
            "every module and the stylesheet"
        );
        host
    });
}

/// One leaf's body changes on disk; the engine applies it, rebuilds, plans, encodes the update
/// frame and publishes the revision's `Served` snapshot (the dev loop does that before it
/// broadcasts; the previous snapshot is still held, as the server's watch channel holds it).
#[divan::bench(args = sizes(), sample_count = 200, sample_size = 1)]
fn leaf_edit(bencher: divan::Bencher, n: usize) {
    let root = fixture(n);
    let mut host = host(&root);
    host.build();
    let leaf = n - 1;
    let path = root.join(file_of(leaf));
    let mut version = 0u64;
    let mut revision = 0u32;
    let server_id: Arc<str> = Arc::from("bench");
    let mut published = host.served(&server_id, revision);
    bencher
        .with_inputs(|| {
            version += 1;
            let kids: Vec<usize> = Vec::new();
            let text =
                plain_module(leaf, &kids, true).replace(" v0\";", &format!(" v{version}\";"));
            std::fs::write(&path, text).expect("write leaf");
            vec![path.clone()]
        })
        .bench_local_values(|paths| {
            let applied = host.apply_changes(&paths);
            let files: Vec<String> = applied
                .changed_files
                .iter()
                .map(|f| f.to_string())
                .collect();
            revision += 1;
            let update =
                engine::prepare(&mut host, engine::Cause::Edit { files: &files }, revision);
            assert_eq!(
                (applied.changed_files.len(), update.build.changed.len()),
                (1, 1),
                "one file changed, one module to send"
            );
            assert!(update.frame.is_some(), "a hot update frame is encoded");
            let previous = std::mem::replace(&mut published, host.served(&server_id, revision));
            (update, previous)
        });
}

/// A page of `n` modules asks for a lazy chunk of `n` more that the background warm-up compiled
/// (the same tree again, behind one `import()`): `request_lazy`, the build that takes the
/// chunk's modules in, and the snapshot that serves it (what the dev loop does before the
/// chunk's request is answered).
/// Each sample starts from a host that built the page, warmed the chunk and published.
#[divan::bench(args = lazy_sizes(), sample_count = 12, sample_size = 1)]
fn lazy_request_after_warm_up(bencher: divan::Bencher, n: usize) {
    let root = fixture(n).join("lazy");
    let server_id: Arc<str> = Arc::from("bench");
    bencher
        .with_inputs(|| {
            let mut host = host(&root);
            host.build();
            let targets = host.pending_lazy_targets();
            assert_eq!(targets.len(), 1, "{targets:?}");
            let (done_tx, done) = crossbeam_channel::bounded(1);
            let thread = host.warm_up_lazy_chunks(&targets, done_tx).expect("thread");
            assert_eq!(done.recv(), Ok(true), "the warm-up finished");
            thread.join().expect("joined");
            host.lazy_warm_up_finished();
            let published = host.served(&server_id, 0);
            (host, published)
        })
        .bench_local_values(|(mut host, published)| {
            assert_eq!(
                host.request_lazy("/route/src/main.js"),
                engine::LazyRequest::Added
            );
            let build = host.build();
            assert_eq!(
                build.changed.len(),
                n + 1,
                "the chunk's modules and stylesheet are new"
            );
            let served = host.served(&server_id, 0);
            (host, published, served)
        });
}

fn lazy_sizes() -> Vec<usize> {
    sizes().into_iter().filter(|&n| n <= 10_000).collect()
}

/// For comparison with `cold_build`: swc alone over the same files, on one thread.
#[divan::bench(args = sizes(), sample_count = 3, sample_size = 1)]
fn transform_only(bencher: divan::Bencher, n: usize) {
    let root = fixture(n);
    let sources: Vec<(String, String)> = (0..n)
        .map(|i| {
            let file = file_of(i);
            let text = std::fs::read_to_string(root.join(&file)).expect("read");
            (format!("/{file}"), text)
        })
        .collect();
    bencher.bench_local(|| {
        for (id, text) in &sources {
            assert!(engine::compile_js(id, text).is_some(), "{id} compiles");
        }
    });
}

fn report_memory(root: &Path, n: usize) {
    let before = rss_kib();
    let started = std::time::Instant::now();
    let mut host = host(root);
    let result = host.build();
    let built = started.elapsed();
    let served = host.served(&Arc::from("bench"), 1);
    let after = rss_kib();
    let modules = result.graph().len();
    println!(
        "memory: {n} modules: cold build {:.2} s, RSS +{:.1} MiB = {:.0} bytes/module \
         (chunk {:.1} MiB)",
        built.as_secs_f64(),
        (after.saturating_sub(before)) as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 * 1024.0 / modules as f64,
        served.chunk.bytes().len() as f64 / (1024.0 * 1024.0),
    );
}

/// Resident set size in KiB, from /proc/self/status (0 where unavailable).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------- fixture generator

/// The project of `n` modules, in `<n>/` of `dir`.
fn generate(dir: &TempProject, n: usize) {
    let write = |rel: &str, text: &str| {
        dir.write(&format!("{n}/{rel}"), text);
    };
    for i in 0..n {
        let kids = children(i, n);
        let leaf = kids.is_empty() && i != 0;
        write(&file_of(i), &plain_module(i, &kids, leaf));
    }
    write(
        "src/style.css",
        "body { font: 12px/1.2 sans-serif; margin: 4px; }\n.leaf { display: inline-block; }\n",
    );
    write(
        "index.html",
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>bench</title>\n</head>\n<body>\n<div id=\"app\"></div>\n\
         <script type=\"module\" src=\"/src/main.js\"></script>\n</body>\n</html>\n",
    );
    write(
        "package.json",
        &format!("{{ \"name\": \"bench-{n}\", \"private\": true, \"type\": \"module\" }}\n"),
    );
    // The page's tree, and the same tree again behind one `import()` of its entry
    // (`lazy_request_after_warm_up`, for the sizes it runs at).
    if !lazy_sizes().contains(&n) {
        return;
    }
    write(
        "lazy/index.html",
        "<!doctype html>\n<div id=\"app\"></div>\n\
         <script type=\"module\" src=\"/entry.js\"></script>\n",
    );
    write(
        "lazy/entry.js",
        "import './page/src/main.js';\nexport const load = () => import('./route/src/main.js');\n",
    );
    for tree in ["page", "route"] {
        for i in 0..n {
            let kids = children(i, n);
            let leaf = kids.is_empty() && i != 0;
            write(
                &format!("lazy/{tree}/{}", file_of(i)),
                &plain_module(i, &kids, leaf),
            );
        }
        write(
            &format!("lazy/{tree}/src/style.css"),
            "body { font: 12px/1.2 sans-serif; margin: 4px; }\n",
        );
    }
}

fn plain_module(i: usize, kids: &[usize], leaf: bool) -> String {
    let file = file_of(i);
    let mut out = String::new();
    for (k, kid) in kids.iter().enumerate() {
        let _ = writeln!(
            out,
            "import {{ v as c{k} }} from '{}';",
            relative(&file, &file_of(*kid))
        );
    }
    let sum = (0..kids.len())
        .map(|k| format!("c{k}"))
        .collect::<Vec<_>>()
        .join(" + ");
    if i == 0 {
        out.push_str("import './style.css';\n\n");
        let _ = writeln!(
            out,
            "export const v = {};",
            if sum.is_empty() { "0" } else { &sum }
        );
        out.push_str("document.getElementById('app').setAttribute('data-total', String(v));\n");
        return out;
    }
    let (id, class) = if leaf {
        (format!("leaf-{i}"), "leaf")
    } else {
        (format!("mid-{i}"), "mid")
    };
    out.push('\n');
    let _ = writeln!(out, "const TEXT = \"{class} {i} v0\"; // @hmrbench-text");
    let _ = writeln!(out, "let el = document.getElementById(\"{id}\");");
    out.push_str("if (!el) {\n  el = document.createElement('div');\n");
    let _ = writeln!(out, "  el.id = \"{id}\";");
    let _ = writeln!(out, "  el.className = \"{class}\";");
    out.push_str("  document.getElementById('app').appendChild(el);\n}\nel.textContent = TEXT;\n");
    if leaf {
        out.push_str("export const v = 1;\n\n");
        out.push_str(
            "// Self-accept: the new module version is re-executed and rewrites its element.\n",
        );
        out.push_str("if (import.meta.hot) {\n  import.meta.hot.accept();\n}\n");
    } else {
        let _ = writeln!(out, "export const v = 1 + {sum};");
    }
    out
}
