//! hotloop's engine: the salsa query database that turns a project into executable chunks and
//! a set of changed files into the smallest correct hot update, plus the watcher, the protocol
//! and the dev server around it. See ARCHITECTURE.md for the map.

pub mod cache;
pub mod compiler;
pub mod css;
pub mod css_modules;
pub mod db;
pub mod devloop;
pub mod diagnostics;
pub mod dotenv;
pub mod files;
pub mod graph;
pub mod inputs;
pub mod memory;
pub mod plan;
pub mod protocol;
pub mod queries;
pub mod served;
pub mod server;
pub mod telemetry;
pub mod timing;
pub mod transform;
pub mod update;
mod warm_up;
pub mod watcher;
