//! What the engine asks of a project's Vite plugins, and what they answer: the seam between the
//! engine's queries and the Node.js plugin host (`hotloop-plugin-host`), which implements
//! [`Plugins`]. The binary hands the engine an `Arc<dyn Plugins>`; the engine never spawns a
//! process and the host never touches salsa.
//!
//! Ids are Vite's: an absolute file path, optionally with a query (`/abs/src/App.vue?vue&type=
//! style&index=0&lang.css`), or a virtual id a plugin made up (`\0virtual:routes`,
//! `virtual:my-module`). Every call is synchronous from the caller's side; the host keeps many
//! in flight at once (the engine compiles on several threads).
//!
//! The `wants_*` checks are Vite 6.3's hook `filter`s (and the hooks' mere presence), evaluated
//! in Rust so that a module no plugin would touch costs no round trip.

use std::fmt;
use std::path::PathBuf;

use crate::client::ClientId;

/// Which of Vite's environments a hook runs for: the page (`client`) or the app's server
/// (`ssr`, server-side HMR). Hooks get `{ ssr }` in their options and `this.environment.name`
/// accordingly, and their answers are memoized per environment (Vite's `ssr` variant: a
/// `.vue` file compiled for the server renders to a string).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PluginEnv {
    #[default]
    Client,
    Ssr,
}

/// A project's plugins, as the engine sees them.
// `PluginError` is large (136 bytes) but rare, and every call that can return it is a
// round trip to another process: boxing it would buy nothing measurable.
#[allow(clippy::result_large_err)]
pub trait Plugins: Send + Sync + 'static {
    /// Changes whenever the config, the plugin list or an installed plugin package's version
    /// changes: part of every memoized plugin result's key (the persistent compile cache).
    fn fingerprint(&self) -> u64;

    /// Whether a plugin hook has been asked anything in this session (its answer may be in
    /// some module's code): while not, every module is hotloop's own output of the files, and
    /// the page of the last session may be kept and served (the engine's `last_page.rs`).
    /// Conservatively true.
    fn hooks_answered(&self) -> bool {
        true
    }

    /// Whether any plugin's `resolveId` may answer for `specifier` (imported by `importer`).
    fn wants_resolve(&self, specifier: &str) -> bool;
    /// Runs the `resolveId` hooks in order; the first non-null answer wins.
    fn resolve_id(
        &self,
        specifier: &str,
        importer: Option<&str>,
    ) -> Result<Option<Resolved>, PluginError>;

    /// Whether any plugin's `load` may answer for `id`.
    fn wants_load(&self, id: &str) -> bool;
    /// Runs the `load` hooks in order; the first non-null answer wins.
    fn load(&self, id: &str) -> Result<Option<Output>, PluginError>;

    /// Whether any plugin's `transform` may change `id` with this code.
    fn wants_transform(&self, id: &str, code: &str) -> bool;
    /// Runs every matching `transform` hook in order, each on the last one's output; source
    /// maps chained. `None` when no hook changed the code.
    fn transform(&self, id: &str, code: &str) -> Result<Option<Output>, PluginError>;

    /// `wants_resolve` for an environment (its plugins: Vite's `applyToEnvironment`); the
    /// default asks as for the page.
    fn wants_resolve_in(&self, env: PluginEnv, specifier: &str) -> bool {
        let _ = env;
        self.wants_resolve(specifier)
    }

    /// `wants_load` for an environment; the default asks as for the page.
    fn wants_load_in(&self, env: PluginEnv, id: &str) -> bool {
        let _ = env;
        self.wants_load(id)
    }

    /// `wants_transform` for an environment; the default asks as for the page.
    fn wants_transform_in(&self, env: PluginEnv, id: &str, code: &str) -> bool {
        let _ = env;
        self.wants_transform(id, code)
    }

    /// `resolve_id` for an environment; the default asks as for the page.
    fn resolve_id_in(
        &self,
        env: PluginEnv,
        specifier: &str,
        importer: Option<&str>,
    ) -> Result<Option<Resolved>, PluginError> {
        let _ = env;
        self.resolve_id(specifier, importer)
    }

    /// `resolve_id_in` for several specifiers of one importer (a module's imports, each one
    /// `wants_resolve_in` admitted): the answers in the same order, each with its own error,
    /// as Vite's import analysis resolves a module's imports concurrently. The default asks
    /// one at a time; the plugin host answers them all in one round trip.
    fn resolve_ids_in(
        &self,
        env: PluginEnv,
        specifiers: &[&str],
        importer: Option<&str>,
    ) -> Vec<Result<Option<Resolved>, PluginError>> {
        specifiers
            .iter()
            .map(|specifier| self.resolve_id_in(env, specifier, importer))
            .collect()
    }

    /// `load` for an environment; the default asks as for the page.
    fn load_in(&self, env: PluginEnv, id: &str) -> Result<Option<Output>, PluginError> {
        let _ = env;
        self.load(id)
    }

    /// `transform` for an environment; the default asks as for the page.
    fn transform_in(
        &self,
        env: PluginEnv,
        id: &str,
        code: &str,
    ) -> Result<Option<Output>, PluginError> {
        let _ = env;
        self.transform(id, code)
    }

    /// `load_in`, then `transform_in` of what it gave (of `code`, the module's own text, when no
    /// `load` answered and `transform_unloaded`; nothing more when not: a virtual module no
    /// plugin loads): the two hook chains of one module, as the engine runs them in turn. The
    /// default makes the two calls; the plugin host answers both in one round trip. `Err`: a
    /// `load` hook failed (no transform ran).
    fn load_and_transform_in(
        &self,
        env: PluginEnv,
        id: &str,
        code: &str,
        transform_unloaded: bool,
    ) -> Result<LoadTransform, PluginError> {
        let loaded = self.load_in(env, id)?;
        if loaded.is_none() && !transform_unloaded {
            return Ok(LoadTransform {
                loaded,
                transformed: Ok(None),
            });
        }
        let source = loaded.as_ref().map_or(code, |o| o.code.as_str());
        let transformed = if self.wants_transform_in(env, id, source) {
            self.transform_in(env, id, source)
        } else {
            Ok(None)
        };
        Ok(LoadTransform {
            loaded,
            transformed,
        })
    }

    /// A watched file changed: runs `handleHotUpdate`/`hotUpdate`. `modules` are the ids of the
    /// graph's modules for that file (the file's own id and its query sub-modules);
    /// `importers`, those of the modules whose plugins watched it (`this.addWatchFile`), which
    /// are its nodes' importers as under Vite (an Angular component, for its `templateUrl`).
    /// `text` is the file's text as the engine read it for this edit, which the hooks'
    /// `read()` then gives (`None`: the file on disk): a later save may already be on disk, and
    /// a plugin that compared with it (plugin-vue) would answer for a text the engine compiles
    /// only with the next batch, whose hot update then finds nothing changed. The answer
    /// narrows which of the modules update (`None`: the plugins left the choice to the engine).
    fn hot_update(
        &self,
        file: &str,
        modules: &[String],
        importers: &[String],
        text: Option<&str>,
    ) -> Result<Option<Vec<String>>, PluginError>;

    /// After a batch of edits, before the build that follows (see [`FileChanges`]). State the
    /// plugins keep per file brings itself up to date from it instead of looking at every file
    /// again (Tailwind CSS's kept scanners extract only the changed sources), and plugins
    /// hear of files as Vite's watcher tells them (`watchChange`, `server.watcher` events: a
    /// new route file, a new component to register). No answer.
    fn files_changed(&self, _changes: &FileChanges) {}

    /// The dev server is shutting down and the plugins were stopped with it: what their
    /// requests answered meanwhile ("the dev server is shutting down") is no news for a page.
    fn stopped(&self) -> bool {
        false
    }

    /// Waits until the plugins heard the last [`Plugins::files_changed`] out (their watcher
    /// listeners and `watchChange` hooks settled, within a bound): what they invalidated or
    /// asked to reload in them belongs to that batch (vite-plugin-pages drops a deleted
    /// page from its routes module in its `unlink` listener). Called for a batch where files
    /// came or went, which sends no hot update to wait on.
    fn settle(&self) {}

    /// A page rendered for the first time since the start (its first idle moment after its
    /// entries ran): the cold build is behind, and the plugins' idle work may begin (the
    /// plugin host warms up Vue's compiler). No answer.
    fn page_rendered(&self) {}

    /// The custom events plugins sent to the pages (`server.ws.send(event, data)`, or to one
    /// page: `client.send` in a `server.ws.on` listener) since the last call, in order. The
    /// engine takes them right after `hot_update` and sends them before that edit's update,
    /// which is the order plugins rely on (plugin-vue's `file-changed` decides between a
    /// re-render and a reload).
    fn take_custom_events(&self) -> Vec<CustomEvent> {
        Vec::new()
    }

    /// The modules (plugin ids) plugins updated themselves since the last call
    /// (`server.ws.send({ type: 'update' })`, as UnoCSS does for its CSS when a file brings new
    /// classes): the engine compiles them again and updates the pages as for an edit.
    fn take_invalidated(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether a plugin asked every page to reload (`server.ws.send({ type: 'full-reload' })`)
    /// since the last call. Taken with an edit's hot update, the edit's update is (or is
    /// followed by) that reload: one reload, after the edit's modules compiled.
    fn take_reload_requested(&self) -> bool {
        false
    }

    /// A page sent a custom event (`import.meta.hot.send(event, data)`, `data` as JSON): the
    /// plugins' `server.ws.on(event)` listeners get it, with the page as the client they may
    /// answer (their answers come back through [`Plugins::take_custom_events`]). No answer.
    fn client_event(&self, _client: ClientId, _event: &str, _data: &str) {}

    /// A page disconnected: the plugins' `server.ws.clients` entry for it closes (vite-dev-rpc
    /// drops its channel). No answer.
    fn client_gone(&self, _client: ClientId) {}

    /// Whether a `pre` handler of the plugins' `server.middlewares` may answer a request for
    /// `path` (StyleX's `/virtual:stylex.css`, which `index.html` links): no file need be there.
    fn middleware_takes(&self, _path: &str) -> bool {
        false
    }

    /// The page's module graph changed (see [`GraphEdges`]): the plugins' `server.moduleGraph`
    /// gets the import edges (`importedModules`, `importers`) Vite's would have, which Vue
    /// DevTools' and vite-plugin-inspect's graphs draw and plugin-vue's hot update reads. No
    /// answer.
    fn module_graph(&self, _edges: &GraphEdges) {}

    /// Whether the next [`Plugins::module_graph`] must be the whole graph: the plugins have
    /// none (a host process started or restarted, or the config loaded again, since the last).
    fn wants_whole_graph(&self) -> bool {
        false
    }

    /// Runs the `transformIndexHtml` hooks on the page's HTML (`url_path` its path as Vite's
    /// HTML fallback makes it, `/index.html` for `/`; `filename` the file on disk). `None` when no hook changed it. The default: no plugins
    /// touch HTML.
    fn transform_index_html(
        &self,
        url_path: &str,
        filename: &str,
        html: &str,
    ) -> Result<Option<String>, PluginError> {
        let _ = (url_path, filename, html);
        Ok(None)
    }
}

/// A `resolveId` answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Resolved {
    /// A Vite id: an absolute path (with any query), or a virtual id.
    pub id: String,
    /// `external: true`: left to the runtime (a URL the page fetches itself).
    pub external: bool,
}

/// What [`Plugins::load_and_transform_in`] got: the `load` answer, and the `transform` answer
/// (of the loaded code, or of the module's own text), or the error of a `transform` hook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadTransform {
    pub loaded: Option<Output>,
    pub transformed: Result<Option<Output>, PluginError>,
}

/// What changed in the page's module graph since the last [`Plugins::module_graph`] (all of it
/// the first time). Modules are named by their URL on the page (the engine's module ids:
/// `/src/App.vue`, `/@id/__x00__virtual:routes`, `/@fs/abs/path`), as Vite's `ModuleNode.url`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphEdges {
    /// Modules that are new or whose imports changed, each with all its imports.
    pub modules: Vec<(String, Vec<String>)>,
    /// Modules that left the graph.
    pub removed: Vec<String>,
}

impl GraphEdges {
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty() && self.removed.is_empty()
    }
}

/// What one batch of edits changed on disk, as absolute paths (`Plugins::files_changed`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileChanges {
    /// Files hotloop knew whose contents changed.
    pub changed: Vec<String>,
    /// Files that appeared (created, or moved in).
    pub created: Vec<String>,
    /// Files that disappeared (deleted, or moved away).
    pub removed: Vec<String>,
    /// A file or directory appeared or disappeared, or a config changed, or the watcher lost
    /// events: per-file state the plugins keep is looked at again.
    pub structural: bool,
}

impl FileChanges {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
            && self.created.is_empty()
            && self.removed.is_empty()
            && !self.structural
    }
}

/// A custom event a plugin sent (`server.ws.send`, or `client.send` to one page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomEvent {
    pub event: String,
    /// JSON text.
    pub data: String,
    /// The page it is for; `None`: every page.
    pub client: Option<ClientId>,
}

/// A `load` or `transform` answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Output {
    pub code: String,
    /// A source map (JSON) from the hook's input to `code`, chained over every hook that ran.
    pub map: Option<String>,
    /// Files the hooks asked to watch (`this.addWatchFile`): editing one re-runs them.
    pub watch_files: Vec<PathBuf>,
    /// `this.warn(...)` calls, as `plugin: message`.
    pub warnings: Vec<String>,
    /// Rolldown's `moduleType` of the last hook that gave one (`js`, `tsx`, `css`, ...): the
    /// language of `code` when it is not the id's (`js` after Vite's TS/JSX step).
    pub module_type: Option<String>,
    /// The code is a `pre` middleware's answer at the module's `/@id/` URL, not a hook's: a
    /// page load would ask it again under Vite (vite-plugin-svg-icons' sprite).
    pub from_middleware: bool,
}

/// A plugin's error, in Rollup's shape (`this.error`, or a throw), or the host's own failure.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PluginError {
    /// The plugin's `name`; empty when the host itself failed (crashed, timed out).
    pub plugin: String,
    /// The hook that failed (`transform`, `load`, ...).
    pub hook: String,
    /// The id being processed, when there was one.
    pub id: Option<String>,
    pub message: String,
    /// 1-based line and column in `id`'s source, when the plugin said.
    pub loc: Option<(u32, u32)>,
    /// The plugin's code frame, when it gave one.
    pub frame: Option<String>,
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.plugin.is_empty() {
            write!(f, "[plugin host] ")?;
        } else {
            write!(f, "[plugin {}] ", self.plugin)?;
        }
        if let Some(id) = &self.id {
            write!(f, "{id}")?;
            if let Some((line, column)) = self.loc {
                write!(f, ":{line}:{column}")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{} (in {})", self.message, self.hook)
    }
}

impl std::error::Error for PluginError {}

/// Where a project's plugin middlewares run, and which paths they take: the seam between the
/// plugin host (which runs them, `js/middlewares.js`) and the dev server (which forwards to
/// them, `hotloop-server`'s `middlewares.rs`, where the contract is written).
///
/// `pre` are the handlers a plugin's `configureServer` added (Vite runs them before its own
/// serving), `post` those added by the function it returned (after Vite's own serving), each
/// as its route prefix (`""` takes every path). Routes match as connect matches them: a prefix
/// ending at a `/` or `.` boundary, case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Middlewares {
    /// The plugin host's loopback HTTP port (127.0.0.1).
    pub port: u16,
    /// Sent with every request (`x-hotloop-token`): the host answers nobody else, so a page
    /// that reaches the port directly (DNS rebinding) gets nothing past hotloop's Host check.
    pub token: String,
    pub pre: Vec<String>,
    pub post: Vec<String>,
}

impl Middlewares {
    /// Whether a `pre` handler may answer `path` (a request path, without the query).
    pub fn pre_takes(&self, path: &str) -> bool {
        self.pre.iter().any(|route| route_matches(route, path))
    }

    /// Whether a `post` handler may answer `path`.
    pub fn post_takes(&self, path: &str) -> bool {
        self.post.iter().any(|route| route_matches(route, path))
    }
}

/// connect's rule: `route` (without a trailing slash; `""` for every path) takes `path` when
/// it starts it, case-insensitively, up to the end or a `/` or `.`.
pub fn route_matches(route: &str, path: &str) -> bool {
    let route = route.strip_suffix('/').unwrap_or(route);
    if route.is_empty() {
        return true;
    }
    match path.get(..route.len()) {
        Some(head) if head.eq_ignore_ascii_case(route) => {
            matches!(path.as_bytes().get(route.len()), None | Some(b'/' | b'.'))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::route_matches;

    #[test]
    fn routes_match_as_connect_matches_them() {
        for (route, path, yes) in [
            ("", "/x", true),
            ("/", "/x", true),
            ("/api", "/api", true),
            ("/api/", "/api/users", true),
            ("/API", "/api/users", true),
            ("/api", "/api.json", true),
            ("/api", "/apix", false),
            ("/api", "/ap", false),
            ("/é", "/é/x", true),
        ] {
            assert_eq!(route_matches(route, path), yes, "{route} {path}");
        }
    }
}
