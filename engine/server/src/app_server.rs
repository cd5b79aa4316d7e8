//! The app's own server (server-side HMR, `ServerConfig::app_server`): hotloop answers its own
//! routes, the modules, linked stylesheets, `public/` and the root's files; every other request
//! (any method, and `GET /`: the app renders its own pages) goes to the app's server on
//! 127.0.0.1 with `--proxy`'s forwarding (`proxy::forward_to`: bodies streamed, WebSocket
//! upgrades joined), keeping the page's `Host`. Paths the file policy refuses (`.env`, `.git`,
//! traversal) are refused, not forwarded, and `/_hotloop/*` stays hotloop's. Forwarded GETs
//! wait for the first build, as every file request does.
//!
//! HTML the app's server returns (`Content-Type: text/html`) gets hotloop's client injected as
//! `index.html` does (`Served::injection`, see `PageInjection`): rewritten with lol_html as it
//! streams (a streamed server render reaches the page as the app sends it), with the same
//! status and headers (cookies included) minus `Content-Length`. Only a document (a doctype,
//! `<html>`, `<head>` or `<body>`) gets it, and the app's entries run only where it names them
//! (Vite's SSR template convention); a fragment (htmx's partial, `<li>...</li>`) passes as it
//! is, and a document naming none gets the runtime without them (see [`rewriter`]).
//! Requests ask for an uncompressed body (no `Accept-Encoding`); a compressed HTML response
//! passes untouched.
//!
//! When the app's server cannot be reached (starting, restarting after a crash), a request
//! first waits up to 10 s for it to listen, then the answer is 503 with `Retry-After: 1`; a
//! page navigation gets a page that says so and reloads itself once the server answers again.
//! While it stays stopped because it kept exiting (`ServerConfig::app_server_stopped`), the
//! 503 comes at once and says it starts again with the next edit. A failure after connecting
//! is a 502.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use lol_html::html_content::ContentType;
use lol_html::send::{Element, HtmlRewriter, Settings};
use lol_html::{OutputSink, doctype, element, end};
use percent_encoding::percent_decode_str;

use super::AppState;
use super::http::wants_html;
use super::proxy::{self, Forward, Target};
use hotloop_protocol::PageInjection;
use hotloop_protocol::served::Served;

/// Forwards `request` to the app's server at `authority`, injecting the client into HTML.
pub(crate) async fn forward(
    state: &AppState,
    authority: &Authority,
    mut request: Request,
) -> Response {
    let head = request.method() == Method::HEAD;
    let navigation = wants_html(request.headers());
    let page_path = request.uri().path().to_owned();
    let target_path = proxy::path_and_query(&request);
    request.headers_mut().remove(header::ACCEPT_ENCODING);
    let target = Target {
        authority,
        base: "",
        keep_host: true,
    };
    let stopped = state.app_server_stopped.load(Ordering::Relaxed);
    if state.app_server_down.load(Ordering::Relaxed) && !stopped {
        // Starting (or restarting after a crash): wait for it to listen rather than fail a
        // request that would have been answered a moment later.
        wait_until_listening(authority, state.app_server_wait).await;
    }
    let response = match proxy::forward_to(state, target, request).await {
        Ok(response) => {
            state.app_server_down.store(false, Ordering::Relaxed);
            response
        }
        Err(Forward::Refused(response)) => return response,
        Err(Forward::Unreachable(error)) => {
            state.app_server_down.store(true, Ordering::Relaxed);
            let why = Unavailable {
                error: &error,
                stopped,
            };
            return unavailable(authority, &target_path, why, navigation, &state.served());
        }
    };
    inject_html(state, response, head, page_path, target_path, true)
}

/// `response` with hotloop's client injected when it is HTML (`Content-Type: text/html`, not
/// encoded, with a body): the app's server's pages (`server_rendered`: marked so the page
/// knows its HTML goes stale when that server changes) and those a plugin's middleware
/// renders (`middlewares.rs`). `head`: the request was a HEAD (no body to rewrite).
pub(crate) fn inject_html(
    state: &AppState,
    response: Response,
    head: bool,
    page_path: String,
    target_path: String,
    server_rendered: bool,
) -> Response {
    let status = response.status();
    // No body to rewrite: an upgrade, 1xx, 204, 304.
    if status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || !is_html(response.headers())
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    if head || is_encoded(&parts.headers) {
        if head {
            parts.headers.remove(header::CONTENT_LENGTH);
        }
        return Response::from_parts(parts, body);
    }
    let injection = state.served().injection.clone();
    parts.headers.remove(header::CONTENT_LENGTH);
    let page = Page {
        path: page_path,
        server_rendered,
    };
    Response::from_parts(parts, inject_stream(body, injection, page, target_path))
}

/// What the client's injection needs to know of a page.
struct Page {
    /// Its path: relative `src`s are resolved against it.
    path: String,
    /// The app's server rendered it (see [`rewriter`]).
    server_rendered: bool,
}

/// The body with the client injected, rewritten as it streams (a streamed server render
/// reaches the page chunk by chunk, as the app sent it).
fn inject_stream(
    body: Body,
    injection: Arc<PageInjection>,
    page: Page,
    target_path: String,
) -> Body {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<Bytes, std::io::Error>>();
    tokio::spawn(async move {
        let sink = tx.clone();
        let mut rewriter = rewriter(injection, page, move |chunk: &[u8]| {
            let _ = sink.send(Ok(Bytes::copy_from_slice(chunk)));
        });
        let mut data = body.into_data_stream();
        while let Some(chunk) = data.next().await {
            if tx.is_closed() {
                return;
            }
            let written = match chunk {
                Ok(bytes) => rewriter.write(&bytes).map_err(std::io::Error::other),
                Err(error) => Err(std::io::Error::other(error)),
            };
            if let Err(error) = written {
                tracing::warn!("the HTML for {target_path} broke off: {error}");
                let _ = tx.send(Err(error));
                return;
            }
        }
        if let Err(error) = rewriter.end() {
            tracing::warn!("cannot inject hotloop's client into {target_path}: {error}");
            let _ = tx.send(Err(std::io::Error::other(error)));
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("text/html"))
}

fn is_encoded(headers: &HeaderMap) -> bool {
    headers.get_all(header::CONTENT_ENCODING).iter().any(|v| {
        !v.to_str()
            .is_ok_and(|v| v.trim().eq_ignore_ascii_case("identity"))
    })
}

/// Returns once a TCP connection to `authority` succeeds, or after `limit`.
async fn wait_until_listening(authority: &Authority, limit: std::time::Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if tokio::net::TcpStream::connect(authority.as_str())
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// Why the app's server did not answer.
struct Unavailable<'a> {
    error: &'a hyper_util::client::legacy::Error,
    /// It stays stopped until the next edit (`ServerConfig::app_server_stopped`).
    stopped: bool,
}

/// The 503 (not reachable: starting or restarting, or stopped until the next edit) or 502
/// (failed after connecting), with the current errors of `served` (what the app's server last
/// threw is one). A navigation's page lists them, and starts the runtime as an error page does ([`ERROR_PAGE_TAG`]): the overlay
/// shows them with their code frames and stacks, and follows the edits that fix them.
fn unavailable(
    authority: &Authority,
    path: &str,
    Unavailable { error, stopped }: Unavailable<'_>,
    navigation: bool,
    served: &Served,
) -> Response {
    let errors = &served.errors;
    let why = proxy::error_chain(error);
    let (status, what) = if error.is_connect() && stopped {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "is not running: it keeps exiting, and starts again with the next edit (the \
             terminal shows why)",
        )
    } else if error.is_connect() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "is not running: it is starting, or restarting after it stopped (the terminal \
             shows why)",
        )
    } else {
        (
            StatusCode::BAD_GATEWAY,
            "failed before it answered (the terminal shows its output)",
        )
    };
    let message = format!(
        "hotloop: the app's server (http://{authority}) {what}; {path} could not be answered \
         ({why})."
    );
    tracing::debug!("{message}");
    let errors_text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let errors_html = if errors_text.is_empty() {
        String::new()
    } else {
        format!(
            "<h2>Errors</h2><pre>{}</pre>",
            escape(&errors_text.join("\n\n"))
        )
    };
    let mut response = if navigation {
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            format!(
                "<!doctype html><meta charset=utf-8><title>hotloop: the app's server is not \
                 answering</title><h1>The app's server is not answering</h1><p>{}</p>{}<p>This \
                 page reloads when it answers again.</p><script>(function poll() {{ \
                 setTimeout(function () {{ fetch(location.href, {{ method: \"HEAD\", cache: \
                 \"no-store\" }}).then(function (r) {{ if (r.status === 502 || r.status === \
                 503) poll(); else location.reload(); }}, poll); }}, 500); }})();</script>{}",
                escape(&message),
                errors_html,
                runtime_tags(&served.injection),
            ),
        )
            .into_response()
    } else {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            if errors_text.is_empty() {
                message
            } else {
                format!("{message}\n\n{}", errors_text.join("\n\n"))
            },
        )
            .into_response()
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Marks a page whose HTML the app's server rendered (see `rewriter`).
pub(crate) const SERVER_RENDERED_TAG: &str = "<script>__hotloop_server_rendered=true</script>";
/// Marks a document that names none of the app's entries (see [`rewriter`]): the runtime starts
/// on it (overlay, reload once fixed) without running them.
pub(crate) const ERROR_PAGE_TAG: &str = "<script>__hotloop_error_page=true</script>";

/// The runtime on a page of hotloop's own that runs none of the app's entries: its tags, the
/// error page's mark and the chunk (empty before the engine has published).
fn runtime_tags(injection: &PageInjection) -> String {
    if injection.chunk_tag.is_empty() {
        return String::new();
    }
    format!(
        "{}{ERROR_PAGE_TAG}{}",
        injection.head_tags, injection.chunk_tag
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A rewriter that injects the client (see `PageInjection`) into the HTML of `page` written
/// to it: into a document (a doctype, `<html>`, `<head>` or `<body>` came), the runtime first
/// in its head and the chunk where it names the app's entries (they run there). A document
/// that names none gets the chunk at its end with [`ERROR_PAGE_TAG`]: the runtime starts on
/// it without running the entries, which would run against a page that is not the app's (a
/// page of another template: React's "Target container is not a DOM element"; the runtime's
/// own 500 page when a handler threw), and gives it the overlay and the reload when the app's
/// server changes. A fragment (no document: an htmx partial) gets nothing: inserted into a
/// page, it would load the client again.
fn rewriter<O: OutputSink>(
    injection: Arc<PageInjection>,
    page: Page,
    sink: O,
) -> HtmlRewriter<'static, O> {
    let Page {
        path: page_path,
        server_rendered,
    } = page;
    // The page host reads this flag: a server-rendered page's HTML goes stale when the app's
    // server changes (the runtime's `hotloop:server-update` handling).
    let flag = if server_rendered {
        SERVER_RENDERED_TAG
    } else {
        ""
    };
    let head_tags: Arc<str> = format!("{flag}{}", injection.head_tags).into();
    let head_done = Arc::new(AtomicBool::new(false));
    let chunk_done = Arc::new(AtomicBool::new(false));
    let document = Arc::new(AtomicBool::new(false));
    let is_document = |document: &Arc<AtomicBool>| {
        let document = document.clone();
        move |_: &mut Element<'_, '_>| {
            document.store(true, Ordering::Relaxed);
            Ok(())
        }
    };
    let settings = Settings::new_send()
        .append_document_content_handler(doctype!({
            let document = document.clone();
            move |_| {
                document.store(true, Ordering::Relaxed);
                Ok(())
            }
        }))
        .append_element_content_handler(element!("html", is_document(&document)))
        .append_element_content_handler(element!("body", is_document(&document)))
        .append_element_content_handler(element!("head", {
            let (head_done, head_tags, document) =
                (head_done.clone(), head_tags.clone(), document.clone());
            move |el| {
                document.store(true, Ordering::Relaxed);
                if !head_done.swap(true, Ordering::Relaxed) {
                    el.prepend(&head_tags, ContentType::Html);
                }
                Ok(())
            }
        }))
        .append_element_content_handler(element!("script", {
            let (head_done, chunk_done, injection, head_tags, document) = (
                head_done.clone(),
                chunk_done.clone(),
                injection.clone(),
                head_tags.clone(),
                document.clone(),
            );
            move |el| {
                if !document.load(Ordering::Relaxed) {
                    return Ok(());
                }
                let mut before = String::new();
                if !head_done.swap(true, Ordering::Relaxed) {
                    before.push_str(&head_tags);
                }
                if is_entry(el, &injection, &page_path) {
                    if !chunk_done.swap(true, Ordering::Relaxed) {
                        before.push_str(&injection.chunk_tag);
                    }
                    el.replace(&before, ContentType::Html);
                } else if !before.is_empty() {
                    el.before(&before, ContentType::Html);
                }
                Ok(())
            }
        }))
        .append_document_content_handler(end!(move |end| {
            if !document.load(Ordering::Relaxed) {
                return Ok(());
            }
            if !head_done.load(Ordering::Relaxed) {
                end.append(&head_tags, ContentType::Html);
            }
            if !chunk_done.load(Ordering::Relaxed) {
                end.append(ERROR_PAGE_TAG, ContentType::Html);
                end.append(&injection.chunk_tag, ContentType::Html);
            }
            Ok(())
        }))
        .with_strict(false);
    HtmlRewriter::new(settings, sink)
}

/// A `<script type="module" src>` whose `src` is one of the client entries.
fn is_entry(el: &Element<'_, '_>, injection: &PageInjection, page_path: &str) -> bool {
    el.get_attribute("type")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("module"))
        && el
            .get_attribute("src")
            .and_then(|src| local_src(&src, page_path))
            .is_some_and(|src| injection.entries.iter().any(|e| **e == *src))
}

/// A local script `src` as a root-absolute path (query and fragment dropped, percent-decoded,
/// dot segments resolved, never above the root); `None` for other origins.
fn local_src(src: &str, page_path: &str) -> Option<String> {
    let src = src.trim();
    if src.is_empty() || src.starts_with("//") || has_scheme(src) {
        return None;
    }
    let src = src.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode_str(src).decode_utf8().ok()?;
    let joined = if decoded.starts_with('/') {
        decoded.into_owned()
    } else {
        let dir = page_path.rsplit_once('/').map_or("", |(dir, _)| dir);
        format!("{dir}/{decoded}")
    };
    let mut segments: Vec<&str> = Vec::new();
    for segment in joined.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    Some(format!("/{}", segments.join("/")))
}

fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(colon) => url[..colon]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn injection() -> PageInjection {
        PageInjection {
            head_tags: Arc::from("<script src=\"/_hotloop/runtime.js\"></script>"),
            chunk_tag: Arc::from("<script defer src=\"/_hotloop/chunk.js\"></script>"),
            entries: Arc::from([Arc::from("/src/entry-client.tsx")]),
        }
    }

    fn check(html: &str, page: &str, expected: &str) {
        let mut out = Vec::new();
        let page = Page {
            path: page.into(),
            server_rendered: true,
        };
        let mut r = rewriter(Arc::new(injection()), page, |c: &[u8]| {
            out.extend_from_slice(c)
        });
        // Split mid-tag: the rewrite does not depend on how the body arrives.
        let (a, b) = html.split_at(html.len() / 2);
        r.write(a.as_bytes()).unwrap();
        r.write(b.as_bytes()).unwrap();
        r.end().unwrap();
        // The head tags come after the server-rendered mark, wherever they go.
        let runtime = "<script src=\"/_hotloop/runtime.js\"></script>";
        let expected = expected.replace(runtime, &format!("{SERVER_RENDERED_TAG}{runtime}"));
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn the_entry_script_becomes_the_chunk_and_the_runtime_goes_first_in_head() {
        check(
            "<html><head><title>x</title><script type=\"module\" \
             src=\"/src/entry-client.tsx?v=1\"></script></head><body>app</body></html>",
            "/",
            "<html><head><script src=\"/_hotloop/runtime.js\"></script><title>x</title>\
             <script defer src=\"/_hotloop/chunk.js\"></script></head><body>app</body></html>",
        );
        // Relative to the page, written twice, other scripts kept.
        check(
            "<head></head><script type=module src=\"../src/entry-client.tsx\"></script>\
             <script type=module src=\"./entry-client.tsx\"></script>\
             <script type=\"module\" src=\"/src/entry-client.tsx\"></script>\
             <script src=\"/other.js\"></script>",
            "/src/page",
            "<head><script src=\"/_hotloop/runtime.js\"></script></head>\
             <script defer src=\"/_hotloop/chunk.js\"></script><script src=\"/other.js\"></script>",
        );
    }

    #[test]
    fn a_fragment_gets_nothing_and_a_document_naming_no_entry_gets_the_runtime_alone() {
        // An htmx-style partial, with a script of its own, and plain text: as they are.
        check(
            "<li class=\"todo\">item</li><script>1</script>",
            "/api/fragment",
            "<li class=\"todo\">item</li><script>1</script>",
        );
        check("plain", "/", "plain");
        // A page of another template: the runtime starts there without the app's entries.
        check(
            "<!doctype html><p>hi</p><script>1</script>",
            "/plain",
            "<!doctype html><p>hi</p><script src=\"/_hotloop/runtime.js\"></script><script>1</script>\
             <script>__hotloop_error_page=true</script><script defer src=\"/_hotloop/chunk.js\"></script>",
        );
        check(
            "<html><body><p>hi</p></body></html>",
            "/plain",
            "<html><body><p>hi</p></body></html><script src=\"/_hotloop/runtime.js\"></script>\
             <script>__hotloop_error_page=true</script><script defer src=\"/_hotloop/chunk.js\"></script>",
        );
    }

    #[test]
    fn an_error_answer_runs_the_apps_entries_only_where_it_names_them() {
        // The runtime's 500 page of a handler that threw: no entry, so the runtime starts
        // there (overlay, reload) without the app's entries.
        check(
            "<!doctype html><title>500</title><h1>The app's server threw</h1><pre>x</pre>",
            "/",
            "<!doctype html><title>500</title><h1>The app's server threw</h1><pre>x</pre>\
             <script src=\"/_hotloop/runtime.js\"></script>\
             <script>__hotloop_error_page=true</script>\
             <script defer src=\"/_hotloop/chunk.js\"></script>",
        );
        // The app's own 404 page that names its entry still gets the chunk there.
        check(
            "<head></head><p>not found</p><script type=\"module\" \
             src=\"/src/entry-client.tsx\"></script>",
            "/missing",
            "<head><script src=\"/_hotloop/runtime.js\"></script></head><p>not found</p>\
             <script defer src=\"/_hotloop/chunk.js\"></script>",
        );
    }

    #[test]
    fn local_srcs() {
        assert_eq!(local_src("/a/b.js?x#y", "/"), Some("/a/b.js".into()));
        assert_eq!(local_src("b%20c.js", "/a/page"), Some("/a/b c.js".into()));
        assert_eq!(local_src("../../../x.js", "/a/p"), Some("/x.js".into()));
        assert_eq!(local_src("https://cdn/x.js", "/"), None);
        assert_eq!(local_src("//cdn/x.js", "/"), None);
    }
}
