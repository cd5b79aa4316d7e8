//! The browser runtime, embedded into the binary. Plain modern JS in `runtime/js/`, no build
//! step: the server serves `RUNTIME_JS` at `/_hotloop/runtime.js`.

/// Placeholder until the runtime branch lands (the server serves this at
/// `/_hotloop/runtime.js`); on merge, keep the runtime branch's definition.
pub const RUNTIME_JS: &str = "/* hotloop runtime placeholder */\n";
