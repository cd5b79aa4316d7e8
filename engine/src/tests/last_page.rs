//! The page of the last session (`crate::last_page`, `host/last_session.rs`): a restart serves
//! the page the last session recorded while its cold build runs, and the build confirms it or
//! says it is stale.

use std::path::Path;
use std::sync::Arc;

use crate::cache::CompileCache;
use crate::db::QueryEventKind;
use crate::host::EngineHost;
use crate::inputs::ProjectOptions;
use crate::telemetry::LastPageCheck;
use crate::testing::{Incremental, InertPlugins, TempProject};

const PROJECT: &str = r#"
//- /index.html
<!doctype html>
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import { a } from './a.js';
import { b } from './b';
console.log(a() + b());
//- /src/a.js
export function a() {
  return 1;
}
//- /src/b.ts
export function b(): number {
  return 2;
}
"#;

/// A first session on `PROJECT` that built, published revision `revision` and recorded its
/// page in `cache`, as the dev loop does when the session ends. Returns the project.
fn first_session(cache: &Path) -> TempProject {
    let mut first = Incremental::new(PROJECT);
    first
        .host
        .use_compile_cache(CompileCache::open(cache).expect("cache"));
    assert!(
        first.host.last_session_page(&Arc::from("s1")).is_none(),
        "no record yet"
    );
    first.build();
    let served = first.host.served(&Arc::from("s1"), 3);
    first.host.record_page(&served);
    let Incremental { project, .. } = first;
    project
}

fn second_session(root: &Path, cache: &Path) -> EngineHost {
    let mut host = EngineHost::new(root, ProjectOptions::default()).expect("host");
    host.use_compile_cache(CompileCache::open(cache).expect("cache"));
    host
}

fn executed(host: &EngineHost, query: &str) -> usize {
    host.take_query_runs()
        .iter()
        .filter(|r| r.kind == QueryEventKind::Executed && &*r.query == query)
        .count()
}

#[test]
fn a_restart_serves_the_last_sessions_page_before_compiling_and_the_build_confirms_it() {
    let cache = TempProject::empty();
    let project = first_session(cache.root());

    let mut host = second_session(project.root(), cache.root());
    host.record_queries(true);
    let building = host
        .last_session_page(&Arc::from("s2"))
        .expect("the last page");
    assert!(building.building && building.last_session);
    assert_eq!(executed(&host, "parsed_module"), 0);
    assert_eq!(building.chunk.parts.len(), 3, "{:?}", building.chunk.parts);
    // The start statement is this session's, at revision 0 whatever revision was recorded.
    assert!(
        building
            .chunk
            .trailer
            .contains(r#"{"revision":0,"serverId":"s2"}"#),
        "{}",
        building.chunk.trailer
    );

    host.build();
    let built = host.served(&Arc::from("s2"), 0);
    // Byte for byte the same page: the same pieces, at the same URLs.
    assert_eq!(building.chunk.bytes(), built.chunk.bytes());
    assert_eq!(host.settle_last_page(&built), LastPageCheck::Current);
    // Settled once.
    assert_eq!(host.settle_last_page(&built), LastPageCheck::NotServed);
}

#[test]
fn a_file_edited_while_hotloop_was_stopped_means_no_page_from_the_last_session() {
    let cache = TempProject::empty();
    let project = first_session(cache.root());
    project.write("/src/a.js", "export function a() {\n  return 10;\n}\n");

    let mut host = second_session(project.root(), cache.root());
    assert!(host.last_session_page(&Arc::from("s2")).is_none());
    host.build();
    let built = host.served(&Arc::from("s2"), 0);
    assert_eq!(host.settle_last_page(&built), LastPageCheck::NotServed);
}

#[test]
fn other_options_mean_no_page_from_the_last_session() {
    let cache = TempProject::empty();
    let project = first_session(cache.root());
    let options = ProjectOptions {
        mode: "staging".into(),
        ..ProjectOptions::default()
    };
    let mut host = EngineHost::new(project.root(), options).expect("host");
    host.use_compile_cache(CompileCache::open(cache.root()).expect("cache"));
    assert!(host.last_session_page(&Arc::from("s2")).is_none());
}

#[test]
fn a_change_no_recorded_file_shows_is_found_stale_by_the_build() {
    let cache = TempProject::empty();
    let project = first_session(cache.root());
    // `./b` now resolves to b.js (before .ts): no file the engine read changed.
    project.write("/src/b.js", "export function b() {\n  return 3;\n}\n");

    let mut host = second_session(project.root(), cache.root());
    assert!(host.last_session_page(&Arc::from("s2")).is_some());
    host.build();
    let built = host.served(&Arc::from("s2"), 0);
    // The first module in chunk order that differs: b.ts is no longer in the page.
    assert_eq!(
        host.settle_last_page(&built),
        LastPageCheck::Stale {
            module: Some(Arc::from("/src/b.ts"))
        }
    );
}

#[test]
fn plugins_that_answered_nothing_keep_the_page_and_ones_that_did_drop_it() {
    let cache = TempProject::empty();
    let plugins = Arc::new(InertPlugins::default());
    let session = |root: &Path| {
        let mut host = second_session(root, cache.root());
        host.use_plugins(plugins.clone());
        host
    };
    let project = TempProject::new(PROJECT);

    // A React project whose plugin-react hotloop does itself asks its plugins nothing.
    let mut first = session(project.root());
    assert!(first.last_session_page(&Arc::from("s1")).is_none());
    first.build();
    let served = first.served(&Arc::from("s1"), 0);
    first.record_page(&served);
    drop(first);
    let mut second = session(project.root());
    assert!(second.last_session_page(&Arc::from("s2")).is_some());
    second.build();
    let served = second.served(&Arc::from("s2"), 2);

    // Once a hook answered, a module's code may hold what no file shows: no record is kept,
    // and the one there is removed.
    plugins.set_answered(true);
    second.record_page(&served);
    drop(second);
    plugins.set_answered(false);
    assert!(
        session(project.root())
            .last_session_page(&Arc::from("s3"))
            .is_none()
    );
}

#[test]
fn a_page_that_does_not_compile_is_not_kept() {
    let cache = TempProject::empty();
    let project = first_session(cache.root());
    project.write("/src/a.js", "export function a( {\n");

    let mut host = second_session(project.root(), cache.root());
    assert!(host.last_session_page(&Arc::from("s2")).is_none());
    host.build();
    let served = host.served(&Arc::from("s2"), 0);
    assert!(!served.errors.is_empty());
    host.record_page(&served);
    drop(host);
    // Fixed while hotloop was stopped: the page waits for the build, there is no record.
    project.write("/src/a.js", "export function a() {\n  return 1;\n}\n");
    let mut host = second_session(project.root(), cache.root());
    assert!(host.last_session_page(&Arc::from("s3")).is_none());
}

#[test]
fn linked_stylesheets_come_with_the_page_and_one_that_differs_makes_it_stale() {
    let cache = TempProject::empty();
    let fixture = PROJECT.replace(
        "<!doctype html>\n",
        "<!doctype html>\n<link rel=\"stylesheet\" href=\"/src/style.css\">\n",
    ) + "//- /src/style.css\np { color: red; }\n";
    let mut first = Incremental::new(&fixture);
    first
        .host
        .use_compile_cache(CompileCache::open(cache.root()).expect("cache"));
    first.build();
    let served = first.host.served(&Arc::from("s1"), 0);
    first.host.record_page(&served);
    let Incremental { project, .. } = first;

    let mut host = second_session(project.root(), cache.root());
    let building = host
        .last_session_page(&Arc::from("s2"))
        .expect("the last page");
    let sheet = building
        .modules
        .get("/src/style.css")
        .expect("the linked sheet");
    assert!(sheet.stylesheet.as_deref().unwrap().contains("color: red"));
    host.build();
    let built = host.served(&Arc::from("s2"), 0);
    let built_sheet = built.modules.get("/src/style.css").unwrap();
    assert_eq!(
        sheet.stylesheet, built_sheet.stylesheet,
        "the text the build serves"
    );
    // The build serves another text for it (what a manifest of files cannot always show: an
    // `@import` that now finds another file): the page is stale.
    let mut other = built.clone();
    let mut module = (**other.modules.get("/src/style.css").unwrap()).clone();
    module.stylesheet = Some(Arc::from("p { color: blue; }\n"));
    other
        .modules
        .insert(Arc::from("/src/style.css"), Arc::new(module));
    assert_eq!(
        host.settle_last_page(&other),
        LastPageCheck::Stale {
            module: Some(Arc::from("/src/style.css"))
        }
    );
}
