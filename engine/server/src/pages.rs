//! A multi-page app's other pages: an HTML file of the project besides `index.html`
//! (`/about.html`, `/nested/index.html`, also as `/about` and `/nested/`, Vite's HTML
//! fallback). The engine serves each with the page's chunk and the page's own entries
//! (`Served::pages`); the first request of one asks the engine to take it in
//! (`ClientEvent::PageOpened`) and waits for the snapshot that serves it. HTML of the public
//! directory is a file like any other at its public URL, a page at its path under the root.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotloop_protocol::ClientEvent;

use super::AppState;
use super::fs::{FsPolicy, RequestPath, parse_request_path};
use super::http::{
    HTML, arc_str_body, cached, content_etag, html_with_pieces, is_navigation, text,
};

/// How long a page's first request waits for the engine to compile what it loads.
const PAGE_WAIT: Duration = Duration::from_secs(120);

/// The module id of `path` (canonical, as `FsPolicy::resolve_file` found it) when it is a page
/// of the app: under the root, not in the public directory.
pub(crate) fn page_id(policy: &FsPolicy, path: &Path) -> Option<String> {
    if policy.in_public(path) {
        return None;
    }
    root_id(policy, path)
}

/// The page an HTML file asked for as `requested` (a request's id) is: [`page_id`], and a file
/// of the public directory too when it was asked for at its path under the root, not at its
/// public URL. Vite's HTML middleware serves `/public/index.html` as a page (where
/// vite-plugin-html's history rewrite sends `/` for its `template: 'public/index.html'`); the
/// same file at `/index.html` is the public directory's, as it is.
pub(crate) fn html_page_id(policy: &FsPolicy, path: &Path, requested: &str) -> Option<String> {
    if policy.in_public(path) {
        return root_id(policy, path).filter(|id| id == requested);
    }
    root_id(policy, path)
}

/// `/` and the path of `path` under the root.
fn root_id(policy: &FsPolicy, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(&policy.root).ok()?;
    let mut id = String::new();
    for part in relative.components() {
        id.push('/');
        id.push_str(part.as_os_str().to_str()?);
    }
    (!id.is_empty()).then_some(id)
}

/// Vite's HTML fallback for a path no file answers: `/nested/` is `nested/index.html`, `/about`
/// is `about.html` (not `about/index.html`: its relative URLs would resolve from `/`), and so
/// is `/guide.v2` `guide.v2.html`. The page's module id, if one exists. Blocking.
pub(crate) fn fallback_page(
    policy: &FsPolicy,
    path: &RequestPath,
    trailing_slash: bool,
) -> Option<String> {
    let base = path.id.trim_end_matches('/');
    let candidates = if trailing_slash || path.segments.is_empty() {
        vec![format!("{base}/index.html")]
    } else {
        vec![format!("{base}.html")]
    };
    candidates.into_iter().find_map(|candidate| {
        let request = parse_request_path(&candidate).ok()?;
        let file = policy.resolve_file(&request, &[]).ok()??;
        html_page_id(policy, &file.path, &request.id)
    })
}

/// The page `id` as served, its chunk in pieces for a navigation; taken in by the engine first
/// when the snapshot does not serve it yet.
pub(crate) async fn other_page(state: &Arc<AppState>, id: String, headers: &HeaderMap) -> Response {
    // Asked for at once, also while the cold build runs: the build does not wait for a render
    // of `index.html` then (`devloop/first_render.rs`), and takes the page in right after.
    if state.served().page(&id).is_none() {
        let _ = state.client_events.send(ClientEvent::PageOpened {
            id: Arc::from(id.as_str()),
        });
    }
    let mut served = state.built_for_request().await;
    if served.page(&id).is_none() {
        let opened = state
            .first_within(PAGE_WAIT, |s| s.page(&id).is_some())
            .await;
        served = match opened {
            Some(snapshot) => snapshot,
            None => {
                return text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "hotloop: the page {id} was not compiled within {} s; see hotloop's output",
                        PAGE_WAIT.as_secs()
                    ),
                );
            }
        };
    }
    let Some(html) = served.page(&id).cloned() else {
        return text(StatusCode::NOT_FOUND, format!("not found: {id}"));
    };
    if is_navigation(headers)
        && let Some(page) = html_with_pieces(state, &served, &html, headers)
    {
        return page;
    }
    cached(
        headers,
        &content_etag(html.as_bytes()),
        HTML,
        arc_str_body(&html),
    )
}
