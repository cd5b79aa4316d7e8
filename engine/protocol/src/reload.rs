//! The one vocabulary of full-reload reasons. The engine's planner raises codes 1–8
//! (`engine/src/plan.rs`): the protocol carries the code and the text to the runtime, and the
//! dashboard and the log show the same text. Codes 9–14 are the runtime's own (only the page
//! knows what it ran): `runtime/js/reload-reasons.js` lists them with the same codes and texts,
//! which a test here checks. Nothing else invents a reason.

use std::fmt;

/// Why the page must reload instead of hot-updating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FullReloadReason {
    /// An edit propagated up to an entry (or a module nobody imports) without meeting a
    /// module that accepts it. `chain` is the path walked, changed module first.
    NoBoundary {
        changed: String,
        chain: Vec<String>,
        /// The changed module registered React components but is no Fast Refresh boundary:
        /// its first export that is not one.
        refresh_refused: Option<String>,
    },
    /// An HTML page changed: `page` names it (`index.html`, `about.html`; several, joined by
    /// commas).
    HtmlChanged { page: String },
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
    /// Raised by the runtime: the server's hello names another protocol version.
    ProtocolChanged,
    /// Raised by the runtime: the hello comes from another server instance than the one that
    /// served the page (hotloop restarted).
    ServerRestarted,
    /// Raised by the runtime: re-evaluating a module inside an import cycle threw, so the
    /// cycle's other modules hold a mix of old and new code.
    CycleUpdateFailed,
    /// Raised by the runtime: the app's server took an update (server-side HMR) under a
    /// server-rendered page that does not listen to `hotloop:server-update` and did not get
    /// the change as a hot update of its own: its HTML is stale.
    ServerUpdated,
    /// Raised by the runtime: the page's Content-Security-Policy forbids `eval`, which makes
    /// an update's new code a function, and the update's code did not load as scripts of the
    /// page's origin either (a policy that forbids them too, or a newer update replaced that
    /// code); the reload loads it from the server's scripts instead.
    EvalBlocked,
    /// Raised by the runtime: an update brings new code for a module whose first evaluation
    /// failed and rejected an `import()` (or for a module it imports); the app keeps that
    /// rejection (React.lazy caches it, a router shows its error page), so only a reload
    /// imports the module again.
    FailedImportFixed,
}

impl FullReloadReason {
    /// Stable numeric code for the protocol. Code 2 was "a module declines hot updates", retired
    /// when `decline()` became the no-op Vite documents; it is never reused.
    pub fn code(&self) -> u8 {
        match self {
            FullReloadReason::NoBoundary { .. } => 1,
            FullReloadReason::HtmlChanged { .. } => 3,
            FullReloadReason::CircularInvalidate { .. } => 4,
            FullReloadReason::ConfigChanged { .. } => 5,
            FullReloadReason::ClientOutOfSync => 6,
            FullReloadReason::Requested => 7,
            FullReloadReason::InWorker { .. } => 8,
            FullReloadReason::ProtocolChanged => 9,
            FullReloadReason::ServerRestarted => 10,
            FullReloadReason::CycleUpdateFailed => 11,
            FullReloadReason::ServerUpdated => 12,
            FullReloadReason::EvalBlocked => 13,
            FullReloadReason::FailedImportFixed => 14,
        }
    }
}

impl fmt::Display for FullReloadReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FullReloadReason::NoBoundary {
                changed,
                chain,
                refresh_refused,
            } => {
                write!(f, "{changed} changed and no module accepts it")?;
                if chain.len() > 1 {
                    write!(f, " (via {})", chain.join(" <- "))?;
                }
                if let Some(export) = refresh_refused {
                    let what = if export == "*" {
                        "`export *`".to_string()
                    } else {
                        format!("`{export}`")
                    };
                    write!(
                        f,
                        "; it is no Fast Refresh boundary: it exports {what}, which is not a \
                         React component (keep components and other exports in separate files)"
                    )?;
                }
                Ok(())
            }
            FullReloadReason::HtmlChanged { page } => write!(f, "{page} changed"),
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
            FullReloadReason::ProtocolChanged => {
                write!(f, "the server speaks another protocol version")
            }
            FullReloadReason::ServerRestarted => write!(f, "server restarted"),
            FullReloadReason::CycleUpdateFailed => {
                write!(f, "an update inside an import cycle failed")
            }
            FullReloadReason::ServerUpdated => write!(
                f,
                "the app's server code changed and this server-rendered page does not listen \
                 to hotloop:server-update"
            ),
            FullReloadReason::EvalBlocked => write!(
                f,
                "the page's Content-Security-Policy forbids eval and the update's scripts did \
                 not load: reloading (let script-src allow the page's own origin or \
                 'unsafe-eval' in development for hot updates that keep state)"
            ),
            FullReloadReason::FailedImportFixed => write!(
                f,
                "a module that an import() failed to load has new code and the app keeps the \
                 failed import()"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FullReloadReason;

    #[test]
    fn a_reload_past_a_component_module_says_why_it_is_no_boundary() {
        let reason = FullReloadReason::NoBoundary {
            changed: "/src/App.tsx".into(),
            chain: vec!["/src/App.tsx".into(), "/src/main.tsx".into()],
            refresh_refused: Some("loader".into()),
        };
        assert_eq!(
            reason.to_string(),
            "/src/App.tsx changed and no module accepts it (via /src/App.tsx <- /src/main.tsx); \
             it is no Fast Refresh boundary: it exports `loader`, which is not a React component \
             (keep components and other exports in separate files)"
        );
    }

    /// The runtime's table (`runtime/js/reload-reasons.js`) uses this vocabulary: every entry
    /// with a code has this enum's text for that code.
    #[test]
    fn the_runtime_reasons_are_this_vocabulary() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../runtime/js/reload-reasons.js"
        );
        let js = std::fs::read_to_string(path).expect("runtime/js/reload-reasons.js");
        let vocabulary = [
            FullReloadReason::ClientOutOfSync,
            FullReloadReason::ProtocolChanged,
            FullReloadReason::ServerRestarted,
            FullReloadReason::CycleUpdateFailed,
            FullReloadReason::ServerUpdated,
            FullReloadReason::EvalBlocked,
            FullReloadReason::FailedImportFixed,
        ];
        let mut seen = 0;
        for line in js.lines().filter(|l| l.contains("Object.freeze({ name:")) {
            let field = |name: &str| {
                let start = line.find(name).expect(name) + name.len();
                line[start..]
                    .split([',', '}'])
                    .next()
                    .unwrap()
                    .trim()
                    .to_owned()
            };
            let code = field("code:");
            let text = field("text:").trim_matches('"').to_owned();
            if code == "null" {
                continue;
            }
            let code: u8 = code.parse().expect("a numeric code");
            let reason = vocabulary
                .iter()
                .find(|r| r.code() == code)
                .unwrap_or_else(|| panic!("code {code} is not one the runtime may raise: {line}"));
            assert_eq!(text, reason.to_string(), "{line}");
            seen += 1;
        }
        assert_eq!(seen, vocabulary.len(), "every runtime reason has a code");
    }
}
