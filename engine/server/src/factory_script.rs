//! `GET /_hotloop/factory.js?id=<module id>&v=<revision>`: one module's new code as a script,
//! for a page whose Content-Security-Policy forbids `eval`.
//!
//! The runtime makes an update's factories from the code in the update frame with `eval`. Under
//! a policy like `script-src 'self'` (Electron renderers, browser extensions) that throws, and
//! the page would have to reload (state lost). A script from the page's own origin is allowed
//! there, so the runtime loads each of the update's modules from this route instead; the
//! script hands its factory over with `__hotloop.factory(id, revision, factory)`.
//!
//! The code is the current snapshot's, so it is only served for the revision the update names:
//! the engine publishes a revision's snapshot before it sends the frame, and an older revision
//! means a newer update has replaced that code already (409: the runtime reloads instead).
//! The script's first line is the factory's header, as in the chunk, so the module's own map
//! (`/_hotloop/map/<id>`) applies to it unchanged.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::http::{JS, text};

/// What a factory request asks for: `?id=` (percent-encoded) and `&v=`.
#[derive(Debug, PartialEq)]
struct FactoryRequest {
    id: String,
    revision: u32,
}

fn parse(query: Option<&str>) -> Option<FactoryRequest> {
    let mut id = None;
    let mut revision = None;
    for pair in query?.split('&') {
        if let Some(value) = pair.strip_prefix("id=") {
            id = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .ok()
                .map(|id| id.into_owned());
        } else if let Some(value) = pair.strip_prefix("v=") {
            revision = value.parse().ok();
        }
    }
    Some(FactoryRequest {
        id: id.filter(|id| id.starts_with('/'))?,
        revision: revision?,
    })
}

/// The script: the factory passed to `__hotloop.factory`, then its map's URL. The code starts
/// on the first line (the factory header) and its last line may be a comment, hence the
/// newline before the call's end.
fn script(id: &str, revision: u32, code: &str) -> String {
    let id_literal = serde_json::to_string(id).unwrap_or_else(|_| "\"\"".to_owned());
    let mut out = String::with_capacity(code.len() + 2 * id.len() + 96);
    out.push_str("__hotloop.factory(");
    out.push_str(&id_literal);
    out.push_str(", ");
    out.push_str(&revision.to_string());
    out.push_str(", ");
    out.push_str(code);
    out.push_str("\n);\n//# sourceMappingURL=map");
    out.push_str(id);
    out.push_str("?v=");
    out.push_str(&revision.to_string());
    out.push('\n');
    out
}

pub(crate) async fn factory_js(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(FactoryRequest { id, revision }) = parse(query.as_deref()) else {
        return text(
            StatusCode::BAD_REQUEST,
            "hotloop: a factory request names its module and revision as \
             `?id=/src/x.js&v=3`"
                .to_owned(),
        );
    };
    let served = state.built_for_request().await;
    if served.revision != revision {
        return text(
            StatusCode::CONFLICT,
            format!(
                "hotloop: {id} is at revision {}, not {revision}: a newer update replaced this \
                 code; reload the page",
                served.revision
            ),
        );
    }
    let Some(module) = served.modules.get(id.as_str()) else {
        return text(
            StatusCode::NOT_FOUND,
            format!("hotloop: revision {revision} has no module {id}"),
        );
    };
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, JS)],
        script(&id, revision, &module.code),
    )
        .into_response();
    // Made once for one update: nothing to revalidate.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_names_a_module_id_and_a_revision() {
        assert_eq!(
            parse(Some("id=%2Fsrc%2Fa%20b.js&v=12")),
            Some(FactoryRequest {
                id: "/src/a b.js".into(),
                revision: 12
            })
        );
        assert_eq!(parse(Some("v=3&id=/x.js")).map(|r| r.revision), Some(3));
        assert_eq!(parse(Some("id=/x.js")), None, "no revision");
        assert_eq!(parse(Some("id=x.js&v=1")), None, "not a module id");
        assert_eq!(parse(Some("id=/x.js&v=new")), None);
        assert_eq!(parse(None), None);
    }

    #[test]
    fn the_factory_starts_on_the_first_line_and_a_trailing_comment_cannot_swallow_the_call() {
        let s = script("/src/\"q\".js", 4, "(function () {\nx();\n})\n// end");
        assert_eq!(
            s,
            "__hotloop.factory(\"/src/\\\"q\\\".js\", 4, (function () {\nx();\n})\n// end\n);\n\
             //# sourceMappingURL=map/src/\"q\".js?v=4\n"
        );
    }
}
