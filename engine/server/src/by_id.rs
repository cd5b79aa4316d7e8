//! `/@id/<id>` requests: Vite's URL of a module by its plugin id, which some plugins make the
//! page fetch at run time (vite-plugin-vue-devtools' overlay adds
//! `<link href="/@id/virtual:vue-devtools-path:overlay/devtools-overlay.css">` and a module
//! script beside it), and a plugin's own `/@...` URL (vite-plugin-checker's inline module
//! script imports `/@vite-plugin-checker-runtime`). The engine serves modules in its chunks, not by URL, so such a request
//! that nothing else answers goes to the binary's [`ModuleByIdSource`] (the plugin host's
//! `resolveId`, `load` and `transform`, as Vite's transform middleware would run them), off the
//! async threads. A file it names must pass the same checks as any file the server serves.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The plugins' answer for one id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleById {
    /// `text/javascript` or `text/css`.
    pub content_type: &'static str,
    pub body: String,
    /// The file the id resolved to, if it is one (checked against the served directories).
    pub file: Option<PathBuf>,
    /// The id resolved to a script file hotloop compiles (TypeScript, JSX): `body` is empty;
    /// a worker's request gets the file's worker script (vite-plugin-pwa's `injectManifest`
    /// service worker at `/dev-sw.js?dev-sw`), any other a 404.
    pub compiled_file: bool,
}

/// The binary's answer for an id: `None` when no plugin resolves or loads it as a script or
/// a stylesheet. Blocking (called off the async threads).
type Answerer = dyn Fn(&str) -> Option<ModuleById> + Send + Sync;

/// What answers `/@id/<id>` (the id decoded: `__x00__` is `\0`, the query kept).
#[derive(Clone)]
pub struct ModuleByIdSource(Arc<Answerer>);

impl ModuleByIdSource {
    pub fn new(f: impl Fn(&str) -> Option<ModuleById> + Send + Sync + 'static) -> Self {
        ModuleByIdSource(Arc::new(f))
    }
}

impl std::fmt::Debug for ModuleByIdSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ModuleByIdSource")
    }
}

/// The id a `/@id/...` request names (Vite's `unwrapId`), or a plugin's own `/@...` URL as it
/// is (`/@vite-plugin-checker-runtime`, which an inline module script of the page imports);
/// `None` for another path (`/@fs/` is a file's).
pub(crate) fn requested_id(path: &str, query: Option<&str>) -> Option<String> {
    let rest = match path.strip_prefix("/@id/") {
        Some(rest) => rest,
        None if path.starts_with("/@") && !path.starts_with("/@fs/") && path.len() > 2 => path,
        None => return None,
    };
    let decoded = decoded(rest)?.replace("__x00__", "\0");
    if decoded.is_empty() {
        return None;
    }
    Some(with_query(decoded, query))
}

/// `path` percent-decoded, or `None` when that is not UTF-8.
fn decoded(path: &str) -> Option<std::borrow::Cow<'_, str>> {
    percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()
}

/// `id` (or a URL's path) with the request's query kept (`?v=1`), as Vite keeps it.
pub(crate) fn with_query(id: impl Into<String>, query: Option<&str>) -> String {
    let id = id.into();
    match query {
        Some(query) => format!("{id}?{query}"),
        None => id,
    }
}

/// A URL no file answers that a plugin may: a script or a stylesheet by its extension, as
/// Vite's transform middleware takes it (`/dev-sw.js?dev-sw`), the query kept; `None` for
/// anything else (a page, an image: their 404 or SPA fallback as before).
pub(crate) fn plugin_url(path: &str, query: Option<&str>) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = name.rsplit_once('.')?;
    if !matches!(ext, "js" | "mjs" | "cjs" | "css") {
        return None;
    }
    Some(with_query(decoded(path)?, query))
}

/// `process.env.NODE_ENV` as `"development"` in a module served by id, as Vite's dev server
/// replaces it in every module of the page (the page has no `process`: vite-plugin-checker's
/// runtime, which an inline script of the page imports, reads it). Where it is written as a
/// member chain, not inside a longer name.
fn with_node_env(code: String) -> String {
    const CHAIN: &str = "process.env.NODE_ENV";
    if !code.contains(CHAIN) {
        return code;
    }
    let part_of_name = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(code.len());
    let mut rest = code.as_str();
    while let Some(at) = rest.find(CHAIN) {
        // `globalThis.process.env.NODE_ENV` and `global.…` too, as Vite's define has them.
        let head = ["globalThis.", "global."]
            .into_iter()
            .find(|g| rest[..at].ends_with(g))
            .map_or(at, |g| at - g.len());
        let before = rest[..head].chars().next_back();
        let after = rest[at + CHAIN.len()..].chars().next();
        out.push_str(&rest[..head]);
        if before.is_some_and(|c| part_of_name(c) || c == '.') || after.is_some_and(part_of_name) {
            out.push_str(&rest[head..at + CHAIN.len()]);
        } else {
            out.push_str("\"development\"");
        }
        rest = &rest[at + CHAIN.len()..];
    }
    out.push_str(rest);
    out
}

/// `import.meta.env` in a module served by id: the page's (the runtime's `__hotloop.env()`),
/// as Vite's import analysis sets it in front of a module that reads it.
fn with_env(code: String) -> String {
    if !code.contains("import.meta.env") {
        return code;
    }
    format!("import.meta.env = globalThis.__hotloop ? globalThis.__hotloop.env() : {{}};\n{code}")
}

/// Vite's `import.meta.hot` for a module served by id (`__vite__createHotContext` in front of
/// it, as Vite's import analysis adds): vite-plugin-pwa's `/@vite-plugin-pwa/...` entry, which
/// the page's inline script imports, listens with `import.meta.hot.on`. Only a module that
/// reads `import.meta.hot` gets it (a service worker must not import the page's client).
fn with_hot_context(code: String, url: &str) -> String {
    if !code.contains("import.meta.hot") {
        return code;
    }
    format!(
        "import {{ createHotContext as __vite__createHotContext }} from \"/@vite/client\";\
         import.meta.hot = __vite__createHotContext({});\n{code}",
        serde_json::to_string(url).unwrap_or_else(|_| "\"\"".to_string())
    )
}

/// The answer to `/@id/<id>` (requested as `url`), or `None` to go on as for any other path
/// (a 404).
pub(crate) async fn answer(
    state: &Arc<AppState>,
    id: String,
    url: &str,
    headers: &axum::http::HeaderMap,
) -> Option<Response> {
    let source = state.module_by_id.clone()?;
    let policy = state.fs.clone();
    let (found, allowed) = tokio::task::spawn_blocking(move || {
        let found = (source.0)(&id)?;
        let allowed = found
            .file
            .as_deref()
            .is_none_or(|file| policy.may_serve(file));
        Some((found, allowed))
    })
    .await
    .ok()??;
    if !allowed && let Some(file) = &found.file {
        return Some(
            (
                StatusCode::FORBIDDEN,
                format!(
                    "{} is outside the directories hotloop serves (add it with --fs-allow or the \
                     config's server.fs.allow)",
                    file.display()
                ),
            )
                .into_response(),
        );
    }
    if found.compiled_file {
        let file = found.file.as_deref()?;
        if !crate::http::for_a_worker(headers) {
            return None;
        }
        let module = crate::pages::page_id(&state.fs, file)?;
        return Some(crate::http::worker_script(state, &module, headers).await);
    }
    let body = match found.content_type {
        "text/javascript" => with_hot_context(with_env(with_node_env(found.body)), url),
        _ => found.body,
    };
    Some(
        Response::builder()
            .header(header::CONTENT_TYPE, found.content_type)
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::from(body))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    )
}

#[cfg(test)]
mod tests {
    use super::{plugin_url, requested_id, with_env, with_hot_context, with_node_env};

    #[test]
    fn scripts_and_sheets_no_file_holds_are_asked_of_the_plugins() {
        assert_eq!(
            plugin_url("/dev-sw.js", Some("dev-sw")).as_deref(),
            Some("/dev-sw.js?dev-sw")
        );
        assert_eq!(
            plugin_url("/workbox-a1.js", None).as_deref(),
            Some("/workbox-a1.js")
        );
        assert_eq!(plugin_url("/a%20b.css", None).as_deref(), Some("/a b.css"));
        assert_eq!(plugin_url("/about", None), None);
        assert_eq!(plugin_url("/logo.png", None), None);
    }

    /// vite-plugin-checker's runtime reads `process.env.NODE_ENV`, which the page does not have.
    #[test]
    fn a_module_served_by_id_reads_node_env_as_development() {
        let code = "if (process.env.NODE_ENV !== 'production' && myprocess.env.NODE_ENV) \
                    x(globalThis.process.env.NODE_ENV, process.env.NODE_ENVS)"
            .to_string();
        assert_eq!(
            with_node_env(code),
            "if (\"development\" !== 'production' && myprocess.env.NODE_ENV) \
             x(\"development\", process.env.NODE_ENVS)"
        );
    }

    #[test]
    fn a_module_served_by_id_that_reads_import_meta_env_gets_the_pages() {
        assert_eq!(
            with_env("export const dev = import.meta.env.DEV".into()),
            "import.meta.env = globalThis.__hotloop ? globalThis.__hotloop.env() : {};\n\
             export const dev = import.meta.env.DEV"
        );
        assert_eq!(with_env("export const a = 1".into()), "export const a = 1");
    }

    #[test]
    fn a_module_served_by_id_that_reads_import_meta_hot_gets_a_hot_context() {
        let code = "import.meta.hot.on('x', () => {})".to_string();
        assert_eq!(
            with_hot_context(code.clone(), "/@id/virtual:a"),
            "import { createHotContext as __vite__createHotContext } from \"/@vite/client\";\
             import.meta.hot = __vite__createHotContext(\"/@id/virtual:a\");\n\
             import.meta.hot.on('x', () => {})"
        );
        assert_eq!(
            with_hot_context("self.x = 1".into(), "/sw.js"),
            "self.x = 1"
        );
    }

    #[test]
    fn ids_as_vite_unwraps_them() {
        assert_eq!(
            requested_id("/@id/virtual:x/a.css", None).as_deref(),
            Some("virtual:x/a.css")
        );
        assert_eq!(
            requested_id("/@id/__x00__virtual:y", Some("v=1")).as_deref(),
            Some("\0virtual:y?v=1")
        );
        assert_eq!(requested_id("/@id/a%20b", None).as_deref(), Some("a b"));
        assert_eq!(requested_id("/@id/", None), None);
        assert_eq!(requested_id("/src/a.js", None), None);
        assert_eq!(
            requested_id("/@plugin-runtime", None).as_deref(),
            Some("/@plugin-runtime")
        );
        assert_eq!(requested_id("/@fs/p/a.js", None), None);
    }
}
