//! Request-level defences of the dev server, run before any route:
//!
//! - **Host allowlist** (DNS rebinding): every request, the WebSocket included, must name an
//!   allowed host: `localhost`, `*.localhost`, an IPv4 literal, a bracketed IPv6 literal, or an
//!   entry of `ServerConfig::allowed_hosts` (exact name, `.example.com` for the name and its
//!   subdomains, `*` for any host — which turns the check off). A request in absolute form
//!   (`GET http://host/ HTTP/1.1`) must name an allowed host there too. The port is not checked.
//! - **Origin** of WebSocket upgrades: required, and either an explicit `allowed_hosts` entry
//!   (not `*`; any port), or on the port the request was addressed to with a loopback name
//!   (`localhost`, `*.localhost`, `127.x.x.x`, `[::1]`) or the host the request itself names
//!   (the page's own origin, e.g. a LAN address when bound to `0.0.0.0`). Another app on this
//!   machine (`http://localhost:5173` next to hotloop on 3000) and any other IP literal (a page
//!   served from `http://203.0.113.7/`) must not read the update stream, which carries the
//!   project's source. `null` and foreign origins are refused (`allow_any_origin` turns this
//!   off).
//! - **Cross-site script inclusion**: `Sec-Fetch-Site: cross-site` + `Sec-Fetch-Mode: no-cors` +
//!   `Sec-Fetch-Dest: script` is refused, and every response carries
//!   `Cross-Origin-Resource-Policy: same-origin` and `X-Content-Type-Options: nosniff`, so another
//!   site cannot read sources with `<script src>`. No `Access-Control-Allow-Origin` is ever
//!   sent unless `allow_any_origin` is set.
//! - **Methods**: only GET and HEAD (405 otherwise), except on `--proxy` paths, which the
//!   backend answers, and when the app's own server runs (`ServerConfig::app_server`): other
//!   methods go to it (hotloop's own routes still answer only GET and HEAD).
//!
//! Each default is relaxed by one flag of its own (`tui/src/cli.rs`), and the binary prints what
//! a relaxed one exposes, and to whom (`exposure_warnings` in `tui/src/dev.rs`).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// What the host-and-origin rules need from the config.
#[derive(Clone, Debug, Default)]
pub struct HostPolicy {
    /// Lowercased entries of `allowed_hosts`, trailing dots removed.
    pub allowed_hosts: Vec<String>,
    pub allow_any_origin: bool,
}

impl HostPolicy {
    pub fn new(allowed_hosts: &[String], allow_any_origin: bool) -> HostPolicy {
        HostPolicy {
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
                .collect(),
            allow_any_origin,
        }
    }

    /// Whether a hostname (no port; IPv6 in brackets) may be served.
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host == "localhost" || host.ends_with(".localhost") {
            return true;
        }
        if host.parse::<Ipv4Addr>().is_ok() {
            return true;
        }
        if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'))
            && inner.parse::<Ipv6Addr>().is_ok()
        {
            return true;
        }
        self.allowed_hosts.iter().any(|allowed| {
            allowed == "*"
                || *allowed == host
                || allowed
                    .strip_prefix('.')
                    .is_some_and(|base| host == base || host.ends_with(allowed.as_str()))
        })
    }
}

impl HostPolicy {
    /// Whether a page at `origin` (hostname and port) may open the WebSocket of a request
    /// addressed to `request` (the Host header's hostname and port): an explicit
    /// `allowed_hosts` entry on any port; otherwise only on the request's own port, a loopback
    /// name or the request's own host. Unlike `host_allowed`, an arbitrary IP literal is not
    /// enough, and `*` does not count.
    pub fn origin_allowed(&self, origin: (&str, u16), request: Option<(&str, u16)>) -> bool {
        let (origin, port) = origin;
        let origin = origin.trim_end_matches('.').to_ascii_lowercase();
        let listed = self.allowed_hosts.iter().any(|allowed| {
            *allowed == origin
                || allowed
                    .strip_prefix('.')
                    .is_some_and(|base| origin == base || origin.ends_with(allowed.as_str()))
        });
        if listed {
            return true;
        }
        let Some((request_host, request_port)) = request else {
            return false;
        };
        if port != request_port {
            return false;
        }
        let loopback = origin == "localhost"
            || origin.ends_with(".localhost")
            || origin == "[::1]"
            || origin.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
        loopback
            || request_host
                .trim_end_matches('.')
                .eq_ignore_ascii_case(&origin)
    }
}

/// The hostname of an authority `host[:port]` / `[v6][:port]`; `None` if malformed.
pub fn authority_host(authority: &str) -> Option<&str> {
    split_authority(authority).map(|(host, _)| host)
}

/// The hostname and port (if written) of an authority; `None` if malformed.
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let valid = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_');
    let ok = if let Some(inner) = host.strip_prefix('[') {
        inner.strip_suffix(']').is_some_and(|v6| {
            v6.bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        })
    } else {
        !host.is_empty() && host.len() <= 253 && host.bytes().all(valid)
    };
    let port = match port {
        Some(port) => Some(port.parse().ok()?),
        None => None,
    };
    ok.then_some((host, port))
}

/// The hostname and port of an `Origin` header (`scheme://host[:port]`, http(s) origins
/// only), the port defaulted by scheme (80, 443).
pub fn origin_authority(origin: &str) -> Option<(&str, u16)> {
    let (rest, default_port) = match origin.strip_prefix("http://") {
        Some(rest) => (rest, 80),
        None => (origin.strip_prefix("https://")?, 443),
    };
    let (host, port) = split_authority(rest)?;
    Some((host, port.unwrap_or(default_port)))
}

/// The hostname and port of a `Host` header (this server speaks plain HTTP: 80 by default).
fn host_authority(host: &str) -> Option<(&str, u16)> {
    let (host, port) = split_authority(host)?;
    Some((host, port.unwrap_or(80)))
}

/// Printable, bounded form of a header value for an error body.
fn shown(value: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(value)
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(100)
        .collect();
    text
}

pub fn forbidden(message: String) -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// Checks the `Host` header (and an absolute-form target): `Err` says why it is refused.
pub fn check_host(policy: &HostPolicy, request: &Request) -> Result<(), String> {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let (Some(value), None) = (hosts.next(), hosts.next()) else {
        return Err("hotloop: the request needs exactly one Host header".into());
    };
    let Some(host) = value.to_str().ok().and_then(authority_host) else {
        return Err(format!(
            "hotloop: Host header '{}' is malformed",
            shown(value.as_bytes())
        ));
    };
    if !policy.host_allowed(host) {
        return Err(format!(
            "hotloop: Host header '{}' is not allowed; add it with --allowed-host",
            shown(value.as_bytes())
        ));
    }
    if let Some(authority) = request.uri().authority() {
        let ok = authority_host(authority.as_str()).is_some_and(|h| policy.host_allowed(h));
        if !ok {
            return Err(format!(
                "hotloop: request target host '{}' is not allowed; add it with --allowed-host",
                shown(authority.as_str().as_bytes())
            ));
        }
    }
    Ok(())
}

/// Checks the `Origin` of a WebSocket upgrade: `Err` says why it is refused.
pub fn check_ws_origin(policy: &HostPolicy, headers: &HeaderMap) -> Result<(), String> {
    if policy.allow_any_origin {
        return Ok(());
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Err("hotloop: WebSocket connections need an Origin header".into());
    };
    let request = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(host_authority);
    let ok = origin
        .to_str()
        .ok()
        .and_then(origin_authority)
        .is_some_and(|o| policy.origin_allowed(o, request));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "hotloop: WebSocket connections from origin '{}' are not allowed; add its host with --allowed-host",
            shown(origin.as_bytes())
        ))
    }
}

fn header_is(headers: &HeaderMap, name: &str, value: &str) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
}

/// A `<script src>` from another site (cross-site, no-cors, script): source theft.
pub fn is_cross_site_script(headers: &HeaderMap) -> bool {
    header_is(headers, "sec-fetch-site", "cross-site")
        && header_is(headers, "sec-fetch-mode", "no-cors")
        && header_is(headers, "sec-fetch-dest", "script")
}

/// The middleware in front of every route (the fallback included).
pub async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let policy = &state.hosts;
    let mut response = if let Err(why) = check_host(policy, &request) {
        forbidden(why)
    } else if request.method() != Method::GET
        && request.method() != Method::HEAD
        && state.proxy.rule_for(request.uri().path()).is_none()
        && state.app_server.is_none()
        && state.middlewares.is_none()
    {
        let mut r = (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("hotloop: method {} is not allowed", request.method()),
        )
            .into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else if !policy.allow_any_origin && is_cross_site_script(request.headers()) {
        forbidden("hotloop: cross-site script requests are refused".into())
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if policy.allow_any_origin {
        headers.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    } else {
        headers.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("same-origin"),
        );
    }
    // The config's `server.headers`, as Vite sets them on every response.
    for (name, value) in &state.headers {
        headers.insert(name.clone(), value.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let p = HostPolicy::new(&["Dev.Example.com".into(), ".lan".into()], false);
        for ok in [
            "localhost",
            "LOCALHOST",
            "app.localhost",
            "localhost.",
            "127.0.0.1",
            "192.168.1.20",
            "[::1]",
            "dev.example.com",
            "lan",
            "box.lan",
        ] {
            assert!(p.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.com",
            "localhost.evil.com",
            "evillocalhost",
            "127.0.0.1.evil.com",
            "2130706433",
            "example.com",
            "xlan",
            "::1",
            "[evil]",
        ] {
            assert!(!p.host_allowed(bad), "{bad}");
        }
        assert!(HostPolicy::new(&["*".into()], false).host_allowed("anything.example"));
    }

    #[test]
    fn origins() {
        let p = HostPolicy::new(
            &["dev.example.com".into(), ".lan".into(), "*".into()],
            false,
        );
        let local = Some(("localhost", 3000));
        for (origin, request) in [
            (("localhost", 3000), local),
            (("app.localhost", 3000), local),
            (("127.0.0.1", 3000), local),
            (("127.8.9.10", 3000), Some(("127.0.0.1", 3000))),
            (("[::1]", 3000), Some(("[::1]", 3000))),
            (("192.168.1.20", 3000), Some(("192.168.1.20", 3000))),
            // Listed hosts: any port, whatever the request names.
            (("dev.example.com", 443), local),
            (("box.lan", 8080), None),
        ] {
            assert!(p.origin_allowed(origin, request), "{origin:?}");
        }
        for (origin, request) in [
            // Another app on this machine.
            (("localhost", 5173), local),
            (("127.0.0.1", 8080), local),
            (("192.168.1.20", 8080), Some(("192.168.1.20", 3000))),
            (("localhost", 3000), None),
            (("203.0.113.7", 3000), local),
            (("192.168.1.21", 3000), Some(("192.168.1.20", 3000))),
            (("[2001:db8::1]", 3000), Some(("[::1]", 3000))),
            (("evil.com", 3000), local),
            (("localhost.evil.com", 3000), None),
        ] {
            assert!(!p.origin_allowed(origin, request), "{origin:?}");
        }
    }

    #[test]
    fn authorities() {
        assert_eq!(authority_host("localhost:5173"), Some("localhost"));
        assert_eq!(authority_host("[::1]:80"), Some("[::1]"));
        assert_eq!(authority_host("[::1]"), Some("[::1]"));
        assert_eq!(authority_host("a.b"), Some("a.b"));
        for bad in [
            "", ":80", "a:", "a:b", "a:123456", "[::1", "[::1]x", "a b", "a/b", "a@b", "[zz]",
        ] {
            assert_eq!(authority_host(bad), None, "{bad}");
        }
        assert_eq!(origin_authority("null"), None);
        assert_eq!(origin_authority("file://"), None);
        assert_eq!(origin_authority("http://localhost/path"), None);
        assert_eq!(
            origin_authority("http://localhost:5173"),
            Some(("localhost", 5173))
        );
        assert_eq!(origin_authority("http://a.b"), Some(("a.b", 80)));
        assert_eq!(origin_authority("https://[::1]"), Some(("[::1]", 443)));
        assert_eq!(origin_authority("http://a:99999"), None);
        assert_eq!(host_authority("localhost"), Some(("localhost", 80)));
    }
}
