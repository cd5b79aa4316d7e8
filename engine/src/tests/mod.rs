//! The engine's cross-module tests, inside the crate so that they can look at salsa's
//! executions and the queries directly (the crate's public surface is only the façade).

mod config;
mod exports;
mod incremental;
mod last_page;
mod lazy;
mod pages;
mod plugins;
mod server;
