//! What the host returns from loading a config: [`ResolvedConfig`], the part of a project's
//! resolved Vite config that hotloop honours natively, the plugins (with their hook filters)
//! and the options it does not honour. Built by `js/host.js`'s `loadConfig`; JSON in between.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A string or a JavaScript RegExp (serialised as its source and flags).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Pattern {
    String(String),
    RegExp { source: String, flags: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub find: Pattern,
    pub replacement: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolveOptions {
    /// In Vite's order (a later config's aliases first), functions (`customResolver`) dropped.
    pub alias: Vec<Alias>,
    pub conditions: Option<Vec<String>>,
    pub extensions: Option<Vec<String>>,
    pub dedupe: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FsOptions {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

/// `server.*` as written (after the plugins' `config` hooks); `None` when not set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerOptions {
    pub port: Option<u16>,
    /// A string, or `true` (all addresses).
    pub host: Option<Value>,
    pub strict_port: Option<bool>,
    /// A boolean or a path.
    pub open: Option<Value>,
    /// Vite's proxy object (functions such as `configure`/`rewrite` dropped).
    pub proxy: Option<Value>,
    /// `true` or a list of host names.
    pub allowed_hosts: Option<Value>,
    /// A boolean or CORS options.
    pub cors: Option<Value>,
    pub fs: FsOptions,
}

/// A hook filter, normalised: `include`/`exclude` lists. In an `id` filter a string is a
/// picomatch glob (made absolute against the root, as Vite does); in a `code` filter it is a
/// substring.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternFilter {
    pub include: Vec<Pattern>,
    pub exclude: Vec<Pattern>,
}

/// A hook's `filter` (Vite 6.3+).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookFilter {
    pub id: Option<PatternFilter>,
    pub code: Option<PatternFilter>,
}

/// One plugin, in the order hotloop runs them (sorted by `enforce`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    pub name: String,
    /// `"pre"`, `"post"`, or `None`.
    pub enforce: Option<String>,
    /// The hooks it has (`config`, `resolveId`, `load`, `transform`, `handleHotUpdate`, ...).
    pub hooks: Vec<String>,
    /// Filters of its `resolveId`, `load` and `transform` hooks, by hook name.
    pub filters: BTreeMap<String, HookFilter>,
}

impl PluginInfo {
    pub fn has_hook(&self, hook: &str) -> bool {
        self.hooks.iter().any(|h| h == hook)
    }
}

/// What hotloop honours of a project's Vite config, after the plugins' `config` hooks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedConfig {
    /// Absolute.
    pub root: String,
    /// Starts and ends with `/`.
    pub base: String,
    /// Absolute; `None` for `publicDir: false`.
    pub public_dir: Option<String>,
    pub mode: String,
    /// Absolute.
    pub env_dir: String,
    pub env_prefix: Vec<String>,
    /// Each value a JS expression (Vite's rule: a string is inserted as written, anything
    /// else as its JSON).
    pub define: BTreeMap<String, String>,
    pub resolve: ResolveOptions,
    pub server: ServerOptions,
    /// `css.modules` as written (functions dropped), or `None`.
    pub css_modules: Option<Value>,
    /// `json` as written, or `None`.
    pub json: Option<Value>,
    pub assets_include: Vec<Pattern>,
    /// The client environment's plugins (the page's requests), in order.
    pub plugins: Vec<PluginInfo>,
    /// The ssr environment's (`applyToEnvironment` asked for `ssr`: the app's server's
    /// requests), in order; the indices of an `ssr` request are into this list.
    #[serde(default)]
    pub ssr_plugins: Vec<PluginInfo>,
    /// Options the user's config sets that hotloop does not honour (`build`, `server.hmr`,
    /// ...): the caller warns once for each.
    pub unsupported: Vec<String>,
    /// The plugins' `server.middlewares` handlers, run by the host on a loopback HTTP port;
    /// `None` when no plugin added any (then no request is forwarded).
    pub middlewares: Option<MiddlewareRoutes>,
    /// `dependencies` and `devDependencies` of the root's package.json with their installed
    /// versions (part of the fingerprint).
    pub package_versions: BTreeMap<String, String>,
    /// `hotloop: { server }`: the app's server entry as written (relative to the root), what
    /// `--server` gives (which wins). Vite has no standard key for it.
    #[serde(default)]
    pub hotloop_server: Option<String>,
}

/// The `server.middlewares` handlers the config's plugins added, in order, and where they run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiddlewareRoutes {
    /// The host's loopback port. Left out of the serialised config (part of the fingerprint):
    /// a restarted host listens on another port but runs the same handlers.
    #[serde(default, skip_serializing)]
    pub port: u16,
    /// What every request to that port carries (`x-hotloop-token`); left out of the
    /// serialised config like the port.
    #[serde(default, skip_serializing)]
    pub token: String,
    /// Added during `configureServer`: run before hotloop serves a request.
    pub pre: Vec<MiddlewareRoute>,
    /// Added by the functions `configureServer` returned: run for what hotloop has no answer.
    pub post: Vec<MiddlewareRoute>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiddlewareRoute {
    /// The plugin that added the handler.
    pub plugin: String,
    /// Its route prefix (connect's, no trailing slash); `""` for every path.
    pub route: String,
}

impl MiddlewareRoutes {
    /// What the dev server needs to forward requests.
    pub fn to_middlewares(&self) -> hotloop_protocol::plugin::Middlewares {
        let routes = |list: &[MiddlewareRoute]| list.iter().map(|m| m.route.clone()).collect();
        hotloop_protocol::plugin::Middlewares {
            port: self.port,
            token: self.token.clone(),
            pre: routes(&self.pre),
            post: routes(&self.post),
        }
    }
}
