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

/// Whether the shortcuts are read: stdin and stdout are both the terminal.
pub fn wanted() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// Reads stdin's lines on a thread of its own and passes each shortcut to `on_shortcut`, until
/// stdin ends or `on_shortcut` returns false (after `q`). The thread is not joined: a read
/// cannot be interrupted, and it ends with the process.
pub fn spawn(mut on_shortcut: impl FnMut(Shortcut) -> bool + Send + 'static) {
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
