//! The HTTP routes: the page, the runtime, the chunk and its maps, linked stylesheets and files
//! from disk. Every response is `Cache-Control: no-cache` with an ETag, and `If-None-Match`
//! answers 304, except the page's chunk pieces, whose URLs name their content (`immutable`,
//! see `pieces.rs`). A missing file is a 404 naming the path: the SPA fallback to `index.html` only
//! ever answers extensionless HTML navigations, never a missing `.js`.
//!
//! `/_hotloop/lazy.js?id=<target>` serves a lazy chunk the snapshot has ready; otherwise it asks
//! the engine for it (`ClientEvent::LazyChunkRequested`) and waits for a snapshot that has it,
//! then streams it in 64 KB buffers. While the cold build runs, `/` streams the page up to the
//! chunk's tag at once, the rest with the pieces' tags once the page's code is there
//! (`page_while_building`). The client scripts are at versioned URLs
//! (`RuntimeScript::client_version`), answered `immutable` like the pieces. A linked sheet the
//! runtime loads as `?hotloop-v=<version>` is served only while that is its version.

use std::hash::Hasher;
use std::sync::{Arc, Weak};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use rustc_hash::FxHasher;

use super::app_server;
use super::fs::{self, PathRejection, parse_request_path};
use super::middlewares;
use super::pieces;
use super::sourcemap;
use super::{AppState, AppType};
use hotloop_protocol::ClientEvent;
use hotloop_protocol::served::{Chunk, LazyChunkState, Served, ServedModules};
use hotloop_protocol::{ModuleKind, css_version};

pub(crate) const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
pub(crate) const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";

/// Per-chunk derived data, kept while that chunk is the served one.
pub(crate) struct ChunkCache {
    chunk: Weak<Chunk>,
    etag: String,
    map: Option<Bytes>,
}

/// Strong ETag from a content hash and length.
pub(crate) fn content_etag(bytes: &[u8]) -> String {
    let mut hasher = FxHasher::default();
    hasher.write(bytes);
    format!("\"{:016x}-{:x}\"", hasher.finish(), bytes.len())
}

/// `If-None-Match` contains `etag` (weak comparison, `*` matches).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let etag = bare(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || bare(tag) == etag)
}

/// Bytes that stay shared with the snapshot (no copy of big code).
struct ArcStr(Arc<str>);

impl AsRef<[u8]> for ArcStr {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

pub(crate) fn arc_str_body(s: &Arc<str>) -> Bytes {
    Bytes::from_owner(ArcStr(s.clone()))
}

/// 200 with `body`, or 304 when the client already has `etag`.
pub(crate) fn cached(request: &HeaderMap, etag: &str, content_type: &str, body: Bytes) -> Response {
    let mut response = if not_modified(request, etag) {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(body));
        if let Ok(value) = HeaderValue::from_str(content_type) {
            r.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        r
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

pub(crate) fn text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, TEXT)], body).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn index_response(state: &Arc<AppState>, served: &Arc<Served>, headers: &HeaderMap) -> Response {
    // The page's pieces name one build's code. A copy of the page a service worker keeps (its
    // precache fetches it: `Sec-Fetch-Mode: cors`, not `navigate`) and serves for later
    // navigations (vite-plugin-pwa's dev worker) ran that build's code, reloaded for the
    // updates it missed, and was served again: a reload loop on old code. Such a fetch gets the
    // page that names the one chunk, `/_hotloop/chunk.js`, which is always the current build.
    let navigation = is_navigation(headers);
    if navigation && served.building {
        // The engine's first build waits for this page's render (`devloop/first_render.rs`).
        let _ = state.client_events.try_send(ClientEvent::PageRequested);
    }
    if navigation && let Some(page) = page_with_pieces(state, served, headers) {
        return page;
    }
    if let Some(page) = page_while_building(state, served) {
        return page;
    }
    match &served.html {
        Some(html) => cached(
            headers,
            &content_etag(html.as_bytes()),
            HTML,
            arc_str_body(html),
        ),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, HTML)],
            format!(
                "<!doctype html><meta charset=utf-8><title>hotloop: no index.html</title>\
                 <h1>hotloop: no index.html</h1><p>There is no <code>index.html</code> in \
                 <code>{}</code>. Create one with a <code>&lt;script type=module \
                 src=\"/src/main.js\"&gt;</code> tag for your entry.</p>",
                html_escape(&state.fs.root.display().to_string())
            ),
        )
            .into_response(),
    }
}

/// Whether the request is a navigation (not a fetch: a service worker's precache).
pub(crate) fn is_navigation(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-mode")
        .is_none_or(|mode| mode.as_bytes() == b"navigate")
}

/// Where the chunk's tag is in `served`'s page: the page and the tag's offset, or `None` (no
/// page, or no chunk tag in it).
fn chunk_tag_at(served: &Served) -> Option<(&Arc<str>, usize)> {
    let html = served.html.as_ref()?;
    Some((html, chunk_tag_in(served, html)?))
}

/// Where `served`'s chunk tag is in `html`, a page of it.
fn chunk_tag_in(served: &Served, html: &str) -> Option<usize> {
    let marker = &*served.injection.chunk_tag;
    html.find(marker).filter(|_| !marker.is_empty())
}

/// The page while the cold build runs, streamed: up to the chunk's tag at once, so the browser
/// fetches and runs the runtime meanwhile; the rest once the page's code is there (the last
/// session's page, which the binary reads just after the server binds, or the build's), with
/// the tags of the chunk's pieces, which the browser compiles in parallel as they stream in
/// (the one `chunk.js` it named before was compiled on one thread). Should the page's text
/// before the tag differ in that snapshot (`index.html` edited meanwhile), the rest names the
/// one chunk as before. `None` when the build is done or the page has no chunk tag.
fn page_while_building(state: &Arc<AppState>, served: &Arc<Served>) -> Option<Response> {
    if !served.building {
        return None;
    }
    let (html, at) = chunk_tag_at(served)?;
    let head: Arc<str> = Arc::from(&html[..at]);
    let fallback: Arc<str> = Arc::from(&html[at..]);
    let state = state.clone();
    let sent = head.clone();
    let rest = async move {
        let ready = state.page_ready().await;
        let rest = chunk_tag_at(&ready)
            .filter(|(html, at)| (ready.last_session || !ready.building) && html[..*at] == *sent)
            .map(|(html, at)| {
                let tags =
                    pieces::script_tags(&state.pieces_of(&ready), &ready.injection.chunk_tag);
                let after = &html[at + ready.injection.chunk_tag.len()..];
                format!("{tags}{after}")
            })
            .unwrap_or_else(|| fallback.to_string());
        Ok::<_, std::convert::Infallible>(Bytes::from(rest))
    };
    let first = futures_util::stream::once(std::future::ready(Ok(arc_str_body(&head))));
    let body = Body::from_stream(first.chain(futures_util::stream::once(rest)));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(response)
}

/// `index.html` with the chunk's tag replaced by the tags of its pieces (`pieces.rs`); `None`
/// when the page has no chunk tag, or while the cold build runs (`page_while_building`) unless
/// the snapshot holds the last session's page (`Served::last_session`).
fn page_with_pieces(
    state: &Arc<AppState>,
    served: &Arc<Served>,
    headers: &HeaderMap,
) -> Option<Response> {
    if served.building && !served.last_session {
        return None;
    }
    let html = served.html.as_ref()?;
    let mut response = html_with_pieces(state, served, html, headers)?;
    if served.last_session {
        // Says where this page came from (the build then confirms it, or the page reloads).
        response
            .headers_mut()
            .insert("x-hotloop-page", HeaderValue::from_static("last-session"));
    }
    Some(response)
}

/// `html`, a page of `served`, with the chunk's tag replaced by the tags of its pieces; `None`
/// when it has no chunk tag.
pub(crate) fn html_with_pieces(
    state: &Arc<AppState>,
    served: &Arc<Served>,
    html: &str,
    headers: &HeaderMap,
) -> Option<Response> {
    let at = chunk_tag_in(served, html)?;
    let tags = pieces::script_tags(&state.pieces_of(served), &served.injection.chunk_tag);
    let after = &html[at + served.injection.chunk_tag.len()..];
    let page = format!("{}{tags}{after}", &html[..at]);
    Some(cached(
        headers,
        &content_etag(page.as_bytes()),
        HTML,
        Bytes::from(page),
    ))
}

/// `GET /_hotloop/piece/<hash>.js` and `<hash>.js.map`: a piece of the page's chunk of one of
/// the last few snapshots, and its index map.
pub(crate) async fn piece(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Response {
    let (hash, map) = match (name.strip_suffix(".js.map"), name.strip_suffix(".js")) {
        (Some(hash), _) => (hash, true),
        (None, Some(hash)) => (hash, false),
        (None, None) => {
            return text(
                StatusCode::NOT_FOUND,
                format!(
                    "hotloop: {}{name} is not a piece of the page",
                    pieces::PIECE_PREFIX
                ),
            );
        }
    };
    // A piece of a page served while the cold build runs (the last session's) is there at
    // once; a map, or a piece of a page to come, once the build is published (its pieces cut,
    // so that a map is looked up in the snapshot with the modules).
    let found = match state.find_piece(hash) {
        Some(found) if !map => Some(found),
        _ => {
            let built = state.built_for_request().await;
            state.pieces_of(&built);
            state.find_piece(hash)
        }
    };
    let Some(pieces::Found {
        modules,
        chunk,
        piece,
    }) = found
    else {
        return text(
            StatusCode::NOT_FOUND,
            format!(
                "hotloop: no piece {hash} of the page: the page is older than the server's last \
                 few builds (or than the server); reload it"
            ),
        );
    };
    let (content_type, body) = if map {
        let map = off_the_runtime(move || {
            sourcemap::index_map_of(&chunk.parts, piece.range, &modules, pieces::FIRST_LINE)
        })
        .await;
        (JSON, Bytes::from(map))
    } else {
        (JS, piece.bytes(&chunk))
    };
    immutable(content_type, body)
}

/// Runs `work` on tokio's blocking pool: building a source map reads the maps the engine keeps
/// in its compile cache from disk (`ModuleMap::Stored`), thousands for a piece of the page.
async fn off_the_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(join) => std::panic::resume_unwind(join.into_panic()),
    }
}

/// A response the browser keeps and never asks for again: its URL names its content.
fn immutable(content_type: &'static str, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

/// A client script (runtime, React Refresh): `immutable` at the page's URL, whose `?v=` names
/// this server's client version (`RuntimeScript::client_version`), else revalidated by `etag`.
fn client_script(
    state: &AppState,
    query: Option<&str>,
    headers: &HeaderMap,
    etag: &str,
    body: Bytes,
) -> Response {
    let version = query.and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("v=")));
    if version == Some(state.client_version.as_str()) {
        immutable(JS, body)
    } else {
        cached(headers, etag, JS, body)
    }
}

/// `GET /` and `/index.html`.
pub(crate) async fn index(State(state): State<Arc<AppState>>, request: Request) -> Response {
    // `/index.html?html-proxy&direct&index=0.css`: the sheet of one of its inline styles.
    if request
        .uri()
        .query()
        .is_some_and(|q| q.starts_with("html-proxy"))
    {
        return fallback(State(state), request).await;
    }
    index_response(&state, &state.served(), request.headers())
}

/// `GET /@vite/client`: Vite's client module for tools that import it (`runtime/js/vite-client.js`).
pub(crate) async fn vite_client() -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/javascript; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from(runtime::VITE_CLIENT_JS))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// `/` with an app server: the app renders its own pages.
pub(crate) async fn app_root(State(state): State<Arc<AppState>>, request: Request) -> Response {
    match state.app_server.clone() {
        Some(authority) => app_server::forward(&state, &authority, request).await,
        None => index_response(&state, &state.served(), request.headers()),
    }
}

/// `GET /_hotloop/runtime.js`: `immutable` at the page's URL (`?v=` naming this server's
/// client version), else revalidated by its ETag.
pub(crate) async fn runtime_js(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    client_script(
        &state,
        query.as_deref(),
        &headers,
        &state.runtime_etag,
        state.runtime_body.clone(),
    )
}

/// `GET /_hotloop/runtime.js.map`: the compact runtime's map (404 for the readable one).
pub(crate) async fn runtime_map(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Response {
    match state.runtime.map {
        Some(make) => {
            let map = state.runtime_map.get_or_init(make);
            cached(&headers, &content_etag(map), JSON, map.clone())
        }
        None => text(
            StatusCode::NOT_FOUND,
            "the runtime is served as written: it has no source map\n".into(),
        ),
    }
}

/// `GET /_hotloop/react-refresh.js`: the embedded React Refresh runtime; `immutable` at the
/// page's URL, as the runtime.
pub(crate) async fn react_refresh_js(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let etag = state
        .react_refresh_etag
        .get_or_init(|| content_etag(runtime::REACT_REFRESH_JS.as_bytes()));
    client_script(
        &state,
        query.as_deref(),
        &headers,
        etag,
        Bytes::from_static(runtime::REACT_REFRESH_JS.as_bytes()),
    )
}

/// Runs `f` on the cache entry of `chunk`, creating it (and hashing the chunk) on first use.
fn with_chunk_cache<T>(
    state: &AppState,
    chunk: &Arc<Chunk>,
    f: impl FnOnce(&mut ChunkCache) -> T,
) -> T {
    let mut guard = state
        .chunk_cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let weak = Arc::downgrade(chunk);
    if !guard
        .as_ref()
        .is_some_and(|c| Weak::ptr_eq(&c.chunk, &weak))
    {
        *guard = None;
    }
    let cache = guard.get_or_insert_with(|| ChunkCache {
        chunk: weak,
        etag: content_etag(chunk.bytes()),
        map: None,
    });
    f(cache)
}

/// `GET /_hotloop/chunk.js`.
pub(crate) async fn chunk_js(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let served = state.built_for_request().await;
    let etag = with_chunk_cache(&state, &served.chunk, |c| c.etag.clone());
    let bytes = Bytes::from_owner(served.chunk.bytes().clone());
    cached(&headers, &etag, JS, bytes)
}

/// `GET /_hotloop/chunk.js.map`: the index map over the modules' own maps.
pub(crate) async fn chunk_map(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let served = state.built_for_request().await;
    let kept = with_chunk_cache(&state, &served.chunk, |c| c.map.clone());
    let map = match kept {
        Some(map) => map,
        None => {
            let of = served.clone();
            let map = off_the_runtime(move || {
                Bytes::from(sourcemap::index_map(&of.chunk, &of.modules, 0))
            })
            .await;
            with_chunk_cache(&state, &served.chunk, |c| c.map.get_or_insert(map).clone())
        }
    };
    cached(&headers, &content_etag(&map), JSON, map)
}

/// `GET /_hotloop/worker/<id without its leading slash>`: the script of the web worker whose file
/// is module `id` (see `transform::worker`): the runtime, then the worker's chunk.
pub(crate) async fn worker_js(
    State(state): State<Arc<AppState>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
) -> Response {
    worker_script(&state, &rest, &headers).await
}

/// `GET /_hotloop/worker-map/<id>`: the index map of a worker's script.
pub(crate) async fn worker_map(
    State(state): State<Arc<AppState>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (served, chunk) = match served_worker(&state, &rest).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let runtime_lines = state.runtime.code.iter().filter(|&&b| b == b'\n').count();
    let map = off_the_runtime(move || {
        Bytes::from(sourcemap::index_map(&chunk, &served.modules, runtime_lines))
    })
    .await;
    cached(&headers, &content_etag(&map), JSON, map)
}

/// The built snapshot and the chunk of the worker whose file is module `/<rest>`, or the 404
/// that names it. A script of the project no worker runs yet is taken in as one first
/// (`ClientEvent::WorkerRequested`: a service worker registered at its URL).
async fn served_worker(
    state: &AppState,
    rest: &str,
) -> Result<(Arc<Served>, Arc<Chunk>), Response> {
    let id = format!("/{}", rest.trim_start_matches('/'));
    let served = state.built_for_request().await;
    if let Some(chunk) = served.worker(&id) {
        let chunk = chunk.clone();
        return Ok((served, chunk));
    }
    if project_script(state, &id) {
        // The engine answers with a snapshot, with the worker or (it is no script it compiles)
        // without: the first one after this request's.
        let asked_at = served.snapshot;
        let _ = state.client_events.send(ClientEvent::WorkerRequested {
            id: Arc::from(id.as_str()),
        });
        let taken = state
            .first_within(LAZY_WAIT, |s| {
                !s.building && (s.worker(&id).is_some() || s.snapshot > asked_at)
            })
            .await;
        if let Some(served) = taken
            && let Some(chunk) = served.worker(&id).cloned()
        {
            return Ok((served, chunk));
        }
    }
    Err(text(
        StatusCode::NOT_FOUND,
        format!(
            "hotloop: no web worker runs {id}: a worker starts from \
             `new Worker(new URL('./file.ts', import.meta.url))`, a `?worker` import, or a \
             script of the project asked for by its URL as a worker"
        ),
    ))
}

/// Whether module `id` is a script file of the project the server may serve (under its root,
/// not a `public/` one, not denied: `FsPolicy::may_serve`, as for a plugin's `/@id/` file).
/// Blocking (a few `stat`s).
fn project_script(state: &AppState, id: &str) -> bool {
    let file = state.fs.root.join(id.trim_start_matches('/'));
    is_script_source(id)
        && file.is_file()
        && !state.fs.in_public(&file)
        && state.fs.may_serve(&file)
}

/// A file hotloop compiles as a script, by its extension.
fn is_script_source(id: &str) -> bool {
    let path = id.split(['?', '#']).next().unwrap_or(id);
    path.rsplit_once('.').is_some_and(|(_, ext)| {
        matches!(
            ext,
            "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx"
        )
    })
}

/// Whether the request is for a worker's script (`Sec-Fetch-Dest`: a service worker's
/// registration, `new Worker(url)`, `new SharedWorker(url)`).
pub(crate) fn for_a_worker(headers: &HeaderMap) -> bool {
    headers.get("sec-fetch-dest").is_some_and(|dest| {
        matches!(
            dest.as_bytes(),
            b"worker" | b"sharedworker" | b"serviceworker"
        )
    })
}

/// A request for a module script (`<script type="module" src>`, the browser's `import()`):
/// `Sec-Fetch-Dest: script` in CORS mode (a classic script's is `no-cors`).
fn for_a_module_script(headers: &HeaderMap) -> bool {
    let is = |name: &str, value: &[u8]| headers.get(name).is_some_and(|v| v.as_bytes() == value);
    is("sec-fetch-dest", b"script") && is("sec-fetch-mode", b"cors")
}

/// The worker script of module `id` (`worker_js`'s answer), for a script asked for by its URL
/// as a worker.
pub(crate) async fn worker_script(
    state: &Arc<AppState>,
    id: &str,
    headers: &HeaderMap,
) -> Response {
    let (_, chunk) = match served_worker(state, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let runtime = &state.runtime.code;
    let mut body = Vec::with_capacity(runtime.len() + chunk.bytes().len());
    body.extend_from_slice(runtime);
    body.extend_from_slice(chunk.bytes());
    cached(headers, &content_etag(&body), JS, Bytes::from(body))
}

/// How long a lazy chunk's first request waits for the engine to compile it.
const LAZY_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// `GET /_hotloop/lazy.js?id=<module id>`: the lazy chunk of the page's `import()` target `id`
/// (see `served::LazyChunks`), its last statement `__hotloop.served(id, snapshot)` (the page
/// loads it with a `<script>` element, which cannot read headers) and the snapshot's number also
/// in `x-hotloop-snapshot`. The first request for a chunk not compiled yet asks the engine for
/// it and waits for the snapshot that has it; the engine compiles that chunk's modules only.
/// A big chunk is answered by the list of its parts instead (`lazy_parts_script`).
pub(crate) async fn lazy_js(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    match served_lazy(&state, query.as_deref()).await {
        Ok((served, id, chunk)) => {
            let mut response = match state.lazy_parts_of(&served, &chunk) {
                Some(parts) => {
                    let script = lazy_parts_script(&id, served.snapshot, &parts);
                    cached(
                        &headers,
                        &content_etag(script.as_bytes()),
                        JS,
                        script.into(),
                    )
                }
                None => {
                    let script = LazyScript::new(chunk, &id, served.snapshot);
                    let etag = script.etag();
                    let mut response = cached(&headers, &etag, JS, Bytes::new());
                    if response.status() == StatusCode::OK {
                        *response.body_mut() = script.body();
                    }
                    response
                }
            };
            // What the page tells the engine it loaded (`ClientMessage::Loaded`).
            response
                .headers_mut()
                .insert("x-hotloop-snapshot", HeaderValue::from(served.snapshot));
            response
        }
        Err(response) => response,
    }
}

/// `GET /_hotloop/lazy.js.map?id=<module id>`: the index map of a lazy chunk.
pub(crate) async fn lazy_map(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    match served_lazy(&state, query.as_deref()).await {
        Ok((served, _, chunk)) => {
            let map = off_the_runtime(move || {
                Bytes::from(sourcemap::index_map(
                    &chunk,
                    &served.modules,
                    pieces::FIRST_LINE,
                ))
            })
            .await;
            cached(&headers, &content_etag(&map), JSON, map)
        }
        Err(response) => response,
    }
}

/// A lazy chunk's script: its defines, then `__hotloop.served(id, snapshot);`, then its trailer
/// (the sourceMappingURL line stays last). The defines come first so that the page records the
/// snapshot only once they all ran.
/// About how many bytes each buffer of a streamed lazy chunk holds.
const STREAM_BUFFER: usize = 64 * 1024;

/// A lazy chunk's script: V8's compile hint (as a piece of the page starts, `pieces.rs`), its
/// define statements, the statement naming the snapshot it came from
/// (`__hotloop.served(id, snapshot)`), its trailer. Made per request and not kept (a lazy
/// chunk stays in every later snapshot), in buffers of about [`STREAM_BUFFER`] bytes as the
/// connection takes them, never as one copy (~2 MB for a route of 1,000 components, made on
/// a server thread and freed there after the request, where the allocator keeps it committed
/// until that thread allocates again; the lazy-routes app's RSS at the end did not measurably
/// move, 112 MiB either way at load 5–10).
struct LazyScript {
    chunk: Arc<Chunk>,
    /// The statement naming the snapshot, then the trailer.
    end: String,
}

impl LazyScript {
    fn new(chunk: Arc<Chunk>, id: &str, snapshot: u32) -> LazyScript {
        // A JSON string is a JS string literal.
        let id = serde_json::to_string(id).unwrap_or_else(|_| "null".into());
        let end = format!("__hotloop.served({id}, {snapshot});\n{}", chunk.trailer);
        LazyScript { chunk, end }
    }

    /// An ETag of the script's bytes, hashed piece by piece (not [`content_etag`]'s value for
    /// the same bytes, which nothing compares it with).
    fn etag(&self) -> String {
        let mut hasher = FxHasher::default();
        hasher.write(pieces::COMPILE_HINT.as_bytes());
        let mut len = pieces::COMPILE_HINT.len();
        for (_, statement) in self.chunk.parts.iter() {
            for piece in statement.pieces() {
                hasher.write(piece.as_bytes());
                len += piece.len();
            }
        }
        hasher.write(self.end.as_bytes());
        len += self.end.len();
        format!("\"{:016x}-{len:x}\"", hasher.finish())
    }

    /// The script as a streamed body.
    fn body(self) -> Body {
        let statements = self.chunk.parts.clone().into_iter();
        let end = Some(self.end);
        let mut hint = Some(pieces::COMPILE_HINT);
        let buffers =
            futures_util::stream::unfold((statements, end), move |(mut statements, mut end)| {
                let mut buffer = Vec::with_capacity(STREAM_BUFFER + STREAM_BUFFER / 4);
                if let Some(hint) = hint.take() {
                    buffer.extend_from_slice(hint.as_bytes());
                }
                while buffer.len() < STREAM_BUFFER {
                    match statements.next() {
                        Some((_, statement)) => statement.extend_bytes(&mut buffer),
                        None => {
                            let Some(end) = end.take() else { break };
                            buffer.extend_from_slice(end.as_bytes());
                            break;
                        }
                    }
                }
                let next = (!buffer.is_empty()).then(|| {
                    (
                        Ok::<_, std::convert::Infallible>(Bytes::from(buffer)),
                        (statements, end),
                    )
                });
                std::future::ready(next)
            });
        Body::from_stream(buffers)
    }
}

/// The script that answers for a lazy chunk served in parts: `__hotloop.served(id, snapshot,
/// [part URLs])`, after which the page loads the parts at once (`runtime/js/page.js`), each a
/// piece at its content's URL (`pieces.rs`), so that the browser compiles them on several
/// threads as they stream in, and a page that loaded a part before takes it from its cache.
fn lazy_parts_script(id: &str, snapshot: u32, parts: &[pieces::Piece]) -> String {
    let urls: Vec<String> = parts.iter().map(pieces::Piece::url).collect();
    // A JSON string is a JS string literal.
    let id = serde_json::to_string(id).unwrap_or_else(|_| "null".into());
    let urls = serde_json::to_string(&urls).unwrap_or_else(|_| "[]".into());
    format!("__hotloop.served({id}, {snapshot}, {urls});\n")
}

/// The module id of a lazy chunk request's `?id=`.
fn lazy_id(query: Option<&str>) -> Option<String> {
    let value = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("id="))?;
    let id = percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .ok()?
        .into_owned();
    id.starts_with('/').then_some(id)
}

/// The snapshot that serves the lazy chunk `?id=` names (compiled first when it is pending),
/// or the response that says why there is none.
async fn served_lazy(
    state: &AppState,
    query: Option<&str>,
) -> Result<(Arc<Served>, String, Arc<Chunk>), Response> {
    let Some(id) = lazy_id(query) else {
        return Err(text(
            StatusCode::BAD_REQUEST,
            "hotloop: a lazy chunk request names its module as `?id=/src/route.js`".to_owned(),
        ));
    };
    let mut served = state.built_for_request().await;
    // A script of the project no `import()` names, asked for by its URL at run time (an
    // `import(url)` of a path only known then): the engine takes it in as a lazy target.
    let by_url = matches!(served.lazy.get(&id), LazyChunkState::Unknown)
        && served.modules.get(id.as_str()).is_none()
        && project_script(state, &id);
    if by_url || matches!(served.lazy.get(&id), LazyChunkState::Pending) {
        let asked_at = served.snapshot;
        let _ = state.client_events.send(ClientEvent::LazyChunkRequested {
            id: Arc::from(id.as_str()),
        });
        let compiled = state
            .first_within(LAZY_WAIT, |s| match s.lazy.get(&id) {
                LazyChunkState::Pending => false,
                // (The engine's answer to a script asked for by its URL is a later snapshot.)
                LazyChunkState::Unknown => !by_url || s.snapshot != asked_at,
                LazyChunkState::Ready(_) => true,
            })
            .await;
        served = match compiled {
            Some(snapshot) => snapshot,
            None => {
                return Err(text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "hotloop: the modules of {id} were not compiled within {} s; \
                         see hotloop's output",
                        LAZY_WAIT.as_secs()
                    ),
                ));
            }
        };
    }
    match served.lazy.get(&id) {
        LazyChunkState::Ready(chunk) => {
            let chunk = chunk.clone();
            Ok((served, id, chunk))
        }
        _ => Err(text(
            StatusCode::NOT_FOUND,
            format!("hotloop: no module of this page loads {id} with import()"),
        )),
    }
}

/// `GET /_hotloop/map/<id without its leading slash>`: one module's source map.
pub(crate) async fn module_map(
    State(state): State<Arc<AppState>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
) -> Response {
    let id = format!("/{}", rest.trim_start_matches('/'));
    let served = state.built_for_request().await;
    let module = served.modules.get(id.as_str()).cloned();
    match off_the_runtime(move || module.as_deref().and_then(sourcemap::module_map)).await {
        Some(map) => cached(
            &headers,
            &content_etag(map.as_bytes()),
            JSON,
            Bytes::from(map),
        ),
        None => text(StatusCode::NOT_FOUND, format!("no source map for {id}")),
    }
}

fn refused(raw_path: &str, why: &PathRejection) -> Response {
    let status = match why {
        PathRejection::BadEncoding | PathRejection::TooManyEncodings => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    };
    text(status, format!("hotloop: refused {raw_path}: {why}"))
}

/// Whether a request for `raw_path`, which no file answers, gets the app's HTML page (Vite's
/// HTML fallback): an `Accept` that names `text/html`, or (as Vite's, for clients other than
/// browsers: curl, `wait-on`) one that is absent, empty or `*/*`, for a path that reads as a
/// route (`/about`, `/user/42`: letters, digits, `-`, `_`, `~`, no extension, nothing encoded,
/// no empty segment, none of Vite's or hotloop's own prefixes); a missing `/logo.png` stays a
/// 404.
fn falls_back_to_html(headers: &HeaderMap, raw_path: &str) -> bool {
    if wants_html(headers) {
        return true;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let any = accept.trim().is_empty() || accept.contains("*/*");
    let route = raw_path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'~'))
        && !raw_path.contains("//")
        && !["/_hotloop/", "/node_modules/"]
            .iter()
            .any(|prefix| raw_path.starts_with(prefix));
    any && route
}

pub(crate) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

enum DiskResult {
    Found {
        content_type: String,
        etag: String,
        body: Option<Vec<u8>>,
    },
    /// An HTML page of the app, by its module id (`/about.html`): `index.html`'s own route, or
    /// another page of a multi-page app (`pages.rs`).
    Page(String),
    Missing,
    Refused(PathRejection),
    Failed(String),
}

/// Everything else: a linked stylesheet, a file from `public/` or the root, then the app's
/// server when there is one (any method other than GET and HEAD goes straight there), else the
/// SPA fallback or a 404.
pub(crate) async fn fallback(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if let Some(authority) = state.app_server.clone()
        && request.method() != Method::GET
        && request.method() != Method::HEAD
    {
        return app_server::forward(&state, &authority, request).await;
    }
    let raw_path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    let path = match parse_request_path(&raw_path) {
        Ok(p) => p,
        Err(why) => return refused(&raw_path, &why),
    };
    if path.segments.first().is_some_and(|s| s == "_hotloop") {
        return text(StatusCode::NOT_FOUND, format!("not found: {raw_path}"));
    }
    // A module by its plugin id, fetched by the page at run time (`by_id.rs`).
    let url = crate::by_id::with_query(raw_path.as_str(), request.uri().query());
    if let Some(id) = crate::by_id::requested_id(&raw_path, request.uri().query())
        && let Some(response) = crate::by_id::answer(&state, id, &url, &headers).await
    {
        return response;
    }
    // A linked stylesheet is a module: its URL means the compiled sheet, never the raw file.
    // While the cold build runs, the last session's page has its sheets (a linked sheet blocks
    // the page's first render, and that build waits for it: `devloop/first_render.rs`), also
    // for a page asked for before its record was read; anything else waits for the build.
    let ready = state.page_ready().await;
    let query = request.uri().query();
    let sheet_now = ready.last_session
        && ready
            .modules
            .get(sheet_id(&ready.modules, &path.id, query).as_str())
            .is_some_and(|m| m.stylesheet.is_some());
    // So does a file no build makes (a `public/` file, an image of the root), which that page
    // may wait for before it renders (a top-level `await fetch('/data.json')`): that build
    // waits for the render, so waiting for it here stalled such a page until its time-out.
    let file_now = !sheet_now
        && ready.last_session
        && ready.building
        && ready.modules.get(path.id.as_str()).is_none()
        && plain_file(&state, &path).await;
    let served = if sheet_now || file_now {
        ready
    } else if ready.last_session && ready.modules.get(path.id.as_str()).is_none() {
        // Neither a module of that page nor a file (the `/favicon.ico` a browser asks for on
        // every load): its answer waits for the build without hurrying it.
        state.built().await
    } else {
        state.built_for_request().await
    };
    if let Some(module) = served
        .modules
        .get(sheet_id(&served.modules, &path.id, query).as_str())
        && module.kind == ModuleKind::Css
        && let Some(sheet) = &module.stylesheet
    {
        // The runtime loads a changed linked sheet as `?hotloop-v=<version>` and then patches
        // it as that version: answer only while it is the sheet's version, so a page never
        // holds a text under another text's version (a newer update is on its way to it).
        if let Some(wanted) = query_param(request.uri().query(), "hotloop-v")
            && wanted != format!("{:08x}", css_version(sheet))
        {
            return text(
                StatusCode::NOT_FOUND,
                format!(
                    "{raw_path} is no longer at version {wanted}: the page loads the current one with the next update"
                ),
            );
        }
        return cached(
            &headers,
            &content_etag(sheet.as_bytes()),
            CSS,
            arc_str_body(sheet),
        );
    }

    // A script of the project asked for by its URL as a worker (a service worker registered at
    // `/src/sw.ts`): its worker script, as Vite serves the module there.
    if for_a_worker(&headers) && project_script(&state, &path.id) {
        return worker_script(&state, &path.id, &headers).await;
    }
    // One asked for as a module script by its URL (a `<script type="module" src>` code added,
    // the browser's own `import()` of it): a stand-in that runs the module in the page's
    // registry (as a lazy chunk, `importUrl`), with the app's module instances, as Vite serves
    // the module there. (Its exports stay the registry's: the stand-in exports nothing.)
    if for_a_module_script(&headers) && project_script(&state, &path.id) {
        let id = serde_json::to_string(path.id.as_str()).unwrap_or_default();
        let body = format!(
            "// hotloop: {} runs in the page's module registry\nawait __hotloop.importUrl({id});\n",
            path.id
        );
        let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, JS)], body).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return response;
    }

    let policy = state.fs.clone();
    let lookup = path.clone();
    let if_none_match = headers.clone();
    let sources = served.source_roots.clone();
    // Vite's HTML fallback for a multi-page app: `/about` is `about.html`, `/nested/`
    // `nested/index.html` (not with an app server: its routes are its own).
    let page_fallback = falls_back_to_html(&headers, &raw_path)
        && state.app_server.is_none()
        && state.app_type != AppType::Custom;
    let trailing_slash = raw_path.ends_with('/');
    let result =
        tokio::task::spawn_blocking(move || match policy.resolve_file(&lookup, &sources) {
            Err(why) => DiskResult::Refused(why),
            Ok(None) => page_fallback
                .then(|| crate::pages::fallback_page(&policy, &lookup, trailing_slash))
                .flatten()
                .map_or(DiskResult::Missing, DiskResult::Page),
            Ok(Some(file)) => {
                let etag = file.etag();
                let content_type = fs::content_type(&file.path);
                if content_type.starts_with("text/html")
                    && let Some(id) = crate::pages::html_page_id(&policy, &file.path, &lookup.id)
                {
                    return DiskResult::Page(id);
                }
                if not_modified(&if_none_match, &etag) {
                    return DiskResult::Found {
                        content_type,
                        etag,
                        body: None,
                    };
                }
                let path = file.path.clone();
                match file.read_all() {
                    Ok(bytes) => DiskResult::Found {
                        content_type,
                        etag,
                        body: Some(bytes),
                    },
                    Err(e) => DiskResult::Failed(format!("cannot read {}: {e}", path.display())),
                }
            }
        })
        .await
        .unwrap_or_else(|e| DiskResult::Failed(format!("file lookup failed: {e}")));

    match result {
        DiskResult::Found {
            content_type,
            etag,
            body,
        } => cached(
            &headers,
            &etag,
            &content_type,
            Bytes::from(body.unwrap_or_default()),
        ),
        DiskResult::Page(id) if id == "/index.html" => index_response(&state, &served, &headers),
        DiskResult::Page(id) => crate::pages::other_page(&state, id, &headers).await,
        DiskResult::Refused(why) => refused(&raw_path, &why),
        DiskResult::Failed(message) => {
            tracing::warn!("{message}");
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("hotloop: {message}"),
            )
        }
        DiskResult::Missing => {
            // A script or stylesheet no file holds may be a plugin's own module, as Vite's
            // transform middleware asks before the `post` middlewares (vite-plugin-pwa's
            // `/dev-sw.js?dev-sw` service worker and its `/workbox-*.js`).
            if let Some(id) = crate::by_id::plugin_url(&raw_path, request.uri().query())
                && let Some(response) = crate::by_id::answer(&state, id, &url, &headers).await
            {
                return response;
            }
            // The plugins' `post` middlewares first (`middlewares.rs`), as in Vite.
            let (request, set) = match middlewares::post(&state, request).await {
                Ok(response) => return response,
                Err(passed) => passed,
            };
            let response = if let Some(authority) = state.app_server.clone() {
                app_server::forward(&state, &authority, request).await
            } else if state.app_type == AppType::Spa
                && falls_back_to_html(&headers, &raw_path)
                && served.html.is_some()
            {
                index_response(&state, &served, &headers)
            } else {
                text(StatusCode::NOT_FOUND, format!("not found: {raw_path}"))
            };
            middlewares::add_headers(response, set)
        }
    }
}

/// Whether `path` is a file on disk the server may serve that is not a page (blocking lookup
/// on tokio's blocking pool).
async fn plain_file(state: &Arc<AppState>, path: &fs::RequestPath) -> bool {
    let policy = state.fs.clone();
    let lookup = path.clone();
    tokio::task::spawn_blocking(move || match policy.resolve_file(&lookup, &[]) {
        Ok(Some(file)) => !fs::content_type(&file.path).starts_with("text/html"),
        _ => false,
    })
    .await
    .unwrap_or(false)
}

/// The module a request for the path `id` with `query` may name as a linked stylesheet: the
/// id with the query when a module has that id (a page's inline style,
/// `/index.html?html-proxy&direct&index=0.css`), else the path's; the runtime's
/// `hotloop-v=<version>` of a swapped sheet is not part of it.
fn sheet_id(modules: &ServedModules, id: &str, query: Option<&str>) -> String {
    let rest: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("hotloop-v="))
        .collect();
    if !rest.is_empty() {
        let with_query = format!("{id}?{}", rest.join("&"));
        if modules.contains_key(with_query.as_str()) {
            return with_query;
        }
    }
    id.to_owned()
}

/// The value of the query parameter `name` (as written, not percent-decoded: the runtime's
/// versions are hex digits).
pub(crate) fn query_param<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_protocol::served::{Parts, Statement};

    /// The bytes of a streamed body, in order.
    fn collect(body: Body) -> Vec<u8> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = runtime
            .block_on(axum::body::to_bytes(body, usize::MAX))
            .unwrap();
        bytes.to_vec()
    }

    #[test]
    fn a_lazy_script_names_its_snapshot_after_its_defines_whatever_the_id_holds() {
        let id = "/src/\"q\"\\b\n\u{2028}.js";
        let parts = Parts::from(vec![(Arc::from(id), Statement::whole("define(1);\n"))]);
        let chunk = Arc::new(Chunk::new(parts, "//# sourceMappingURL=x\n".into()));
        let script = String::from_utf8(collect(LazyScript::new(chunk, id, 3).body())).unwrap();
        let served = script
            .strip_prefix("//# allFunctionsCalledOnLoad\ndefine(1);\n__hotloop.served(")
            .and_then(|rest| rest.strip_suffix(", 3);\n//# sourceMappingURL=x\n"))
            .unwrap_or_else(|| panic!("{script}"));
        assert!(!served.contains('\n'), "{served}");
        assert_eq!(serde_json::from_str::<String>(served).unwrap(), id);
    }

    #[test]
    fn a_lazy_script_streams_in_buffers_that_add_up_to_the_chunk_and_its_etag_follows_its_bytes() {
        let statements = |v: u32| {
            Parts::from(
                (0..4000)
                    .map(|i| {
                        let id: Arc<str> = Arc::from(format!("/src/m{i}.js"));
                        let code = format!("__hotloop.define(\"/src/m{i}.js\", {{}}, function () {{ return {v}; }});\n");
                        (id, Statement::whole(code))
                    })
                    .collect::<Vec<_>>(),
            )
        };
        let chunk = Arc::new(Chunk::new(statements(1), "//# sourceMappingURL=x\n".into()));
        let whole = [
            pieces::COMPILE_HINT.as_bytes(),
            &chunk.concat_with("__hotloop.served(\"/src/r.js\", 4);\n"),
        ]
        .concat();
        assert!(whole.len() > 3 * STREAM_BUFFER, "{}", whole.len());
        let script = LazyScript::new(chunk.clone(), "/src/r.js", 4);
        let etag = script.etag();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut buffers = Vec::new();
        let mut stream = script.body().into_data_stream();
        while let Some(buffer) = runtime.block_on(futures_util::StreamExt::next(&mut stream)) {
            buffers.push(buffer.unwrap());
        }
        assert!(buffers.len() > 3, "{} buffers", buffers.len());
        assert!(buffers.iter().all(|b| b.len() < 2 * STREAM_BUFFER));
        assert_eq!(buffers.concat(), whole);
        assert_eq!(
            LazyScript::new(chunk, "/src/r.js", 4).etag(),
            etag,
            "the same bytes, the same tag"
        );
        let edited = Arc::new(Chunk::new(statements(2), "//# sourceMappingURL=x\n".into()));
        assert_ne!(LazyScript::new(edited.clone(), "/src/r.js", 4).etag(), etag);
        assert_ne!(LazyScript::new(edited, "/src/r.js", 5).etag(), etag);
    }
}
