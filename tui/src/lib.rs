//! hotloop's binary crate, the composition root: the command line (`cli`), the wiring of
//! `hotloop dev` (`dev`: watcher, engine thread, server, dashboard or headless log), the demo
//! app and `hotloop profile`. It reaches the engine only through its façade and plain data.

pub mod alloc_stats;
pub mod app_server;
pub mod cli;
pub mod config_deps;
pub mod config_memo;
pub mod dashboard;
pub mod demo;
pub mod dev;
pub mod headless;
pub mod profile;
pub mod shortcuts;
pub mod user_agent;
pub mod vite_config;
