//! The watcher on real, canonicalized temp dirs. Each test waits for a matching event (10 s
//! time-out, then it prints every event seen); edits change both size and mtime.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use hotloop_engine::testing::TempProject;
use hotloop_engine::watcher::{
    ChangeBatch, ChangeKind, WatchConfig, WatchEvent, Watcher, spawn_watcher,
};

const TIMEOUT: Duration = Duration::from_secs(10);

struct Harness {
    _project: TempProject,
    root: PathBuf,
    watcher: Option<Watcher>,
    events: Receiver<WatchEvent>,
    seen: Vec<WatchEvent>,
}

impl Harness {
    /// A project with `files` (relative path, contents) written before the watcher starts.
    fn new(files: &[(&str, &str)]) -> Self {
        Self::with_config(files, WatchConfig::default())
    }

    fn with_config(files: &[(&str, &str)], config: WatchConfig) -> Self {
        Self::watching(files, "", config, |_| {})
    }

    /// `files` written, `prepare` run on the temp dir, then the watcher started on its
    /// subdirectory `watched` (a monorepo's app); paths stay relative to the temp dir.
    fn watching(
        files: &[(&str, &str)],
        watched: &str,
        config: WatchConfig,
        prepare: impl FnOnce(&Path),
    ) -> Self {
        let project = TempProject::from_files(files);
        let root = project.root().to_path_buf();
        prepare(&root);
        let watcher = spawn_watcher(&root.join(watched), config).expect("watcher starts");
        let events = watcher.receiver();
        Harness {
            _project: project,
            root,
            watcher: Some(watcher),
            events,
            seen: Vec::new(),
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Waits for a batch matching `pred`; returns it (and keeps every event in `seen`).
    #[track_caller]
    fn wait_for_batch(&mut self, what: &str, pred: impl Fn(&ChangeBatch) -> bool) -> ChangeBatch {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    self.seen.push(event.clone());
                    if let WatchEvent::Batch(batch) = event
                        && pred(&batch)
                    {
                        return batch;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "timed out waiting for {what}; events seen:\n{}",
                        self.dump()
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "watcher disconnected waiting for {what}; seen:\n{}",
                        self.dump()
                    )
                }
            }
        }
    }

    /// Waits until a batch mentions `relative`, returns its kind there.
    #[track_caller]
    fn wait_for_path(&mut self, relative: &str) -> ChangeKind {
        let path = self.path(relative);
        let batch = self.wait_for_batch(relative, |b| b.paths.iter().any(|p| p.path == path));
        batch
            .paths
            .iter()
            .find(|p| p.path == path)
            .map(|p| p.kind)
            .expect("matched above")
    }

    /// Has the watcher watch `relative` too (a linked package outside its root, as the engine
    /// asks), and returns once it does. The roots are taken in by the watcher's thread at its
    /// own pace: a file created in the directory each time until one is reported says so.
    #[track_caller]
    fn watch_too(&mut self, relative: &str) {
        let extra = self.watcher.as_ref().expect("running").extra_roots();
        extra.send(self.path(relative)).expect("send");
        let mut probes = 0;
        loop {
            probes += 1;
            let probe = self.path(&format!("{relative}/probe-{probes}.js"));
            fs::write(&probe, "probe").expect("probe");
            let seen = self.events.recv_timeout(Duration::from_millis(500));
            if let Ok(WatchEvent::Batch(batch)) = &seen
                && batch.paths.iter().any(|p| p.path == probe)
            {
                return;
            }
            if let Ok(event) = seen {
                self.seen.push(event);
            }
            assert!(probes < 20, "{relative} is not watched:\n{}", self.dump());
        }
    }

    /// Every path reported so far, relative to the root.
    fn reported(&self) -> Vec<String> {
        let mut paths = Vec::new();
        for event in &self.seen {
            if let WatchEvent::Batch(batch) = event {
                for p in &batch.paths {
                    let rel = p.path.strip_prefix(&self.root).unwrap_or(&p.path);
                    paths.push(rel.display().to_string());
                }
            }
        }
        paths
    }

    fn dump(&self) -> String {
        self.seen
            .iter()
            .map(|e| format!("  {e:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Writes `text` plus a growing tail, so size and mtime both change on every edit.
fn edit(path: &Path, text: &str) {
    let old = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let tail = "/".repeat(old as usize % 7 + 1);
    let contents = format!("{text}\n{tail}{}\n", "x".repeat(old as usize + 1));
    fs::write(path, contents).expect("edit");
    assert_ne!(
        fs::metadata(path).expect("stat").len(),
        old,
        "edit must change the size"
    );
}

#[test]
fn an_in_place_write_reports_the_file() {
    let mut h = Harness::new(&[("src/a.js", "export const a = 1;")]);
    edit(&h.path("src/a.js"), "export const a = 2;");
    assert_eq!(h.wait_for_path("src/a.js"), ChangeKind::Modified);
}

#[test]
fn write_temp_then_rename_reports_the_target_only() {
    let mut h = Harness::new(&[("src/a.js", "export const a = 1;"), ("src/b.js", "")]);
    let tmp = h.path("src/a.js.tmp");
    fs::write(&tmp, "export const a = 2; // atomic").expect("write temp");
    fs::rename(&tmp, h.path("src/a.js")).expect("rename");
    h.wait_for_path("src/a.js");
    // A later real event: anything about the temp file would have arrived before it.
    edit(&h.path("src/b.js"), "b");
    h.wait_for_path("src/b.js");
    let reported = h.reported();
    assert!(
        reported.iter().all(|p| !p.ends_with(".tmp")),
        "temp file reported: {reported:?}"
    );
}

#[test]
fn a_vim_style_save_reports_the_file_and_no_temp_names() {
    let mut h = Harness::new(&[("src/a.js", "export const a = 1;"), ("src/b.js", "")]);
    let file = h.path("src/a.js");
    let backup = h.path("src/a.js~");
    // vim probes whether it can create files in the directory...
    let probe = h.path("src/4913");
    fs::write(&probe, "").expect("probe");
    fs::remove_file(&probe).expect("remove probe");
    // ...keeps its swap file open...
    fs::write(h.path("src/.a.js.swp"), "swap").expect("swap");
    // ...moves the original to a backup, writes the new file, drops the backup.
    fs::rename(&file, &backup).expect("backup");
    fs::write(&file, "export const a = 2; // vim").expect("write new");
    fs::remove_file(&backup).expect("remove backup");
    fs::remove_file(h.path("src/.a.js.swp")).expect("remove swap");
    h.wait_for_path("src/a.js");
    edit(&h.path("src/b.js"), "b");
    h.wait_for_path("src/b.js");
    let reported = h.reported();
    assert!(
        reported.iter().all(|p| p == "src/a.js" || p == "src/b.js"),
        "only the real files may be reported: {reported:?}"
    );
}

#[test]
fn delete_then_create_are_both_reported() {
    let mut h = Harness::new(&[("src/a.js", "export const a = 1;")]);
    let file = h.path("src/a.js");
    fs::remove_file(&file).expect("delete");
    assert_eq!(h.wait_for_path("src/a.js"), ChangeKind::Removed);
    fs::write(&file, "export const a = 'back';").expect("create");
    assert_eq!(h.wait_for_path("src/a.js"), ChangeKind::Created);
}

#[test]
fn a_burst_of_writes_arrives_in_few_batches_with_every_path() {
    let names: Vec<String> = (0..5).map(|i| format!("src/f{i}.js")).collect();
    let mut fixture: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    fixture.push(("src/sentinel.js", ""));
    // A quiet window wider than the default: on a loaded 2-core machine a writer or notify's
    // thread descheduled for 2 ms would split the burst, which is not what this test is about.
    // The same window after a write its writer closed (`settle`, 250 µs by default): every
    // write here is closed at once, so without it the wider `quiet` never applied and a pause
    // of a quarter millisecond between two files split the burst (14 batches where the
    // bound allows 11, in a CI run under load).
    let config = WatchConfig {
        quiet: Duration::from_millis(10),
        settle: Duration::from_millis(10),
        max_wait: Duration::from_millis(200),
        ..WatchConfig::default()
    };
    let mut h = Harness::with_config(&fixture, config.clone());
    let started = Instant::now();
    for round in 0..10 {
        for name in &names {
            edit(&h.path(name), &format!("export const round = {round};"));
        }
    }
    let took = started.elapsed();
    // A sentinel after the burst: every batch of the burst arrives before (or with) it.
    edit(&h.path("src/sentinel.js"), "done");
    let sentinel = h.path("src/sentinel.js");
    let mut batches = 0;
    let mut raw = 0;
    loop {
        let batch = h.wait_for_batch("the burst", |_| true);
        batches += 1;
        raw += batch.raw_events;
        if batch.paths.iter().any(|p| p.path == sentinel) {
            break;
        }
    }
    // Until the last batch arrived: notify's thread or the collector descheduled after the
    // writes splits batches just as a descheduled writer does.
    let until_last = started.elapsed();
    eprintln!(
        "burst: 50 writes to 5 files in {took:?} -> {raw} raw events -> {batches} batches \
         (last after {until_last:?})"
    );
    let reported = h.reported();
    for name in &names {
        assert!(reported.contains(name), "{name} missing:\n{}", h.dump());
    }
    // Without coalescing every write would be its own batch (50). A pause longer than `quiet`
    // (a preempted thread) legitimately splits the burst: allow one split per `quiet` spent
    // until the last batch arrived.
    // A loaded 2-core machine delivers notify's events in clumps: allow two splits per quiet
    // window, never more than half the writes (without coalescing there would be 50).
    let allowed = (5 + 2 * until_last.as_millis() / config.quiet.as_millis()).min(25);
    assert!(
        batches as u128 <= allowed,
        "50 writes in {took:?} gave {batches} batches by {until_last:?} (allowed {allowed}):\n{}",
        h.dump()
    );
}

#[test]
fn a_new_nested_directory_and_its_file_are_reported_and_then_watched() {
    let mut h = Harness::new(&[("src/a.js", "")]);
    // Nested under a watched directory: notify adds the watches.
    fs::create_dir_all(h.path("src/new/deeper")).expect("mkdir");
    fs::write(h.path("src/new/deeper/x.js"), "export const x = 1;").expect("write");
    h.wait_for_path("src/new/deeper/x.js");
    // A new top-level directory: the watcher thread adds the watch.
    fs::create_dir_all(h.path("lib/sub")).expect("mkdir");
    fs::write(h.path("lib/sub/y.js"), "export const y = 1;").expect("write");
    h.wait_for_path("lib/sub/y.js");
    // Later edits in both are seen through the new watches (not only by the walk).
    edit(&h.path("src/new/deeper/x.js"), "export const x = 2;");
    assert_eq!(h.wait_for_path("src/new/deeper/x.js"), ChangeKind::Modified);
    edit(&h.path("lib/sub/y.js"), "export const y = 2;");
    assert_eq!(h.wait_for_path("lib/sub/y.js"), ChangeKind::Modified);
}

#[test]
fn a_directory_moved_in_reports_its_files() {
    let mut h = Harness::new(&[("src/a.js", "")]);
    // Built outside the root (same file system, so `rename` moves it in one step).
    let outside = tempfile::tempdir().expect("temp dir");
    let staging = outside.path().join("staging");
    fs::create_dir_all(staging.join("inner")).expect("mkdir");
    fs::write(staging.join("inner/z.js"), "z").expect("write");
    fs::rename(&staging, h.path("src/moved")).expect("move in");
    assert_eq!(h.wait_for_path("src/moved/inner/z.js"), ChangeKind::Created);
    // And it is watched from then on.
    edit(&h.path("src/moved/inner/z.js"), "z2");
    assert_eq!(
        h.wait_for_path("src/moved/inner/z.js"),
        ChangeKind::Modified
    );
}

#[test]
fn ignored_directories_and_temp_files_produce_nothing() {
    let mut h = Harness::new(&[
        ("src/real.js", ""),
        ("node_modules/pkg/index.js", ""),
        ("src/node_modules/x/i.js", ""),
        (".git/index", ""),
        ("target/debug/out", ""),
        ("dist/main.js", ""),
        (".hotloop/cache", ""),
    ]);
    for ignored in [
        "node_modules/pkg/index.js",
        "node_modules/pkg/package.json",
        "src/node_modules/x/i.js",
        ".git/index",
        "target/debug/out",
        "dist/main.js",
        ".hotloop/cache",
        "src/.real.js.swp",
        "src/.#real.js",
        "src/real.js~",
    ] {
        edit(&h.path(ignored), "ignored");
    }
    edit(&h.path("src/real.js"), "export const real = true;");
    h.wait_for_path("src/real.js");
    assert_eq!(
        h.reported(),
        vec!["src/real.js".to_string()],
        "{}",
        h.dump()
    );
}

#[test]
fn packages_appearing_in_node_modules_are_reported() {
    let mut h = Harness::new(&[("src/a.js", ""), ("node_modules/old/index.js", "")]);
    fs::create_dir_all(h.path("node_modules/newpkg")).expect("mkdir");
    assert_eq!(h.wait_for_path("node_modules/newpkg"), ChangeKind::Created);
    fs::write(h.path("node_modules/newpkg/index.js"), "x").expect("write inside");
    edit(&h.path("src/a.js"), "a");
    h.wait_for_path("src/a.js");
    assert!(
        !h.reported()
            .iter()
            .any(|p| p == "node_modules/newpkg/index.js"),
        "files inside packages are not reported: {:?}",
        h.reported()
    );
}

/// A monorepo: the app at `apps/web`, a package it links (`node_modules/mylib` →
/// `packages/mylib`), the repo root watched too (the config imports `../../vite.base.js`), then
/// the package (as the engine asks for it). An edit of the package is reported at its own path,
/// not under the link inside `node_modules` (which the filter drops: it went unseen); the
/// install's marker in the repo root's `node_modules` is reported (an `npm install` there).
#[test]
fn a_monorepo_root_watched_too_keeps_a_linked_packages_edits_and_the_installs_marker() {
    let mut h = Harness::watching(
        &[
            ("package-lock.json", "{}"),
            ("vite.base.js", ""),
            ("node_modules/.package-lock.json", "{}"),
            ("apps/web/src/main.js", ""),
            ("packages/mylib/src/index.js", "v1"),
        ],
        "apps/web",
        WatchConfig::default(),
        |root| {
            fs::create_dir_all(root.join("apps/web/node_modules")).expect("mkdir");
            std::os::unix::fs::symlink(
                root.join("packages/mylib"),
                root.join("apps/web/node_modules/mylib"),
            )
            .expect("link");
        },
    );
    let extra = h.watcher.as_ref().expect("running").extra_roots();
    extra.send(h.root.clone()).expect("send");
    h.watch_too("packages/mylib");
    let package_file = h.path("packages/mylib/src/index.js");
    edit(&package_file, "v2");
    h.wait_for_path("packages/mylib/src/index.js");
    edit(&h.path("node_modules/.package-lock.json"), "{}");
    h.wait_for_path("node_modules/.package-lock.json");
    assert!(
        !h.reported()
            .iter()
            .any(|p| p.contains("node_modules/mylib")),
        "{:?}",
        h.reported()
    );
}

/// A linked package's directory renamed (`packages/ui` → `packages/acme-ui`), linked and
/// watched there, then renamed back (a branch switched back, a rename undone): it is watched
/// where it is again, its files reported as they came back (the engine had them as deleted),
/// and an edit of one is reported at its path, not at the one it had before.
#[test]
fn a_linked_package_renamed_and_renamed_back_is_watched_where_it_is() {
    let mut h = Harness::watching(
        &[
            ("apps/web/src/main.js", ""),
            ("packages/ui/src/index.js", "v1"),
        ],
        "apps/web",
        WatchConfig::default(),
        |_| {},
    );
    h.watch_too("packages/ui");
    fs::rename(h.path("packages/ui"), h.path("packages/acme-ui")).expect("rename");
    h.wait_for_path("packages/ui");
    h.watch_too("packages/acme-ui");
    fs::rename(h.path("packages/acme-ui"), h.path("packages/ui")).expect("rename back");
    h.wait_for_path("packages/ui/src/index.js");
    let before = h.reported().len();
    edit(&h.path("packages/ui/src/index.js"), "v2");
    h.wait_for_path("packages/ui/src/index.js");
    let since = &h.reported()[before..];
    assert!(
        !since.iter().any(|p| p.starts_with("packages/acme-ui")),
        "{since:?}"
    );
}

/// A workspace's `node_modules` above the root removed and installed again (`rm -rf
/// node_modules && npm install`): the install's marker is reported, and nothing else of the
/// workspace's root (its README).
#[test]
fn a_workspace_node_modules_removed_and_installed_again_reports_the_install() {
    let mut h = Harness::watching(
        &[
            ("package-lock.json", "{}"),
            ("node_modules/.package-lock.json", "{}"),
            ("README.md", "v1"),
            ("apps/web/src/main.js", ""),
        ],
        "apps/web",
        WatchConfig::default(),
        |_| {},
    );
    fs::remove_dir_all(h.path("node_modules")).expect("rm -rf");
    h.wait_for_path("node_modules");
    fs::create_dir(h.path("node_modules")).expect("mkdir");
    h.wait_for_path("node_modules");
    edit(&h.path("README.md"), "v2");
    fs::write(h.path("node_modules/.package-lock.json"), "{\"v\": 2}").expect("install");
    h.wait_for_path("node_modules/.package-lock.json");
    assert!(
        !h.reported().iter().any(|p| p == "README.md"),
        "{:?}",
        h.reported()
    );
}

/// A linked package's build that cleans its output first (`rm -rf dist`, then writes it
/// again, as `tsup --clean` does): the new `dist` is watched, its next writes reported.
#[test]
fn a_linked_packages_directory_removed_and_written_again_is_watched() {
    let mut h = Harness::watching(
        &[
            ("apps/web/src/main.js", ""),
            ("packages/utils/dist/index.js", "v1"),
        ],
        "apps/web",
        WatchConfig::default(),
        |_| {},
    );
    h.watch_too("packages/utils");
    fs::remove_dir_all(h.path("packages/utils/dist")).expect("clean");
    h.wait_for_path("packages/utils/dist");
    fs::create_dir(h.path("packages/utils/dist")).expect("mkdir");
    h.wait_for_path("packages/utils/dist");
    fs::write(h.path("packages/utils/dist/index.js"), "v2").expect("write");
    h.wait_for_path("packages/utils/dist/index.js");
    edit(&h.path("packages/utils/dist/index.js"), "v3");
    h.wait_for_path("packages/utils/dist/index.js");
}

#[test]
fn a_batch_is_not_sealed_while_a_written_file_is_still_open() {
    let config = WatchConfig {
        close_wait: TIMEOUT,
        ..WatchConfig::default()
    };
    let mut h = Harness::with_config(&[("src/a.js", "export const old = 1;")], config);
    let path = h.path("src/a.js");
    let mut file = fs::File::create(&path).expect("truncate");
    file.write_all(b"export const half").expect("write half");
    file.flush().expect("flush");
    // With quiet = 2 ms a batch would be sealed within milliseconds if the open file did not
    // hold it; give it 20x max_wait.
    match h.events.recv_timeout(Duration::from_millis(400)) {
        Err(RecvTimeoutError::Timeout) => {}
        other => panic!("a batch was sealed while the file was half written: {other:?}"),
    }
    file.write_all(b" = 'whole';\n").expect("write rest");
    drop(file);
    h.wait_for_path("src/a.js");
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        "export const half = 'whole';\n"
    );
}

#[test]
fn the_wait_for_a_close_is_bounded() {
    let config = WatchConfig {
        close_wait: Duration::from_millis(50),
        ..WatchConfig::default()
    };
    let mut h = Harness::with_config(&[("src/a.js", "")], config);
    let mut file = fs::File::create(h.path("src/a.js")).expect("open");
    file.write_all(b"export const held = 1;").expect("write");
    file.flush().expect("flush");
    let batch = h.wait_for_batch("a batch while the file is still open", |_| true);
    let waited = batch.coalesced_at - batch.first_event_at;
    assert!(
        waited >= Duration::from_millis(50),
        "sealed after {waited:?}"
    );
    drop(file);
    // The close arrives as its own batch.
    assert_eq!(h.wait_for_path("src/a.js"), ChangeKind::Modified);
}

/// A checkout rewrites the tree file by file while git holds `.git/index.lock`: the batch
/// waits for the lock's release, and the whole checkout is one batch (an importer and the
/// file it stopped importing, removed, arrive together).
#[test]
fn changes_made_while_git_holds_its_index_lock_arrive_as_one_batch() {
    let mut h = Harness::new(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("src/a.js", "import './b.js';"),
        ("src/b.js", "export {};"),
    ]);
    let lock = h.path(".git/index.lock");
    fs::write(&lock, "").expect("lock");
    edit(&h.path("src/a.js"), "export const a = 1;");
    // With quiet = 2 ms the batch would be sealed within milliseconds without the lock.
    match h.events.recv_timeout(Duration::from_millis(300)) {
        Err(RecvTimeoutError::Timeout) => {}
        other => panic!("a batch was sealed while git held its lock: {other:?}"),
    }
    fs::remove_file(h.path("src/b.js")).expect("remove");
    fs::remove_file(&lock).expect("unlock");
    let batch = h.wait_for_batch("the checkout's batch", |_| true);
    let mut paths: Vec<String> = batch
        .paths
        .iter()
        .map(|p| p.path.strip_prefix(&h.root).unwrap().display().to_string())
        .collect();
    paths.sort();
    assert_eq!(paths, ["src/a.js", "src/b.js"], "{}", h.dump());
}

/// A lock held past `git_wait` (left by a git that crashed) seals the batch then, and later
/// edits do not wait on it.
#[test]
fn a_stale_git_lock_holds_one_batch_for_git_wait_and_no_later_one() {
    let config = WatchConfig {
        git_wait: Duration::from_millis(600),
        ..WatchConfig::default()
    };
    let mut h = Harness::with_config(
        &[(".git/HEAD", "ref: refs/heads/main\n"), ("src/a.js", "")],
        config,
    );
    fs::write(h.path(".git/index.lock"), "").expect("lock");
    edit(&h.path("src/a.js"), "export const a = 1;");
    let batch = h.wait_for_batch("the batch git's stale lock held", |_| true);
    let waited = batch.coalesced_at - batch.first_event_at;
    assert!(
        waited >= Duration::from_millis(600),
        "sealed after {waited:?}"
    );
    edit(&h.path("src/a.js"), "export const a = 2;");
    let batch = h.wait_for_batch("the next edit's batch", |_| true);
    let waited = batch.coalesced_at - batch.first_event_at;
    assert!(
        waited < Duration::from_millis(600),
        "waited {waited:?} on a stale lock"
    );
}

#[test]
fn dropping_the_watcher_stops_its_thread() {
    let mut h = Harness::new(&[("src/a.js", "")]);
    let events = h.events.clone();
    drop(h.watcher.take());
    // The thread holds the only sender: the channel disconnects once it has ended.
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(_) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("the watcher thread is still running"),
        }
    }
    edit(&h.path("src/a.js"), "after drop");
}

#[test]
fn spawning_on_a_file_or_a_missing_dir_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("f");
    fs::write(&file, "").expect("write");
    assert!(spawn_watcher(&file, WatchConfig::default()).is_err());
    assert!(spawn_watcher(&dir.path().join("missing"), WatchConfig::default()).is_err());
}

/// Prints (does not assert) what coalescing costs: from the end of the write to the batch in
/// the engine's hands, and the part spent waiting in the coalescing window.
#[test]
fn measure_coalescing_cost() {
    let mut h = Harness::new(&[("src/a.js", "")]);
    let path = h.path("src/a.js");
    let mut delivered = Vec::new();
    let mut window = Vec::new();
    for round in 0..30 {
        edit(&path, &format!("export const round = {round};"));
        let written = Instant::now();
        let batch = h.wait_for_batch("the edit", |b| b.paths.iter().any(|p| p.path == path));
        delivered.push(Instant::now() - written);
        window.push(batch.coalesced_at - batch.first_event_at);
    }
    delivered.sort();
    window.sort();
    let p = |v: &[Duration], q: usize| v[(v.len() - 1) * q / 100];
    eprintln!(
        "watcher: write -> batch received p50 {:?} p95 {:?}; coalescing window p50 {:?} p95 {:?}",
        p(&delivered, 50),
        p(&delivered, 95),
        p(&window, 50),
        p(&window, 95)
    );
}
