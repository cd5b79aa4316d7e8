//! Golden byte fixtures shared with `js/protocol.js`'s tests (`js/tests/protocol.test.mjs`),
//! and the decoder's refusals.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{Frame, FrameError, Kind, MAX_FRAME};

struct Golden {
    name: &'static str,
    frame: Frame,
    /// What the JS decoder must produce: `{ kind, id, method, body }`, body parsed (or null).
    js: Value,
}

fn golden(name: &'static str, kind: Kind, id: u32, method: &str, body: Option<Value>) -> Golden {
    let bytes = body
        .as_ref()
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let kind_name = match kind {
        Kind::Request => "request",
        Kind::Response => "response",
        Kind::Error => "error",
        Kind::Notification => "notification",
    };
    Golden {
        name,
        frame: Frame::new(kind, id, method, bytes),
        js: json!({ "kind": kind_name, "id": id, "method": method, "body": body }),
    }
}

fn goldens() -> Vec<Golden> {
    vec![
        golden(
            "transform_request",
            Kind::Request,
            7,
            "transform",
            // Keys in sorted order: the bytes are the same whether or not another crate of the
            // build turns on serde_json's `preserve_order` (feature unification).
            Some(json!({"code": "<template>ü</template>\n", "id": "/p/src/App.vue"})),
        ),
        golden(
            "transform_response",
            Kind::Response,
            7,
            "transform",
            Some(
                json!({"code": "export default 1", "map": null, "warnings": [], "watchFiles": []}),
            ),
        ),
        golden("load_null", Kind::Response, 300, "load", None),
        golden(
            "transform_error",
            Kind::Error,
            65_536,
            "transform",
            Some(json!({
                "frame": "1 | a\n2 | b", "hook": "transform", "id": "/p/a.js",
                "loc": {"column": 5, "line": 2}, "message": "boom", "plugin": "thrower"
            })),
        ),
        golden(
            "resolve_from_host",
            Kind::Request,
            1,
            "resolve",
            Some(json!({"importer": "/p/a.js", "specifier": "./b"})),
        ),
        // `config.createResolver()` with Vite's CSS resolver options: a stylesheet's `@import`
        // (`ResolveAs::Stylesheet`); without `as`, as the page resolves.
        golden(
            "resolve_stylesheet_from_host",
            Kind::Request,
            2,
            "resolve",
            Some(json!({"as": "css", "importer": "/p/src/app.css", "specifier": "tailwindcss"})),
        ),
        // A module's specifiers in one request; each answered (or failed) on its own. With
        // the importer's text (`subModules`), its own query sub-modules come with their `load`
        // and `transform` answers (`preload`), or the `load` hook's error.
        golden(
            "resolve_ids_request",
            Kind::Request,
            12,
            "resolveIds",
            Some(json!({
                "importer": "/p/src/App.vue",
                "specifiers": [
                    {"plugins": [1], "recheck": [], "specifier": "/p/src/App.vue?vue&type=style&index=0&lang.css"},
                    {"plugins": [1, 3], "recheck": [3], "specifier": "\u{0}plugin-vue:export-helper"},
                    {"plugins": [3], "recheck": [], "specifier": "virtual:boom"},
                ],
                "subModules": {"code": "<style>a {}</style>\n"},
            })),
        ),
        golden(
            "resolve_ids_response",
            Kind::Response,
            12,
            "resolveIds",
            Some(json!({"results": [
                {"external": false, "id": "/p/src/App.vue?vue&type=style&index=0&lang.css",
                 "preload": {
                     "loaded": {"code": "a {}", "map": null, "warnings": [], "watchFiles": []},
                     "transformError": null,
                     "transformed": {"code": "a {}\n", "map": null, "warnings": [], "watchFiles": []}}},
                null,
                {"error": {"frame": null, "hook": "resolveId", "id": "/p/src/App.vue",
                           "loc": null, "message": "boom", "plugin": "thrower"}},
            ]})),
        ),
        golden(
            "custom_notification",
            Kind::Notification,
            0,
            "custom",
            Some(json!({"data": {"file": "/p/App.vue"}, "event": "file-changed"})),
        ),
        golden(
            "files_changed_notification",
            Kind::Notification,
            0,
            "filesChanged",
            Some(
                json!({"changed": ["/p/src/App.tsx"], "created": ["/p/src/routes/new.tsx"],
                        "removed": [], "structural": true}),
            ),
        ),
    ]
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/plugin-host")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `UPDATE_GOLDEN=1` rewrites the fixtures; otherwise the bytes must match exactly.
#[test]
fn golden_fixtures_round_trip_byte_for_byte() {
    let dir = golden_dir();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let goldens = goldens();
    for g in &goldens {
        let bytes = g.frame.encode();
        let bin = dir.join(format!("{}.bin", g.name));
        let json_path = dir.join(format!("{}.json", g.name));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&bin, &bytes).unwrap();
            let mut text = serde_json::to_string_pretty(&g.js).unwrap();
            text.push('\n');
            std::fs::write(&json_path, text).unwrap();
            continue;
        }
        let on_disk = std::fs::read(&bin)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", bin.display()));
        assert_eq!(hex(&on_disk), hex(&bytes), "{} differs", bin.display());
        assert_eq!(Frame::decode(&on_disk).unwrap(), g.frame);
        let mut reader = &on_disk[..];
        assert_eq!(
            Frame::read_from(&mut reader).unwrap(),
            Some(g.frame.clone())
        );
        assert_eq!(Frame::read_from(&mut reader).unwrap(), None);
        let js: Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        assert_eq!(js, g.js, "{} is stale", json_path.display());
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = goldens
        .iter()
        .flat_map(|g| [format!("{}.bin", g.name), format!("{}.json", g.name)])
        .collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn frames_back_to_back_are_read_in_order() {
    let a = Frame::new(Kind::Request, 1, "load", b"{\"id\":\"x\"}".to_vec());
    let b = Frame::new(Kind::Notification, 0, "log", Vec::new());
    let mut bytes = a.encode();
    bytes.extend(b.encode());
    let mut r = &bytes[..];
    assert_eq!(Frame::read_from(&mut r).unwrap(), Some(a));
    assert_eq!(Frame::read_from(&mut r).unwrap(), Some(b));
    assert_eq!(Frame::read_from(&mut r).unwrap(), None);
}

#[test]
fn bad_frames_are_refused() {
    let ok = Frame::new(Kind::Response, 3, "load", b"null".to_vec()).encode();
    assert_eq!(
        Frame::decode(&ok[..ok.len() - 1]),
        Err(FrameError::Truncated)
    );
    let mut bad_kind = ok.clone();
    bad_kind[4] = 9;
    assert_eq!(Frame::decode(&bad_kind), Err(FrameError::UnknownKind(9)));
    let mut huge = ok.clone();
    huge[..4].copy_from_slice(&((MAX_FRAME + 1) as u32).to_le_bytes());
    assert_eq!(
        Frame::decode(&huge),
        Err(FrameError::TooLarge(MAX_FRAME + 1))
    );
    let mut r = &huge[..];
    assert!(Frame::read_from(&mut r).is_err());
    // A stream cut inside a frame is an error, not a clean end.
    let mut r = &ok[..6];
    assert!(Frame::read_from(&mut r).is_err());
}
