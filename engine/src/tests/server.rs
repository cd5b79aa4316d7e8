//! The server graph (server-side HMR) beside the page's, in one database: Node's resolution
//! and externals, one parse for a module both reach, an update planned per environment.

use std::sync::Arc;

use crate::db::{Db as _, QueryEventKind};
use crate::graph::ModuleGraph;
use crate::inputs::ProjectOptions;
use crate::server_update::{ServerAction, prepare_server};
use crate::testing::{Incremental, TempProject};
use crate::update::{Cause, prepare};
use crate::{EngineHost, UpdateOutcome};
use hotloop_protocol::wire::{ServerMessage, decode_server};

const PROJECT: &str = r#"
//- /index.html
<script type="module" src="/src/client.tsx"></script>
//- /src/client.tsx
import { App } from './App';
import dual from 'dual';
console.log(App, dual);
//- /src/server.ts
import { readFileSync } from 'node:fs';
import path from 'path';
import dual from 'dual';
import { App } from './App';
import { count } from './api';
export default { fetch: () => new Response(String(App) + dual + count + readFileSync + path) };
//- /src/App.tsx
export function App() {
  return <p>hello</p>;
}
//- /src/api.ts
export const count = 1;
//- /node_modules/dual/package.json
{ "name": "dual", "exports": { "node": "./node.js", "browser": "./browser.js", "default": "./browser.js" } }
//- /node_modules/dual/node.js
module.exports = 'node';
//- /node_modules/dual/browser.js
export default 'browser';
//- /node_modules/react/package.json
{ "name": "react", "main": "index.js" }
//- /node_modules/react/index.js
module.exports = {};
//- /node_modules/react/jsx-dev-runtime.js
exports.jsxDEV = function () {};
"#;

fn project() -> (TempProject, EngineHost) {
    let files = TempProject::new(PROJECT);
    let root = std::fs::canonicalize(files.root()).expect("root");
    let options = ProjectOptions {
        server_entry: Some(root.join("src/server.ts")),
        ..ProjectOptions::default()
    };
    let host = EngineHost::new(&root, options).expect("host");
    (files, host)
}

fn ids(graph: &ModuleGraph) -> Vec<String> {
    graph.modules.iter().map(|m| m.id.to_string()).collect()
}

#[test]
fn the_server_graph_resolves_as_node_does_and_leaves_packages_to_node() {
    let mut p = Incremental::with_options(PROJECT, ProjectOptions::default());
    p.build();
    // The page's graph: the browser's export of `dual`, bundled.
    let page = p.module_ids();
    assert!(
        page.contains(&"/node_modules/dual/browser.js".to_string()),
        "{page:?}"
    );
    assert!(!page.iter().any(|id| id.contains("server")), "{page:?}");

    let (files, mut host) = project();
    host.record_queries(true);
    host.build();
    let server = host.build_server().expect("a server entry");
    let runs = host.take_query_runs();
    assert_eq!(
        ids(server.graph()),
        ["/src/server.ts", "/src/App.tsx", "/src/api.ts"]
    );
    let root = std::fs::canonicalize(files.root()).unwrap();
    assert_eq!(
        server.graph.externals,
        [
            Arc::from("node:fs"),
            Arc::from("node:path"),
            Arc::from(format!("file://{}/node_modules/dual/node.js", root.display()).as_str()),
            Arc::from(
                format!(
                    "file://{}/node_modules/react/jsx-dev-runtime.js",
                    root.display()
                )
                .as_str()
            ),
        ]
    );
    assert!(server.diagnostics.is_empty(), "{:?}", server.diagnostics);
    // `App.tsx` is in both graphs and parsed once.
    let parsed_app = runs
        .iter()
        .filter(|r| {
            r.kind == QueryEventKind::Executed
                && &*r.query == "parsed_module"
                && r.module == "/src/App.tsx"
        })
        .count();
    assert_eq!(parsed_app, 1, "{runs:#?}");

    let chunk = host.server_chunk(1, "test").expect("chunk");
    assert!(chunk.contains("await import(\"node:fs\")"), "{chunk}");
    assert!(
        chunk.contains(r#"{"node:fs":"node:fs","path":"node:path","dual":"file://"#),
        "{chunk}"
    );
    // The start call, then the modules' map for Node's stacks (`host/node_maps.rs`).
    let (code, map) = chunk
        .rsplit_once("//# sourceMappingURL=data:application/json;base64,")
        .expect("the chunk ends in its map");
    assert!(
        code.ends_with(
            "__hotloop.start([\"/src/server.ts\"], {\"server\":true,\"revision\":1,\"serverId\":\"test\"});\n"
        ),
        "{chunk}"
    );
    assert!(
        map.ends_with('\n') && !map.trim_end().contains('\n'),
        "{map}"
    );
}

#[test]
fn an_edit_to_a_shared_component_updates_both_and_the_server_re_evaluates_its_entry() {
    let (files, mut host) = project();
    host.build();
    let first = prepare_server(&mut host, None, &[], None, 0).expect("server");
    assert!(matches!(first.action, ServerAction::Restart(1)));

    files.write(
        "src/App.tsx",
        "export function App() {\n  return <p>hello again</p>;\n}\n",
    );
    host.apply_changes(&[files.path("src/App.tsx")]);
    let edited = ["src/App.tsx".to_string()];
    let page = prepare(&mut host, Cause::Edit { files: &edited }, 1);
    // The page: React Refresh takes it in place.
    assert!(
        matches!(&page.outcome, UpdateOutcome::Hot { boundaries, .. } if boundaries == &["/src/App.tsx"]),
        "{:?}",
        page.outcome
    );
    let server = prepare_server(&mut host, Some(&first.build), &edited, None, 1).expect("server");
    // The server: nothing re-renders there, so the entry takes it (re-evaluated in place).
    let ServerAction::Hot(2, frame) = &server.action else {
        panic!("{:?}", server.action);
    };
    let ServerMessage::Update(update) = decode_server(frame).expect("decodes") else {
        panic!("not an update");
    };
    let sent: Vec<&str> = update.modules.iter().map(|m| &*m.id).collect();
    assert_eq!(sent, ["/src/App.tsx"]);
    assert_eq!(update.boundaries, [(Arc::from("/src/server.ts"), None)]);
    assert_eq!(
        update.invalidate,
        [Arc::from("/src/App.tsx"), Arc::from("/src/server.ts")]
    );

    // A server-only module: the page gets nothing.
    files.write("src/api.ts", "export const count = 2;\nimport 'node:os';\n");
    host.apply_changes(&[files.path("src/api.ts")]);
    let edited = ["src/api.ts".to_string()];
    let page = prepare(&mut host, Cause::Edit { files: &edited }, 2);
    assert!(page.frame.is_none(), "{:?}", page.outcome);
    let next = prepare_server(&mut host, Some(&server.build), &edited, None, 2).expect("server");
    let ServerAction::Hot(3, frame) = &next.action else {
        panic!("{:?}", next.action);
    };
    let ServerMessage::Update(update) = decode_server(frame).expect("decodes") else {
        panic!("not an update");
    };
    // The newly used built-in travels with the module that needs it.
    let sent: Vec<&str> = update.modules.iter().map(|m| &*m.id).collect();
    assert_eq!(sent, ["node:os", "/src/api.ts"]);
}

#[test]
fn a_body_edit_looks_only_at_the_edited_server_module() {
    let (files, mut host) = project();
    host.build();
    let first = prepare_server(&mut host, None, &[], None, 0).expect("server");

    files.write("src/api.ts", "export const count = 2;\n");
    host.apply_changes(&[files.path("src/api.ts")]);
    let edited = ["src/api.ts".to_string()];
    prepare(&mut host, Cause::Edit { files: &edited }, 1);
    host.record_queries(true);
    let server = prepare_server(&mut host, Some(&first.build), &edited, None, 1).expect("server");
    let runs = host.take_query_runs();
    let ServerAction::Hot(2, frame) = &server.action else {
        panic!("{:?}", server.action);
    };
    let ServerMessage::Update(update) = decode_server(frame).expect("decodes") else {
        panic!("not an update");
    };
    let sent: Vec<&str> = update.modules.iter().map(|m| &*m.id).collect();
    assert_eq!(sent, ["/src/api.ts"]);
    assert!(!server.build.graph_changed);
    assert!(
        Arc::ptr_eq(&server.build.graph, &first.build.graph),
        "the graph is kept"
    );
    // Neither the graph nor any other module's server queries were looked at (not even
    // validated): the cost of the edit does not grow with the server graph.
    let elsewhere: Vec<_> = runs
        .iter()
        .filter(|r| {
            &*r.query == "server_graph"
                || (r.query.starts_with("server_") && r.module != "/src/api.ts")
        })
        .collect();
    assert!(elsewhere.is_empty(), "{elsewhere:#?}");
    assert!(
        runs.iter().any(|r| r.kind == QueryEventKind::Executed
            && &*r.query == "server_chunk_entry"
            && r.module == "/src/api.ts"),
        "{runs:#?}"
    );
    let chunk = host.server_chunk(2, "test").expect("chunk");
    assert!(chunk.contains("count=2"), "{chunk}");

    // A new import is structural: the graph is demanded again.
    files.write("src/api.ts", "export const count = 3;\nimport 'node:os';\n");
    host.apply_changes(&[files.path("src/api.ts")]);
    prepare(&mut host, Cause::Edit { files: &edited }, 2);
    let next = prepare_server(&mut host, Some(&server.build), &edited, None, 2).expect("server");
    assert!(next.build.graph.externals.contains(&Arc::from("node:os")));
}

/// Plugins that compile `*.vue` files (a line of text) for each environment, as
/// `@vitejs/plugin-vue` compiles a `.vue` file to a render function for the page and to a
/// string renderer for the server (`{ ssr: true }`); `virtual:where` is a virtual module whose
/// `load` says which environment asked. Counts calls per environment.
#[derive(Default)]
struct EnvPlugins {
    calls: std::sync::Mutex<Vec<(hotloop_protocol::plugin::PluginEnv, String, String)>>,
}

impl EnvPlugins {
    fn calls(&self, env: hotloop_protocol::plugin::PluginEnv, hook: &str) -> Vec<String> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(e, h, _)| *e == env && h == hook)
            .map(|(_, _, id)| id.rsplit('/').next().unwrap_or(id).to_string())
            .collect()
    }
}

impl hotloop_protocol::plugin::Plugins for EnvPlugins {
    fn fingerprint(&self) -> u64 {
        3
    }
    fn wants_resolve(&self, specifier: &str) -> bool {
        specifier == "virtual:where"
    }
    fn resolve_id(
        &self,
        _: &str,
        _: Option<&str>,
    ) -> Result<Option<hotloop_protocol::plugin::Resolved>, hotloop_protocol::plugin::PluginError>
    {
        panic!("the engine asks per environment (resolve_id_in)");
    }
    fn resolve_id_in(
        &self,
        env: hotloop_protocol::plugin::PluginEnv,
        specifier: &str,
        _: Option<&str>,
    ) -> Result<Option<hotloop_protocol::plugin::Resolved>, hotloop_protocol::plugin::PluginError>
    {
        let calls = &mut self.calls.lock().unwrap();
        calls.push((env, "resolveId".into(), specifier.into()));
        Ok(Some(hotloop_protocol::plugin::Resolved {
            id: "\0virtual:where".into(),
            external: false,
        }))
    }
    fn wants_load(&self, id: &str) -> bool {
        id == "\0virtual:where"
    }
    fn load(
        &self,
        _: &str,
    ) -> Result<Option<hotloop_protocol::plugin::Output>, hotloop_protocol::plugin::PluginError>
    {
        panic!("the engine asks per environment (load_in)");
    }
    fn load_in(
        &self,
        env: hotloop_protocol::plugin::PluginEnv,
        id: &str,
    ) -> Result<Option<hotloop_protocol::plugin::Output>, hotloop_protocol::plugin::PluginError>
    {
        self.calls
            .lock()
            .unwrap()
            .push((env, "load".into(), id.into()));
        Ok(Some(hotloop_protocol::plugin::Output {
            code: format!("export default '{env:?} module';\n"),
            ..Default::default()
        }))
    }
    fn wants_transform(&self, id: &str, _: &str) -> bool {
        id.ends_with(".vue")
    }
    fn transform(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<hotloop_protocol::plugin::Output>, hotloop_protocol::plugin::PluginError>
    {
        panic!("the engine asks per environment (transform_in)");
    }
    fn transform_in(
        &self,
        env: hotloop_protocol::plugin::PluginEnv,
        id: &str,
        code: &str,
    ) -> Result<Option<hotloop_protocol::plugin::Output>, hotloop_protocol::plugin::PluginError>
    {
        self.calls
            .lock()
            .unwrap()
            .push((env, "transform".into(), id.into()));
        let render = match env {
            hotloop_protocol::plugin::PluginEnv::Client => "dom render",
            hotloop_protocol::plugin::PluginEnv::Ssr => "string render",
        };
        Ok(Some(hotloop_protocol::plugin::Output {
            code: format!(
                "export default {:?};\n",
                format!("{render}: {}", code.trim())
            ),
            ..Default::default()
        }))
    }
    fn hot_update(
        &self,
        _: &str,
        _: &[String],
        _: &[String],
        _text: Option<&str>,
    ) -> Result<Option<Vec<String>>, hotloop_protocol::plugin::PluginError> {
        Ok(None)
    }
}

#[test]
fn plugins_compile_the_servers_modules_as_their_ssr_variant_memoized_apart() {
    use hotloop_protocol::plugin::PluginEnv::{Client, Ssr};
    let files = TempProject::new(
        r#"
//- /index.html
<script type="module" src="/src/client.ts"></script>
//- /src/client.ts
import card from './hello.vue';
import where from 'virtual:where';
import { shared } from './shared';
console.log(card, where, shared);
//- /src/server.ts
import card from './hello.vue';
import where from 'virtual:where';
import { shared } from './shared';
export default { fetch: () => new Response(card + where + shared) };
//- /src/shared.ts
export const shared = 'plain';
//- /src/hello.vue
Hello
"#,
    );
    let root = std::fs::canonicalize(files.root()).expect("root");
    let options = ProjectOptions {
        server_entry: Some(root.join("src/server.ts")),
        ..ProjectOptions::default()
    };
    let mut host = EngineHost::new(&root, options).expect("host");
    let plugins = Arc::new(EnvPlugins::default());
    host.use_plugins(plugins.clone());
    host.build();
    host.record_queries(true);
    let first = prepare_server(&mut host, None, &[], None, 0).expect("server");
    let runs = host.take_query_runs();
    assert!(
        first.build.diagnostics.is_empty(),
        "{:?}",
        first.build.diagnostics
    );
    let page = String::from_utf8(host.served(&"t".into(), 0).chunk.bytes().to_vec()).unwrap();
    let server = host.server_chunk(1, "t").expect("chunk");
    assert!(
        page.contains("dom render: Hello") && page.contains("Client module"),
        "{page}"
    );
    assert!(!page.contains("string render"), "{page}");
    assert!(
        server.contains("string render: Hello") && server.contains("Ssr module"),
        "{server}"
    );
    assert!(!server.contains("dom render"), "{server}");
    assert_eq!(plugins.calls(Client, "transform"), ["hello.vue"]);
    assert_eq!(plugins.calls(Ssr, "transform"), ["hello.vue"]);
    assert_eq!(plugins.calls(Ssr, "resolveId"), ["virtual:where"]);
    assert_eq!(plugins.calls(Ssr, "load").len(), 1);
    // A module no plugin touches is compiled once for both graphs: the server's compile is
    // the page's own (made by the page's build).
    let shared_parses = runs
        .iter()
        .filter(|r| {
            r.kind == QueryEventKind::Executed
                && &*r.query == "parsed_module"
                && r.module == "/src/shared.ts"
        })
        .count();
    assert_eq!(
        shared_parses, 0,
        "the page's parse serves the server: {runs:#?}"
    );
    let shared = host
        .db()
        .files()
        .get(&root.join("src/shared.ts"))
        .expect("an input");
    assert!(Arc::ptr_eq(
        &crate::queries::parsed::server_parsed_module(host.db(), shared),
        &crate::queries::parsed::parsed_module(host.db(), shared)
    ));

    // An edit re-runs each environment's transform once, and the server's update carries the
    // ssr variant.
    files.write("src/hello.vue", "Hello again\n");
    host.apply_changes(&[files.path("src/hello.vue")]);
    let edited = ["src/hello.vue".to_string()];
    let page = prepare(&mut host, Cause::Edit { files: &edited }, 1);
    assert!(page.frame.is_some(), "{:?}", page.outcome);
    let next = prepare_server(&mut host, Some(&first.build), &edited, None, 1).expect("server");
    let ServerAction::Hot(2, frame) = &next.action else {
        panic!("{:?}", next.action);
    };
    let ServerMessage::Update(update) = decode_server(frame).expect("decodes") else {
        panic!("not an update");
    };
    let card = update
        .modules
        .iter()
        .find(|m| &*m.id == "/src/hello.vue")
        .expect("the card is sent");
    assert!(
        card.code.contains("string render: Hello again"),
        "{}",
        card.code
    );
    assert_eq!(plugins.calls(Client, "transform").len(), 2);
    assert_eq!(plugins.calls(Ssr, "transform").len(), 2);
}

#[test]
fn a_restart_reuses_the_compile_cache_for_server_only_modules_too() {
    use crate::CompileCache;
    let cache_dir = TempProject::empty();
    let (files, mut first) = project();
    first.use_compile_cache(CompileCache::open(cache_dir.root()).expect("cache"));
    first.build();
    prepare_server(&mut first, None, &[], None, 0).expect("server");
    let written = first.db().compile_cache().stats().misses;
    drop(first);
    let stored = crate::cache::stored_entries(cache_dir.root());
    assert!(
        stored >= written as usize,
        "{stored} entries for {written} scripts"
    );

    let root = std::fs::canonicalize(files.root()).expect("root");
    let options = ProjectOptions {
        server_entry: Some(root.join("src/server.ts")),
        ..ProjectOptions::default()
    };
    let mut second = EngineHost::new(&root, options).expect("host");
    second.use_compile_cache(CompileCache::open(cache_dir.root()).expect("cache"));
    second.build();
    // The page's cold build alone must not prune what only the server graph uses
    // (`src/server.ts`, `src/api.ts`): flushing waits for any prune it sent.
    second.db().compile_cache().flush();
    assert_eq!(
        crate::cache::stored_entries(cache_dir.root()),
        stored,
        "nothing pruned yet"
    );
    prepare_server(&mut second, None, &[], None, 0).expect("server");
    let stats = second.db().compile_cache().stats();
    assert_eq!(
        (stats.hits, stats.misses),
        (written, 0),
        "every script from the cache"
    );
}

/// Plugins as `applyToEnvironment` splits them: one applied to the `ssr` environment only
/// (it rewrites `ssr-only.ts`), one to the `client` only (it rewrites `client-only.ts`).
/// Answers the engine's per-environment questions only.
#[derive(Default)]
struct SplitPlugins {
    calls: std::sync::Mutex<Vec<(hotloop_protocol::plugin::PluginEnv, String)>>,
}

impl SplitPlugins {
    fn applies(env: hotloop_protocol::plugin::PluginEnv, id: &str) -> bool {
        use hotloop_protocol::plugin::PluginEnv::{Client, Ssr};
        match env {
            Ssr => id.ends_with("/ssr-only.ts"),
            Client => id.ends_with("/client-only.ts"),
        }
    }
}

impl hotloop_protocol::plugin::Plugins for SplitPlugins {
    fn fingerprint(&self) -> u64 {
        4
    }
    fn wants_resolve(&self, _: &str) -> bool {
        false
    }
    fn resolve_id(
        &self,
        _: &str,
        _: Option<&str>,
    ) -> Result<Option<hotloop_protocol::plugin::Resolved>, hotloop_protocol::plugin::PluginError>
    {
        Ok(None)
    }
    fn wants_load(&self, _: &str) -> bool {
        false
    }
    fn load(
        &self,
        _: &str,
    ) -> Result<Option<hotloop_protocol::plugin::Output>, hotloop_protocol::plugin::PluginError>
    {
        Ok(None)
    }
    fn wants_transform(&self, _: &str, _: &str) -> bool {
        panic!("the engine asks per environment (wants_transform_in)");
    }
    fn wants_transform_in(
        &self,
        env: hotloop_protocol::plugin::PluginEnv,
        id: &str,
        _: &str,
    ) -> bool {
        Self::applies(env, id)
    }
    fn transform(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<hotloop_protocol::plugin::Output>, hotloop_protocol::plugin::PluginError>
    {
        panic!("the engine asks per environment (transform_in)");
    }
    fn transform_in(
        &self,
        env: hotloop_protocol::plugin::PluginEnv,
        id: &str,
        _: &str,
    ) -> Result<Option<hotloop_protocol::plugin::Output>, hotloop_protocol::plugin::PluginError>
    {
        assert!(
            Self::applies(env, id),
            "{env:?} {id}: not this environment's plugin"
        );
        let name = id.rsplit('/').next().unwrap_or(id).to_string();
        self.calls.lock().unwrap().push((env, name));
        Ok(Some(hotloop_protocol::plugin::Output {
            code: format!("export const text = 'rewritten for {env:?}';\n"),
            ..Default::default()
        }))
    }
    fn hot_update(
        &self,
        _: &str,
        _: &[String],
        _: &[String],
        _text: Option<&str>,
    ) -> Result<Option<Vec<String>>, hotloop_protocol::plugin::PluginError> {
        Ok(None)
    }
}

#[test]
fn the_servers_modules_run_the_plugins_applied_to_the_ssr_environment() {
    use hotloop_protocol::plugin::PluginEnv::{Client, Ssr};
    let files = TempProject::new(
        r#"
//- /index.html
<script type="module" src="/src/client.ts"></script>
//- /src/client.ts
import { text as a } from './ssr-only';
import { text as b } from './client-only';
console.log(a, b);
//- /src/server.ts
import { text as a } from './ssr-only';
import { text as b } from './client-only';
export default { fetch: () => new Response(a + b) };
//- /src/ssr-only.ts
export const text = 'ssr-only as written';
//- /src/client-only.ts
export const text = 'client-only as written';
"#,
    );
    let root = std::fs::canonicalize(files.root()).expect("root");
    let options = ProjectOptions {
        server_entry: Some(root.join("src/server.ts")),
        ..ProjectOptions::default()
    };
    let mut host = EngineHost::new(&root, options).expect("host");
    let plugins = Arc::new(SplitPlugins::default());
    host.use_plugins(plugins.clone());
    host.build();
    let first = prepare_server(&mut host, None, &[], None, 0).expect("server");
    assert!(
        first.build.diagnostics.is_empty(),
        "{:?}",
        first.build.diagnostics
    );
    let page = String::from_utf8(host.served(&"t".into(), 0).chunk.bytes().to_vec()).unwrap();
    let server = host.server_chunk(1, "t").expect("chunk");
    // The page: the client's plugin ran, the ssr-only one did not.
    assert!(
        page.contains("ssr-only as written") && page.contains("rewritten for Client"),
        "{page}"
    );
    assert!(!page.contains("rewritten for Ssr"), "{page}");
    // The server: the ssr-only plugin ran; the client's did not, so the file is as written.
    assert!(
        server.contains("rewritten for Ssr") && server.contains("client-only as written"),
        "{server}"
    );
    assert!(!server.contains("rewritten for Client"), "{server}");
    let mut calls = plugins.calls.lock().unwrap().clone();
    calls.sort_by_key(|(env, _)| *env == Ssr);
    assert_eq!(
        calls,
        [
            (Client, "client-only.ts".to_string()),
            (Ssr, "ssr-only.ts".to_string())
        ]
    );
}

/// The app's server sees the page's `import.meta.env`: the exposed `.env` variables (a
/// server-rendered `import.meta.env.VITE_*` matches what the page hydrates with, as under
/// Vite's SSR), never the others, and the mode.
#[test]
fn the_server_chunk_starts_with_the_exposed_env_variables_and_the_mode() {
    let files = TempProject::new(&format!(
        "{PROJECT}//- /.env.staging\nVITE_NAME=from-dotenv\nSECRET_TOKEN=hidden\n"
    ));
    let root = std::fs::canonicalize(files.root()).expect("root");
    let options = ProjectOptions {
        server_entry: Some(root.join("src/server.ts")),
        mode: "staging".into(),
        ..ProjectOptions::default()
    };
    let mut host = EngineHost::new(&root, options).expect("host");
    host.build();
    host.build_server().expect("a server entry");
    let chunk = host.server_chunk(1, "t").expect("chunk");
    let (code, _) = chunk
        .rsplit_once("//# sourceMappingURL=")
        .expect("the chunk ends in its map");
    assert!(
        code.ends_with(
            "{\"server\":true,\"revision\":1,\"serverId\":\"t\",\"mode\":\"staging\",\"env\":{\"VITE_NAME\":\"from-dotenv\"}});\n"
        ),
        "{code}"
    );
}

/// The modules an update would send to the app's server in one edit, or `None` when it sends
/// nothing.
fn server_edit(
    files: &TempProject,
    host: &mut EngineHost,
    previous: &crate::host::ServerBuild,
    revision: u32,
    writes: &[(&str, &str)],
) -> (crate::host::ServerBuild, Option<Vec<String>>) {
    for (path, text) in writes {
        files.write(path, text);
    }
    let paths: Vec<_> = writes.iter().map(|(path, _)| files.path(path)).collect();
    host.apply_changes(&paths);
    let edited: Vec<String> = writes.iter().map(|(path, _)| path.to_string()).collect();
    prepare(host, Cause::Edit { files: &edited }, revision);
    let server = prepare_server(host, Some(previous), &edited, None, revision).expect("server");
    let sent = match &server.action {
        ServerAction::Hot(_, frame) => {
            let ServerMessage::Update(update) = decode_server(frame).expect("decodes") else {
                panic!("not an update");
            };
            Some(update.modules.iter().map(|m| m.id.to_string()).collect())
        }
        ServerAction::Nothing => None,
        ServerAction::Restart(_) => panic!("a restart"),
    };
    (server.build, sent)
}

/// An edit whose code would fail in the app's server (an import of a name the module no longer
/// exports, of a file that is not there, of a package not installed) is not sent: the process
/// keeps its last good code while the overlay shows the error; the fix sends what waited.
#[test]
fn a_server_edit_that_would_fail_to_link_waits_for_its_fix() {
    let (files, mut host) = project();
    host.build();
    let first = prepare_server(&mut host, None, &[], None, 0).expect("server");

    // The export renamed: `server.ts` still imports `count`.
    let (build, sent) = server_edit(
        &files,
        &mut host,
        &first.build,
        1,
        &[("src/api.ts", "export const total = 2;\n")],
    );
    assert_eq!(sent, None, "nothing goes to the process");
    assert!(
        build.diagnostics.iter().any(|d| d
            .message
            .contains("does not provide an export named 'count'")),
        "{:?}",
        build.diagnostics
    );
    // The importer follows: both go.
    let server_ts = std::fs::read_to_string(files.path("src/server.ts")).unwrap();
    let (build, sent) = server_edit(
        &files,
        &mut host,
        &build,
        2,
        &[(
            "src/server.ts",
            &server_ts
                .replace("{ count }", "{ total }")
                .replace("+ count", "+ total"),
        )],
    );
    let mut sent = sent.expect("the fix is sent");
    sent.sort();
    assert_eq!(sent, ["/src/api.ts", "/src/server.ts"]);

    // An import of a file that is not there, then of a package not installed.
    let (build, sent) = server_edit(
        &files,
        &mut host,
        &build,
        3,
        &[(
            "src/api.ts",
            "import { gone } from './gone';\nexport const total = gone;\n",
        )],
    );
    assert_eq!(sent, None, "nothing goes to the process");
    let (build, sent) = server_edit(
        &files,
        &mut host,
        &build,
        4,
        &[(
            "src/api.ts",
            "import gone from 'not-installed';\nexport const total = gone;\n",
        )],
    );
    assert_eq!(sent, None, "nothing goes to the process");
    let (_, sent) = server_edit(
        &files,
        &mut host,
        &build,
        5,
        &[("src/api.ts", "export const total = 5;\n")],
    );
    assert_eq!(sent, Some(vec!["/src/api.ts".to_string()]));
}
