//! Lazy chunks: the page's graph stops at `import()` (literal, and lazy `import.meta.glob`
//! entries), so starting compiles only what the entries reach statically, and a page's request
//! for a lazy chunk compiles that chunk's modules and nothing else. Counted through salsa's
//! executions.

use std::collections::BTreeSet;
use std::sync::Arc;

use expect_test::expect;

use crate::db::QueryEventKind;
use crate::host::LazyRequest;
use crate::telemetry::Phase;
use crate::testing::{Incremental, id_set};
use hotloop_protocol::served::{Chunk, LazyChunkState, Served};

const APP: &str = r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import { page } from './page.js';
export const routes = {
  a: () => import('./route-a.js'),
  b: () => import('./route-b.js'),
};
export const pages = import.meta.glob('./pages/*.js');
console.log(page);
//- /src/page.js
export const page = 'page';
//- /src/route-a.js
import { shared } from './shared.js';
import { onlyA } from './a-only.js';
import { page } from './page.js';
export const a = shared + onlyA + page;
export const nested = () => import('./nested.js');
import.meta.hot.accept();
//- /src/route-b.js
import { shared } from './shared.js';
import { onlyB } from './b-only.js';
export const b = shared + onlyB;
import.meta.hot.accept();
//- /src/shared.js
export const shared = 'shared';
//- /src/a-only.js
export const onlyA = 'a';
//- /src/b-only.js
export const onlyB = 'b';
//- /src/nested.js
export const nested = 'nested';
//- /src/pages/home.js
export const home = 'home';
"#;

/// The lazy chunk of `id` in `served`.
#[track_caller]
fn ready_chunk(served: &Served, id: &str) -> Arc<Chunk> {
    match served.lazy.get(id) {
        LazyChunkState::Ready(chunk) => chunk.clone(),
        other => panic!("the lazy chunk of {id} is not ready: {other:?}"),
    }
}

/// The text of the lazy chunk of `id` in `served`.
#[track_caller]
fn lazy_text(served: &Served, id: &str) -> String {
    String::from_utf8(ready_chunk(served, id).bytes().to_vec()).expect("utf-8")
}

/// The ids the lazy chunk of `id` defines, in order.
#[track_caller]
fn lazy_chunk(p: &mut Incremental, id: &str) -> Vec<String> {
    ready_chunk(&p.served(1), id)
        .parts
        .iter()
        .map(|(id, _)| id.to_string())
        .collect()
}

fn pending(p: &mut Incremental) -> BTreeSet<String> {
    p.served(1)
        .lazy
        .pending
        .iter()
        .map(|id| id.to_string())
        .collect()
}

#[test]
fn starting_compiles_only_the_static_closure_of_the_entries() {
    let mut p = Incremental::new(APP);
    p.host.build();
    assert_eq!(
        p.parsed(),
        id_set(&["/src/main.js", "/src/page.js", "/src/main.js?glob=0"])
    );
    assert_eq!(
        p.module_ids(),
        ["/src/main.js", "/src/page.js", "/src/main.js?glob=0"]
    );
    let chunk = p.chunk();
    assert!(!chunk.contains("define(\"/src/route-a.js\""), "{chunk}");
    assert!(
        chunk.contains("\"./route-a.js\":1"),
        "deps map names the target (joined to the importer's directory)"
    );
    assert_eq!(
        pending(&mut p),
        id_set(&["/src/route-a.js", "/src/route-b.js", "/src/pages/home.js"])
    );
}

/// A script of the project no `import()` names, asked for by its URL at run time (an
/// `import(url)` of a path only known then, a `<script type="module" src>` added by code):
/// a lazy target from then on, its chunk its static closure less the page's; a file that is
/// no script of the project is nothing to compile.
#[test]
fn a_script_asked_for_by_its_url_at_run_time_is_a_lazy_chunk() {
    let mut p = Incremental::new(APP);
    p.project.write(
        "src/late.js",
        "import { page } from './page.js';\nimport { onlyB } from './b-only.js';\nexport const late = page + onlyB;\n",
    );
    p.host.build();
    p.parsed();
    assert_eq!(p.host.request_lazy("/src/late.js"), LazyRequest::Added);
    p.host.build();
    assert_eq!(p.parsed(), id_set(&["/src/late.js", "/src/b-only.js"]));
    assert_eq!(
        lazy_chunk(&mut p, "/src/late.js"),
        ["/src/b-only.js", "/src/late.js"]
    );
    assert_eq!(p.host.request_lazy("/src/late.js"), LazyRequest::Ready);
    // The page's own module has no chunk of its own.
    for unknown in [
        "/src/page.js",
        "/src/missing.js",
        "/index.html",
        "/../outside.js",
        "/src/page.js?raw",
    ] {
        assert_eq!(
            p.host.request_lazy(unknown),
            LazyRequest::Unknown,
            "{unknown}"
        );
    }
}

#[test]
fn requesting_a_lazy_chunk_compiles_only_its_modules() {
    let mut p = Incremental::new(APP);
    p.host.build();
    p.parsed();
    assert_eq!(p.host.request_lazy("/src/route-a.js"), LazyRequest::Added);
    let build = p.host.build();
    assert_eq!(
        p.parsed(),
        id_set(&["/src/route-a.js", "/src/shared.js", "/src/a-only.js"])
    );
    // Only the new modules are reported: nothing for the planner to send.
    let changed: BTreeSet<String> = build
        .changed
        .iter()
        .map(|&i| build.graph().module(i).id.to_string())
        .collect();
    assert_eq!(
        changed,
        id_set(&["/src/route-a.js", "/src/shared.js", "/src/a-only.js"])
    );
    // The chunk: the target's static closure less the page's chunk (`page.js`).
    assert_eq!(
        lazy_chunk(&mut p, "/src/route-a.js"),
        ["/src/shared.js", "/src/a-only.js", "/src/route-a.js"]
    );
    assert!(
        !p.chunk().contains("define(\"/src/shared.js\""),
        "the page's chunk is unchanged"
    );
    assert_eq!(
        pending(&mut p),
        id_set(&["/src/route-b.js", "/src/pages/home.js", "/src/nested.js"]),
        "the route's own import() is a lazy target in turn"
    );
    assert_eq!(p.host.request_lazy("/src/route-a.js"), LazyRequest::Ready);

    // The second route shares `shared.js`: compiled once, defined in both chunks (the
    // runtime evaluates it once).
    assert_eq!(p.host.request_lazy("/src/route-b.js"), LazyRequest::Added);
    p.host.build();
    assert_eq!(p.parsed(), id_set(&["/src/route-b.js", "/src/b-only.js"]));
    assert_eq!(
        lazy_chunk(&mut p, "/src/route-b.js"),
        ["/src/shared.js", "/src/b-only.js", "/src/route-b.js"]
    );

    // Nested: the first route's own `import()`, and a lazy glob entry.
    assert_eq!(p.host.request_lazy("/src/nested.js"), LazyRequest::Added);
    assert_eq!(
        p.host.request_lazy("/src/pages/home.js"),
        LazyRequest::Added
    );
    p.host.build();
    assert_eq!(
        p.parsed(),
        id_set(&["/src/nested.js", "/src/pages/home.js"])
    );
    assert_eq!(lazy_chunk(&mut p, "/src/nested.js"), ["/src/nested.js"]);
    assert_eq!(
        lazy_chunk(&mut p, "/src/pages/home.js"),
        ["/src/pages/home.js"]
    );
    assert!(pending(&mut p).is_empty());

    assert_eq!(
        p.host.request_lazy("/src/page.js"),
        LazyRequest::Unknown,
        "in the page's chunk"
    );
    assert_eq!(p.host.request_lazy("/src/nope.js"), LazyRequest::Unknown);
}

/// A page of 30 modules and two routes behind `import()`, sharing a module with the page and
/// with each other.
const PAGE_AND_ROUTES: &str = r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import { page } from './p0.js';
import { icon } from './icon.js';
export const routes = { a: () => import('./route-a.js'), b: () => import('./route-b.js') };
console.log(page, icon);
//- /src/icon.js
export const icon = 'icon';
//- /src/route-a.js
import { icon } from './icon.js';
import { shared } from './shared.js';
import { a } from './a-1.js';
export const route = icon + shared + a;
export const nested = () => import('./nested.js');
//- /src/a-1.js
export const a = 1;
//- /src/route-b.js
import { shared } from './shared.js';
import { b } from './b-1.js';
export const route = shared + b;
//- /src/b-1.js
export const b = 1;
//- /src/shared.js
import { icon } from './icon.js';
export const shared = icon;
//- /src/nested.js
export const nested = 'nested';
"#;

fn page_and_routes() -> String {
    let mut fixture = PAGE_AND_ROUTES.to_owned();
    for i in 0..30 {
        let next = if i < 29 {
            format!("import {{ page as next }} from './p{}.js';\n", i + 1)
        } else {
            "const next = '';\n".to_owned()
        };
        fixture.push_str(&format!(
            "//- /src/p{i}.js\n{next}import {{ icon }} from './icon.js';\nexport const page = icon + next;\n"
        ));
    }
    fixture
}

#[test]
fn a_lazy_request_runs_only_the_queries_of_the_chunk_s_new_modules() {
    let mut p = Incremental::new(&page_and_routes());
    p.host.build();
    p.served(1);
    let page: BTreeSet<String> = p.module_ids().into_iter().collect();
    assert_eq!(page.len(), 32, "main, icon, p0..p29: {page:?}");
    p.host.take_query_runs();

    assert_eq!(p.host.request_lazy("/src/route-a.js"), LazyRequest::Added);
    p.host.build();
    p.served(1);
    let runs = p.host.take_query_runs();
    let executed: BTreeSet<String> = runs
        .iter()
        .filter(|run| run.kind == QueryEventKind::Executed)
        .map(|run| run.module.clone())
        .collect();
    assert_eq!(
        executed,
        id_set(&["/src/route-a.js", "/src/shared.js", "/src/a-1.js"]),
        "no whole-project query (`module_graph`, `chunk`) runs: {runs:?}"
    );
    // Nothing of the page's chunk is looked at, not even to validate it, but the exports of
    // what the new modules import (the route imports `icon.js`, which is the page's: its names
    // are checked against `icon.js`'s exports, read from its parse memo, validated, not run).
    let touched: Vec<_> = runs
        .iter()
        .filter(|run| page.contains(&run.module))
        .filter(|run| {
            !(run.module == "/src/icon.js"
                && run.kind == QueryEventKind::Reused
                && &*run.query == "parsed_module")
        })
        .collect();
    assert!(touched.is_empty(), "{touched:?}");
    assert_eq!(
        lazy_chunk(&mut p, "/src/route-a.js"),
        ["/src/shared.js", "/src/a-1.js", "/src/route-a.js"]
    );

    // The second route: only its own modules, not the first route's shared one.
    assert_eq!(p.host.request_lazy("/src/route-b.js"), LazyRequest::Added);
    p.host.build();
    p.served(1);
    let executed: BTreeSet<String> = p
        .host
        .take_query_runs()
        .into_iter()
        .filter(|run| run.kind == QueryEventKind::Executed)
        .map(|run| run.module)
        .collect();
    assert_eq!(executed, id_set(&["/src/route-b.js", "/src/b-1.js"]));
    assert_eq!(
        lazy_chunk(&mut p, "/src/route-b.js"),
        ["/src/shared.js", "/src/b-1.js", "/src/route-b.js"]
    );
    assert_eq!(pending(&mut p), id_set(&["/src/nested.js"]));
}

#[test]
fn a_graph_extended_by_lazy_requests_is_the_graph_a_full_walk_gives() {
    use crate::queries::chunks::chunk;
    use crate::queries::graph::module_graph;

    let mut p = Incremental::new(&page_and_routes());
    p.host.build();
    for target in ["/src/route-b.js", "/src/route-a.js", "/src/nested.js"] {
        assert_eq!(p.host.request_lazy(target), LazyRequest::Added);
        let extended = p.host.build();
        let (db, project) = (p.host.db(), p.host.project());
        assert_eq!(
            *extended.graph,
            *module_graph(db, project),
            "after {target}"
        );
        assert_eq!(
            *p.host.chunk_layout(),
            *chunk(db, project),
            "after {target}"
        );
    }
}

#[test]
fn an_edit_behind_an_import_no_page_asked_for_compiles_and_sends_nothing() {
    let mut p = Incremental::new(APP);
    p.build();
    p.check(
        &["//- /src/route-b.js\nexport const b = 'edited';\n"],
        expect![[r#"
            edit /src/route-b.js
              applied: files [/src/route-b.js]
              queries: none
              changed: nothing
              plan: nothing
        "#]],
    );
}

#[test]
fn an_edit_in_a_loaded_lazy_chunk_is_a_hot_update_through_the_import() {
    let mut p = Incremental::new(APP);
    p.build();
    p.host.request_lazy("/src/route-a.js");
    p.build();
    p.check(
        &["//- /src/a-only.js\nexport const onlyA = 'edited';\n"],
        expect![[r#"
            edit /src/a-only.js
              applied: files [/src/a-only.js]
              queries:
                chunk_entry: ran /src/a-only.js
                emitted_module: ran /src/a-only.js
                hot_meta: ran /src/a-only.js
                import_specifiers: reused /src/a-only.js
                module_deps: reused /src/a-only.js
                module_diagnostics: ran /src/a-only.js
                module_imports: ran /src/a-only.js
                parsed_module: ran /src/a-only.js
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/a-only.js
              changed: /src/a-only.js
              plan: hot send=[/src/a-only.js] invalidate=[/src/a-only.js, /src/route-a.js] boundaries=[/src/route-a.js self]
        "#]],
    );
    // The lazy chunk serves the new code to the pages that load it from now on.
    let text = lazy_text(&p.served(2), "/src/route-a.js");
    assert!(
        text.contains("'edited'") || text.contains("\"edited\""),
        "{text}"
    );
}

#[test]
fn an_edit_puts_its_statement_into_the_lazy_chunks_that_hold_it_and_shares_the_others() {
    let mut p = Incremental::new(APP);
    p.build();
    p.host.request_lazy("/src/route-a.js");
    p.host.request_lazy("/src/route-b.js");
    p.build();
    let mut prev = p.served(1);
    // Each edit, and the chunks that hold the edited module (a-only.js only route-a's).
    let edits: [(&str, &str, &[&str]); 2] = [
        (
            "src/a-only.js",
            "export const onlyA = 'edited a';\n",
            &["/src/route-a.js"],
        ),
        (
            "src/shared.js",
            "export const shared = 'edited shared';\n",
            &["/src/route-a.js", "/src/route-b.js"],
        ),
    ];
    for (revision, (path, text, holders)) in (2..).zip(edits) {
        p.project.write(path, text);
        p.host.apply_changes(&[p.path(path)]);
        p.build();
        let after = p.served(revision);
        for root in ["/src/route-a.js", "/src/route-b.js"] {
            assert_eq!(
                !Arc::ptr_eq(&ready_chunk(&prev, root), &ready_chunk(&after, root)),
                holders.contains(&root),
                "{root} is a new chunk after editing {path}"
            );
        }
        // What a build from scratch of the edited files serves, byte for byte.
        let mut fresh = Incremental::new(APP);
        for (path, text, _) in edits.iter().take(revision as usize - 1) {
            fresh.project.write(path, text);
        }
        fresh.build();
        fresh.host.request_lazy("/src/route-a.js");
        fresh.host.request_lazy("/src/route-b.js");
        fresh.build();
        let scratch = fresh.served(revision);
        for root in ["/src/route-a.js", "/src/route-b.js"] {
            assert_eq!(lazy_text(&after, root), lazy_text(&scratch, root), "{root}");
        }
        prev = after;
    }
    assert!(lazy_text(&p.served(4), "/src/route-b.js").contains("edited shared"));
    assert!(!lazy_text(&p.served(4), "/src/route-b.js").contains("edited a"));
}

#[test]
fn a_lazy_route_that_compiles_for_the_first_time_updates_its_importer() {
    let mut p = Incremental::new(
        r#"
//- /index.html
<script type="module" src="/src/router.js"></script>
//- /src/router.js
export const load = () => import('./route.js');
import.meta.hot.accept();
//- /src/route.js
export const route = ;
import.meta.hot.accept();
"#,
    );
    p.build();
    assert_eq!(p.host.request_lazy("/src/route.js"), LazyRequest::Added);
    p.build();
    assert_eq!(p.diagnostics().len(), 1, "{:?}", p.diagnostics());
    // No page ever ran the route: its own accept takes nothing, the importer loads it again.
    p.check(
        &["//- /src/route.js\nexport const route = 1;\nimport.meta.hot.accept();\n"],
        expect![[r#"
            edit /src/route.js
              applied: files [/src/route.js]
              queries:
                chunk: ran project
                chunk_entry: ran /src/route.js; reused /src/router.js
                emitted_module: ran /src/route.js; reused /src/router.js
                entry_html: reused project
                file_exists: reused /src/router.js
                hot_meta: ran /src/route.js; reused /src/router.js
                html_entries: reused project
                import_specifiers: reused /src/route.js /src/router.js
                index_text: reused project
                module_deps: reused /src/route.js /src/router.js
                module_diagnostics: ran /src/route.js; reused /src/router.js
                module_graph: ran project
                module_imports: ran /src/route.js; reused /src/router.js
                parsed_module: ran /src/route.js; reused /src/router.js
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: reused /src/route.js /src/router.js
              changed: /src/route.js
              graph:
                /src/router.js: self -> /src/route.js
                /src/route.js: self, unloaded
              diagnostics: none
              plan: hot send=[/src/route.js] invalidate=[/src/route.js, /src/router.js] boundaries=[/src/router.js self]
        "#]],
    );
}

#[test]
fn an_edit_to_a_lazy_chunk_no_open_page_loaded_is_held_back_until_one_does() {
    use crate::update::{Cause, prepare};
    use rustc_hash::FxHashSet;

    let mut p = Incremental::new(APP);
    p.build();
    p.host.request_lazy("/src/route-a.js");
    p.host.request_lazy("/src/route-b.js");
    p.build();
    p.host.set_open_chunks(FxHashSet::default());

    // `shared.js` is in both routes' chunks, `a-only.js` in the first's: no page loaded either.
    p.project
        .write("src/shared.js", "export const shared = 'shared v2';\n");
    p.project
        .write("src/a-only.js", "export const onlyA = 'a v2';\n");
    p.host
        .apply_changes(&[p.path("src/shared.js"), p.path("src/a-only.js")]);
    let update = prepare(&mut p.host, Cause::Edit { files: &[] }, 1);
    assert!(
        update.frame.is_none(),
        "no open page has them: nothing is sent"
    );
    assert_eq!(
        update.held_back,
        [Arc::from("/src/shared.js"), Arc::from("/src/a-only.js")]
    );

    // A page loaded route b: an edit to what the two routes share is one update.
    p.host
        .set_open_chunks([Arc::from("/src/route-b.js")].into_iter().collect());
    p.project
        .write("src/shared.js", "export const shared = 'shared v3';\n");
    p.project
        .write("src/a-only.js", "export const onlyA = 'a v3';\n");
    p.host
        .apply_changes(&[p.path("src/shared.js"), p.path("src/a-only.js")]);
    let update = prepare(&mut p.host, Cause::Edit { files: &[] }, 1);
    assert_eq!(update.held_back, [Arc::from("/src/a-only.js")]);
    assert_eq!(
        update.lazy_edited,
        [Arc::from("/src/shared.js"), Arc::from("/src/a-only.js")]
    );
    assert_eq!(
        update.for_chunks,
        Some(vec![Arc::from("/src/route-b.js")]),
        "only the pages that loaded route b need it"
    );
    let (revision, frame) = update.frame.expect("an update for the loaded route");
    assert_eq!(revision, 2);
    let hotloop_protocol::ServerMessage::Update(hot) =
        hotloop_protocol::wire::decode_server(&frame).expect("decodes")
    else {
        panic!("not an update");
    };
    let sent: Vec<&str> = hot.modules.iter().map(|m| &*m.id).collect();
    assert_eq!(sent, ["/src/shared.js"]);

    // A page that loaded route a's chunk before those edits gets them sent.
    let update = prepare(
        &mut p.host,
        Cause::Resend {
            modules: &[Arc::from("/src/a-only.js")],
        },
        2,
    );
    let (_, frame) = update.frame.expect("the held-back module, sent");
    let hotloop_protocol::ServerMessage::Update(hot) =
        hotloop_protocol::wire::decode_server(&frame).expect("decodes")
    else {
        panic!("not an update");
    };
    let sent: Vec<&str> = hot.modules.iter().map(|m| &*m.id).collect();
    assert_eq!(sent, ["/src/a-only.js"]);
    assert!(hot.modules[0].code.contains("a v3"));
}

/// Runs the background warm-up of every lazy chunk not compiled yet to its end, and tells the
/// host it finished (as the dev loop does when it hears so).
fn warm_up_to_the_end(p: &mut Incremental) {
    let targets = p.host.pending_lazy_targets();
    let (done_tx, done) = crossbeam_channel::unbounded();
    let thread = p
        .host
        .warm_up_lazy_chunks(&targets, done_tx)
        .expect("thread");
    assert_eq!(
        done.recv_timeout(std::time::Duration::from_secs(30)),
        Ok(true)
    );
    thread.join().expect("joined");
    p.host.lazy_warm_up_finished();
}

/// The first routes a user is likely to visit are the first a router lists: the warm-up
/// compiles the chunks in the order the page imports them, each one's modules before the next.
#[test]
fn the_background_warm_up_compiles_the_chunks_in_the_order_the_page_imports_them() {
    let mut p = Incremental::new(APP);
    p.host.build();
    p.parsed();
    warm_up_to_the_end(&mut p);
    let order = p.parsed_in_order();
    let at = |id: &str| {
        order
            .iter()
            .position(|m| m == id)
            .unwrap_or_else(|| panic!("{id} compiled: {order:?}"))
    };
    assert!(at("/src/route-a.js") < at("/src/route-b.js"), "{order:?}");
    assert!(at("/src/a-only.js") < at("/src/route-b.js"), "{order:?}");
    assert!(at("/src/b-only.js") < at("/src/pages/home.js"), "{order:?}");
}

#[test]
fn the_background_warm_up_compiles_every_lazy_chunk_so_a_request_compiles_nothing() {
    let mut p = Incremental::new(APP);
    p.host.build();
    p.parsed();
    warm_up_to_the_end(&mut p);
    assert_eq!(
        p.parsed(),
        id_set(&[
            "/src/route-a.js",
            "/src/route-b.js",
            "/src/shared.js",
            "/src/a-only.js",
            "/src/b-only.js",
            "/src/nested.js",
            "/src/pages/home.js",
        ])
    );
    assert_eq!(p.host.request_lazy("/src/route-a.js"), LazyRequest::Added);
    let build = p.host.build();
    assert_eq!(
        build.phases.get(Phase::Lazy),
        None,
        "no pre-pass on all cores for what the warm-up compiled"
    );
    // Compiled already, and not even validated again through what those compiles read (the
    // queries below the ones the build asks for): the request moved only inputs below the
    // files' durability (`files::durability_for`), so the memos are valid as they are.
    let runs = p.host.take_query_runs();
    assert!(runs.iter().all(|run| run.kind == QueryEventKind::Reused));
    let below: Vec<_> = runs
        .iter()
        .filter(|run| {
            ["module_imports", "import_specifiers", "emitted_module"].contains(&&*run.query)
        })
        .collect();
    assert!(below.is_empty(), "{below:?}");
    assert_eq!(
        lazy_chunk(&mut p, "/src/route-a.js"),
        ["/src/shared.js", "/src/a-only.js", "/src/route-a.js"]
    );
}

/// What the warm-up compiled is trusted only while no file changed since it started: after an
/// edit, a request compiles on all cores first again, and serves the edit.
#[test]
fn a_request_after_an_edit_compiles_its_chunk_on_all_cores_again() {
    let mut p = Incremental::new(APP);
    p.host.build();
    warm_up_to_the_end(&mut p);
    let edited = p
        .project
        .write("/src/b-only.js", "export const onlyB = 'b v2';\n");
    p.host.apply_changes(&[edited]);
    p.host.build();
    assert_eq!(p.host.request_lazy("/src/route-b.js"), LazyRequest::Added);
    let build = p.host.build();
    assert!(
        build.phases.get(Phase::Lazy).is_some(),
        "{:?}",
        build.phases
    );
    assert!(lazy_text(&p.served(1), "/src/route-b.js").contains("b v2"));
}

#[test]
fn an_edit_cancels_the_background_warm_up_without_waiting_for_it() {
    // Enough lazy modules that the warm-up is still running when the edit comes.
    let mut fixture = String::from(
        "//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n//- /src/main.js\nexport const load = () => import('./lazy/m0.js');\n",
    );
    for i in 0..400 {
        fixture.push_str(&format!(
            "//- /src/lazy/m{i}.js\nimport './m{}.js';\nexport function f{i}(a, b) {{ return [a, b].map((x) => x * {i}); }}\n",
            i + 1
        ));
    }
    fixture.push_str("//- /src/lazy/m400.js\nexport {};\n");
    let mut p = Incremental::new(&fixture);
    p.build();
    let (done_tx, done) = crossbeam_channel::unbounded();
    let targets = p.host.pending_lazy_targets();
    let thread = p
        .host
        .warm_up_lazy_chunks(&targets, done_tx)
        .expect("thread");
    // The setter cancels the warm-up and returns once its handle is dropped.
    p.project.write(
        "src/main.js",
        "export const load = () => import('./lazy/m0.js');\nconsole.log(1);\n",
    );
    p.host.apply_changes(&[p.path("src/main.js")]);
    let build = p.host.build();
    let changed: Vec<&str> = build
        .changed
        .iter()
        .map(|&i| &*build.graph().module(i).id)
        .collect();
    assert_eq!(changed, ["/src/main.js"]);
    let finished = done
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("reported");
    thread.join().expect("joined");
    // Cancelled (the usual case) or done before the edit: either way the edit went through.
    if !finished {
        assert_eq!(p.host.request_lazy("/src/lazy/m0.js"), LazyRequest::Added);
        p.host.build();
        assert_eq!(lazy_chunk(&mut p, "/src/lazy/m0.js").len(), 401);
    }
}

#[test]
fn a_lazy_chunk_from_a_linked_package_adds_its_directory_to_the_watched_source_dirs() {
    let project = crate::testing::TempProject::new(
        r#"
//- /app/index.html
<script type="module" src="/src/main.js"></script>
//- /app/src/main.js
export const route = () => import('../../pkg/src/route.js');
//- /pkg/package.json
{ "name": "pkg" }
//- /pkg/src/route.js
export const route = 'route';
"#,
    );
    let mut host = crate::host::EngineHost::new(
        &project.path("app"),
        crate::inputs::ProjectOptions::default(),
    )
    .expect("host");
    host.build();
    assert!(host.source_dirs_outside_root().is_empty());
    let served = host.served(&Arc::from("test-server"), 1);
    let target = served
        .lazy
        .pending
        .iter()
        .next()
        .expect("a pending target")
        .clone();
    assert_eq!(host.request_lazy(&target), LazyRequest::Added);
    host.build();
    assert_eq!(&host.source_dirs_outside_root()[..], [project.path("pkg")]);
}
