//! Forwarding to the app's backend: `--proxy /api=http://localhost:8080`, what Vite's
//! `server.proxy` does for most projects. A request whose path starts with a rule's prefix goes
//! to the rule's target (any method; bodies streamed both ways, never buffered); a WebSocket
//! upgrade is forwarded and the two connections joined once both sides have switched. The
//! target sees its own authority in `Host` (Vite's `changeOrigin: true`, which backends behind
//! virtual hosts need) and the page's in `X-Forwarded-Host`. When the target cannot be reached,
//! the page gets a 502 naming the target and saying what to do, and the log a warning.
//!
//! Runs after the Host check (`security::guard`), which lets every method through for proxied
//! paths only; proxied WebSocket upgrades pass the same Origin check as hotloop's own.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::uri::{Authority, PathAndQuery, Scheme};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::AppState;
use super::security;

/// One `--proxy PREFIX=URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRule {
    /// Every request path starting with this (`/api`) is forwarded.
    pub prefix: String,
    /// The target's authority (`localhost:8080`).
    pub authority: Authority,
    /// A path the request path is appended to (`http://localhost:8080/v1` → `/v1/api/...`);
    /// empty for none.
    pub base: String,
    /// The target sees its own authority as `Host` (Vite's `changeOrigin`; `--proxy` always),
    /// else the page's.
    pub change_origin: bool,
    /// Where the rule was written, for what the messages tell to change: `None` for
    /// `--proxy`, else the file whose `server.proxy` holds it (`vite.config`).
    pub set_in: Option<String>,
}

/// Why a `--proxy` value is not a rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyRuleError {
    #[error("expected PREFIX=URL, such as /api=http://localhost:8080")]
    Shape,
    #[error("the prefix '{0}' must be a path starting with '/', such as /api")]
    Prefix(String),
    #[error("the prefix '{0}' would hide hotloop's own {1}; proxy a narrower path such as /api")]
    Shadows(String, &'static str),
    #[error("'{0}' is not a URL such as http://localhost:8080")]
    Url(String),
    #[error(
        "'{0}': --proxy takes http:// (or ws://) targets only; point it at the backend's plain \
         HTTP port, or put the rule in the vite.config's `server.proxy`, where https:// targets \
         run as under Vite"
    )]
    Scheme(String),
}

impl FromStr for ProxyRule {
    type Err = ProxyRuleError;

    fn from_str(value: &str) -> Result<ProxyRule, ProxyRuleError> {
        let (prefix, url) = value.split_once('=').ok_or(ProxyRuleError::Shape)?;
        let (prefix, url) = (prefix.trim(), url.trim());
        if !prefix.starts_with('/') {
            return Err(ProxyRuleError::Prefix(prefix.into()));
        }
        if prefix == "/" {
            return Err(ProxyRuleError::Shadows(prefix.into(), "page"));
        }
        if prefix.starts_with("/_hotloop") || "/_hotloop".starts_with(prefix) {
            return Err(ProxyRuleError::Shadows(
                prefix.into(),
                "runtime and WebSocket",
            ));
        }
        let uri: Uri = url.parse().map_err(|_| ProxyRuleError::Url(url.into()))?;
        match uri.scheme_str() {
            Some("http" | "ws") => {}
            Some(_) => return Err(ProxyRuleError::Scheme(url.into())),
            None => return Err(ProxyRuleError::Url(url.into())),
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| ProxyRuleError::Url(url.into()))?;
        if uri.query().is_some() {
            return Err(ProxyRuleError::Url(url.into()));
        }
        Ok(ProxyRule {
            prefix: prefix.into(),
            authority,
            base: uri.path().trim_end_matches('/').into(),
            change_origin: true,
            set_in: None,
        })
    }
}

impl fmt::Display for ProxyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> http://{}{}",
            self.prefix, self.authority, self.base
        )
    }
}

/// The rules and one pooled HTTP/1 client for all of them.
pub(crate) struct Proxy {
    rules: Vec<ProxyRule>,
    client: Client<HttpConnector, Body>,
}

impl Proxy {
    pub(crate) fn new(rules: Vec<ProxyRule>) -> Proxy {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Proxy {
            rules,
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// The first rule whose prefix starts `path`.
    pub(crate) fn rule_for(&self, path: &str) -> Option<&ProxyRule> {
        self.rules.iter().find(|r| path.starts_with(&r.prefix))
    }
}

/// Middleware: a proxied path goes to its target, anything else on to hotloop's routes.
pub(crate) async fn layer(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    match state.proxy.rule_for(request.uri().path()) {
        Some(rule) => forward(&state, rule, request).await,
        None => next.run(request).await,
    }
}

async fn forward(state: &AppState, rule: &ProxyRule, request: Request) -> Response {
    let path = path_and_query(&request);
    let target = Target {
        authority: &rule.authority,
        base: &rule.base,
        keep_host: !rule.change_origin,
    };
    match forward_to(state, target, request).await {
        Ok(response) => response,
        Err(Forward::Refused(response)) => response,
        Err(Forward::Unreachable(error)) => bad_gateway(rule, &path, &error),
    }
}

/// Where a request goes.
pub(crate) struct Target<'a> {
    pub(crate) authority: &'a Authority,
    /// Prepended to the request path.
    pub(crate) base: &'a str,
    /// Keep the page's `Host` (the app's own server renders URLs for the page's origin);
    /// otherwise the target sees its own authority (`changeOrigin`).
    pub(crate) keep_host: bool,
}

/// Why a request was not forwarded.
pub(crate) enum Forward {
    /// Answered here (a bad target, a refused WebSocket origin).
    Refused(Response),
    /// The target could not be reached, or failed before answering.
    Unreachable(hyper_util::client::legacy::Error),
}

pub(crate) fn path_and_query(request: &Request) -> String {
    request
        .uri()
        .path_and_query()
        .map_or("/", PathAndQuery::as_str)
        .to_owned()
}

/// Forwards `request` to `target` (any method, bodies streamed both ways; a WebSocket upgrade
/// is joined to the target's once both have switched).
pub(crate) async fn forward_to(
    state: &AppState,
    target: Target<'_>,
    mut request: Request,
) -> Result<Response, Forward> {
    let upgrade = is_upgrade(request.headers());
    if upgrade && let Err(why) = security::check_ws_origin(&state.hosts, request.headers()) {
        return Err(Forward::Refused(security::forbidden(why)));
    }
    let path = path_and_query(&request);
    let Ok(uri) = Uri::builder()
        .scheme(Scheme::HTTP)
        .authority(target.authority.clone())
        .path_and_query(format!("{}{path}", target.base))
        .build()
    else {
        return Err(Forward::Refused(
            (StatusCode::BAD_REQUEST, "hotloop: bad request target").into_response(),
        ));
    };
    let headers = request.headers_mut();
    let page_host = if target.keep_host {
        headers.get(header::HOST).cloned()
    } else {
        headers.remove(header::HOST)
    };
    strip_hop_by_hop(headers, upgrade);
    if !target.keep_host
        && let Ok(host) = HeaderValue::from_str(target.authority.as_str())
    {
        headers.insert(header::HOST, host);
    }
    if let Some(page_host) = page_host {
        headers.insert(HeaderName::from_static("x-forwarded-host"), page_host);
    }
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static(if state.https { "https" } else { "http" }),
    );
    *request.uri_mut() = uri;
    *request.version_mut() = Version::HTTP_11;
    let page_side = upgrade.then(|| hyper::upgrade::on(&mut request));

    let mut response = state
        .proxy
        .client
        .request(request)
        .await
        .map_err(Forward::Unreachable)?;
    match page_side {
        Some(page_side) if response.status() == StatusCode::SWITCHING_PROTOCOLS => {
            let backend_side = hyper::upgrade::on(&mut response);
            tokio::spawn(async move {
                match tokio::try_join!(page_side, backend_side) {
                    Ok((page, backend)) => {
                        let _ = tokio::io::copy_bidirectional(
                            &mut TokioIo::new(page),
                            &mut TokioIo::new(backend),
                        )
                        .await;
                    }
                    Err(error) => tracing::debug!("proxied WebSocket upgrade failed: {error}"),
                }
            });
        }
        _ => strip_hop_by_hop(response.headers_mut(), false),
    }
    Ok(response.map(Body::new))
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && connection_tokens(headers).any(|token| token.eq_ignore_ascii_case("upgrade"))
}

/// The comma-separated tokens of every `Connection` header.
fn connection_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
}

/// Removes the headers that describe one connection rather than the message (RFC 9110 §7.6.1),
/// including those `Connection` names; an upgrade keeps `Connection` and `Upgrade`.
fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    let named: Vec<HeaderName> = connection_tokens(headers)
        .filter_map(|token| HeaderName::from_bytes(token.as_bytes()).ok())
        .filter(|name| !(upgrade && *name == header::UPGRADE))
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
    ] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
    if !upgrade {
        headers.remove(header::CONNECTION);
        headers.remove(header::UPGRADE);
    }
}

/// An error and its sources, `: `-separated.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut why = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        why = format!("{why}: {e}");
        source = e.source();
    }
    why
}

fn bad_gateway(rule: &ProxyRule, path: &str, error: &dyn std::error::Error) -> Response {
    let why = error_chain(error);
    let change = match &rule.set_in {
        Some(file) => format!("server.proxy['{}'] in the {file}", rule.prefix),
        None => "--proxy".to_owned(),
    };
    let message = format!(
        "the proxy for {} could not reach http://{}{}{path} ({why}). Is the backend running \
         on {}? Start it, or change {change}.",
        rule.prefix, rule.authority, rule.base, rule.authority
    );
    tracing::warn!("{message}");
    let message = format!("hotloop: {message}");
    (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_prefix_equals_url() {
        let rule: ProxyRule = "/api=http://localhost:8080".parse().unwrap();
        assert_eq!(rule.prefix, "/api");
        assert_eq!(rule.authority.as_str(), "localhost:8080");
        assert_eq!(rule.base, "");
        let rule: ProxyRule = "/socket=ws://127.0.0.1:9000/v1/".parse().unwrap();
        assert_eq!(
            (rule.authority.as_str(), rule.base.as_str()),
            ("127.0.0.1:9000", "/v1")
        );
        assert_eq!(rule.to_string(), "/socket -> http://127.0.0.1:9000/v1");
        for (bad, error) in [
            ("/api", ProxyRuleError::Shape),
            ("api=http://x", ProxyRuleError::Prefix("api".into())),
            ("/=http://x", ProxyRuleError::Shadows("/".into(), "page")),
            (
                "/_hotloop/ws=http://x",
                ProxyRuleError::Shadows("/_hotloop/ws".into(), "runtime and WebSocket"),
            ),
            (
                "/_hot=http://x",
                ProxyRuleError::Shadows("/_hot".into(), "runtime and WebSocket"),
            ),
            ("/api=https://x", ProxyRuleError::Scheme("https://x".into())),
            (
                "/api=localhost:8080",
                ProxyRuleError::Url("localhost:8080".into()),
            ),
            (
                "/api=http://x/?a=1",
                ProxyRuleError::Url("http://x/?a=1".into()),
            ),
        ] {
            assert_eq!(bad.parse::<ProxyRule>(), Err(error), "{bad}");
        }
    }

    #[test]
    fn hop_by_hop_headers_stay_on_their_connection() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, "keep-alive, x-hop".parse().unwrap());
        headers.insert("x-hop", "1".parse().unwrap());
        headers.insert("keep-alive", "timeout=5".parse().unwrap());
        headers.insert(header::TRANSFER_ENCODING, "chunked".parse().unwrap());
        headers.insert(header::COOKIE, "a=1".parse().unwrap());
        strip_hop_by_hop(&mut headers, false);
        let left: Vec<_> = headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["cookie"]);

        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, "Upgrade".parse().unwrap());
        headers.insert(header::UPGRADE, "websocket".parse().unwrap());
        assert!(is_upgrade(&headers));
        strip_hop_by_hop(&mut headers, true);
        assert_eq!(headers.len(), 2);
    }
}
