//! Vite's `base` (`/app/`): the app is served under it. A request under the base has it
//! stripped before routing (`/app/src/logo.svg` is `/src/logo.svg`, `/app/` the page), and the
//! page's own address without it (`/`, `/index.html`, `/app`) is redirected there, as Vite
//! does. Every URL the page asks for carries the base (the client's scripts and WebSocket, the
//! page's root-absolute URLs, assets, stylesheets' `url()`s: `engine/src/queries/html.rs`,
//! `runtime/js/server-url.js`), so a proxy that forwards the base's path alone serves the app;
//! any other path is still served as it is (a URL a tool wrote without the base).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The base without its trailing slash (`/app`); `None` for `/`.
pub(crate) fn prefix(base: &str) -> Option<String> {
    let trimmed = base.trim_end_matches('/');
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// The layer in front of the router.
pub(crate) async fn strip(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(prefix) = state.base_prefix.as_deref() else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    if path == prefix || path == "/" || path == "/index.html" {
        return redirect(&format!("{prefix}/{query}"));
    }
    let Some(rest) = path
        .strip_prefix(prefix)
        .filter(|rest| rest.starts_with('/'))
    else {
        return next.run(request).await;
    };
    let Ok(uri) = format!("{rest}{query}").parse::<Uri>() else {
        return (StatusCode::BAD_REQUEST, "bad request path").into_response();
    };
    let (mut parts, body) = request.into_parts();
    parts.uri = uri;
    next.run(Request::from_parts(parts, body)).await
}

/// `path_and_query` as the router takes it: without the base, when it is under it. A URL a
/// handler gave (a proxy's `bypass` answering `/app/fallback.txt`, as Vite's `req.url` carries
/// the base) is routed as a request of that URL would be.
pub(crate) fn routed<'a>(prefix: Option<&str>, path_and_query: &'a str) -> &'a str {
    prefix
        .and_then(|prefix| path_and_query.strip_prefix(prefix))
        .filter(|rest| rest.starts_with('/'))
        .unwrap_or(path_and_query)
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefixes() {
        assert_eq!(super::prefix("/"), None);
        assert_eq!(super::prefix("/app/"), Some("/app".into()));
        assert_eq!(super::prefix("/a/b/"), Some("/a/b".into()));
    }

    #[test]
    fn a_url_under_the_base_is_routed_without_it() {
        assert_eq!(
            super::routed(Some("/app"), "/app/fallback.txt?x=1"),
            "/fallback.txt?x=1"
        );
        assert_eq!(super::routed(Some("/app"), "/apple.txt"), "/apple.txt");
        assert_eq!(super::routed(Some("/app"), "/other.txt"), "/other.txt");
        assert_eq!(super::routed(None, "/app/a.txt"), "/app/a.txt");
    }
}
