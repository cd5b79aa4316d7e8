//! Protocol tests: golden byte fixtures shared with the JS runtime's tests, strict decoding of
//! malformed frames, and a deterministic mutation fuzzer over both decoders.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::ModuleKind;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::reload::FullReloadReason;

enum Message {
    Server(ServerMessage),
    Client(ClientMessage),
}

impl Message {
    fn encode(&self) -> Vec<u8> {
        match self {
            Message::Server(m) => encode(m),
            Message::Client(m) => encode_client(m),
        }
    }
}

/// One golden fixture: the message and the object the JS decoder must produce for it.
struct Golden {
    name: &'static str,
    message: Message,
    js: Value,
}

fn arc(s: &str) -> Arc<str> {
    Arc::from(s)
}

fn goldens() -> Vec<Golden> {
    let no_boundary = FullReloadReason::NoBoundary {
        changed: "/src/b.js".into(),
        chain: vec!["/src/b.js".into(), "/src/main.js".into()],
        refresh_refused: None,
    };
    vec![
        Golden {
            name: "hello",
            message: Message::Server(ServerMessage::Hello {
                protocol: PROTOCOL_VERSION,
                server_id: "srv-ünï-🔥".into(),
                revision: 7,
            }),
            js: json!({"type": "hello", "protocol": 7, "serverId": "srv-ünï-🔥", "revision": 7}),
        },
        Golden {
            name: "update",
            message: Message::Server(ServerMessage::Update(HotUpdate {
                revision: 42,
                modules: vec![
                    ModuleCode {
                        id: arc("/src/b.js"),
                        kind: ModuleKind::Js,
                        deps: vec![
                            (arc("./c.js"), Some(arc("/src/c.js"))),
                            (arc("missing-pkg"), None),
                            (
                                arc("__proto__"),
                                Some(arc("/node_modules/__proto__/index.js")),
                            ),
                        ],
                        static_deps: 1,
                        code: arc(
                            "(function (module, exports, require) {\nconsole.log('héllo, 世界 🔥');\n})",
                        ),
                    },
                    ModuleCode {
                        id: arc("/src/style.css"),
                        kind: ModuleKind::Css,
                        deps: vec![],
                        static_deps: 0,
                        code: arc(
                            "(function (module, exports, require, __hotloop_meta) {\n__hotloop_meta.css(\"a{}\");\n})",
                        ),
                    },
                    ModuleCode {
                        id: arc("/src/logo.svg"),
                        kind: ModuleKind::Asset,
                        deps: vec![],
                        static_deps: 0,
                        code: arc(
                            "(function (module) {\nmodule.exports = \"/src/logo.svg?v=1\";\n})",
                        ),
                    },
                    ModuleCode {
                        id: arc("/src/data.json"),
                        kind: ModuleKind::Json,
                        deps: vec![],
                        static_deps: 0,
                        code: arc("(function (module) {\nmodule.exports = {\"ü\":1};\n})"),
                    },
                ],
                invalidate: vec![arc("/src/c.js"), arc("/src/b.js")],
                boundaries: vec![
                    (arc("/src/b.js"), None),
                    (arc("/src/main.js"), Some(arc("/src/b.js"))),
                ],
                removed: vec![arc("/src/old.js")],
                css_links: vec![CssLink {
                    href: "/src/global.css".into(),
                    version: "9f8e".into(),
                }],
                changed_files: vec![arc("/src/c.js")],
                css_patches: vec![],
            })),
            js: json!({
                "type": "update",
                "revision": 42,
                "modules": [
                    {
                        "id": "/src/b.js",
                        "kind": "js",
                        "deps": {
                            "./c.js": "/src/c.js",
                            "missing-pkg": null,
                            "__proto__": "/node_modules/__proto__/index.js"
                        },
                        "staticDeps": 1,
                        "code": "(function (module, exports, require) {\nconsole.log('héllo, 世界 🔥');\n})"
                    },
                    {
                        "id": "/src/style.css",
                        "kind": "css",
                        "deps": {},
                        "staticDeps": 0,
                        "code": "(function (module, exports, require, __hotloop_meta) {\n__hotloop_meta.css(\"a{}\");\n})"
                    },
                    {
                        "id": "/src/logo.svg",
                        "kind": "asset",
                        "deps": {},
                        "staticDeps": 0,
                        "code": "(function (module) {\nmodule.exports = \"/src/logo.svg?v=1\";\n})"
                    },
                    {
                        "id": "/src/data.json",
                        "kind": "json",
                        "deps": {},
                        "staticDeps": 0,
                        "code": "(function (module) {\nmodule.exports = {\"ü\":1};\n})"
                    }
                ],
                "invalidate": ["/src/c.js", "/src/b.js"],
                "boundaries": [
                    {"id": "/src/b.js", "acceptedDep": null},
                    {"id": "/src/main.js", "acceptedDep": "/src/b.js"}
                ],
                "removed": ["/src/old.js"],
                "cssLinks": [{"href": "/src/global.css", "version": "9f8e"}],
                "changedFiles": ["/src/c.js"],
                "cssPatches": []
            }),
        },
        Golden {
            name: "update_css_patch",
            message: Message::Server(ServerMessage::Update(HotUpdate {
                revision: 9,
                css_links: vec![CssLink {
                    href: "/src/site.css".into(),
                    version: "0badcafe".into(),
                }],
                changed_files: vec![arc("/src/site.css")],
                css_patches: vec![
                    CssPatch {
                        target: CssTarget::Style,
                        id: arc("/src/app.css"),
                        base: 0x811c_9dc5,
                        version: u32::MAX,
                        rules: 3,
                        edits: vec![
                            CssEdit::Delete { index: 1 },
                            CssEdit::Insert {
                                index: 1,
                                rule: arc(".ü::before { content: \"🔥\" }"),
                            },
                        ],
                    },
                    CssPatch {
                        target: CssTarget::Link,
                        id: arc("/src/site.css"),
                        base: 7,
                        version: 0x0bad_cafe,
                        rules: 0,
                        edits: vec![
                            CssEdit::Insert {
                                index: 0,
                                rule: arc("@media (width > 1px) { a { color: red } }"),
                            },
                            CssEdit::Within {
                                index: 0,
                                rules: 1,
                                edits: vec![CssEdit::Insert {
                                    index: 1,
                                    rule: arc("b { color: blue }"),
                                }],
                            },
                        ],
                    },
                ],
                ..HotUpdate::default()
            })),
            js: json!({
                "type": "update", "revision": 9, "modules": [], "invalidate": [], "boundaries": [],
                "removed": [],
                "cssLinks": [{"href": "/src/site.css", "version": "0badcafe"}],
                "changedFiles": ["/src/site.css"],
                "cssPatches": [
                    {"target": "style", "id": "/src/app.css", "base": 2166136261u32,
                     "version": 4294967295u32, "rules": 3,
                     "edits": [{"op": "delete", "index": 1},
                               {"op": "insert", "index": 1, "rule": ".ü::before { content: \"🔥\" }"}]},
                    {"target": "link", "id": "/src/site.css", "base": 7, "version": 195939070,
                     "rules": 0,
                     "edits": [{"op": "insert", "index": 0, "rule": "@media (width > 1px) { a { color: red } }"},
                               {"op": "within", "index": 0, "rules": 1,
                                "edits": [{"op": "insert", "index": 1, "rule": "b { color: blue }"}]}]}
                ]
            }),
        },
        Golden {
            name: "update_empty",
            message: Message::Server(ServerMessage::Update(HotUpdate::default())),
            js: json!({
                "type": "update", "revision": 0, "modules": [], "invalidate": [], "boundaries": [],
                "removed": [], "cssLinks": [], "changedFiles": [], "cssPatches": []
            }),
        },
        Golden {
            name: "errors",
            message: Message::Server(ServerMessage::Errors {
                revision: 3,
                added: vec![
                    Diagnostic {
                        kind: DiagnosticKind::Syntax,
                        file: "/src/ünï.ts".into(),
                        line: 3,
                        column: 10,
                        message: "Expected ')' — got ';'".into(),
                        code_frame: "> 3 | let x = (;\n    |          ^".into(),
                    },
                    Diagnostic {
                        kind: DiagnosticKind::Resolve,
                        file: "/src/a.js".into(),
                        line: 1,
                        column: 1,
                        message: "cannot resolve 'nope'".into(),
                        code_frame: String::new(),
                    },
                    Diagnostic {
                        kind: DiagnosticKind::Transform,
                        file: "/src/t.tsx".into(),
                        line: 0,
                        column: 0,
                        message: "t".into(),
                        code_frame: String::new(),
                    },
                    Diagnostic {
                        kind: DiagnosticKind::Io,
                        file: "/src/io.js".into(),
                        line: 0,
                        column: 0,
                        message: "io".into(),
                        code_frame: String::new(),
                    },
                    Diagnostic {
                        kind: DiagnosticKind::Runtime,
                        file: "/src/rt.js".into(),
                        line: u32::MAX,
                        column: 65536,
                        message: "rt".into(),
                        code_frame: String::new(),
                    },
                ],
                cleared: vec!["/src/fixed.js".into()],
            }),
            js: json!({
                "type": "errors",
                "revision": 3,
                "added": [
                    {"kind": "syntax", "file": "/src/ünï.ts", "line": 3, "column": 10,
                     "message": "Expected ')' — got ';'", "codeFrame": "> 3 | let x = (;\n    |          ^"},
                    {"kind": "resolve", "file": "/src/a.js", "line": 1, "column": 1,
                     "message": "cannot resolve 'nope'", "codeFrame": ""},
                    {"kind": "transform", "file": "/src/t.tsx", "line": 0, "column": 0,
                     "message": "t", "codeFrame": ""},
                    {"kind": "io", "file": "/src/io.js", "line": 0, "column": 0,
                     "message": "io", "codeFrame": ""},
                    {"kind": "runtime", "file": "/src/rt.js", "line": 4294967295u32, "column": 65536,
                     "message": "rt", "codeFrame": ""}
                ],
                "cleared": ["/src/fixed.js"]
            }),
        },
        Golden {
            name: "errors_cleared",
            message: Message::Server(ServerMessage::Errors {
                revision: 4,
                added: vec![],
                cleared: vec![],
            }),
            js: json!({"type": "errors", "revision": 4, "added": [], "cleared": []}),
        },
        Golden {
            name: "full_reload",
            message: Message::Server(ServerMessage::full_reload(9, &no_boundary)),
            js: json!({
                "type": "full-reload", "revision": 9, "reasonCode": 1,
                "reason": "/src/b.js changed and no module accepts it (via /src/b.js <- /src/main.js)"
            }),
        },
        Golden {
            name: "custom",
            message: Message::Server(ServerMessage::Custom {
                event: "app:ping-ü".into(),
                data: r#"{"list":[true,null,1.5],"n":1,"s":"ü🔥"}"#.into(),
            }),
            js: json!({"type": "custom", "event": "app:ping-ü",
                       "data": {"list": [true, null, 1.5], "n": 1, "s": "ü🔥"}}),
        },
        Golden {
            name: "chunk_synced",
            message: Message::Server(ServerMessage::ChunkSynced {
                chunk: "/src/routes/ünï.jsx".into(),
            }),
            js: json!({"type": "chunk-synced", "chunk": "/src/routes/ünï.jsx"}),
        },
        Golden {
            name: "client_ack",
            message: Message::Client(ClientMessage::Ack {
                revision: 42,
                ok: true,
                apply_ms: 4.25,
                error: None,
            }),
            js: json!({"type": "ack", "revision": 42, "ok": true, "applyMs": 4.25, "error": null}),
        },
        Golden {
            name: "client_ack_failed",
            message: Message::Client(ClientMessage::Ack {
                revision: 43,
                ok: false,
                apply_ms: 0.1,
                error: Some("TypeError: x is not a function — 💥".into()),
            }),
            js: json!({"type": "ack", "revision": 43, "ok": false, "applyMs": 0.1,
                       "error": "TypeError: x is not a function — 💥"}),
        },
        Golden {
            name: "client_invalidate",
            message: Message::Client(ClientMessage::Invalidate {
                id: "/src/ünï.js".into(),
                message: Some("shape changed".into()),
            }),
            js: json!({"type": "invalidate", "id": "/src/ünï.js", "message": "shape changed"}),
        },
        Golden {
            name: "client_invalidate_bare",
            message: Message::Client(ClientMessage::Invalidate {
                id: "/src/a.js".into(),
                message: None,
            }),
            js: json!({"type": "invalidate", "id": "/src/a.js", "message": null}),
        },
        Golden {
            name: "client_custom",
            message: Message::Client(ClientMessage::Custom {
                event: "app:clicked".into(),
                data: r#"{"at":[1,2],"who":"ü"}"#.into(),
            }),
            js: json!({"type": "custom", "event": "app:clicked", "data": {"at": [1, 2], "who": "ü"}}),
        },
        Golden {
            name: "client_loaded",
            message: Message::Client(ClientMessage::Loaded {
                chunk: "/src/routes/ünï.jsx".into(),
                snapshot: 12,
            }),
            js: json!({"type": "loaded", "chunk": "/src/routes/ünï.jsx", "snapshot": 12}),
        },
        Golden {
            name: "client_rendered",
            message: Message::Client(ClientMessage::Rendered),
            js: json!({"type": "rendered"}),
        },
    ]
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/protocol")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `UPDATE_GOLDEN=1` rewrites the fixtures; otherwise the bytes must match exactly.
#[test]
fn golden_fixtures_match_byte_for_byte() {
    let dir = golden_dir();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let goldens = goldens();
    for g in &goldens {
        let bytes = g.message.encode();
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
        assert_eq!(
            hex(&on_disk),
            hex(&bytes),
            "{} differs from the encoder's output (UPDATE_GOLDEN=1 rewrites it)",
            bin.display()
        );
        let js: Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        assert_eq!(js, g.js, "{} is stale", json_path.display());
    }
    // Every fixture on disk belongs to a golden here (no stale files the JS side still reads).
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
fn every_golden_decodes_to_its_message() {
    for g in goldens() {
        let bytes = g.message.encode();
        match &g.message {
            Message::Server(m) => {
                assert_eq!(&decode_server(&bytes).unwrap(), m, "{}", g.name);
                assert!(decode_client(&bytes).is_err(), "{}", g.name);
            }
            Message::Client(m) => {
                assert_eq!(&decode_client(&bytes).unwrap(), m, "{}", g.name);
                assert!(decode_server(&bytes).is_err(), "{}", g.name);
            }
        }
    }
}

#[test]
fn every_message_type_has_a_golden() {
    let mut ids: Vec<u8> = goldens().iter().map(|g| g.message.encode()[0]).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids,
        vec![
            id::HELLO,
            id::UPDATE,
            id::ERRORS,
            id::FULL_RELOAD,
            id::CUSTOM,
            id::CHUNK_SYNCED,
            id::ACK,
            id::INVALIDATE,
            id::CLIENT_CUSTOM,
            id::LOADED,
            id::RENDERED
        ]
    );
}

fn decode_any(bytes: &[u8]) -> Result<(), ProtocolError> {
    match bytes.first() {
        Some(b) if b & 0x80 != 0 => decode_client(bytes).map(drop),
        _ => decode_server(bytes).map(drop),
    }
}

#[test]
fn every_truncation_of_every_golden_is_an_error() {
    for g in goldens() {
        let bytes = g.message.encode();
        for len in 0..bytes.len() {
            let err = decode_any(&bytes[..len]).expect_err(g.name);
            assert!(
                matches!(
                    err,
                    ProtocolError::Empty
                        | ProtocolError::Truncated { .. }
                        | ProtocolError::LengthOutOfBounds { .. }
                ),
                "{} cut at {len}: {err}",
                g.name
            );
        }
    }
}

#[test]
fn malformed_frames_are_errors() {
    assert_eq!(decode_client(&[]), Err(ProtocolError::Empty));
    assert_eq!(decode_server(&[]), Err(ProtocolError::Empty));
    assert_eq!(
        decode_client(&[0x7f]),
        Err(ProtocolError::UnknownMessage(0x7f))
    );
    assert_eq!(
        decode_client(&[id::HELLO]),
        Err(ProtocolError::UnknownMessage(id::HELLO))
    );
    assert_eq!(
        decode_server(&[id::ACK]),
        Err(ProtocolError::UnknownMessage(id::ACK))
    );

    // A string claiming 4 GiB in a 10-byte frame.
    let mut absurd = vec![id::INVALIDATE];
    absurd.extend_from_slice(&u32::MAX.to_le_bytes());
    absurd.extend_from_slice(b"abcde");
    assert_eq!(
        decode_client(&absurd),
        Err(ProtocolError::LengthOutOfBounds {
            offset: 1,
            len: u32::MAX as u64,
            remaining: 5
        })
    );

    // A list claiming 2^32-1 modules: rejected before reserving anything.
    let mut huge_list = vec![id::UPDATE, 0, 0, 0, 0];
    huge_list.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        decode_server(&huge_list),
        Err(ProtocolError::LengthOutOfBounds { offset: 5, .. })
    ));

    // Invalid and overlong UTF-8.
    for bad in [
        &[0xff][..],
        &[0xc0, 0xae],
        &[0xed, 0xa0, 0x80],
        &[0xe4, 0xb8],
    ] {
        let mut frame = vec![id::INVALIDATE];
        frame.extend_from_slice(&(bad.len() as u32).to_le_bytes());
        frame.extend_from_slice(bad);
        frame.push(0);
        assert_eq!(
            decode_client(&frame),
            Err(ProtocolError::InvalidUtf8 { offset: 1 }),
            "{bad:?}"
        );
    }

    let ack = encode_client(&ClientMessage::Ack {
        revision: 1,
        ok: true,
        apply_ms: 1.0,
        error: None,
    });
    // bool byte 2.
    let mut bad_bool = ack.clone();
    bad_bool[5] = 2;
    assert_eq!(
        decode_client(&bad_bool),
        Err(ProtocolError::InvalidValue {
            what: "bool",
            value: 2,
            offset: 5
        })
    );
    // option tag 7.
    let mut bad_tag = ack.clone();
    *bad_tag.last_mut().unwrap() = 7;
    assert!(matches!(
        decode_client(&bad_tag),
        Err(ProtocolError::InvalidValue {
            what: "option tag",
            value: 7,
            ..
        })
    ));
    // trailing bytes.
    let mut trailing = ack.clone();
    trailing.extend_from_slice(b"xy");
    assert_eq!(
        decode_client(&trailing),
        Err(ProtocolError::TrailingBytes(2))
    );

    // Custom data that is not JSON.
    let custom = encode_client(&ClientMessage::Custom {
        event: "e".into(),
        data: "{not json".into(),
    });
    assert_eq!(
        decode_client(&custom),
        Err(ProtocolError::InvalidJson { offset: 6 })
    );

    // Unknown module kind and diagnostic kind.
    let update = encode(&ServerMessage::Update(HotUpdate {
        modules: vec![ModuleCode {
            id: arc("/a.js"),
            kind: ModuleKind::Js,
            deps: vec![],
            static_deps: 0,
            code: arc(""),
        }],
        ..HotUpdate::default()
    }));
    let mut bad_kind = update.clone();
    bad_kind[9 + 4 + 5] = 9;
    assert!(matches!(
        decode_server(&bad_kind),
        Err(ProtocolError::InvalidValue {
            what: "module kind",
            value: 9,
            ..
        })
    ));
    let errors = encode(&ServerMessage::Errors {
        revision: 0,
        added: vec![Diagnostic {
            kind: DiagnosticKind::Io,
            file: String::new(),
            line: 0,
            column: 0,
            message: String::new(),
            code_frame: String::new(),
        }],
        cleared: vec![],
    });
    let mut bad_diag = errors.clone();
    bad_diag[9] = 5;
    assert!(matches!(
        decode_server(&bad_diag),
        Err(ProtocolError::InvalidValue {
            what: "diagnostic kind",
            value: 5,
            ..
        })
    ));
}

#[test]
fn encode_preallocates_exactly() {
    for g in goldens() {
        if let Message::Server(m) = &g.message {
            let bytes = encode(m);
            assert_eq!(bytes.capacity(), bytes.len(), "{}", g.name);
        }
    }
}

/// xorshift64*: deterministic, so a failure reproduces from the printed iteration.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], out: &mut Vec<u8>) {
    out.clear();
    if rng.below(8) == 0 {
        // Fresh random bytes behind a plausible message id.
        let ids = [0x01, 0x02, 0x03, 0x04, 0x05, 0x81, 0x82, 0x83, 0x00, 0xff];
        out.push(ids[rng.below(ids.len())]);
        for _ in 0..rng.below(48) {
            out.push(rng.next() as u8);
        }
        return;
    }
    out.extend_from_slice(&seeds[rng.below(seeds.len())]);
    for _ in 0..=rng.below(4) {
        let len = out.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = rng.next() as u8;
            }
            2 => out.truncate(rng.below(len + 1)),
            3 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                for k in 0..n {
                    out.insert(i + k, rng.next() as u8);
                }
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below(len - i);
                out.drain(i..i + n);
            }
            5 if len >= 4 => {
                // An interesting u32 where a length or count may be.
                let i = rng.below(len - 3);
                let v: u32 = match rng.below(6) {
                    0 => 0,
                    1 => 1,
                    2 => u32::MAX,
                    3 => i32::MAX as u32,
                    4 => (len - i) as u32,
                    _ => rng.next() as u32,
                };
                out[i..i + 4].copy_from_slice(&v.to_le_bytes());
            }
            _ => {
                // Splice a slice of another seed.
                let other = &seeds[rng.below(seeds.len())];
                let a = rng.below(other.len());
                let b = a + rng.below(other.len() - a + 1);
                let i = rng.below(len + 1);
                out.splice(i..i, other[a..b].iter().copied());
            }
        }
    }
}

/// Both decoders on a few hundred thousand mutated frames: no panic, and every frame that is
/// accepted re-encodes to exactly the same bytes (decoding is strict and lossless).
#[test]
fn fuzz_decoders_never_panic_and_round_trip() {
    const ITERATIONS: usize = 300_000;
    let seeds: Vec<Vec<u8>> = goldens().iter().map(|g| g.message.encode()).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut frame = Vec::new();
    let (mut server_ok, mut client_ok) = (0usize, 0usize);
    for i in 0..ITERATIONS {
        mutate(&mut rng, &seeds, &mut frame);
        let result = std::panic::catch_unwind(|| (decode_server(&frame), decode_client(&frame)));
        let Ok((server, client)) = result else {
            panic!("decoder panicked at iteration {i} on {}", hex(&frame));
        };
        if let Ok(m) = server {
            server_ok += 1;
            assert_eq!(encode(&m), frame, "iteration {i}: {m:?}");
        }
        if let Ok(m) = client {
            client_ok += 1;
            assert_eq!(encode_client(&m), frame, "iteration {i}: {m:?}");
        }
    }
    // The fuzzer must reach the success paths too, or it only tests the first error check.
    assert!(server_ok > 1_000, "only {server_ok} server frames decoded");
    assert!(client_ok > 1_000, "only {client_ok} client frames decoded");
}

#[test]
fn css_version_is_fnv1a_over_utf16_code_units() {
    // The JS runtime computes the same numbers (runtime/tests/protocol.test.mjs).
    assert_eq!(css_version(""), 0x811c_9dc5);
    assert_eq!(css_version("a"), 0xe40c_292c);
    assert_eq!(css_version("a{color:red}"), 0xabb0_4740);
    // A character outside the BMP is two code units (0xd83d, 0xdd25), as in JS.
    assert_eq!(css_version("🔥"), 0xb02c_e137);
}
