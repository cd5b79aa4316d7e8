//! A multi-page app's other pages (`Project::pages`): nothing of one is compiled until a
//! browser opens it; then its entry scripts are lazy chunks (less what `index.html`'s chunk
//! has), its linked stylesheets modules of the graph, and it is served with the page's chunk
//! and an inline script naming its entries. Counted through salsa's executions.

use std::sync::Arc;

use crate::cache::CompileCache;
use crate::host::{EngineHost, PageOpen};
use crate::inputs::ProjectOptions;
use crate::telemetry::LastPageCheck;
use crate::testing::{Incremental, TempProject, id_set, plan_of, render_plan};
use hotloop_protocol::served::LazyChunkState;

const APP: &str = r#"
//- /index.html
<!doctype html><head><title>home</title></head>
<body><script type="module" src="/src/main.js"></script></body>
//- /about.html
<!doctype html><head><link rel="stylesheet" href="./about.css"></head>
<body><h1>%MODE%</h1><script type="module" src="/src/about.js"></script></body>
//- /nested/index.html
<!doctype html><body><script type="module" src="./nested.js"></script>
<script type="module" src="/src/missing.js"></script></body>
//- /about.css
h1 { color: red; }
//- /src/main.js
import { shared } from './shared.js';
console.log(shared);
//- /src/about.js
import { shared } from './shared.js';
import { onlyAbout } from './about-only.js';
console.log(shared, onlyAbout);
//- /src/shared.js
export const shared = 'shared';
//- /src/about-only.js
export const onlyAbout = 'about';
//- /nested/nested.js
export const nested = 'nested';
"#;

#[test]
fn a_page_is_compiled_when_opened_and_served_with_the_chunk_and_its_own_entries() {
    let mut p = Incremental::new(APP);
    p.host.build();
    assert_eq!(p.parsed(), id_set(&["/src/main.js", "/src/shared.js"]));
    assert!(p.served(1).pages.is_empty());

    assert_eq!(p.host.open_page("/about.html"), PageOpen::Added);
    assert_eq!(p.host.open_page("/about.html"), PageOpen::Known);
    let build = p.host.build();
    assert!(!build.html_changed, "a page opened reloads nothing");
    assert_eq!(
        p.parsed(),
        id_set(&["/src/about.js", "/src/about-only.js", "/about.css"]),
        "its entry's chunk (less what index.html's has) and its stylesheet, nothing else"
    );
    let served = p.served(1);
    let about = served.page("/about.html").expect("served").to_string();
    assert!(
        about.contains(
            "<meta name=\"hotloop-page-entries\" content=\"[&quot;/src/about.js&quot;]\">\
             <script defer src=\"/_hotloop/chunk.js\"></script>"
        ),
        "{about}"
    );
    assert!(
        about.contains("<script src=\"/_hotloop/runtime.js\">"),
        "{about}"
    );
    assert!(
        about.contains("<h1>development</h1>"),
        "%MODE% replaced: {about}"
    );
    assert!(
        about.contains("<link rel=\"stylesheet\" href=\"./about.css\">"),
        "{about}"
    );
    match served.lazy.get("/src/about.js") {
        LazyChunkState::Ready(chunk) => {
            let ids: Vec<&str> = chunk.parts.iter().map(|(id, _)| &**id).collect();
            assert_eq!(ids, ["/src/about-only.js", "/src/about.js"]);
        }
        other => panic!("not ready: {other:?}"),
    }
    let sheet = served.modules.get("/about.css").expect("the page's sheet");
    assert!(sheet.stylesheet.as_deref().unwrap().contains("color: red"));
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());

    // index.html is not another page; nor is a file that is not HTML or not there.
    assert_eq!(p.host.open_page("/index.html"), PageOpen::NotAPage);
    assert_eq!(p.host.open_page("/src/main.js"), PageOpen::NotAPage);
    assert_eq!(p.host.open_page("/gone.html"), PageOpen::NotAPage);
    // Created after the engine last looked (the watcher's event still on its way).
    p.project.write(
        "gone.html",
        "<script type=\"module\" src=\"/src/main.js\"></script>",
    );
    assert_eq!(p.host.open_page("/gone.html"), PageOpen::Added);
    p.host.build();
    assert!(p.served(1).page("/gone.html").is_some());
    assert_eq!(p.host.open_page("/../about.html"), PageOpen::NotAPage);
}

#[test]
fn a_nested_page_resolves_relative_entries_and_names_a_missing_one() {
    let mut p = Incremental::new(APP);
    p.host.build();
    p.parsed();
    assert_eq!(p.host.open_page("/nested/index.html"), PageOpen::Added);
    p.host.build();
    assert_eq!(p.parsed(), id_set(&["/nested/nested.js"]));
    let served = p.served(1);
    let page = served.page("/nested/index.html").expect("served");
    assert!(
        page.contains("content=\"[&quot;/nested/nested.js&quot;]\""),
        "{page}"
    );
    assert_eq!(
        p.diagnostics(),
        [
            "/nested/index.html:2:1: Cannot find /src/missing.js (entry script in /nested/index.html)"
        ]
    );
}

#[test]
fn editing_or_deleting_an_open_page_changes_the_html_and_an_unopened_one_changes_nothing() {
    let mut p = Incremental::new(APP);
    p.host.build();
    p.host.open_page("/about.html");
    p.host.build();
    p.project
        .write("nested/index.html", "<!doctype html><body>edited</body>");
    p.host.apply_changes(&[p.path("nested/index.html")]);
    assert!(!p.host.build().html_changed, "not open");

    p.project.write(
        "about.html",
        "<!doctype html><body><h2>new</h2><script type=\"module\" src=\"/src/about.js\"></script></body>",
    );
    p.host.apply_changes(&[p.path("about.html")]);
    let build = p.host.build();
    assert!(build.html_changed);
    assert_eq!(
        render_plan(build.graph(), &plan_of(&build)),
        "reload: about.html changed"
    );
    assert_eq!(
        build.reload_only_for,
        Some(vec![Arc::from("/src/about.js")]),
        "the tabs that loaded its entry reload, no other"
    );
    assert!(
        p.served(2)
            .page("/about.html")
            .unwrap()
            .contains("<h2>new</h2>")
    );

    // Deleted: no page any more (its tabs reload), and no error for the other pages.
    let gone = p.project.remove("about.html");
    p.host.apply_changes(&[gone]);
    let build = p.host.build();
    assert_eq!(build.changed_pages, [Arc::from("/about.html")]);
    assert_eq!(
        build.reload_only_for,
        Some(vec![Arc::from("/src/about.js")])
    );
    assert!(p.served(3).pages.is_empty());
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());

    // index.html: every tab.
    p.project.write(
        "index.html",
        "<body>home 2<script type=\"module\" src=\"/src/main.js\"></script></body>",
    );
    p.host.apply_changes(&[p.path("index.html")]);
    let build = p.host.build();
    assert_eq!(build.changed_pages, [Arc::from("/index.html")]);
    assert_eq!(build.reload_only_for, None);
}

#[test]
fn the_page_recorded_for_the_next_session_is_index_htmls_whatever_pages_were_open() {
    let cache = TempProject::empty();
    let mut first = Incremental::new(APP);
    first
        .host
        .use_compile_cache(CompileCache::open(cache.root()).expect("cache"));
    first.build();
    first.host.open_page("/about.html");
    first.host.build();
    let served = first.host.served(&Arc::from("s1"), 2);
    assert!(served.modules.get("/about.css").is_some());
    first.host.record_page(&served);

    // The next session has no page open but index.html: its page is current.
    let mut host = EngineHost::new(first.project.root(), ProjectOptions::default()).expect("host");
    host.use_compile_cache(CompileCache::open(cache.root()).expect("cache"));
    let building = host
        .last_session_page(&Arc::from("s2"))
        .expect("the last page");
    assert!(building.modules.get("/about.css").is_none());
    host.build();
    let built = host.served(&Arc::from("s2"), 0);
    assert_eq!(host.settle_last_page(&built), LastPageCheck::Current);
}

#[test]
fn an_app_without_index_html_has_no_error_once_another_page_is_open() {
    let mut p = Incremental::new(APP);
    let gone = p.project.remove("index.html");
    p.host.apply_changes(&[gone]);
    p.host.build();
    assert_eq!(p.diagnostics().len(), 1, "{:?}", p.diagnostics());
    assert!(p.diagnostics()[0].contains("There is no index.html"));
    p.host.open_page("/about.html");
    p.host.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert!(p.served(2).page("/about.html").is_some());
}

/// A template below the root (vite-plugin-html's `template: 'public/index.html'`, which its
/// history rewrite serves at `/`): a relative entry no file beside the template holds is the
/// root's (`src/main.js`, as the browser at `/` asks for it); one beside it stays the template
/// directory's.
#[test]
fn a_template_pages_relative_entry_is_the_roots_when_none_is_beside_it() {
    let mut p = Incremental::new(
        r#"
//- /public/index.html
<!doctype html><body><script type="module" src="src/main.js"></script></body>
//- /tpl/index.html
<!doctype html><body><script type="module" src="./local.js"></script></body>
//- /src/main.js
console.log('main');
//- /tpl/local.js
console.log('local');
//- /local.js
console.log('root local');
"#,
    );
    p.host.build();
    assert_eq!(p.host.open_page("/public/index.html"), PageOpen::Added);
    assert_eq!(p.host.open_page("/tpl/index.html"), PageOpen::Added);
    p.host.build();
    let served = p.served(1);
    let page = served
        .page("/public/index.html")
        .expect("served")
        .to_string();
    assert!(
        page.contains("content=\"[&quot;/src/main.js&quot;]\""),
        "{page}"
    );
    assert!(
        !page.contains("src=\"src/main.js\""),
        "the entry is out: {page}"
    );
    let tpl = served.page("/tpl/index.html").expect("served").to_string();
    assert!(
        tpl.contains("content=\"[&quot;/tpl/local.js&quot;]\""),
        "{tpl}"
    );
    assert!(
        p.diagnostics()
            .iter()
            .all(|d| d.contains("There is no index.html")),
        "{:?}",
        p.diagnostics()
    );
}
