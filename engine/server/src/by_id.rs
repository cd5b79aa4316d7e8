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
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .ok()?
        .replace("__x00__", "\0");
    if decoded.is_empty() {
        return None;
    }
    Some(match query {
        Some(query) => format!("{decoded}?{query}"),
        None => decoded,
    })
}

/// The answer to `/@id/<id>`, or `None` to go on as for any other path (a 404).
pub(crate) async fn answer(state: &Arc<AppState>, id: String) -> Option<Response> {
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
    Some(
        Response::builder()
            .header(header::CONTENT_TYPE, found.content_type)
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::from(found.body))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    )
}

#[cfg(test)]
mod tests {
    use super::requested_id;

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
