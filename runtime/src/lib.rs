//! The browser runtime, embedded into the binary. Plain modern JS in `runtime/js/`, no build
//! step: the server serves `RUNTIME_JS` at `/_hotloop/runtime.js`.
//!
//! The script is the concatenation of the files listed in `runtime/js/ORDER` (a unit test keeps
//! this list and `ORDER` in step). It defines the globals `__hotloop` (the module registry and
//! HMR client), `HotloopProtocol` (the wire codec, `protocol.js`) and a `process` fallback.

/// The whole runtime: one classic script.
pub const RUNTIME_JS: &str = concat!(
    include_str!("../js/protocol.js"),
    include_str!("../js/prelude.js"),
    include_str!("../js/registry.js"),
    include_str!("../js/hot.js"),
    include_str!("../js/css.js"),
    include_str!("../js/overlay.js"),
    include_str!("../js/update.js"),
    include_str!("../js/client.js"),
    include_str!("../js/epilogue.js"),
);

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::RUNTIME_JS;

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
