//! The salsa inputs: what the outside world says. `SourceFile` is one path and its contents
//! (or the fact that it is missing); `Project` is the singleton with the root, the entry HTML,
//! the resolution epoch and the options. Everything else in the engine is derived from these.
//!
//! Inputs are only set by the `EngineHost` (and created by `Files`), always with the value read
//! from disk, and only when that value differs from the stored one.
//!
//! A `SourceFile` also holds its module id (made once: every deps map, graph node and define
//! statement that names the module shares the string) and the facts its compile takes from
//! outside the file: what its tsconfig says and its module format by Node's rules
//! (`crate::tsconfig`, `crate::package_type`).

use std::fmt;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::css_modules::CssModulesOptions;
use crate::resolver::ResolveSettings;
use crate::source_text::SourceText;
use crate::transform::{JsonOptions, Jsx, ScriptConfig};

/// What applies to one script: the settings of its tsconfig, or why that tsconfig could not be
/// read (the message names the tsconfig file; the script then does not compile, as under
/// Vite). Found by `crate::tsconfig`.
pub type TsconfigFacts = Result<ScriptConfig, Arc<str>>;

/// What a file holds, as far as the engine cares.
///
/// Source text is kept as a [`SourceText`]: its hash and length, and the text itself only while
/// a build needs it. Assets (any non-source extension) and files that are not valid UTF-8 keep
/// only a content hash and their length: no large byte buffers live in salsa; the server reads
/// asset bytes from disk itself.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum FileContents {
    /// Not on disk (never was, or deleted). A deleted file keeps its input with this value.
    Missing,
    Text(SourceText),
    Binary {
        hash: u64,
        len: u64,
    },
}

impl FileContents {
    /// The text (read from the file again when its build is over: see [`SourceText`]).
    pub fn text(&self) -> Option<Arc<str>> {
        match self {
            FileContents::Text(text) => Some(text.text()),
            _ => None,
        }
    }

    pub fn exists(&self) -> bool {
        !matches!(self, FileContents::Missing)
    }

    /// A stable hash of the bytes (0 for a missing file), used for asset version query strings.
    pub fn content_hash(&self) -> u64 {
        match self {
            FileContents::Missing => 0,
            FileContents::Text(text) => text.hash() as u64,
            FileContents::Binary { hash, .. } => *hash,
        }
    }
}

impl fmt::Debug for FileContents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileContents::Missing => write!(f, "Missing"),
            FileContents::Text(text) => text.fmt(f),
            FileContents::Binary { hash, len } => write!(f, "Binary({len} bytes, {hash:016x})"),
        }
    }
}

/// Hash of file bytes: deterministic within a build of hotloop (std's SipHash, fixed keys).
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

/// One file of the project (or of `node_modules`, or outside the root). Created once per path
/// by `Files` and never removed; the path is its identity.
#[salsa::input]
pub struct SourceFile {
    /// Canonical absolute path.
    #[returns(ref)]
    pub path: Arc<Path>,
    /// Its module id (`files::module_id`), made once: every deps map, graph node and define
    /// statement that names the module shares this string.
    #[returns(ref)]
    pub id: Arc<str>,
    #[returns(ref)]
    pub contents: FileContents,
    /// What the tsconfig that applies to the file says about compiling it (scripts outside
    /// `node_modules`; the default for every other file). See `crate::tsconfig`.
    #[returns(ref)]
    pub tsconfig: TsconfigFacts,
    /// Its contents changed since this session first read them (a save; not a file coming):
    /// an asset's URL then names its version (`?v=`), so that the hot update gives the page a
    /// URL the browser fetches anew. Until then the URL is the file's own, as Vite's
    /// (`parsed::asset_url`).
    #[default]
    #[returns(copy)]
    pub edited: bool,
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = salsa::plumbing::AsId::as_id(self);
        salsa::with_attached_database(|db| write!(f, "SourceFile({})", self.path(db).display()))
            .unwrap_or_else(|| write!(f, "SourceFile({id:?})"))
    }
}

/// Options that change how modules are compiled and what the page sees.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProjectOptions {
    /// Emit React Fast Refresh registrations in project sources (never in `node_modules`).
    pub react_refresh: bool,
    /// Variables from `.env` files whose names start with one of these reach the page as
    /// `import.meta.env.*` (Vite's `envPrefix`); never empty strings.
    pub env_prefixes: Vec<String>,
    /// Variables of hotloop's own environment; those with an exposed prefix win over `.env`
    /// files (see `queries::env`).
    pub env_overrides: Vec<(String, String)>,
    /// Vite's mode (`--mode`): which `.env.<mode>` files are read, and `import.meta.env.MODE`.
    pub mode: String,
    /// Vite's `base` (starts and ends with `/`): `import.meta.env.BASE_URL` and `%BASE_URL%`;
    /// the server serves the app under it.
    pub base: String,
    /// Vite's `envDir`: the directory the `.env` files are read from (canonical); `None`: the
    /// project root.
    pub env_dir: Option<PathBuf>,
    /// Vite's `publicDir`: where `/name` URLs of files that are no modules resolve (an
    /// `<img src="/logo.svg">` import), as the server serves them.
    pub public_dir: PublicDir,
    /// What the project's plugins' answers depend on besides a module's text (0: no plugins).
    pub plugins_fingerprint: u64,
    /// Whether the plugins' outputs kept from the last session are served at the start (and
    /// confirmed by the plugins after the first render). Not with a plugin that gathers what
    /// it makes from every module's `transform` (UnoCSS's utility classes, which it puts in
    /// `virtual:uno.css`): served from the cache, the modules would never reach it, and the
    /// page's first paint would lack their styles.
    pub keep_plugin_outputs: bool,
    /// Vite's `define` (from `vite.config`): global expressions → replacement code.
    pub define: Arc<[(String, String)]>,
    /// `optimizeDeps`' `define` (esbuild's or rolldown's options): replaced in npm packages
    /// only, after `define` (each key replaces `define`'s), as Vite's dependency pre-bundling
    /// does; `global: 'globalThis'` is the usual one.
    pub deps_define: Arc<[(String, String)]>,
    /// `optimizeDeps`' banner (what Vite's pre-bundling puts before every pre-bundled chunk:
    /// vite-plugin-node-polyfills' `globalThis.Buffer = …`): run once before the page's entries,
    /// as the first inline module script of every page (`queries::html`).
    pub deps_banner: Option<Arc<str>>,
    /// Vite's `resolve.alias`, in order: the first that matches a specifier rewrites it.
    pub aliases: Arc<[Alias]>,
    /// Vite's `resolve.conditions`, `resolve.extensions` and `resolve.dedupe`.
    pub resolve: ResolveSettings,
    /// Vite's `json`: how `.json` modules are written.
    pub json: JsonOptions,
    /// The JSX the config (or a plugin's `config` hook: `react({ jsxImportSource })`) sets in
    /// `oxc.jsx`/`esbuild`: it wins over the tsconfig's for the project's own files, as under
    /// Vite. `None`: the tsconfig's.
    pub jsx: Option<Jsx>,
    /// Vite's `jsxInject` (`oxc.jsxInject`, earlier `esbuild.jsxInject`): code put before every
    /// `.jsx`/`.tsx` module of the project's own.
    pub jsx_inject: Option<Arc<str>>,
    /// Vite's `css.modules`: which stylesheets are CSS modules, their scoped names and exports.
    pub css_modules: CssModulesOptions,
    /// The app's server entry (`--server FILE`, canonical): the root of the server graph.
    pub server_entry: Option<PathBuf>,
    /// The version of the client scripts the server serves (the runtime, React Refresh), put
    /// into their URLs in the page (`?v=`) so that the browser keeps them `immutable` and a
    /// reload does not ask again; `None`: plain URLs.
    pub client_version: Option<String>,
    /// Vite's `html.cspNonce`: the nonce every script, style and stylesheet link of the served
    /// pages carries (hotloop's own tags among them) and a `<meta property="csp-nonce">` names
    /// for the styles the runtime adds, so a page whose Content-Security-Policy allows only
    /// that nonce runs and updates. `None`: no nonce is added.
    pub csp_nonce: Option<Arc<str>>,
    /// Vite's `server.hmr.overlay`: `false` keeps build and runtime errors out of the page
    /// (the runtime writes them to the console).
    pub error_overlay: bool,
    /// The project's own ES modules read a CommonJS default as Node does when they are ES
    /// modules by Node's rules (Vite 8's interop, unless `legacy.inconsistentCjsInterop`; see
    /// `transform::NodeInterop`). `node_modules` files always do, as Vite's pre-bundling has.
    pub node_cjs_interop: bool,
}

/// Vite's `publicDir`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum PublicDir {
    /// `<root>/public`.
    #[default]
    InRoot,
    /// Another directory (canonical).
    At(PathBuf),
    /// `publicDir: false`: none.
    Off,
}

impl PublicDir {
    /// The directory for the project at `root`, if any.
    pub fn dir(&self, root: &Path) -> Option<PathBuf> {
        match self {
            PublicDir::InRoot => Some(root.join("public")),
            PublicDir::At(dir) => Some(dir.clone()),
            PublicDir::Off => None,
        }
    }
}

/// One `resolve.alias` entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Alias {
    pub find: AliasFind,
    /// What replaces the matched part (for a pattern: `$1`-style groups are expanded).
    pub replacement: String,
}

/// How an alias matches a specifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AliasFind {
    /// `find: '@'`: the specifier is `@` or starts with `@/` (Vite's string form).
    Exact(String),
    /// `find: /^~(.*)$/`: a regular expression (JS syntax translated to the `regex` crate's;
    /// the binary refuses one it cannot translate).
    Pattern(String),
}

/// Vite's default mode for its dev server.
pub const DEFAULT_MODE: &str = "development";

/// Vite's default `envPrefix`: a Vite project's `.env` works as it is.
pub const DEFAULT_ENV_PREFIX: &str = "VITE_";

impl Default for ProjectOptions {
    fn default() -> Self {
        ProjectOptions {
            react_refresh: true,
            env_prefixes: vec![DEFAULT_ENV_PREFIX.to_string()],
            env_overrides: Vec::new(),
            mode: DEFAULT_MODE.to_string(),
            base: "/".to_string(),
            env_dir: None,
            public_dir: PublicDir::default(),
            plugins_fingerprint: 0,
            keep_plugin_outputs: true,
            define: Arc::new([]),
            deps_define: Arc::new([]),
            deps_banner: None,
            aliases: Arc::new([]),
            resolve: ResolveSettings::default(),
            json: JsonOptions::default(),
            jsx: None,
            jsx_inject: None,
            css_modules: CssModulesOptions::default(),
            server_entry: None,
            client_version: None,
            csp_nonce: None,
            error_overlay: true,
            node_cjs_interop: false,
        }
    }
}

impl ProjectOptions {
    /// What the URLs the page asks the server for start with: `base` without its trailing
    /// `/` (`/app`), `""` for `/`. The server answers them with or without it; a proxy that
    /// forwards the base's path alone needs them with it.
    pub fn url_prefix(&self) -> &str {
        self.base.trim_end_matches('/')
    }

    /// The directory the `.env` files are read from for the project at `root` (`envDir`).
    pub fn env_dir_in<'a>(&'a self, root: &'a Path) -> &'a Path {
        self.env_dir.as_deref().unwrap_or(root)
    }

    /// Takes the process environment's variables with an exposed prefix as overrides (UTF-8
    /// ones only). Called once by the binary at start; the engine itself never reads it.
    pub fn with_process_env(mut self) -> ProjectOptions {
        let exposed = |name: &str| self.env_prefixes.iter().any(|p| name.starts_with(p));
        let mut overrides: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| exposed(k))
            .collect();
        overrides.sort();
        self.env_overrides = overrides;
        self
    }
}

/// The project: one per database.
#[salsa::input(singleton, debug)]
pub struct Project {
    /// Canonical absolute project root.
    #[returns(ref)]
    pub root: PathBuf,
    /// `<root>/index.html` (possibly `Missing`).
    #[returns(copy)]
    pub index_html: SourceFile,
    /// Moves whenever a file appears or disappears, or a `package.json` / tsconfig
    /// changes: resolution reads the file system, and this number is how salsa knows it changed.
    #[returns(copy)]
    pub resolution_epoch: u64,
    /// The resolution epoch of what a package imports (a file in `node_modules`): moves with
    /// `resolution_epoch`, except when only files outside `node_modules` came or went. A
    /// package's imports resolve inside `node_modules`, so a component created in `src/` does
    /// not make the thousands of modules of an icon library resolve again (as Vite's
    /// pre-bundled dependencies stay as they are until an install).
    #[returns(copy)]
    pub package_epoch: u64,
    #[returns(ref)]
    pub options: ProjectOptions,
    /// Moves when the config is evaluated again: its plugins are new instances, with none of
    /// the state the last ones gathered from their hooks (UnoCSS's classes, vite-plugin-inspect's
    /// records), so every module a plugin takes goes through them again (`plugin_pass::run`;
    /// kept outputs are confirmed by them, as at a start).
    #[returns(copy)]
    pub plugins_generation: u64,
    /// The `import()` targets a page has asked for (`EngineHost::request_lazy`), in the order
    /// asked: the page's graph goes on through their static imports. Every other `import()`
    /// target is a lazy chunk not compiled yet (`queries::graph`). Set with `LOW` durability,
    /// below every file's (`files::durability_for`): a request re-validates the graph, not what
    /// reads only the options and the files.
    #[returns(ref)]
    pub lazy_roots: Arc<[SourceFile]>,
    /// The project's other HTML pages (a multi-page app's `about.html`, `nested/index.html`)
    /// that a browser opened (`EngineHost::open_page`), in the order opened: their linked
    /// stylesheets are modules of the page's graph, their module scripts lazy targets
    /// (`queries::graph`). `LOW` durability, like `lazy_roots`.
    #[returns(ref)]
    pub pages: Arc<[SourceFile]>,
    /// Scripts a browser asked for by their URL to run as a worker (a service worker's
    /// `register('/src/sw.ts')`, vite-plugin-pwa's `/dev-sw.js?dev-sw` that resolves to one;
    /// `EngineHost::open_worker`), in the order asked: worker roots of the graph, as a
    /// `new Worker(new URL(...))`'s file is. `LOW` durability, like `pages`.
    #[returns(ref)]
    pub workers: Arc<[SourceFile]>,
    /// Scripts of the project the page asked for by their URL at run time (an `import()` of a
    /// path only known then, a `<script type="module" src>` added by code;
    /// `EngineHost::request_lazy`), in the order asked: lazy targets that no `import()` names,
    /// as another page's scripts are (`queries::graph`). `LOW` durability, like `pages`.
    #[returns(ref)]
    pub url_scripts: Arc<[SourceFile]>,
}

/// True for paths inside a `node_modules` directory.
pub fn in_node_modules(path: &Path) -> bool {
    has_component(path, "node_modules")
}

/// Whether one of `path`'s components is `name` (on its bytes: called several times per module).
pub(crate) fn has_component(path: &Path, name: &str) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        path.as_os_str()
            .as_bytes()
            .split(|&b| b == b'/')
            .any(|part| part == name.as_bytes())
    }
    #[cfg(not(unix))]
    {
        path.components().any(|c| c.as_os_str() == name)
    }
}
