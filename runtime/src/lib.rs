//! The browser runtime, embedded into the binary. Plain modern JS in `runtime/js/`, no build
//! step: the server serves `RUNTIME_JS` at `/_hotloop/runtime.js`.
