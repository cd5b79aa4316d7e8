//! Security and resilience of `hotloop dev`, against the real binary: real files in temp dirs,
//! real sockets on 127.0.0.1, tokio-tungstenite as the browser's WebSocket. The full-size
//! storm, many-tabs and memory runs need `HOTLOOP_LONG_TESTS=1`; CI runs short versions.
//! `HOTLOOP_TEST_VERBOSE=1` echoes the server's log.

mod bad_files;
mod cache;
mod memory;
mod security;
mod shutdown;
mod storm;
mod support;
mod tabs;
mod watcher;
