//! Watcher tests: the filter, the collector's coalescing, the thread on real temp dirs.

use std::time::{Duration, Instant};

use notify::EventKind;
use notify::event::{
    AccessKind, AccessMode, CreateKind, DataChange, Flag, ModifyKind, RemoveKind, RenameMode,
};

use super::*;

#[test]
fn merging_kinds_keeps_before_of_the_first_and_after_of_the_last() {
    use ChangeKind::*;
    let table = [
        (Created, Modified, Created),
        (Created, Removed, Removed),
        (Removed, Created, Modified),
        (Modified, Removed, Removed),
        (Modified, Modified, Modified),
        (Removed, Modified, Modified),
        (Any, Removed, Removed),
        (Any, Created, Any),
        (Created, Any, Any),
    ];
    for (first, later, merged) in table {
        assert_eq!(first.merge(later), merged, "{first:?} then {later:?}");
    }
}

fn filter() -> Filter {
    Filter::new(
        PathBuf::from("/p"),
        &["target".to_string(), "dist".to_string()],
    )
}

#[test]
fn the_filter_ignores_tool_dirs_and_editor_temp_files() {
    let f = filter();
    let table = [
        ("/p/src/a.js", true),
        ("/p/index.html", true),
        ("/p/packages/ui/dist/index.js", true),
        ("/p/node_modules", true),
        ("/p/node_modules/react", true),
        ("/p/node_modules/.package-lock.json", true),
        ("/p/node_modules/react/index.js", false),
        ("/p/packages/ui/node_modules/x", false),
        ("/p/.git/index", false),
        ("/p/src/.git", false),
        ("/p/.hotloop/cache", false),
        ("/p/target/debug/x", false),
        ("/p/dist/main.js", false),
        ("/p/src/.a.js.swp", false),
        ("/p/src/.a.js.swx", false),
        ("/p/src/a.js~", false),
        ("/p/src/4913", false),
        ("/p/src/.#a.js", false),
        ("/p/src/#a.js#", false),
        ("/p/src/a.js.tmp", false),
        ("/p/src/a.js___jb_tmp___", false),
        ("/p/src/#", true),
    ];
    for (path, reported) in table {
        assert_eq!(f.reports(Path::new(path)), reported, "{path}");
    }
}

fn event(kind: EventKind, paths: &[&str]) -> notify::Result<notify::Event> {
    let mut event = notify::Event::new(kind);
    for p in paths {
        event = event.add_path(PathBuf::from(p));
    }
    Ok(event)
}

fn collect(events: Vec<notify::Result<notify::Event>>) -> Collector {
    let now = Instant::now();
    let mut c = Collector::new(now);
    for e in events {
        c.absorb(e, &filter(), true, now);
    }
    c
}

fn kinds(c: &Collector) -> Vec<(String, ChangeKind)> {
    c.paths
        .iter()
        .map(|p| (p.path.display().to_string(), p.kind))
        .collect()
}

#[test]
fn an_atomic_save_reports_the_rename_target_only() {
    let c = collect(vec![
        event(EventKind::Create(CreateKind::File), &["/p/src/a.js.tmp"]),
        event(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            &["/p/src/a.js.tmp"],
        ),
        event(
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            &["/p/src/a.js.tmp"],
        ),
        event(
            EventKind::Modify(ModifyKind::Name(RenameMode::From)),
            &["/p/src/a.js.tmp"],
        ),
        event(
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            &["/p/src/a.js"],
        ),
        event(
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
            &["/p/src/a.js.tmp", "/p/src/a.js"],
        ),
    ]);
    assert_eq!(
        kinds(&c),
        vec![("/p/src/a.js".to_string(), ChangeKind::Created)]
    );
    assert_eq!(c.raw_events, 2);
    assert!(c.unclosed.is_empty());
    assert_eq!(c.renamed_in, vec![PathBuf::from("/p/src/a.js")]);
}

#[test]
fn a_file_written_and_not_closed_holds_the_batch_open_for_at_most_close_wait() {
    let config = WatchConfig::default();
    let t0 = Instant::now();
    let mut c = Collector::new(t0);
    let f = filter();
    let modify = event(
        EventKind::Modify(ModifyKind::Data(DataChange::Any)),
        &["/p/a.js"],
    );
    c.absorb(modify, &f, true, t0);
    assert_eq!(c.deadline(&config), t0 + config.close_wait);
    let close = event(
        EventKind::Access(AccessKind::Close(AccessMode::Write)),
        &["/p/a.js"],
    );
    let t1 = t0 + Duration::from_millis(1);
    c.absorb(close, &f, true, t1);
    // The writer closed the file: the batch settles quickly instead of waiting out `quiet`.
    assert_eq!(c.deadline(&config), t1 + config.settle);
    assert_eq!(
        kinds(&c),
        vec![("/p/a.js".to_string(), ChangeKind::Modified)]
    );

    // Without close tracking (other backends) the quiet window alone decides.
    let mut c = Collector::new(t0);
    let modify = event(
        EventKind::Modify(ModifyKind::Data(DataChange::Any)),
        &["/p/a.js"],
    );
    c.absorb(modify, &f, false, t0);
    assert_eq!(c.deadline(&config), t0 + config.quiet);
}

#[test]
fn the_deadline_is_capped_by_max_wait_while_events_keep_coming() {
    let config = WatchConfig::default();
    let t0 = Instant::now();
    let mut c = Collector::new(t0);
    let f = filter();
    for ms in 0..30 {
        let path = format!("/p/{ms}.js");
        let e = event(EventKind::Remove(RemoveKind::File), &[path.as_str()]);
        c.absorb(e, &f, true, t0 + Duration::from_millis(ms));
    }
    assert_eq!(c.deadline(&config), t0 + config.max_wait);
}

#[test]
fn overflow_and_errors_ask_for_a_rescan() {
    let overflow = Ok(notify::Event::new(EventKind::Other).set_flag(Flag::Rescan));
    let c = collect(vec![overflow]);
    assert!(c.rescan.is_some() && c.overflowed);
    let c = collect(vec![Err(notify::Error::generic("boom"))]);
    assert_eq!(c.errors, vec!["boom".to_string()]);
    assert!(c.rescan.as_deref().is_some_and(|r| r.contains("boom")));
    assert!(!c.overflowed);
}

#[test]
fn ignored_events_do_not_start_a_batch() {
    let now = Instant::now();
    let mut c = Collector::new(now);
    let ignored = event(
        EventKind::Modify(ModifyKind::Data(DataChange::Any)),
        &["/p/.git/index", "/p/src/.a.js.swp"],
    );
    assert!(!c.absorb(ignored, &filter(), true, now));
    assert_eq!(c.raw_events, 0);
    assert!(c.paths.is_empty() && c.unclosed.is_empty());
}

#[test]
fn inside_an_extra_root_everything_but_its_node_modules_git_and_temp_files_is_reported() {
    let mut filter = Filter::new(PathBuf::from("/ws/app"), &["dist".to_string()]);
    filter.extra_roots.push(PathBuf::from("/ws/packages/ui"));
    for (path, reported) in [
        ("/ws/packages/ui/src/index.js", true),
        ("/ws/packages/ui/package.json", true),
        ("/ws/packages/ui/dist/index.js", true),
        ("/ws/packages/ui/node_modules/dep/index.js", false),
        ("/ws/packages/ui/.git/HEAD", false),
        ("/ws/packages/ui/src/index.js.swp", false),
        ("/ws/app/node_modules/x/y/z.js", false),
        ("/ws/packages/ui", true),
        ("/ws/packages/other", false),
        ("/ws/packages/README.md", false),
    ] {
        assert_eq!(filter.reports(Path::new(path)), reported, "{path}");
    }
}

#[test]
fn of_a_workspace_node_modules_above_the_root_only_its_markers_and_packages_are_reported() {
    let filter = Filter::new(PathBuf::from("/ws/apps/web"), &[]);
    for (path, reported) in [
        ("/ws/node_modules/.package-lock.json", true),
        ("/ws/node_modules/react", true),
        ("/ws/node_modules/@acme", true),
        ("/ws/node_modules/.vite-temp", false),
        (
            "/ws/node_modules/.vite-temp/vite.config.ts.timestamp-1-a.mjs",
            false,
        ),
        ("/ws/node_modules/.cache/x/a.json", false),
        ("/ws/node_modules/react/index.js", false),
        ("/ws/tsconfig.base.json", true),
    ] {
        assert_eq!(filter.reports(Path::new(path)), reported, "{path}");
    }
}

#[test]
fn of_a_workspace_root_that_holds_a_linked_package_only_its_node_modules_is_reported() {
    let mut filter = Filter::new(PathBuf::from("/ws/apps/web"), &[]);
    filter.extra_roots.push(PathBuf::from("/ws/ui"));
    filter.install_root = Some(PathBuf::from("/ws"));
    for (path, reported) in [
        ("/ws/node_modules", true),
        ("/ws/ui", true),
        ("/ws/README.md", false),
        ("/ws/other", false),
    ] {
        assert_eq!(filter.reports(Path::new(path)), reported, "{path}");
    }
}

#[test]
fn install_markers_are_in_the_roots_node_modules_or_in_one_above_it() {
    use super::is_install_marker;
    let root = Path::new("/repo/apps/web");
    for (path, marker) in [
        ("/repo/apps/web/node_modules/.package-lock.json", true),
        ("/repo/node_modules/.modules.yaml", true),
        ("/node_modules/.yarn-state.yml", true),
        ("/repo/node_modules/pkg/.package-lock.json", false),
        ("/repo/node_modules/package.json", false),
        ("/other/node_modules/.package-lock.json", false),
        ("/repo/apps/web/src/node_modules/.package-lock.json", false),
    ] {
        assert_eq!(is_install_marker(root, Path::new(path)), marker, "{path}");
    }
}
