//! `hot_meta`: what a module says about hot updates (`import.meta.hot.accept`, decline, Fast
//! Refresh boundary, ...). An `Eq` projection of `parsed_module`, so a body edit backdates it.

use crate::db::Db;
use crate::inputs::SourceFile;
use crate::queries::parsed::parsed_module;
use crate::telemetry::Phase;
use crate::transform::HotFacts;

#[salsa::tracked(returns(ref))]
pub fn hot_meta(db: &dyn Db, file: SourceFile) -> HotFacts {
    let _clock = db.clock().enter_key(Phase::Parse, "hot_meta", file);
    let _span = tracing::trace_span!("hot_meta", file = %file.path(db).display()).entered();
    parsed_module(db, file).hot.clone()
}
