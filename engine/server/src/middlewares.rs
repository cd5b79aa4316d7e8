//! A project's Vite plugins' `server.middlewares` handlers (`configureServer`), which run in the
//! plugin host on a loopback HTTP port (`hotloop_protocol::plugin::Middlewares`, the host's
//! `js/middlewares.js`). The server only forwards, with `--proxy`'s forwarding
//! (`proxy::forward_to`: the page's `Host` kept) after its own Host/Origin checks, adding the
//! host's token (`x-hotloop-token`, without which the host answers 403) and the phase
//! (`x-hotloop-middleware`); it never depends on the host.
//!
//! Where they run, as Vite orders them around its own serving:
//! - `pre` (added in `configureServer`): before hotloop serves anything ([`layer`], after the
//!   Host/Origin guard, before `--proxy` and hotloop's routes). Vite runs them before its
//!   proxy, static files and transforms; hotloop's own `/_hotloop/*` (which Vite does not
//!   have) and WebSocket upgrades never go to them.
//! - `post` (added by the function `configureServer` returned): for a request hotloop has no
//!   file or module for ([`post`], from `http::fallback`), before the SPA fallback, the app's
//!   server (`--server`) and the 404; and for any method other than GET/HEAD that no
//!   `--proxy` rule or app's server takes (else a 405).
//!
//! The answer: a handler's response goes to the page as it is, but an HTML page it made with
//! `server.transformIndexHtml` (the host marks it `x-hotloop-client`; not compressed) gets
//! hotloop's client injected as the app's server's pages do (`app_server::inject_html`: the
//! client's head tags, the page's chunk in place of its entry script), so HMR works on a page
//! a middleware renders, as under Vite only such a page gets Vite's client. Other HTML (a tool's
//! own app, vite-plugin-vue-devtools' `/__devtools__/`) goes out as it is. When every handler called
//! `next()`, the host answers 404 with `x-hotloop-next` naming the headers the handlers set
//! (`res.setHeader` before `next()`); hotloop then serves the request itself and adds those
//! headers to its response where it did not set them (a plugin that sets COOP/COEP headers).
//! A handler that rewrote `req.url` before `next()` (a history fallback, `server.proxy`'s
//! `bypass` answering a path) sends `x-hotloop-url`: hotloop serves that URL instead.
//!
//! Cost: a project without handlers has no [`MiddlewareSource`] (nothing but a `None` check);
//! with handlers, only a request whose path a handler's route takes (connect's prefix rule) makes
//! the round trip to the host. A request body is buffered (at most [`MAX_BODY`]) so hotloop can
//! still serve or forward it after the handlers pass it on. While the host is down (crashed,
//! restarting) requests are served as without handlers.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hotloop_protocol::plugin::Middlewares;

use super::AppState;
use super::proxy::{Forward, Target, forward_to};

/// Where the plugins' handlers run now (`None`: none, or the host is down). Asked once per
/// request: a restarted host listens on another port.
#[derive(Clone)]
pub struct MiddlewareSource(Arc<dyn Fn() -> Option<Arc<Middlewares>> + Send + Sync>);

impl MiddlewareSource {
    pub fn new(f: impl Fn() -> Option<Arc<Middlewares>> + Send + Sync + 'static) -> Self {
        MiddlewareSource(Arc::new(f))
    }
}

impl std::fmt::Debug for MiddlewareSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MiddlewareSource")
    }
}

/// The largest request body handed to the handlers (and kept for hotloop after them).
pub const MAX_BODY: usize = 64 << 20;

/// The header that tells the host which handlers to run.
const PHASE: &str = "x-hotloop-middleware";
/// The header that proves to the host that hotloop asks (`Middlewares::token`).
const TOKEN: &str = "x-hotloop-token";
/// The host's "every handler called next()", with the names of the headers they set.
const NEXT: &str = "x-hotloop-next";
/// The host's "a handler rewrote `req.url` before `next()`": the URL hotloop serves instead.
const URL: &str = "x-hotloop-url";
/// The host's "this page was made with `server.transformIndexHtml`": inject the client.
const CLIENT: &str = "x-hotloop-client";

#[derive(Clone, Copy)]
enum Phase {
    Pre,
    Post,
}

enum Answer {
    /// A handler answered.
    Answered(Response),
    /// Every handler passed it on: the request again, and the headers they set (boxed: the
    /// two are large next to a response).
    Next(Box<(Request, HeaderMap)>),
}

/// The handlers now, when any may take `request`.
fn current(state: &AppState, request: &Request) -> Option<Arc<Middlewares>> {
    let source = state.middlewares.as_ref()?;
    let path = request.uri().path();
    if path.starts_with("/_hotloop/") || request.headers().contains_key(header::UPGRADE) {
        return None;
    }
    (source.0)()
}

fn takes_other_methods(method: &Method) -> bool {
    method != Method::GET && method != Method::HEAD
}

/// A method hotloop does not serve, with no `--proxy` rule or app's server to take it.
fn refused_method(state: &AppState, request: &Request) -> bool {
    takes_other_methods(request.method())
        && state.proxy.rule_for(request.uri().path()).is_none()
        && state.app_server.is_none()
}

/// Middleware: the `pre` handlers, then hotloop (and, for a method hotloop does not serve,
/// the `post` handlers, then a 405). A WebSocket upgrade hotloop does not take itself goes to
/// the plugins' `server.httpServer` (see [`upgrade`]).
pub(crate) async fn layer(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if request.headers().contains_key(header::UPGRADE) {
        return upgrade(&state, request, next).await;
    }
    let Some(handlers) = current(&state, &request) else {
        // The Host guard lets every method through while there are handlers; without them
        // now (the host is down), hotloop takes GET and HEAD only, as it does by default.
        if state.middlewares.is_some() && refused_method(&state, &request) {
            return method_not_allowed(request.method());
        }
        return next.run(request).await;
    };
    let (request, set) = if handlers.pre_takes(request.uri().path()) {
        match ask(&state, &handlers, Phase::Pre, request).await {
            Answer::Answered(response) => return response,
            Answer::Next(next) => *next,
        }
    } else {
        (request, HeaderMap::new())
    };
    let mut response = if refused_method(&state, &request) {
        match post_with(&state, &handlers, request).await {
            Ok(response) => response,
            Err((request, more)) => add_headers(method_not_allowed(request.method()), more),
        }
    } else {
        next.run(request).await
    };
    add_missing(response.headers_mut(), &set);
    response
}

/// A WebSocket upgrade that is not hotloop's own (`/_hotloop/ws`) nor a proxied path's goes to
/// the plugin host, which emits it as its `server.httpServer`'s `upgrade` event (a WebSocket
/// mock, a dev socket.io server) or refuses it (404): Vite's server emits every upgrade it
/// does not take itself. Without the host (no handlers, none listening, the host down) hotloop
/// answers as before.
async fn upgrade(state: &AppState, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/_hotloop/") || state.proxy.rule_for(path).is_some() {
        return next.run(request).await;
    }
    let Some(handlers) = state.middlewares.as_ref().and_then(|source| (source.0)()) else {
        return next.run(request).await;
    };
    let Some(authority) = host_authority(&handlers) else {
        return next.run(request).await;
    };
    with_token(&mut request, &handlers);
    let target = Target {
        authority: &authority,
        base: "",
        keep_host: true,
    };
    match forward_to(state, target, request).await {
        Ok(response) | Err(Forward::Refused(response)) => response,
        Err(Forward::Unreachable(error)) => {
            tracing::warn!(
                "the plugins' server could not be reached on {authority} for a WebSocket \
                 upgrade ({})",
                super::proxy::error_chain(&error)
            );
            (
                StatusCode::BAD_GATEWAY,
                "hotloop: the plugin host did not answer this WebSocket upgrade",
            )
                .into_response()
        }
    }
}

/// The `post` handlers for a request hotloop has no answer for: their response, or the request
/// back with the headers they set (hotloop answers it as it would have, then
/// [`add_headers`]).
pub(crate) async fn post(
    state: &AppState,
    request: Request,
) -> Result<Response, (Request, HeaderMap)> {
    match current(state, &request) {
        Some(handlers) => post_with(state, &handlers, request).await,
        None => Err((request, HeaderMap::new())),
    }
}

async fn post_with(
    state: &AppState,
    handlers: &Middlewares,
    request: Request,
) -> Result<Response, (Request, HeaderMap)> {
    if !handlers.post_takes(request.uri().path()) {
        return Err((request, HeaderMap::new()));
    }
    match ask(state, handlers, Phase::Post, request).await {
        Answer::Answered(response) => Ok(response),
        Answer::Next(next) => Err(*next),
    }
}

/// `response` with the headers handlers set before passing its request on, where hotloop set
/// none of that name.
pub(crate) fn add_headers(mut response: Response, set: HeaderMap) -> Response {
    add_missing(response.headers_mut(), &set);
    response
}

/// Forwards `request` to the host's `phase` handlers.
async fn ask(state: &AppState, handlers: &Middlewares, phase: Phase, request: Request) -> Answer {
    let (parts, body) = request.into_parts();
    let body = if takes_other_methods(&parts.method) {
        match to_bytes(body, MAX_BODY).await {
            Ok(bytes) => bytes,
            Err(error) => {
                return Answer::Answered(
                    (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!(
                            "hotloop: the request body for the plugins' middlewares could not be \
                             read (at most {MAX_BODY} bytes): {error}"
                        ),
                    )
                        .into_response(),
                );
            }
        }
    } else {
        Default::default()
    };
    let again = || Request::from_parts(parts.clone(), Body::from(body.clone()));
    let Some(authority) = host_authority(handlers) else {
        return Answer::Next(Box::new((again(), HeaderMap::new())));
    };
    let mut forwarded = again();
    with_token(&mut forwarded, handlers);
    forwarded.headers_mut().insert(
        HeaderName::from_static(PHASE),
        HeaderValue::from_static(match phase {
            Phase::Pre => "pre",
            Phase::Post => "post",
        }),
    );
    let target = Target {
        authority: &authority,
        base: "",
        keep_host: true,
    };
    let head = parts.method == Method::HEAD;
    let page_path = parts.uri.path().to_owned();
    let target_path = parts
        .uri
        .path_and_query()
        .map_or_else(|| page_path.clone(), |p| p.as_str().to_owned());
    let response = match forward_to(state, target, forwarded).await {
        Ok(response) => response,
        Err(Forward::Refused(response)) => return Answer::Answered(response),
        Err(Forward::Unreachable(error)) => {
            tracing::warn!(
                "the plugins' server.middlewares could not be reached on {authority} ({}); \
                 hotloop serves {} itself",
                super::proxy::error_chain(&error),
                parts.uri
            );
            return Answer::Next(Box::new((again(), HeaderMap::new())));
        }
    };
    let Some(names) = response.headers().get(NEXT) else {
        // Only a page the handler made with `server.transformIndexHtml` gets the client.
        let mut response = response;
        if response.headers_mut().remove(CLIENT).is_none() {
            return Answer::Answered(response);
        }
        return Answer::Answered(super::app_server::inject_html(
            state,
            response,
            head,
            page_path,
            target_path,
            false,
        ));
    };
    let mut set = HeaderMap::new();
    for name in names.to_str().unwrap_or_default().split(',') {
        let Ok(name) = HeaderName::from_bytes(name.trim().as_bytes()) else {
            continue;
        };
        for value in response.headers().get_all(&name) {
            set.append(name.clone(), value.clone());
        }
    }
    let mut request = again();
    // A handler rewrote `req.url` before passing the request on: hotloop serves that URL.
    if let Some(url) = response.headers().get(URL)
        && let Ok(url) = url.to_str()
        && let Ok(target) = axum::http::uri::PathAndQuery::try_from(super::base::routed(
            state.base_prefix.as_deref(),
            url,
        ))
        && target.as_str().starts_with('/')
    {
        let mut uri = request.uri().clone().into_parts();
        uri.path_and_query = Some(target);
        if let Ok(uri) = axum::http::Uri::from_parts(uri) {
            tracing::debug!(
                "the plugins' middlewares rewrote {} to {uri}",
                request.uri()
            );
            *request.uri_mut() = uri;
        }
    }
    Answer::Next(Box::new((request, set)))
}

/// The plugin host's loopback server, where the handlers run.
fn host_authority(handlers: &Middlewares) -> Option<Authority> {
    Authority::try_from(format!("127.0.0.1:{}", handlers.port)).ok()
}

/// `request` as the host takes it: with its token, without which it answers nobody.
fn with_token(request: &mut Request, handlers: &Middlewares) {
    if let Ok(token) = HeaderValue::from_str(&handlers.token) {
        request
            .headers_mut()
            .insert(HeaderName::from_static(TOKEN), token);
    }
}

/// Adds each header of `set` that `headers` does not have (hotloop's own win).
fn add_missing(headers: &mut HeaderMap, set: &HeaderMap) {
    for name in set.keys() {
        if headers.contains_key(name) {
            continue;
        }
        for value in set.get_all(name) {
            headers.append(name.clone(), value.clone());
        }
    }
}

fn method_not_allowed(method: &Method) -> Response {
    let mut r = (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("hotloop: method {method} is not allowed"),
    )
        .into_response();
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    r
}
