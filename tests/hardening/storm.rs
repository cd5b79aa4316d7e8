//! A storm of saves: many writes to many files within a few seconds, by plain write (truncate
//! then write) and by atomic rename. What a tab receives must end equal to the files on disk, no
//! update may carry older content after newer, no update may carry a half-written file, and
//! the server must keep answering while it happens. CI runs 200 writes to 20 files; with
//! `HOTLOOP_LONG_TESTS=1`, 1000 writes to 50 files.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hotloop_protocol::wire::ServerMessage;

use crate::support::{Project, Server, WAIT, long_tests, version_in, versioned_module};

#[derive(Clone, Copy, Debug)]
enum Save {
    Write,
    Rename,
}

fn project(files: usize) -> Project {
    let mut main = String::new();
    for i in 0..files {
        main.push_str(&format!("import './f{i}.js';\n"));
    }
    let mut all: Vec<(String, String)> = vec![
        (
            "index.html".into(),
            "<!doctype html><script type=module src=/src/main.js></script>".into(),
        ),
        ("src/main.js".into(), main),
    ];
    for i in 0..files {
        all.push((
            format!("src/f{i}.js"),
            versioned_module(&format!("f{i}"), 0),
        ));
    }
    let refs: Vec<(&str, &str)> = all.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    Project::from_files(&refs)
}

/// What the storm left behind, for the report.
struct StormResult {
    updates: usize,
    /// The reasons of the full reloads sent.
    reloads: Vec<String>,
    errors: usize,
    settle: Duration,
    max_get: Duration,
    gets: usize,
}

async fn storm(writes: usize, files: usize, save: Save, over: Duration) -> StormResult {
    let p = Arc::new(project(files));
    let mut server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;

    // GET / keeps answering during the storm.
    let done = Arc::new(AtomicBool::new(false));
    let prober = {
        let done = done.clone();
        let addr = server.addr;
        tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            let mut count = 0;
            let mut interval = tokio::time::interval(Duration::from_millis(25));
            while !done.load(Ordering::Relaxed) {
                interval.tick().await;
                let start = Instant::now();
                let request = format!(
                    "GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                    addr.port()
                );
                let reply = crate::support::raw(addr, request.as_bytes()).await;
                assert_eq!(reply.status, 200, "GET / during the storm");
                worst = worst.max(start.elapsed());
                count += 1;
            }
            (worst, count)
        })
    };

    // The writer: file `i % files` gets version `i` (so versions rise per file).
    let writer = {
        let p = p.clone();
        std::thread::spawn(move || {
            let pause = over / writes as u32;
            // (`over` zero: no pacing at all)
            let mut last = BTreeMap::new();
            let start = Instant::now();
            let mut last_write = start;
            for i in 1..=writes {
                let file = (i * 7) % files;
                let text = versioned_module(&format!("f{file}"), i);
                let rel = format!("src/f{file}.js");
                match save {
                    Save::Write => p.write(&rel, text),
                    Save::Rename => p.write_atomic(&rel, text),
                };
                last.insert(file, i);
                last_write = Instant::now();
                // Pacing the workload (not synchronisation): `writes` saves over `over`.
                if let Some(wait) = (pause * i as u32).checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
            (last, last_write)
        })
    };

    // Read updates while the writer runs; then until every file's last update is its final
    // version.
    let mut seen: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut half_written = Vec::new();
    let mut final_versions: Option<BTreeMap<usize, usize>> = None;
    let mut writer = Some(writer);
    let settled_at;
    let deadline_after_writes = Duration::from_secs(30);
    let mut writes_done_at = None;
    loop {
        if final_versions.is_none() && writer.as_ref().is_some_and(|w| w.is_finished()) {
            let (finals, last_write) = writer
                .take()
                .expect("writer")
                .join()
                .expect("writer thread");
            final_versions = Some(finals);
            writes_done_at = Some(last_write);
        }
        if let Some(finals) = &final_versions {
            let converged = finals
                .iter()
                .all(|(f, v)| seen.get(f).and_then(|s| s.last()) == Some(v));
            if converged {
                settled_at = Some(Instant::now());
                break;
            }
            assert!(
                writes_done_at.is_some_and(|t| t.elapsed() < deadline_after_writes),
                "tabs never caught up: final {finals:?}, last seen {:?}; log:\n{}",
                seen.iter()
                    .map(|(f, s)| (*f, s.last().copied()))
                    .collect::<Vec<_>>(),
                server.log()
            );
        }
        // Wake up at least every 50 ms to notice the writer finishing.
        let message = match tokio::time::timeout(Duration::from_millis(50), client.next(WAIT)).await
        {
            Ok(Some(m)) => m,
            Ok(None) => panic!(
                "the server closed the socket: {:?}; log:\n{}",
                client.closed,
                server.log()
            ),
            Err(_) => continue,
        };
        if let ServerMessage::Update(update) = &message {
            for module in &update.modules {
                let Some(file) = module
                    .id
                    .strip_prefix("/src/f")
                    .and_then(|r| r.strip_suffix(".js"))
                    .and_then(|n| n.parse::<usize>().ok())
                else {
                    continue;
                };
                match version_in(&module.code, &format!("f{file}")) {
                    Some(v) => seen.entry(file).or_default().push(v),
                    None => half_written.push((file, module.code.to_string())),
                }
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    let (max_get, gets) = prober.await.expect("prober");
    let finals = final_versions.expect("final versions");

    assert!(
        half_written.is_empty(),
        "updates carried half-written files: {half_written:?}"
    );
    for (file, versions) in &seen {
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "f{file}: an update carried older content after newer: {versions:?}"
        );
    }
    // The served chunk equals the files on disk.
    let chunk = server.get("/_hotloop/chunk.js").await.text();
    for (file, version) in &finals {
        assert_eq!(
            version_in(&chunk, &format!("f{file}")),
            Some(*version),
            "f{file} in the served chunk"
        );
        let on_disk = std::fs::read_to_string(p.path(&format!("src/f{file}.js"))).expect("read");
        assert_eq!(version_in(&on_disk, &format!("f{file}")), Some(*version));
    }
    server.assert_serving().await;
    let count =
        |pred: fn(&ServerMessage) -> bool| client.messages.iter().filter(|m| pred(m)).count();
    StormResult {
        updates: count(|m| matches!(m, ServerMessage::Update(_))),
        reloads: client
            .messages
            .iter()
            .filter_map(|m| match m {
                ServerMessage::FullReload { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .collect(),
        errors: count(|m| matches!(m, ServerMessage::Errors { .. })),
        settle: settled_at
            .zip(writes_done_at)
            .map_or(Duration::ZERO, |(s, w)| s - w),
        max_get,
        gets,
    }
}

async fn run(save: Save, (writes, files, over): (usize, usize, Duration)) {
    let r = storm(writes, files, save, over).await;
    eprintln!(
        "storm ({save:?}): {writes} writes to {files} files over {over:?}: {} hot updates, {} reloads, \
         {} error messages; settled {:?} after the last write; GET / answered {} times during \
         the storm, slowest {:?}",
        r.updates,
        r.reloads.len(),
        r.errors,
        r.settle,
        r.gets,
        r.max_get
    );
    // A reload here would mean a file was read between its truncate and its write (an empty
    // module accepts nothing).
    assert!(
        r.reloads.is_empty(),
        "self-accepting edits never need a reload: {:?}",
        r.reloads
    );
    assert_eq!(r.errors, 0, "no half-written file may reach a tab");
    assert!(
        r.max_get < Duration::from_secs(2),
        "GET / took {:?}",
        r.max_get
    );
}

/// `(writes, files, over)`: a few seconds of saves.
fn paced() -> (usize, usize, Duration) {
    if long_tests() {
        (1000, 50, Duration::from_secs(3))
    } else {
        (200, 20, Duration::from_secs(1))
    }
}

/// As fast as the writer can go.
fn burst() -> (usize, usize, Duration) {
    if long_tests() {
        (1000, 50, Duration::ZERO)
    } else {
        (400, 20, Duration::ZERO)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_plain_writes_ends_with_what_is_on_disk() {
    run(Save::Write, paced()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_atomic_renames_ends_with_what_is_on_disk() {
    run(Save::Rename, paced()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_plain_writes_never_sends_a_truncated_file() {
    run(Save::Write, burst()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_atomic_renames_ends_with_what_is_on_disk() {
    run(Save::Rename, burst()).await;
}

/// Emptying a file is an edit like any other: held back a moment (it might be a truncate
/// before a write), then taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emptying_a_file_reaches_the_tabs() {
    let p = project(2);
    let server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;
    p.write("src/f1.js", "");
    // No boundary accepts an empty module any more: a reload with the empty module served.
    client
        .until(WAIT, |m| matches!(m, ServerMessage::FullReload { .. }))
        .await;
    let chunk = server.get("/_hotloop/chunk.js").await.text();
    assert_eq!(
        version_in(&chunk, "f1"),
        None,
        "f1 is still served with content"
    );
    assert_eq!(version_in(&chunk, "f0"), Some(0));
}

/// By the time a tab hears of a revision, the server already serves it: a tab that reloads
/// (or opens) right then gets the new chunk, never the previous one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_revision_is_already_served() {
    let p = Project::from_files(&[
        (
            "index.html",
            "<!doctype html><script type=module src=/src/main.js></script>",
        ),
        (
            "src/main.js",
            "import { value } from './plain.js';\nimport './hot.js';\nconsole.log(value);\n",
        ),
        ("src/plain.js", "export const value = \"plain:v0\";\n"),
        ("src/hot.js", &versioned_module("hot", 0)),
    ]);
    let server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;
    for v in 1..=15 {
        // Not accepted anywhere: a full reload.
        p.write(
            "src/plain.js",
            format!("export const value = \"plain:v{v}\";\n"),
        );
        client
            .until(WAIT, |m| matches!(m, ServerMessage::FullReload { .. }))
            .await;
        let chunk = server.get("/_hotloop/chunk.js").await.text();
        assert_eq!(version_in(&chunk, "plain"), Some(v), "reload {v}");
        // Self-accepting: a hot update.
        p.write("src/hot.js", versioned_module("hot", v));
        client
            .until_module("/src/hot.js", WAIT, |c| version_in(c, "hot") == Some(v))
            .await;
        let chunk = server.get("/_hotloop/chunk.js").await.text();
        assert_eq!(version_in(&chunk, "hot"), Some(v), "update {v}");
    }
}
