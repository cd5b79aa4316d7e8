//! The browser runtime, embedded into the binary. Plain modern JS in `runtime/js/`, no build
//! step: the server serves `RUNTIME_JS` at `/_hotloop/runtime.js`.
//!
//! The script is the concatenation of the files listed in `runtime/js/ORDER` (a unit test keeps
//! this list and `ORDER` in step): the core (module registry, `import.meta.hot`, update
//! application; `core.js` and its parts), then the page and worker hosts. It defines the globals
//! `__hotloop` and `HotloopProtocol` (the wire codec, `protocol.js`); no `process`, as under
//! `vite dev`. The core's files also load in plain Node with `require`; `js/node.js`, the Node
//! host, is not part of the script. The JS is tested with `node --test` (`runtime/tests/`).
//!
//! The page gets the script compacted ([`compact`]: generated files in `runtime/compact/` that a
//! test keeps current). `VITE_CLIENT_JS` (`/@vite/client`) is served on its own, and
//! `NODE_SERVER_FILES` are the Node host's files for the app's server process.
//!
//! `REACT_REFRESH_JS` is the React Refresh runtime embedded for apps without their own
//! `react-refresh` (served at `/_hotloop/react-refresh.js`, right after the runtime): the vendored
//! `react-refresh@0.19.0` development runtime (MIT, `vendor/react-refresh/LICENSE`) wrapped into a
//! classic script (`js/refresh-embed/`) that offers itself to `__hotloop.useRefreshRuntime`.

/// The whole runtime: one classic script.
pub const RUNTIME_JS: &str = concat!(
    include_str!("../js/prelude.js"),
    include_str!("../js/protocol.js"),
    include_str!("../js/reload-reasons.js"),
    include_str!("../js/events.js"),
    include_str!("../js/hot-context.js"),
    include_str!("../js/async-modules.js"),
    include_str!("../js/registry.js"),
    include_str!("../js/module-meta.js"),
    include_str!("../js/refresh-boundaries.js"),
    include_str!("../js/update.js"),
    include_str!("../js/core.js"),
    include_str!("../js/server-url.js"),
    include_str!("../js/css.js"),
    include_str!("../js/overlay.js"),
    include_str!("../js/react-refresh.js"),
    include_str!("../js/preact-renders.js"),
    include_str!("../js/socket.js"),
    include_str!("../js/page-reload.js"),
    include_str!("../js/page.js"),
    include_str!("../js/worker.js"),
    include_str!("../js/browser.js"),
    include_str!("../js/epilogue.js"),
);

/// `/@vite/client`: Vite's client module for tools written against it (`createHotContext`'s
/// custom events, `updateStyle`, ...), an ES module served on its own (`js/vite-client.js`).
pub const VITE_CLIENT_JS: &str = include_str!("../js/vite-client.js");

/// The runtime as the page gets it: `RUNTIME_JS` printed compactly (no comments, no layout:
/// ~45 % of the bytes), with its source map (`sourcesContent` left out: the server puts
/// `RUNTIME_JS` back in). Generated files, checked in: `tests/chunk_node.rs` prints the runtime
/// with the engine's swc (`engine::compact_script`) and rewrites `runtime/compact/` when they
/// differ (then fails: commit them). `None` when they were made from another `RUNTIME_JS` (a
/// runtime edit not yet regenerated): the readable script is served then, never a stale one.
/// (Compacting at start-up instead cost 5–8 MB of RSS at 10k modules: swc's heap of an exited
/// thread stayed resident.)
pub fn compact() -> Option<CompactRuntime> {
    (COMPACT_SOURCE_HASH.trim() == format!("{:016x}", source_hash(RUNTIME_JS))).then_some(
        CompactRuntime {
            code: COMPACT_JS,
            map: COMPACT_MAP,
        },
    )
}

/// [`compact`]'s answer.
#[derive(Clone, Copy, Debug)]
pub struct CompactRuntime {
    pub code: &'static str,
    /// The source map, without `sourcesContent`.
    pub map: &'static str,
}

const COMPACT_JS: &str = include_str!("../compact/runtime.js");
const COMPACT_MAP: &str = include_str!("../compact/runtime.js.map");
/// [`source_hash`] of the `RUNTIME_JS` the compact files were printed from.
const COMPACT_SOURCE_HASH: &str = include_str!("../compact/source-hash");

/// FNV-1a (64 bit) of `text`: what ties `runtime/compact/` to the `RUNTIME_JS` it came from.
pub fn source_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The files of the app's server process (server-side HMR), to be written side by side into
/// one directory and run as `node server.js`: `server.js` (the process' main: control socket,
/// HTTP, the entry's handler), the Node host `node.js` and the core files it `require`s.
pub const NODE_SERVER_FILES: &[(&str, &str)] = &[
    ("server.js", include_str!("../js/server.js")),
    ("node.js", include_str!("../js/node.js")),
    ("core.js", include_str!("../js/core.js")),
    ("protocol.js", include_str!("../js/protocol.js")),
    ("reload-reasons.js", include_str!("../js/reload-reasons.js")),
    ("events.js", include_str!("../js/events.js")),
    ("hot-context.js", include_str!("../js/hot-context.js")),
    ("async-modules.js", include_str!("../js/async-modules.js")),
    ("registry.js", include_str!("../js/registry.js")),
    ("module-meta.js", include_str!("../js/module-meta.js")),
    (
        "refresh-boundaries.js",
        include_str!("../js/refresh-boundaries.js"),
    ),
    ("update.js", include_str!("../js/update.js")),
];

/// The embedded React Refresh runtime: one classic script that hands react-refresh's exports to
/// `__hotloop.useRefreshRuntime(exports, { embedded: true })`.
pub const REACT_REFRESH_JS: &str = concat!(
    include_str!("../js/refresh-embed/open.js"),
    include_str!("../vendor/react-refresh/react-refresh-runtime.development.js"),
    include_str!("../js/refresh-embed/close.js"),
);

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{REACT_REFRESH_JS, RUNTIME_JS};

    #[test]
    fn the_server_files_are_every_file_they_require() {
        let names: Vec<&str> = super::NODE_SERVER_FILES.iter().map(|(n, _)| *n).collect();
        for (name, text) in super::NODE_SERVER_FILES {
            for required in text.split("require(\"./").skip(1) {
                let file = required.split('"').next().unwrap_or_default();
                assert!(
                    names.contains(&file),
                    "{name} requires {file}, which is not listed"
                );
            }
        }
    }

    #[test]
    fn embedded_react_refresh_keeps_its_license_header() {
        assert!(REACT_REFRESH_JS.contains("@license React"));
        assert!(REACT_REFRESH_JS.contains("react-refresh-runtime.development.js"));
        assert!(REACT_REFRESH_JS.contains("This source code is licensed under the MIT license"));
        assert!(
            REACT_REFRESH_JS.contains("__hotloop.useRefreshRuntime(exports, { embedded: true })")
        );
        let license = include_str!("../vendor/react-refresh/LICENSE");
        assert!(license.starts_with("MIT License") && license.contains("Meta Platforms, Inc."));
    }

    #[test]
    fn embedded_react_refresh_is_the_vendored_file_between_open_and_close() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let read = |rel: &str| std::fs::read_to_string(root.join(rel)).expect(rel);
        let expected = read("js/refresh-embed/open.js")
            + &read("vendor/react-refresh/react-refresh-runtime.development.js")
            + &read("js/refresh-embed/close.js");
        assert!(
            REACT_REFRESH_JS == expected,
            "REACT_REFRESH_JS is out of step with its three files"
        );
    }

    #[test]
    fn runtime_js_is_the_concatenation_of_the_files_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
        let order = std::fs::read_to_string(dir.join("ORDER")).expect("runtime/js/ORDER");
        let mut expected = String::new();
        for name in order.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let text = std::fs::read_to_string(dir.join(name)).expect(name);
            assert!(
                text.ends_with('\n'),
                "{name} must end with a newline so the concatenation keeps lines apart"
            );
            expected.push_str(&text);
        }
        assert!(
            RUNTIME_JS == expected,
            "RUNTIME_JS is out of step with runtime/js/ORDER: update the concat! list in lib.rs"
        );
    }
}
