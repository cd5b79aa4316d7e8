//! hotloop's binary crate: the command line, the demo app, and (wired by `cli::run_dev`) the
//! engine thread, server and dashboard.

pub mod cli;
pub mod dashboard;
pub mod demo;
pub mod dev;
pub mod headless;
