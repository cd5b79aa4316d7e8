//! `hot_meta`: what a module says about hot updates (`import.meta.hot.accept`, decline, Fast
//! Refresh boundary, ...). An `Eq` projection of `parsed_module`, so a body edit backdates it.

use crate::db::Db;
use crate::environment::EnvironmentKind;
use crate::inputs::SourceFile;
use crate::queries::parsed::{parsed_module, server_differs, server_parsed_module};
use crate::telemetry::Phase;
use crate::transform::HotFacts;

#[salsa::tracked(returns(ref))]
pub fn hot_meta(db: &dyn Db, file: SourceFile) -> HotFacts {
    let _clock = db.clock().enter_key(Phase::Parse, "hot_meta", file);
    let _span = tracing::trace_span!("hot_meta", file = %file.path(db).display()).entered();
    parsed_module(db, file).hot.clone()
}

/// `hot_meta` of the app's server's compile (`server_parsed_module`).
#[salsa::tracked(returns(ref))]
pub fn server_hot_meta(db: &dyn Db, file: SourceFile) -> HotFacts {
    if !server_differs(db, file) {
        return hot_meta(db, file).clone();
    }
    server_parsed_module(db, file).hot.clone()
}

/// The hot facts of `file` as an environment of `env` compiles it.
pub fn hot_meta_in(db: &dyn Db, env: EnvironmentKind, file: SourceFile) -> &HotFacts {
    match env {
        EnvironmentKind::Server => server_hot_meta(db, file),
        EnvironmentKind::Page | EnvironmentKind::Worker => hot_meta(db, file),
    }
}
