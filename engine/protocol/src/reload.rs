//! The one vocabulary of full-reload reasons. The engine's planner raises every one of them
//! (`engine/src/plan.rs`); the protocol carries its code and text to the runtime, and the
//! dashboard and the log show the same text. Nothing else invents a reason.

use std::fmt;

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
    /// The edit reached a module that runs in a web worker, which cannot be updated in place:
    /// the reload restarts it.
    InWorker { module: String },
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
            FullReloadReason::InWorker { .. } => 8,
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
            FullReloadReason::InWorker { module } => {
                write!(
                    f,
                    "{module} runs in a web worker, which restarts with the page"
                )
            }
        }
    }
}
