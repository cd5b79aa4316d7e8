//! Vite's CLI shortcuts for `--no-tui` on a terminal: a letter, then Enter. `h` lists them; `r`
//! reloads every page (Vite's `r` restarts its server: hotloop re-evaluates its config by
//! itself when it changes, so what is left to ask for is the reload), `u` shows the URL, `o`
//! opens it in the browser, `c` clears the screen, `q` quits as Ctrl-C does. Read on a thread
//! of its own from stdin, only when stdin is a terminal (not in CI, not from a pipe), as Vite
//! binds them only for a TTY.

use std::io::{BufRead as _, IsTerminal as _};

/// One shortcut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    Reload,
    Url,
    Open,
    Clear,
    Quit,
    Help,
}

/// The shortcuts as `h` lists them: `(key, what it does)`.
pub const HELP: [(&str, &str); 6] = [
    ("r", "force a full reload of every page"),
    ("u", "show the server URL"),
    ("o", "open in the browser"),
    ("c", "clear the screen"),
    ("q", "quit"),
    ("h", "show this help"),
];

impl Shortcut {
    /// The shortcut a line typed names (its one letter, spaces around it allowed), if any.
    pub fn parse(line: &str) -> Option<Shortcut> {
        Some(match line.trim() {
            "r" => Shortcut::Reload,
            "u" => Shortcut::Url,
            "o" => Shortcut::Open,
            "c" => Shortcut::Clear,
            "q" => Shortcut::Quit,
            "h" => Shortcut::Help,
            _ => return None,
        })
    }
}

/// The lines `h` prints.
pub fn help_lines() -> Vec<String> {
    let mut lines = vec!["  Shortcuts".to_owned()];
    lines.extend(
        HELP.iter()
            .map(|(key, what)| format!("  press {key} + enter to {what}")),
    );
    lines
}

/// Whether the shortcuts are read: stdin and stdout are both the terminal, and hotloop is its
/// foreground job (started with `&`, a read of the terminal would stop it: SIGTTIN).
pub fn wanted() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal() && in_the_foreground()
}

fn in_the_foreground() -> bool {
    #[cfg(unix)]
    // SAFETY: both take and return plain integers.
    unsafe {
        libc::tcgetpgrp(libc::STDIN_FILENO) == libc::getpgrp()
    }
    #[cfg(not(unix))]
    true
}

/// Reads stdin's lines on a thread of its own and passes each shortcut to `on_shortcut`, until
/// stdin ends or `on_shortcut` returns false (after `q`). The thread is not joined: a read
/// cannot be interrupted, and it ends with the process.
pub fn spawn(mut on_shortcut: impl FnMut(Shortcut) -> bool + Send + 'static) {
    // Sent to the background later (Ctrl-Z, then `bg`), the read fails (EIO) and the shortcuts
    // end, instead of the terminal stopping the whole server at its next read (SIGTTIN).
    #[cfg(unix)]
    // SAFETY: ignoring a signal installs no handler of ours.
    unsafe {
        libc::signal(libc::SIGTTIN, libc::SIG_IGN);
    }
    let spawned = std::thread::Builder::new()
        .name("hotloop-shortcuts".to_owned())
        .spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { return };
                if let Some(shortcut) = Shortcut::parse(&line)
                    && !on_shortcut(shortcut)
                {
                    return;
                }
            }
        });
    if let Err(error) = spawned {
        tracing::debug!("no keyboard shortcuts: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_a_shortcut_by_its_letter_alone() {
        assert_eq!(Shortcut::parse("h"), Some(Shortcut::Help));
        assert_eq!(Shortcut::parse(" q \r"), Some(Shortcut::Quit));
        assert_eq!(Shortcut::parse("r"), Some(Shortcut::Reload));
        assert_eq!(Shortcut::parse("quit"), None);
        assert_eq!(Shortcut::parse(""), None);
        assert_eq!(
            help_lines()[1],
            "  press r + enter to force a full reload of every page"
        );
    }
}
