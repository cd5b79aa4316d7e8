//! `resolved_imports`: each import of a file → the file it refers to, with `oxc_resolver`
//! (relative paths with extension and index probing, TS's `./a.js` → `./a.ts`, bare specifiers
//! through `node_modules` with `exports` conditions, `browser` field remaps, tsconfig `paths`).
//!
//! Resolution and `import.meta.glob` listing (`queries::glob`) are the only places where
//! queries read the file system. That is modelled by `Project::resolution_epoch`: both read it, and the host moves it (and clears the
//! resolver cache) whenever a file appears or disappears or a `package.json`/`tsconfig.json`
//! changes. A file in `node_modules` reads `Project::package_epoch` instead, which files of the
//! app coming and going leave as it is: a package's imports resolve inside `node_modules`.
//! Failures are data (`Resolution::NotFound`), never a panic.
//!
//! Before `oxc_resolver`, a specifier goes through the config's `resolve.alias`, then the
//! project's Vite plugins' `resolveId` (`resolve_with_plugins`); `server_imports` resolves the
//! same imports for the app's server, with Node's conditions. A source file that finds a
//! package in a nested `node_modules` while the root has a copy too gets the root's
//! (`root_copy`): one copy of a package per name for the project's own code.
//!
//! # React Fast Refresh (engine ↔ runtime)
//!
//! - **Transform.** Project sources (not `node_modules`) get swc's React Refresh registrations:
//!   `$RefreshReg$(type, "<local>")` and `$RefreshSig$()` signatures. The runtime passes both into
//!   each factory; `$RefreshReg$` registers `type` as `"<module id> <local>"`. `HotFacts::refresh_boundary`
//!   (every export PascalCase, at least one registration) makes the engine plan the module as
//!   self-accepting.
//! - **Which refresh runtime** (`queries::resolve::refresh_runtime`, re-run when the resolution
//!   epoch moves): none when React Refresh is off or `react` does not resolve from the root; else the
//!   app's own `react-refresh/runtime` when it resolves from the root; else the copy embedded in
//!   hotloop.
//!   - App's copy: the module is a root of the graph (`ProjectGraph::refresh_runtime`), defined in the
//!     chunk before the entries, and named in the start call:
//!     `__hotloop.start([entries], { revision, serverId, refreshRuntime: "<its module id>" })`.
//!   - Embedded copy: the page gets `<script src="/_hotloop/react-refresh.js"></script>` right after
//!     the runtime's tag; the server answers it with `hotloop_runtime::REACT_REFRESH_JS` (the vendored
//!     `react-refresh@0.19.0` development runtime, MIT, Meta Platforms, Inc. and affiliates:
//!     `runtime/vendor/react-refresh/` holds the file, its LICENSE and where it came from). That script
//!     calls `__hotloop.useRefreshRuntime(exports, { embedded: true })`, which only offers it.
//! - **Install.** `start` installs the named app copy (falling back to the offered embedded one if it
//!   throws), calling `injectIntoGlobalHook(window)` before any entry runs, so React DOM finds the
//!   hook when it loads. The first runtime installed stays. `__hotloop.inspect().refresh` says which
//!   (`source`: the module id, `"embedded"` or null) and how many refreshes ran.
//! - **Boundaries at run time** (Vite's plugin-react rules). After a module that registered
//!   components evaluates, its component exports are registered too (`"<id> export <name>"`: HOC
//!   results such as `memo(...)`). When a boundary planned as self-accepting without any
//!   `hot.accept()` of its own re-evaluates and registered components, the runtime checks the new
//!   exports: same names as before, at least one, each a component (`isLikelyComponentType`) or
//!   unchanged. If not (or no refresh runtime is installed), it calls `hot.invalidate(reason)`: the
//!   engine then updates the importers, so no UI is left stale.
//! - **One refresh per update.** After an update that evaluated a module which registered components,
//!   the runtime calls `performReactRefresh()` once, unless an invalidation is on its way (the
//!   importers' update refreshes everything at once). Changed hook signatures remount (the refresh
//!   runtime compares them); class components remount. An error React reports while re-rendering
//!   (no error boundary: the tree unmounts) shows in the overlay under `React` until a refresh
//!   renders cleanly; the refresh runtime re-renders the failed root once the code is fixed.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxc_resolver::ResolveError;

use crate::db::Db;
use crate::environment::EnvironmentKind;
use crate::files::{
    FileClass, ImportQuery, glob_module_of_path, needed_tool, path_of_plugin_id, plugin_id,
    with_query,
};
use crate::inputs::{Alias, AliasFind, Project, SourceFile, in_node_modules};
use crate::queries::imports::{import_specifiers, server_import_specifiers};
use crate::resolver::package_name;
use crate::telemetry::Phase;
use crate::transform::ImportKind;
use hotloop_protocol::plugin::{PluginEnv, PluginError, Resolved};

/// Where one import leads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Resolution {
    File(SourceFile),
    /// Remapped to nothing by a `browser: { "x": false }` field: an empty module.
    Empty,
    /// `message` says why (without the "Cannot resolve" prefix).
    NotFound {
        message: Arc<str>,
    },
    /// The server's: an npm package or a Node built-in, which Node loads itself
    /// (`node:fs`, `file:///…/node_modules/react/index.js`); the page's: a URL
    /// (`https://esm.sh/x`), which the browser loads itself. Not a module of the graph.
    External {
        url: Arc<str>,
    },
}

/// One import and where it leads; index-aligned with `module_imports`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResolvedImport {
    pub specifier: Arc<str>,
    pub kind: ImportKind,
    pub resolution: Resolution,
}

#[salsa::tracked(returns(clone))]
pub fn resolved_imports(db: &dyn Db, file: SourceFile) -> Arc<[ResolvedImport]> {
    let _clock = db
        .clock()
        .enter_key(Phase::Resolve, "resolved_imports", file);
    let importer = file.path(db);
    let _span = tracing::trace_span!("resolved_imports", file = %importer.display()).entered();
    // The dependency that makes resolution re-run when the file system changes.
    read_epoch(db, file);
    resolve_all(db, EnvironmentKind::Page, file)
}

/// `resolved_imports` as the server graph sees them (`EnvironmentKind::Server`): Node's
/// conditions, and npm packages and Node built-ins `External`.
#[salsa::tracked(returns(clone))]
pub fn server_imports(db: &dyn Db, file: SourceFile) -> Arc<[ResolvedImport]> {
    let _clock = db.clock().enter_key(Phase::Resolve, "server_imports", file);
    let _span = tracing::trace_span!("server_imports", file = %file.path(db).display()).entered();
    read_epoch(db, file);
    resolve_all(db, EnvironmentKind::Server, file)
}

/// Reads the epoch `file`'s resolution depends on: a package's own imports (a file in
/// `node_modules`) `Project::package_epoch`, which files of the app coming and going leave as
/// it is; the app's `Project::resolution_epoch`.
fn read_epoch(db: &dyn Db, file: SourceFile) {
    if let Some(project) = Project::try_get(db) {
        if in_node_modules(file.path(db)) {
            project.package_epoch(db);
        } else {
            project.resolution_epoch(db);
        }
    }
}

/// The imports of `file` as an environment of `env` resolves them.
pub fn imports_in(db: &dyn Db, env: EnvironmentKind, file: SourceFile) -> Arc<[ResolvedImport]> {
    match env {
        EnvironmentKind::Server => server_imports(db, file),
        EnvironmentKind::Page | EnvironmentKind::Worker => resolved_imports(db, file),
    }
}

fn resolve_all(db: &dyn Db, env: EnvironmentKind, file: SourceFile) -> Arc<[ResolvedImport]> {
    let importer = file.path(db);
    let is_css = matches!(
        FileClass::of(importer),
        FileClass::Css | FileClass::HtmlStyle
    );
    let specifiers = match env {
        EnvironmentKind::Server => server_import_specifiers(db, file),
        EnvironmentKind::Page | EnvironmentKind::Worker => import_specifiers(db, file),
    };
    let aliases = Project::try_get(db).map(|p| &p.options(db).aliases);
    // Each import's specifier after `resolve.alias` (Vite's alias plugin runs before every
    // other resolver, plugins included); `None`: the importer's own glob module.
    let aliased: Vec<Option<Cow<'_, str>>> = specifiers
        .iter()
        .map(|import| {
            (import.kind != ImportKind::Glob).then(|| {
                match aliases.and_then(|a| apply_alias(a, &import.specifier)) {
                    Some(rewritten) => Cow::Owned(rewritten),
                    None => Cow::Borrowed(&*import.specifier),
                }
            })
        })
        .collect();
    let mut from_plugins = resolve_with_plugins(db, env, importer, &aliased);
    specifiers
        .iter()
        .zip(&aliased)
        .zip(from_plugins.iter_mut())
        .map(|((import, aliased), from_plugins)| ResolvedImport {
            specifier: import.specifier.clone(),
            kind: import.kind,
            resolution: match (aliased, from_plugins.take()) {
                (None, _) => resolve_glob(db, importer, &import.specifier),
                (Some(_), Some(resolution)) => resolution,
                (Some(specifier), None) => {
                    resolve_one(db, env, importer, specifier, import.kind, is_css)
                }
            },
        })
        .collect()
}

/// A stylesheet's `url()` that names no file beside the sheet but one through `resolve.alias`
/// or in a package (`url("@/assets/bg.svg")`, `url("@fontsource/inter/files/x.woff2")`): the
/// URL that file is served at (its module id, the query kept), as Vite's CSS resolves it;
/// `None` otherwise (the URL is made absolute from the sheet's own, as written). Reads the
/// resolution epoch: a file created or removed asks again.
pub(crate) fn css_url(db: &dyn Db, importer: &Path, url: &str) -> Option<String> {
    let split = url.find(['?', '#']).unwrap_or(url.len());
    let (path, suffix) = url.split_at(split);
    let project = Project::try_get(db)?;
    let _epoch = project.resolution_epoch(db);
    let aliased = apply_alias(&project.options(db).aliases, path);
    if aliased.is_none() {
        // A relative path first (`url(img.png)` is `./img.png`), and a path is one.
        let dir = importer.parent()?;
        if path.starts_with('.') || path.starts_with('/') || dir.join(path).is_file() {
            return None;
        }
    }
    let specifier = aliased.as_deref().unwrap_or(path);
    match resolve_path(
        db,
        EnvironmentKind::Page,
        importer,
        specifier,
        ImportKind::Static,
        true,
    ) {
        Resolution::File(file) => Some(format!("{}{suffix}", file.id(db))),
        _ => None,
    }
}

/// Which React Fast Refresh runtime the page uses (see this module's "React Fast Refresh").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefreshRuntime {
    /// React Refresh is off, or `react` does not resolve from the project root.
    None,
    /// The copy embedded in hotloop, loaded by `<script src="/_hotloop/react-refresh.js">`.
    Embedded,
    /// The app's own `react-refresh/runtime`: a module of the chunk, named in `start`.
    App(SourceFile),
}

/// The project's React Refresh runtime: the app's own `react-refresh/runtime` when it resolves
/// from the project root, else the embedded copy when `react` does; re-runs when the resolution
/// epoch moves (a package installed or removed). `react` resolving is not enough when the
/// root's `package.json` lists the app's dependencies and React is not one: an app beside React
/// apps in a monorepo (or under any directory whose `node_modules` has React) resolves it from
/// a parent directory, and its page would load and run a refresh runtime nothing registers with.
#[salsa::tracked(returns(copy))]
pub fn refresh_runtime(db: &dyn Db, project: Project) -> RefreshRuntime {
    let _clock = db
        .clock()
        .enter_key(Phase::Resolve, "refresh_runtime", project);
    let _span = tracing::trace_span!("refresh_runtime").entered();
    let _epoch = project.resolution_epoch(db);
    if !project.options(db).react_refresh {
        return RefreshRuntime::None;
    }
    let from = project.root(db).join("index.html");
    let resolvers = db.resolvers();
    if resolvers
        .resolve(&from, "react", ImportKind::Static)
        .is_err()
        || !manifest_may_use_react(db, project)
    {
        return RefreshRuntime::None;
    }
    match resolvers.resolve(&from, "react-refresh/runtime", ImportKind::Static) {
        Ok(path) => RefreshRuntime::App(db.files().get_or_read(db, &path)),
        Err(_) => RefreshRuntime::Embedded,
    }
}

/// False when the project root's `package.json` lists dependencies (of any kind) and `react` is
/// none of them; true without such a file, one that does not parse or one that lists none
/// (a workspace's app whose packages its root installs): resolution decides then.
fn manifest_may_use_react(db: &dyn Db, project: Project) -> bool {
    let manifest = db
        .files()
        .get_or_read(db, &project.root(db).join("package.json"));
    let contents = manifest.contents(db);
    let Some(value) = contents
        .text()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    else {
        return true;
    };
    const KINDS: [&str; 4] = [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ];
    let mut lists = KINDS.iter().filter_map(|kind| value.get(kind)).peekable();
    lists.peek().is_none() || lists.any(|deps| deps.get("react").is_some())
}

/// Whether the project's React ignores `jsxDEV`'s `source` and `self` arguments: React 19 and
/// later (the version in `react/package.json` as resolved from the root). Then its automatic
/// JSX runtime gets calls without them (`TransformOptions::jsx_dev_source`). No React, or a
/// version that does not read as one, keeps them. Re-runs when the resolution epoch moves or
/// the package's `package.json` changes (an upgrade).
#[salsa::tracked(returns(copy))]
pub fn react_ignores_jsx_source(db: &dyn Db, project: Project) -> bool {
    let _clock = db
        .clock()
        .enter_key(Phase::Resolve, "react_ignores_jsx_source", project);
    let _epoch = project.resolution_epoch(db);
    let from = project.root(db).join("index.html");
    let Ok(path) = db
        .resolvers()
        .resolve(&from, "react/package.json", ImportKind::Static)
    else {
        return false;
    };
    let manifest = db.files().get_or_read(db, &path);
    let contents = manifest.contents(db);
    let Some(text) = contents.text() else {
        return false;
    };
    major_version(&text).is_some_and(|major| major >= 19)
}

/// The major version of a `package.json`'s `"version"`.
fn major_version(package_json: &str) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_str(package_json).ok()?;
    let version = value.get("version")?.as_str()?;
    version.split('.').next()?.parse().ok()
}

/// `./main.ts?glob=0`: the importer's own glob module.
fn resolve_glob(db: &dyn Db, importer: &Path, specifier: &str) -> Resolution {
    let path = importer.with_file_name(specifier.trim_start_matches("./"));
    match glob_module_of_path(&path) {
        Some((of, _)) if of == importer => Resolution::File(db.files().get_or_read(db, &path)),
        _ => not_found("not the module of an import.meta.glob() call"),
    }
}

/// Where `specifier` (already aliased) leads when no plugin took it.
fn resolve_one(
    db: &dyn Db,
    env: EnvironmentKind,
    importer: &Path,
    specifier: &str,
    kind: ImportKind,
    from_css: bool,
) -> Resolution {
    if is_external_url(specifier) {
        // The browser's own to load, as under Vite (`import confetti from
        // 'https://esm.sh/canvas-confetti'`, three.js's TTFLoader's opentype.js): the runtime
        // defines the URL as a module that waits for its native `import()`.
        if env.is_browser() && !from_css {
            return Resolution::External {
                url: specifier.into(),
            };
        }
        return not_found(if env.is_browser() {
            "external URLs are not bundled; load them with a <script> tag"
        } else {
            "the app's server runs in Node, which does not import modules from URLs"
        });
    }
    if !env.is_browser() && is_node_builtin(specifier) {
        let name = specifier.trim_start_matches("node:");
        return Resolution::External {
            url: format!("node:{name}").into(),
        };
    }
    if let Some((base, query)) = ImportQuery::split(specifier) {
        return match resolve_path(db, env, importer, base, kind, from_css) {
            Resolution::File(file) => {
                let variant = query.path_of(file.path(db));
                Resolution::File(db.files().get_or_read(db, &variant))
            }
            other => other,
        };
    }
    // With plugins, any other query (`./logo.svg?react` for vite-plugin-svgr, `?worker&inline`,
    // TanStack Router's `./routes/index.tsx?tsr-split=component`) makes the module
    // `<file>?<query>`, as Vite's own resolver keeps it, for the plugins' `load` and
    // `transform`; one no plugin loads is the file's text under that id (a script), or an error
    // of that module (an asset as code).
    if db.plugins().is_some()
        && let Some(query) = plugin_query(specifier).or_else(|| unsupported_query(specifier))
    {
        let base = &specifier[..specifier.len() - query.len() - 1];
        return match resolve_path(db, env, importer, base, kind, from_css) {
            Resolution::File(file) => {
                let variant = with_query(file.path(db), query);
                Resolution::File(db.files().get_or_read(db, &variant))
            }
            other => other,
        };
    }
    if let Some(query) = unsupported_query(specifier) {
        return not_found(&format!(
            "`?{query}` imports need a Vite plugin or feature hotloop does not have; \
             it supports `?raw` (the file's text), `?url` (its URL), `?inline`, `?worker`, \
             `?sharedworker`, `?worker&url`, `?worker&inline` and `.wasm?init`"
        ));
    }
    match resolve_path(db, env, importer, specifier, kind, from_css) {
        // With plugins, a `.vue` file is theirs to compile (`parsed_module` says when none did).
        Resolution::File(file) if db.plugins().is_some() => Resolution::File(file),
        Resolution::File(file) => match needed_tool(file.path(db)) {
            Some((ext, tool)) => not_found(&format!(
                "`.{ext}` files need {tool}; without it, hotloop compiles \
                 JS, TS, JSX, CSS, CSS Modules and JSON (`?raw` and `?url` imports of any file \
                 work)"
            )),
            None => Resolution::File(file),
        },
        other => other,
    }
}

/// `specifier` rewritten by the first `resolve.alias` entry that matches it (Vite's alias
/// plugin runs before every other resolver, plugins included).
pub(crate) fn apply_alias(aliases: &[Alias], specifier: &str) -> Option<String> {
    aliases.iter().find_map(|alias| match &alias.find {
        AliasFind::Exact(find) => {
            let rest = specifier.strip_prefix(find.as_str())?;
            (rest.is_empty() || rest.starts_with('/'))
                .then(|| format!("{}{rest}", alias.replacement))
        }
        AliasFind::Pattern(pattern) => with_regex(pattern, |regex| {
            let regex = regex?;
            regex.is_match(specifier).then(|| {
                regex
                    .replace(specifier, alias.replacement.as_str())
                    .into_owned()
            })
        }),
    })
}

/// Runs `f` with the compiled `pattern` (compiled once per thread; `None` if it does not
/// compile, which the binary has already reported).
fn with_regex<T>(pattern: &str, f: impl FnOnce(Option<&regex::Regex>) -> T) -> T {
    thread_local! {
        static COMPILED: std::cell::RefCell<rustc_hash::FxHashMap<String, Option<regex::Regex>>> =
            Default::default();
    }
    COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        let regex = compiled
            .entry(pattern.to_string())
            .or_insert_with(|| regex::Regex::new(pattern).ok());
        f(regex.as_ref())
    })
}

/// The plugins' `resolveId` answers for a module's imports (index-aligned with `specifiers`;
/// `None` where no plugin takes one, or it is a glob module's), all asked in one request: a
/// path (possibly with a query: a sub-module) or a virtual id, which becomes the module at
/// `<root>/@id/<id>`. For the app's server (`EnvironmentKind::Server`, the plugins' `ssr`
/// variant) npm packages stay Node's to load: an `external` answer, or a bare specifier a
/// plugin resolved into `node_modules`, falls through to hotloop's own resolution (which makes
/// them externals).
fn resolve_with_plugins(
    db: &dyn Db,
    env: EnvironmentKind,
    importer: &Path,
    specifiers: &[Option<Cow<'_, str>>],
) -> Vec<Option<Resolution>> {
    let mut out = vec![None; specifiers.len()];
    let Some(plugins) = db.plugins() else {
        return out;
    };
    let env = if env.is_browser() {
        PluginEnv::Client
    } else {
        PluginEnv::Ssr
    };
    // The distinct specifiers some plugin takes, in their first import's order.
    let mut asked: Vec<&str> = Vec::new();
    for specifier in specifiers.iter().flatten() {
        if !asked.contains(&&**specifier) && plugins.wants_resolve_in(env, specifier) {
            asked.push(specifier);
        }
    }
    if asked.is_empty() {
        return out;
    }
    let root = db.files().root();
    let importer_id = plugin_id(root, importer);
    let answers = plugins.resolve_ids_in(env, &asked, Some(&importer_id));
    for (slot, specifier) in out.iter_mut().zip(specifiers) {
        let Some(specifier) = specifier else { continue };
        let Some(at) = asked.iter().position(|s| *s == specifier) else {
            continue;
        };
        let Some(answer) = answers.get(at) else {
            continue;
        };
        *slot = plugin_resolution(db, env, specifier, answer);
    }
    out
}

/// The module the plugins' `resolveId` make of a page's entry at `path` (the page at `page`
/// its importer): for one at `<root>/@id/<id>` (Vite's URL of a module by its id, as
/// vite-plugin-vue-devtools injects `/@id/virtual:vue-devtools-path:overlay.js`), as Vite's
/// dev server resolves such a request before loading it; for a module `script` at its URL
/// (`/src/main.tsx`), as Vite's page transform asks. `None` when no plugin takes it (then it
/// is the file, or the virtual module `<id>` for their `load`) or it fails (its `load` error
/// says so).
pub fn html_entry(db: &dyn Db, path: &Path, page: &Path, script: bool) -> Option<SourceFile> {
    let root = db.files().root();
    let by_id = path.starts_with(root.join(crate::files::VIRTUAL_DIR));
    if !by_id && !script {
        return None;
    }
    let plugins = db.plugins()?;
    // A page's module script, as Vite's page transform asks for it: by its URL, the page its
    // importer. Plugins learn the app's entry there (@preact/preset-vite puts `preact/debug`
    // into the module it saw imported by an `.html` file).
    let id = if by_id {
        plugin_id(root, path)
    } else {
        db.files().module_id(path).to_string()
    };
    if !plugins.wants_resolve_in(PluginEnv::Client, &id) {
        return None;
    }
    let importer = page.to_string_lossy().into_owned();
    let answers = plugins.resolve_ids_in(PluginEnv::Client, &[&id], Some(&importer));
    match plugin_resolution(db, PluginEnv::Client, &id, answers.first()?)? {
        Resolution::File(file) => Some(file),
        _ => None,
    }
}

/// One `resolveId` answer as a resolution; `None`: hotloop's own resolution decides.
fn plugin_resolution(
    db: &dyn Db,
    env: PluginEnv,
    specifier: &str,
    answer: &Result<Option<Resolved>, PluginError>,
) -> Option<Resolution> {
    let root = db.files().root();
    match answer {
        Ok(None) => None,
        Ok(Some(resolved))
            if env == PluginEnv::Ssr
                && (resolved.external
                    || (is_bare(specifier) && resolved.id.contains("/node_modules/"))) =>
        {
            None
        }
        Ok(Some(resolved)) if resolved.external => Some(not_found(&format!(
            "a plugin marked '{}' external, which a page cannot import by URL here",
            resolved.id
        ))),
        Ok(Some(resolved)) => {
            // A path (with any query) when its file exists; else an id only the plugins know,
            // `/@solid-refresh` as much as `\0virtual:x`.
            let path = path_of_plugin_id(root, &resolved.id);
            Some(Resolution::File(db.files().get_or_read(db, &path)))
        }
        Err(error) => Some(not_found(&error.to_string())),
    }
}

/// The project's public directory (`publicDir`: `ROOT/public` unless the config says
/// otherwise), whose files `/name` URLs name; `None` when it has none.
pub(crate) fn public_dir(db: &dyn Db) -> Option<PathBuf> {
    crate::inputs::Project::try_get(db)
        .map_or(crate::inputs::PublicDir::InRoot, |p| {
            p.options(db).public_dir.clone()
        })
        .dir(db.files().root())
}

/// The file `specifier` names (no query), whatever its type.
fn resolve_path(
    db: &dyn Db,
    env: EnvironmentKind,
    importer: &Path,
    specifier: &str,
    kind: ImportKind,
    from_css: bool,
) -> Resolution {
    let resolvers = db.resolvers();
    // `resolve.dedupe`: its packages resolve from the root, wherever the importer is.
    let from_root = Project::try_get(db)
        .filter(|project| project.options(db).resolve.dedupes(specifier))
        .map(|project| project.root(db).join("index.html"));
    let resolve_from = from_root.as_deref().unwrap_or(importer);
    let resolve = |specifier: &str| resolvers.resolve_in(env, resolve_from, specifier, kind);
    // In CSS, `@import "a.css"` means `./a.css`; else a package's stylesheet, as Vite's CSS
    // resolver finds it (`style`), then what a script import of it would be.
    let result = if from_css && is_bare(specifier) {
        resolve(&format!("./{specifier}"))
            .or_else(|_| resolvers.resolve_css(resolve_from, specifier))
            .or_else(|_| resolve(specifier))
    } else {
        resolve(specifier)
    };
    // A root-absolute URL of a file in `public/` (`/icons.svg`): the file served at that URL,
    // as Vite resolves it (its module is the URL; see `parsed::asset_url`).
    let result = match result {
        Err(ResolveError::NotFound(_))
            if specifier.starts_with('/') && !specifier.starts_with("//") =>
        {
            match public_dir(db).map(|dir| dir.join(specifier.trim_start_matches('/'))) {
                Some(public) if public.is_file() => Ok(public),
                _ => result,
            }
        }
        other => other,
    };
    // A package that a source file (a linked workspace package's, most often) finds in a
    // nested `node_modules` of its own while the root has a copy too: the root's, as Vite's
    // dev server gives every import of a pre-bundled dependency, by its name, one copy. Two
    // Reacts in one page break its hooks ("Invalid hook call": a blank page).
    let result = match result {
        Ok(path)
            if env.is_browser()
                && from_root.is_none()
                && !from_css
                && is_bare(specifier)
                && in_node_modules(&path)
                && !in_node_modules(importer) =>
        {
            Ok(root_copy(db, env, specifier, kind, &path).unwrap_or(path))
        }
        other => other,
    };
    match result {
        // Node loads npm packages itself (linked workspace packages resolve to their real
        // paths outside `node_modules` and stay sources).
        Ok(path) if !env.is_browser() && in_node_modules(&path) => Resolution::External {
            url: file_url(&path).into(),
        },
        Ok(path) => Resolution::File(db.files().get_or_read(db, &path)),
        Err(ResolveError::Ignored(_)) => Resolution::Empty,
        Err(error) => not_found(&reason(importer, specifier, &error)),
    }
}

/// The root's copy of the package `specifier` names, when it is another than `found` (what the
/// importer's own `node_modules` gave).
fn root_copy(
    db: &dyn Db,
    env: EnvironmentKind,
    specifier: &str,
    kind: ImportKind,
    found: &Path,
) -> Option<PathBuf> {
    let root = db.files().root();
    if found.starts_with(root.join("node_modules")) {
        return None;
    }
    let at_root = db
        .resolvers()
        .resolve_in(env, &root.join("index.html"), specifier, kind)
        .ok()?;
    (in_node_modules(&at_root) && at_root != found).then_some(at_root)
}

/// The query of a relative or absolute specifier (`./a.tsx?tsr-split=component`), for the
/// plugins: `None` without one. (Queries hotloop implements itself were taken before.)
fn plugin_query(specifier: &str) -> Option<&str> {
    if !(specifier.starts_with('.') || specifier.starts_with('/')) {
        return None;
    }
    let (_, query) = specifier.rsplit_once('?')?;
    (!query.is_empty()).then_some(query)
}

/// Vite import queries (and common plugins' ones) hotloop does not implement: an import using
/// one is an error rather than silently the file's ordinary module.
fn unsupported_query(specifier: &str) -> Option<&str> {
    const VITE_QUERIES: [&str; 9] = [
        "raw",
        "url",
        "inline",
        "no-inline",
        "worker",
        "sharedworker",
        "init",
        "react",
        "component",
    ];
    let (_, query) = specifier.rsplit_once('?')?;
    let first = query.split('&').next().unwrap_or(query);
    VITE_QUERIES.contains(&first).then_some(query)
}

/// `file:///…` for an absolute path, with the characters a URL path cannot hold escaped.
fn file_url(path: &Path) -> String {
    crate::transform::file_url(&path.to_string_lossy())
}

fn not_found(message: &str) -> Resolution {
    Resolution::NotFound {
        message: message.into(),
    }
}

fn reason(importer: &Path, specifier: &str, error: &ResolveError) -> String {
    match error {
        ResolveError::NotFound(_) if is_node_builtin(specifier) => format!(
            "'{}' is a Node.js built-in module, which does not exist in the browser",
            specifier.trim_start_matches("node:")
        ),
        ResolveError::NotFound(_) => match package_name(specifier) {
            // `@/components/Nope`, `~/utils`: no npm package is named so.
            Some(package) if !npm_name(package) => format!(
                "no such file: '{package}' names no npm package and no alias maps it (if it is \
                 one, check the config's resolve.alias, or the paths of the tsconfig that \
                 includes this file, and that its target exists)"
            ),
            Some(package) => match installed_package(importer, package) {
                Installed::No => format!(
                    "package '{package}' is not installed (run `{} {package}`)",
                    install_command(importer)
                ),
                // A workspace's package moved or deleted: its link in `node_modules` is left
                // pointing at nothing, and `npm install @acme/ui` would fetch a stranger's.
                Installed::DanglingLink { link, target } => format!(
                    "{} links to {}, which does not exist (a workspace package moved or \
                     deleted? run `{}` to link the packages again)",
                    link.display(),
                    target.display(),
                    relink_command(importer)
                ),
                // The package itself: its entry is what is missing (a deleted `index.js`, a
                // `main` naming a `dist` not built yet), as Vite says.
                Installed::At(dir)
                    if specifier == package && !dir.join("package.json").is_file() =>
                {
                    format!(
                        "package '{package}' has no package.json, nor an index.js, in {} \
                         (restore its package.json, or install the package again)",
                        dir.display()
                    )
                }
                Installed::At(dir) if specifier == package => format!(
                    "package '{package}' has no entry file: the main, module or exports of {} \
                     name no file that exists (build the package, or fix its package.json)",
                    dir.join("package.json").display()
                ),
                Installed::At(_) => format!("package '{package}' has no file for '{specifier}'"),
            },
            None => "no such file".to_string(),
        },
        other => other.to_string(),
    }
}

/// The command that adds a package with the project's package manager, by the lockfile
/// nearest above `importer` (`npm install` without one).
fn install_command(importer: &Path) -> &'static str {
    const LOCKFILES: [(&str, &str); 5] = [
        ("pnpm-lock.yaml", "pnpm add"),
        ("yarn.lock", "yarn add"),
        ("bun.lock", "bun add"),
        ("bun.lockb", "bun add"),
        ("package-lock.json", "npm install"),
    ];
    importer
        .ancestors()
        .skip(1)
        .find_map(|dir| {
            LOCKFILES
                .iter()
                .find(|(lockfile, _)| dir.join(lockfile).is_file())
                .map(|(_, command)| *command)
        })
        .unwrap_or("npm install")
}

/// Whether `name` can be an npm package's name: `@scope/name` with both parts, or `name`,
/// neither starting with `.` or `_`, without npm's disallowed characters (`~'!()*`).
fn npm_name(name: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(['.', '_'])
            && !p.contains(['~', '\'', '!', '(', ')', '*', ' '])
    };
    match name.strip_prefix('@') {
        // Scoped names came after npm stopped taking capitals (`@ui/Counter` is an alias).
        Some(scoped) => scoped.split_once('/').is_some_and(|(scope, n)| {
            part(scope) && part(n) && !scoped.chars().any(|c| c.is_ascii_uppercase())
        }),
        None => part(name),
    }
}

/// Node's built-in modules (the ones a browser bundle is likely to meet).
const NODE_BUILTINS: &[&str] = &[
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "fs/promises",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "path/posix",
    "path/win32",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "stream/promises",
    "stream/web",
    "string_decoder",
    "sys",
    "timers",
    "timers/promises",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "util/types",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

fn is_node_builtin(specifier: &str) -> bool {
    specifier.starts_with("node:") || NODE_BUILTINS.contains(&specifier)
}

fn is_external_url(specifier: &str) -> bool {
    specifier.starts_with("//")
        || ["http:", "https:", "data:", "blob:"]
            .iter()
            .any(|scheme| specifier.starts_with(scheme))
}

fn is_bare(specifier: &str) -> bool {
    !(specifier.starts_with('.') || specifier.starts_with('/') || specifier.starts_with('#'))
}

/// What the `node_modules` above an importer hold of a package.
enum Installed {
    /// Its directory (its real path: a workspace's package is edited where it lives).
    At(PathBuf),
    /// A link (the nearest) whose target does not exist.
    DanglingLink {
        link: PathBuf,
        target: PathBuf,
    },
    No,
}

/// The package `package` as the `node_modules` above `importer` hold it.
fn installed_package(importer: &Path, package: &str) -> Installed {
    let mut dangling = None;
    for dir in importer.ancestors().skip(1) {
        let dir = dir.join("node_modules").join(package);
        if dir.is_dir() {
            return Installed::At(std::fs::canonicalize(&dir).unwrap_or(dir));
        }
        if dangling.is_none()
            && let Ok(target) = std::fs::read_link(&dir)
        {
            let target = dir.parent().map_or(target.clone(), |p| p.join(&target));
            dangling = Some((dir, target));
        }
    }
    match dangling {
        Some((link, target)) => Installed::DanglingLink {
            link,
            target: normalize_lexically(&target),
        },
        None => Installed::No,
    }
}

/// `path` without its `.` and `..` parts, on its text alone (its target may not exist).
fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The command that links a workspace's packages again (`npm install`, `pnpm install`, ...),
/// by the project's package manager.
fn relink_command(importer: &Path) -> String {
    let manager = install_command(importer).split(' ').next().unwrap_or("npm");
    format!("{manager} install")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_package_is_added_with_the_projects_package_manager() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("apps/web/src/main.ts");
        std::fs::create_dir_all(app.parent().unwrap()).unwrap();
        assert_eq!(install_command(&app), "npm install");
        std::fs::write(dir.path().join("pnpm-lock.yaml"), "").unwrap();
        assert_eq!(install_command(&app), "pnpm add");
        std::fs::write(dir.path().join("apps/web/yarn.lock"), "").unwrap();
        assert_eq!(install_command(&app), "yarn add", "the nearest lockfile");
    }

    #[test]
    fn aliases_as_vite_applies_them() {
        let aliases = [
            Alias {
                find: AliasFind::Exact("@".into()),
                replacement: "/p/src".into(),
            },
            Alias {
                find: AliasFind::Pattern("^~(.*)$".into()),
                replacement: "$1".into(),
            },
        ];
        let alias = |s: &str| apply_alias(&aliases, s);
        assert_eq!(alias("@/a.js").as_deref(), Some("/p/src/a.js"));
        assert_eq!(alias("@").as_deref(), Some("/p/src"));
        assert_eq!(alias("@scope/pkg"), None);
        assert_eq!(
            alias("~bootstrap/x.css").as_deref(),
            Some("bootstrap/x.css")
        );
        assert_eq!(alias("./a.js"), None);
    }
}
