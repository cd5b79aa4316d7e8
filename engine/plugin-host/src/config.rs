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
    /// `server.headers`: header name → value (a string, a number, or a list of them), added to
    /// every response.
    #[serde(default)]
    pub headers: Option<Value>,
    pub fs: FsOptions,
    /// `server.https` (after the plugins' `configResolved`: `@vitejs/plugin-basic-ssl` sets it
    /// there): `None` when not set.
    #[serde(default)]
    pub https: Option<HttpsOptions>,
    /// `server.hmr.overlay`: `false` keeps errors out of the page (the console has them).
    #[serde(default)]
    pub hmr_overlay: Option<bool>,
}

/// `server.https`: the certificate and key as PEM text (the host turns node's Buffers and
/// `{ pem }` objects into text); either may be missing, which hotloop reports at start.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpsOptions {
    pub cert: Option<String>,
    pub key: Option<String>,
}

impl std::fmt::Debug for HttpsOptions {
    /// Lengths only: a private key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = |s: &Option<String>| s.as_ref().map(String::len);
        f.debug_struct("HttpsOptions")
            .field("cert_len", &len(&self.cert))
            .field("key_len", &len(&self.key))
            .finish()
    }
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
    /// `optimizeDeps.esbuildOptions.define` and `optimizeDeps.rolldownOptions.transform.define`
    /// (each value JS code, as esbuild takes it): what Vite's dependency pre-bundling replaces
    /// in npm packages only (`global: 'globalThis'`, the usual fix for "global is not defined").
    #[serde(default)]
    pub deps_define: BTreeMap<String, String>,
    /// The code Vite's dependency pre-bundling puts before each pre-bundled chunk (esbuild's
    /// `banner.js`, the `banner` of `optimizeDeps.rolldownOptions.plugins`:
    /// vite-plugin-node-polyfills' `globalThis.Buffer = …`): hotloop runs it once, before the
    /// page's entries.
    #[serde(default)]
    pub deps_banner: Option<String>,
    pub resolve: ResolveOptions,
    pub server: ServerOptions,
    /// `css.modules` as written (functions dropped), or `None`.
    pub css_modules: Option<Value>,
    /// `json` as written, or `None`.
    pub json: Option<Value>,
    /// The JSX settings of `oxc.jsx` or `esbuild` after the plugins' `config` hooks (what
    /// `react({ jsxImportSource })` sets), or `None` when they set none.
    #[serde(default)]
    pub jsx: Option<JsxConfig>,
    /// `oxc.jsxInject` (without `oxc`, `esbuild.jsxInject`): code Vite puts before every
    /// `.jsx`/`.tsx` module.
    #[serde(default)]
    pub jsx_inject: Option<String>,
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
    /// `html.cspNonce`: the nonce the served pages' scripts, styles and links carry.
    #[serde(default)]
    pub csp_nonce: Option<String>,
    /// `appType` as written (`spa`, `mpa`, `custom`); `None` when the config sets none.
    #[serde(default)]
    pub app_type: Option<String>,
    /// `legacy.inconsistentCjsInterop: true`: the project's files read a CommonJS default
    /// Babel's way with Vite 8 too (see `engine::NodeInterop`).
    #[serde(default)]
    pub inconsistent_cjs_interop: bool,
    /// A plugin listens to the pages (`server.ws.on` in `configureServer`): the host must keep
    /// running for it.
    #[serde(default)]
    pub listens_to_pages: bool,
}

/// JSX settings a Vite config gives its transform (`oxc.jsx` or `esbuild.jsx*`): only what it
/// sets; the rest is the tsconfig's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsxConfig {
    /// The automatic runtime's package (`@emotion/react`).
    pub import_source: Option<String>,
    /// The classic runtime (`React.createElement` calls), with its factories if set.
    #[serde(default)]
    pub classic: bool,
    pub factory: Option<String>,
    pub fragment: Option<String>,
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

impl ResolvedConfig {
    /// What `js/host.js`'s `loadConfig` answers for a config with no plugin left to run whose
    /// options are the JSON `options` (a plain-data config: `hotloop_engine::config_literal`),
    /// without Node (the host's own `hotloop:css` its only plugin, for preprocessor stylesheets,
    /// which start the host): Vite's defaults for everything else, `root` the project root, `mode` from
    /// `--mode` (`mode_flag`), else the config's, else `development`. Of the options hotloop
    /// honours ([`HONOURED`], `js/config.js`'s list), it takes `root`, `base`, `mode`, `envPrefix`,
    /// `define`, `json`,
    /// `css.modules` (as plain data: no function, no RegExp),
    /// `server.{port, host, strictPort, open, cors, allowedHosts}`, `html.cspNonce` and
    /// `hotloop.server`; one it
    /// does not honour (vitest's `test`, `build`, `server.hmr`, ...) is listed in `unsupported`,
    /// in the config's order as the host lists it when `options` keeps that order (serde_json's
    /// `preserve_order`), sorted otherwise. `None` for any other honoured option, or one of these
    /// in another shape: that config goes to the host, which knows the rest; so does any
    /// config of a project that configures PostCSS (every stylesheet goes through the host
    /// there). `tests/plugin_config.rs` holds the two answers side by side.
    pub fn from_literal(
        root: &std::path::Path,
        mode_flag: Option<&str>,
        options: &serde_json::Map<String, Value>,
    ) -> Option<ResolvedConfig> {
        let strings = |v: &Value| -> Option<Vec<String>> {
            match v {
                Value::String(s) => Some(vec![s.clone()]),
                Value::Array(a) => a.iter().map(|s| s.as_str().map(str::to_string)).collect(),
                _ => None,
            }
        };
        let mut config = ResolvedConfig {
            root: root.display().to_string(),
            base: "/".into(),
            public_dir: Some(root.join("public").display().to_string()),
            mode: "development".into(),
            env_dir: root.display().to_string(),
            env_prefix: vec!["VITE_".into()],
            define: BTreeMap::new(),
            deps_define: BTreeMap::new(),
            deps_banner: None,
            resolve: ResolveOptions::default(),
            server: ServerOptions::default(),
            css_modules: None,
            json: None,
            jsx: None,
            jsx_inject: None,
            assets_include: Vec::new(),
            // The host's own CSS pipeline, always there: a Sass/Less/Stylus stylesheet starts
            // the host; plain CSS would too in a PostCSS project, which is the host's (below).
            plugins: vec![css_pipeline()],
            ssr_plugins: vec![css_pipeline()],
            unsupported: Vec::new(),
            middlewares: None,
            package_versions: package_versions(root),
            hotloop_server: None,
            app_type: None,
            csp_nonce: None,
            listens_to_pages: false,
            inconsistent_cjs_interop: false,
        };
        if has_postcss_config(root) {
            return None;
        }
        let (mut oxc, mut esbuild) = (None, None);
        for (key, value) in options {
            match (key.as_str(), value) {
                ("mode", Value::String(mode)) => config.mode = mode.clone(),
                ("appType", Value::String(app_type)) => config.app_type = Some(app_type.clone()),
                // As the host resolves them: `root` against the project root, `base` with a
                // leading and a trailing `/` (a relative one is `/` in dev). Both before the
                // options that depend on the root (none of which a literal sets here).
                ("root", Value::String(dir)) if !dir.contains("..") => {
                    let dir = root.join(dir.trim_start_matches("./"));
                    config.public_dir = Some(dir.join("public").display().to_string());
                    config.env_dir = dir.display().to_string();
                    config.root = dir.display().to_string();
                }
                ("base", Value::String(base)) => {
                    let mut b = if base.starts_with('.') {
                        "/".to_string()
                    } else {
                        base.clone()
                    };
                    if !b.starts_with('/') {
                        b.insert(0, '/');
                    }
                    if !b.ends_with('/') {
                        b.push('/');
                    }
                    config.base = b;
                }
                ("envPrefix", v) => config.env_prefix = strings(v)?,
                ("define", Value::Object(define)) => {
                    config.define = define
                        .iter()
                        .map(|(k, v)| {
                            let js = match v {
                                Value::String(s) => s.clone(),
                                v => v.to_string(),
                            };
                            (k.clone(), js)
                        })
                        .collect()
                }
                ("server", Value::Object(server)) => {
                    let s = &mut config.server;
                    for (key, value) in server {
                        match (key.as_str(), value) {
                            ("port", Value::Number(n)) => {
                                s.port = Some(u16::try_from(n.as_u64()?).ok()?)
                            }
                            ("host", Value::String(_) | Value::Bool(_)) => {
                                s.host = Some(value.clone())
                            }
                            ("strictPort", Value::Bool(b)) => s.strict_port = Some(*b),
                            ("open", Value::String(_) | Value::Bool(_)) => {
                                s.open = Some(value.clone())
                            }
                            ("cors", Value::Bool(_)) => s.cors = Some(value.clone()),
                            ("headers", Value::Object(_)) => s.headers = Some(value.clone()),
                            ("allowedHosts", Value::Bool(true)) => {
                                s.allowed_hosts = Some(value.clone())
                            }
                            ("allowedHosts", Value::Array(_)) => {
                                strings(value)?;
                                s.allowed_hosts = Some(value.clone())
                            }
                            // Certificates are read with `fs.readFileSync`, or made by a plugin:
                            // the host's.
                            ("https", _) => return None,
                            ("hmr", Value::Object(hmr)) => {
                                for (key, value) in hmr {
                                    match (key.as_str(), value) {
                                        ("overlay", Value::Bool(b)) => s.hmr_overlay = Some(*b),
                                        (sub, _) => {
                                            config.unsupported.push(unhonoured("server.hmr", sub)?)
                                        }
                                    }
                                }
                            }
                            (sub, _) => config.unsupported.push(unhonoured("server", sub)?),
                        }
                    }
                }
                ("json", Value::Object(_)) => config.json = Some(value.clone()),
                ("css", Value::Object(css)) => {
                    for (key, value) in css {
                        match (key.as_str(), value) {
                            ("modules", Value::Object(_) | Value::Bool(false)) => {
                                config.css_modules = Some(value.clone())
                            }
                            (sub, _) => config.unsupported.push(unhonoured("css", sub)?),
                        }
                    }
                }
                ("hotloop", Value::Object(hotloop)) => {
                    for (key, value) in hotloop {
                        match (key.as_str(), value) {
                            ("server", Value::String(entry)) => {
                                config.hotloop_server = Some(entry.clone())
                            }
                            (sub, _) => config.unsupported.push(unhonoured("hotloop", sub)?),
                        }
                    }
                }
                ("legacy", Value::Object(legacy)) => {
                    for (key, value) in legacy {
                        match (key.as_str(), value) {
                            ("inconsistentCjsInterop", Value::Bool(on)) => {
                                config.inconsistent_cjs_interop = *on
                            }
                            (sub, _) => config.unsupported.push(unhonoured("legacy", sub)?),
                        }
                    }
                }
                ("html", Value::Object(html)) => {
                    for (key, value) in html {
                        match (key.as_str(), value) {
                            ("cspNonce", Value::String(nonce)) => {
                                config.csp_nonce = Some(nonce.clone())
                            }
                            (sub, _) => config.unsupported.push(unhonoured("html", sub)?),
                        }
                    }
                }
                // A banner is the host's to read (as its `depsBanner` does).
                ("optimizeDeps", Value::Object(_))
                    if value.pointer("/esbuildOptions/banner").is_some() =>
                {
                    return None;
                }
                ("optimizeDeps", Value::Object(_)) => literal_optimize_deps(value, &mut config),
                ("oxc", Value::Object(options)) => {
                    for (sub, value) in options {
                        match (sub.as_str(), value) {
                            ("jsx", Value::Object(_)) | ("jsxInject", Value::String(_)) => {}
                            (sub, _) => config.unsupported.push(unhonoured("oxc", sub)?),
                        }
                    }
                    oxc = Some(options);
                }
                ("esbuild", Value::Object(options)) => {
                    for sub in options.keys() {
                        if let Some(name) = unhonoured("esbuild", sub) {
                            config.unsupported.push(name);
                        }
                    }
                    esbuild = Some(options);
                }
                (key, Value::Object(nested)) if NESTED.contains(&key) => {
                    for sub in nested.keys() {
                        config.unsupported.push(unhonoured(key, sub)?);
                    }
                }
                (key, _) if !HONOURED.contains(&key) => config.unsupported.push(key.to_string()),
                _ => return None,
            }
        }
        if let Some(mode) = mode_flag {
            config.mode = mode.to_string();
        }
        (config.jsx, config.jsx_inject) = literal_jsx(oxc, esbuild);
        Some(config)
    }
}

/// The JSX settings and the `jsxInject` of a plain-data config's `oxc` and `esbuild`, as
/// `js/host.js`'s `jsxOverride` and `jsxInject` read them.
fn literal_jsx(
    oxc: Option<&serde_json::Map<String, Value>>,
    esbuild: Option<&serde_json::Map<String, Value>>,
) -> (Option<JsxConfig>, Option<String>) {
    let text = |map: Option<&serde_json::Map<String, Value>>, key: &str| {
        map.and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let inject = match oxc {
        Some(_) => text(oxc, "jsxInject"),
        None => text(esbuild, "jsxInject"),
    };
    let oxc_jsx = oxc.and_then(|o| o.get("jsx")).and_then(Value::as_object);
    let import_source = text(oxc_jsx, "importSource").or_else(|| text(esbuild, "jsxImportSource"));
    let classic = oxc_jsx
        .and_then(|j| j.get("runtime"))
        .and_then(Value::as_str)
        == Some("classic")
        || (oxc_jsx.is_none()
            && esbuild.and_then(|e| e.get("jsx")).and_then(Value::as_str) == Some("transform"));
    let factory = text(oxc_jsx, "pragma").or_else(|| text(esbuild, "jsxFactory"));
    let fragment = text(oxc_jsx, "pragmaFrag").or_else(|| text(esbuild, "jsxFragment"));
    let jsx = (import_source.is_some() || classic).then_some(JsxConfig {
        import_source: if classic { None } else { import_source },
        classic,
        factory,
        fragment,
    });
    (jsx, inject)
}

/// `js/css.js`'s `hotloop:css` as the host reports it in a project without a PostCSS config:
/// a transform of the preprocessors' stylesheets (`PREPROCESSED`).
fn css_pipeline() -> PluginInfo {
    let filter = HookFilter {
        id: Some(PatternFilter {
            include: vec![Pattern::RegExp {
                source: r"\.(?:s[ac]ss|less|styl|stylus|pcss|postcss|sss)(?:$|\?)".into(),
                flags: String::new(),
            }],
            exclude: Vec::new(),
        }),
        code: None,
    };
    PluginInfo {
        name: "hotloop:css".into(),
        enforce: None,
        hooks: vec!["transform".into()],
        filters: BTreeMap::from([("transform".into(), filter)]),
    }
}

/// The names `js/css.js` looks for PostCSS's config by.
const POSTCSS_CONFIGS: [&str; 14] = [
    "postcss.config.js",
    "postcss.config.cjs",
    "postcss.config.mjs",
    "postcss.config.ts",
    "postcss.config.mts",
    "postcss.config.cts",
    ".postcssrc",
    ".postcssrc.json",
    ".postcssrc.js",
    ".postcssrc.cjs",
    ".postcssrc.mjs",
    ".postcssrc.ts",
    ".postcssrc.yaml",
    ".postcssrc.yml",
];

/// Whether the project configures PostCSS where Vite looks (see [`postcss_config`]).
fn has_postcss_config(root: &std::path::Path) -> bool {
    postcss_config(root).is_some()
}

/// Where the project configures PostCSS, as Vite looks for it (`js/css.js`'s
/// `hasPostcssConfig`): the first of the root and its parents with a config file, or a
/// `postcss` key in its `package.json` (that file, then).
pub fn postcss_config(root: &std::path::Path) -> Option<std::path::PathBuf> {
    root.ancestors().find_map(|dir| {
        if let Some(name) = POSTCSS_CONFIGS.iter().find(|name| dir.join(name).exists()) {
            return Some(dir.join(name));
        }
        let package = dir.join("package.json");
        std::fs::read_to_string(&package)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .is_some_and(|json| json.get("postcss").is_some())
            .then_some(package)
    })
}

/// The options hotloop honours, as `js/config.js`'s `HONOURED` lists them (the host reports
/// every other one the config sets as unsupported).
const HONOURED: &[&str] = &[
    "appType",
    "root",
    "base",
    "publicDir",
    "mode",
    "envDir",
    "envPrefix",
    "define",
    "plugins",
    "json",
    "assetsInclude",
    "configFile",
    "resolve.alias",
    "resolve.conditions",
    "resolve.extensions",
    "resolve.dedupe",
    // tsconfig `paths` resolve always (`engine/src/resolver.rs`), as Vite 8 with it `true`.
    "resolve.tsconfigPaths",
    "server.port",
    "server.host",
    "server.strictPort",
    "server.open",
    "server.proxy",
    "server.allowedHosts",
    "server.cors",
    "server.fs",
    "css.modules",
    "css.preprocessorOptions",
    "css.postcss",
    "css.preprocessorMaxWorkers",
    "css.devSourcemap",
    "hotloop.server",
    "html.cspNonce",
    "legacy.inconsistentCjsInterop",
    "oxc.jsx",
    "oxc.jsxInject",
    "esbuild.jsx",
    "esbuild.jsxFactory",
    "esbuild.jsxFragment",
    "esbuild.jsxImportSource",
    "esbuild.jsxInject",
];
/// The options whose keys are looked at one level down (`js/config.js`'s `NESTED`).
const NESTED: &[&str] = &[
    "resolve", "server", "css", "hotloop", "html", "legacy", "oxc", "esbuild",
];

/// The `optimizeDeps` options hotloop honours, as `js/config.js`'s `DEPS_DEFINES` lists them:
/// the pre-bundling's defines, the later one winning.
const DEPS_DEFINES: [&str; 2] = [
    "optimizeDeps.esbuildOptions.define",
    "optimizeDeps.rolldownOptions.transform.define",
];

/// `optimizeDeps` of a plain-data config, as `js/config.js`'s `depsDefine` and
/// `unhonouredUnder` read it: its `define`s (string values) into `deps_define`, every other
/// option named in `unsupported`.
fn literal_optimize_deps(deps: &Value, config: &mut ResolvedConfig) {
    let mut defines = [None; DEPS_DEFINES.len()];
    unhonoured_under(deps, "optimizeDeps", &mut defines, &mut config.unsupported);
    for define in defines.into_iter().flatten() {
        for (key, value) in define {
            if let Value::String(js) = value {
                config.deps_define.insert(key.clone(), js.clone());
            }
        }
    }
}

/// The options under `name` (whose value is `value`) that are not [`DEPS_DEFINES`], as dotted
/// names: an object is gone into only where one of those lies below it. The defines found go
/// into `defines`, in their list's order.
fn unhonoured_under<'a>(
    value: &'a Value,
    name: &str,
    defines: &mut [Option<&'a serde_json::Map<String, Value>>; DEPS_DEFINES.len()],
    unsupported: &mut Vec<String>,
) {
    if let Some(at) = DEPS_DEFINES.iter().position(|d| *d == name) {
        defines[at] = value.as_object();
        return;
    }
    let inner = format!("{name}.");
    match value {
        Value::Object(options) if DEPS_DEFINES.iter().any(|d| d.starts_with(&inner)) => {
            for (key, value) in options {
                unhonoured_under(value, &format!("{inner}{key}"), defines, unsupported);
            }
        }
        _ => unsupported.push(name.to_string()),
    }
}

/// `key.sub` when hotloop does not honour it (to be reported); `None` when it does, and
/// only the host knows what it means.
fn unhonoured(key: &str, sub: &str) -> Option<String> {
    let name = format!("{key}.{sub}");
    (!HONOURED.contains(&name.as_str())).then_some(name)
}

/// `dependencies` and `devDependencies` of the root's package.json with their installed
/// versions (`""` when not installed), as `js/host.js`'s `readVersions` reads them.
fn package_versions(root: &std::path::Path) -> BTreeMap<String, String> {
    let read = |path: std::path::PathBuf| -> Option<Value> {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    };
    let Some(package) = read(root.join("package.json")) else {
        return BTreeMap::new();
    };
    let mut versions = BTreeMap::new();
    for field in ["dependencies", "devDependencies"] {
        for name in package[field]
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
        {
            let installed = read(root.join("node_modules").join(name).join("package.json"));
            let version = installed
                .as_ref()
                .and_then(|p| p["version"].as_str())
                .unwrap_or("");
            versions.insert(name.clone(), version.to_string());
        }
    }
    versions
}
