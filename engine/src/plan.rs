//! Update planning: pure functions from "these modules changed" and the module graph to the
//! smallest correct hot update, or a typed reason for a full reload. No salsa, no IO.

use std::fmt;

use crate::graph::{ModuleGraph, ModuleIndex};

/// Why the page must reload instead of hot-updating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FullReloadReason {
    /// An edit propagated up to an entry (or a module nobody imports) without meeting a
    /// module that accepts it. `chain` is the path walked, changed module first.
    NoBoundary { changed: String, chain: Vec<String> },
    /// A module on the path calls `import.meta.hot.decline()`.
    Declined { module: String },
    /// The entry HTML changed.
    HtmlChanged,
    /// `hot.invalidate()` came back to a module already invalidated in this update.
    CircularInvalidate { module: String },
    /// package.json / tsconfig / config changed in a way that can change every module.
    ConfigChanged { file: String },
    /// The client missed updates (lagged, reconnected to a newer revision).
    ClientOutOfSync,
    /// Forced by the user (dashboard key).
    Requested,
}

impl FullReloadReason {
    /// Stable numeric code for the protocol.
    pub fn code(&self) -> u8 {
        match self {
            FullReloadReason::NoBoundary { .. } => 1,
            FullReloadReason::Declined { .. } => 2,
            FullReloadReason::HtmlChanged => 3,
            FullReloadReason::CircularInvalidate { .. } => 4,
            FullReloadReason::ConfigChanged { .. } => 5,
            FullReloadReason::ClientOutOfSync => 6,
            FullReloadReason::Requested => 7,
        }
    }
}

impl fmt::Display for FullReloadReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FullReloadReason::NoBoundary { changed, chain } => {
                write!(f, "{changed} changed and no module accepts it")?;
                if chain.len() > 1 {
                    write!(f, " (via {})", chain.join(" <- "))?;
                }
                Ok(())
            }
            FullReloadReason::Declined { module } => {
                write!(f, "{module} declines hot updates")
            }
            FullReloadReason::HtmlChanged => write!(f, "index.html changed"),
            FullReloadReason::CircularInvalidate { module } => {
                write!(f, "{module} invalidated itself in a loop")
            }
            FullReloadReason::ConfigChanged { file } => write!(f, "{file} changed"),
            FullReloadReason::ClientOutOfSync => write!(f, "the page missed updates"),
            FullReloadReason::Requested => write!(f, "reload requested"),
        }
    }
}

/// A module that accepts the update: itself (`accepted_dep == None`) or one of its deps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Boundary {
    pub module: ModuleIndex,
    pub accepted_dep: Option<ModuleIndex>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HotPlan {
    /// Modules whose emitted code changed: their new factories are sent.
    pub send: Vec<ModuleIndex>,
    /// Modules on the paths from changed modules to their boundaries, dependencies first:
    /// disposed and re-evaluated.
    pub invalidate: Vec<ModuleIndex>,
    pub boundaries: Vec<Boundary>,
    /// Only CSS modules changed: no JS is re-evaluated.
    pub css_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdatePlan {
    /// Nothing the browser runs changed.
    Nothing,
    Hot(HotPlan),
    FullReload(FullReloadReason),
}

/// What changed in one batch, in terms of the current graph.
#[derive(Clone, Debug, Default)]
pub struct Changes<'a> {
    /// Modules whose emitted code changed.
    pub changed: &'a [ModuleIndex],
    pub html_changed: bool,
}

/// Plans the update for `changes` on `graph`.
pub fn plan_update(graph: &ModuleGraph, changes: &Changes<'_>) -> UpdatePlan {
    let _ = graph;
    if changes.html_changed {
        return UpdatePlan::FullReload(FullReloadReason::HtmlChanged);
    }
    if changes.changed.is_empty() {
        return UpdatePlan::Nothing;
    }
    UpdatePlan::Hot(HotPlan::default())
}
