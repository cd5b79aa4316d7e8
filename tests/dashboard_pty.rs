//! The live dashboard end to end: the real `hotloop dev` binary in a real pseudo-terminal
//! (a private tmux server), a file edited on disk, the update read back from the screen with
//! `tmux capture-pane`; then `q`, and the process must exit 0 with the terminal restored: out
//! of the alternate screen, cursor visible, line discipline back to canonical mode with echo
//! (a shell script runs hotloop, then reports its exit status and `stty` on the same
//! terminal). Every wait polls the screen with a time-out.
//! Needs `tmux` (CI installs it). Declared as a test of the `hotloop` package (tui/Cargo.toml)
//! for `CARGO_BIN_EXE_hotloop`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use engine::testing::TempProject;

/// Generous: a debug build on a loaded machine.
const TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);

/// The module of [`leaf_app`] a test edits.
const LEAF: &str = "export const v = 1;\nif (import.meta.hot) import.meta.hot.accept();\n";

/// An app under `app/` whose entry imports [`LEAF`] at `app/src/leaf.js`.
fn leaf_app() -> TempProject {
    TempProject::new(&format!(
        "//- /app/index.html\n\
         <!doctype html>\n<html><head><title>t</title></head><body>\n\
         <script type=\"module\" src=\"/src/main.js\"></script>\n</body></html>\n\
         //- /app/src/main.js\nimport {{ v }} from './leaf.js';\nconsole.log(v);\n\
         //- /app/src/leaf.js\n{LEAF}"
    ))
}

/// A tmux server of our own (`-L <socket>`, no user config), killed on drop.
struct Tmux {
    socket: String,
    config: PathBuf,
}

impl Tmux {
    fn new(dir: &Path) -> Tmux {
        let version = Command::new("tmux").arg("-V").output();
        assert!(
            version.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is not installed: `apt-get install tmux` (this test drives the dashboard in it)"
        );
        let config = dir.join("tmux.conf");
        // The pane stays after the process exits, so its exit status and screen can be read.
        std::fs::write(&config, "set -g remain-on-exit on\nset -g status off\n")
            .expect("write tmux.conf");
        // One server per test: the tests of this file run at once.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Tmux {
            socket: format!("hotloop-test-{}-{n}", std::process::id()),
            config,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            // Also when the tests themselves run inside tmux.
            .env_remove("TMUX")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.config)
            .args(args)
            .output()
            .expect("failed to run tmux")
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.ok(&["capture-pane", "-p", "-t", "dash"])
    }

    fn format(&self, format: &str) -> String {
        self.ok(&["display-message", "-p", "-t", "dash", format])
            .trim()
            .to_owned()
    }

    /// Polls until `done()` holds; panics with the screen after `TIMEOUT`.
    fn wait_until(&self, what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + TIMEOUT;
        while !done() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(POLL);
        }
    }

    /// The pid of hotloop, the process the pane's shell runs.
    fn hotloop_pid(&self) -> String {
        let shell = self.format("#{pane_pid}");
        let children = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&children.stdout)
            .split_whitespace()
            .next()
            .expect("hotloop runs under the pane's shell")
            .to_owned()
    }

    /// Polls until `done(screen)` holds; panics with the last screen after `TIMEOUT`.
    fn wait_for_screen(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(POLL);
        }
    }
}

/// `hotloop dev ROOT` in the tmux session `dash` (120x36) of `tmux`, from a shell script that
/// then reports its exit status and the terminal's `icanon`/`echo` settings on the same terminal.
fn start_dashboard(tmux: &Tmux, dir: &TempProject, root: &Path) {
    start_command(tmux, dir, "dev", root);
}

/// `hotloop <command> DIR --port 0 --no-cache` as [`start_dashboard`] runs `dev`.
fn start_command(tmux: &Tmux, dir: &TempProject, command: &str, root: &Path) {
    start_script(tmux, dir, "sh", &hotloop_line(command, root));
}

/// `'<hotloop>' <command> 'ROOT' --port 0 --no-cache`, a line of a script.
fn hotloop_line(command: &str, root: &Path) -> String {
    format!(
        "'{}' {command} '{}' --port 0 --no-cache\n",
        env!("CARGO_BIN_EXE_hotloop"),
        root.display()
    )
}

/// A script run by `shell` in the tmux session `dash` (120x36): `body` (its lines, one of them
/// [`hotloop_line`]), then hotloop's exit status and the terminal's `icanon`/`echo` settings,
/// reported on the same terminal.
fn start_script(tmux: &Tmux, dir: &TempProject, shell: &str, body: &str) {
    let script = dir.path("run.sh");
    std::fs::write(
        &script,
        format!(
            "{body}\
             echo \"hotloop exited with $?\"\n\
             echo \"tty: $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)' | tr '\\n' ' ')\"\n\
             exec cat\n",
        ),
    )
    .expect("write run.sh");
    let command = format!("{shell} '{}'", script.display());
    tmux.ok(&[
        "new-session",
        "-d",
        "-s",
        "dash",
        "-x",
        "120",
        "-y",
        "36",
        &command,
    ]);
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn an_edit_shows_on_the_live_dashboard_and_q_restores_the_terminal() {
    let dir = leaf_app();
    let root = dir.path("app");

    let tmux = Tmux::new(dir.root());
    start_dashboard(&tmux, &dir, &root);

    let screen = tmux.wait_for_screen("the dashboard with the server ready", |s| {
        s.contains("http://127.0.0.1:")
            && s.contains("none yet: save a file")
            && !s.contains("building")
    });
    assert!(screen.contains("2 modules"), "{screen}");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "the dashboard uses the alternate screen"
    );

    dir.write("app/src/leaf.js", LEAF.replace("= 1", "= 2"));
    let screen = tmux.wait_for_screen("the update on the dashboard", |s| {
        s.contains("#1 · src/leaf.js")
    });
    assert!(
        screen.contains("/src/leaf.js"),
        "the update line names the module sent:\n{screen}"
    );

    tmux.ok(&["send-keys", "-t", "dash", "q"]);
    let screen = tmux.wait_for_screen("hotloop to exit after q", |s| {
        s.contains("hotloop exited with") && s.contains("tty: ")
    });
    assert!(screen.contains("hotloop exited with 0"), "{screen}");
    assert!(
        screen.contains("tty: icanon echo"),
        "raw mode was switched off (canonical input, echo):\n{screen}"
    );
    assert!(
        !screen.contains("Last update"),
        "the dashboard is gone from the screen:\n{screen}"
    );
    // What stays in the terminal: where it served and what the session did.
    assert!(
        screen.contains("hotloop served http://127.0.0.1:") && screen.contains(": 1 update"),
        "the session's summary is left on the screen:\n{screen}"
    );
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "the terminal left the alternate screen"
    );
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "the cursor is visible");
}

/// A signal from outside (`kill`, a process manager, `timeout`) while the dashboard is up
/// stops hotloop as `q` does (the dashboard's terminal turns Ctrl-C into a key, so a signal is
/// the only way in): it exits 0 with the terminal restored, rather than staying up with its
/// engine stopped.
#[test]
fn sigterm_stops_the_dashboard_and_restores_the_terminal() {
    let dir = TempProject::new(
        "//- /app/index.html\n\
         <!doctype html>\n<html><head><title>t</title></head><body>\n\
         <script type=\"module\" src=\"/src/main.js\"></script>\n</body></html>\n\
         //- /app/src/main.js\nconsole.log(1);\n",
    );
    let root = dir.path("app");
    let tmux = Tmux::new(dir.root());
    start_dashboard(&tmux, &dir, &root);
    tmux.wait_for_screen("the dashboard with the server ready", |s| {
        s.contains("http://127.0.0.1:")
            && s.contains("none yet: save a file")
            && !s.contains("building")
    });
    let hotloop = tmux.hotloop_pid();
    let killed = Command::new("kill")
        .args(["-TERM", &hotloop])
        .status()
        .expect("kill");
    assert!(killed.success());
    let screen = tmux.wait_for_screen("hotloop to exit after SIGTERM", |s| {
        s.contains("hotloop exited with") && s.contains("tty: ")
    });
    assert!(screen.contains("hotloop exited with 0"), "{screen}");
    assert!(
        screen.contains("tty: icanon echo"),
        "raw mode was switched off:\n{screen}"
    );
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "the terminal left the alternate screen"
    );
}

/// Ctrl-Z suspends the dashboard as a shell's job control would: the terminal is given back
/// (out of the alternate screen) and the process stops; continued (the shell's `fg`), the
/// dashboard takes the screen again, whole, and the server goes on serving updates.
#[test]
fn ctrl_z_suspends_the_dashboard_and_fg_brings_it_back() {
    let dir = leaf_app();
    let root = dir.path("app");
    let tmux = Tmux::new(dir.root());
    // A shell with job control, as a user's: hotloop runs as a job of its own (a process group
    // a stop signal reaches), the shell says when it stopped and, at Enter, continues it in
    // the foreground (`fg`).
    let body = format!(
        "set -m\n{}echo \"jobs: $(jobs)\"\nread line\nfg\n",
        hotloop_line("dev", &root)
    );
    start_script(&tmux, &dir, "bash", &body);
    tmux.wait_for_screen("the dashboard with the server ready", |s| {
        s.contains("http://127.0.0.1:")
            && s.contains("none yet: save a file")
            && !s.contains("building")
    });
    let hotloop = tmux.hotloop_pid();
    // The process state, the field after the command's closing parenthesis.
    let state = || {
        let stat = std::fs::read_to_string(format!("/proc/{hotloop}/stat")).unwrap_or_default();
        stat.rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next())
            .unwrap_or('?')
    };
    tmux.ok(&["send-keys", "-t", "dash", "C-z"]);
    tmux.wait_until("hotloop to stop", || state() == 'T');
    let screen = tmux.wait_for_screen("the shell to say the job stopped", |s| {
        s.contains("jobs: ") && s.contains("Stopped")
    });
    assert!(!screen.contains("Last update"), "{screen}");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "a stopped dashboard gives the terminal back"
    );

    tmux.ok(&["send-keys", "-t", "dash", "Enter"]);
    tmux.wait_until("the dashboard back on the alternate screen", || {
        tmux.format("#{alternate_on}") == "1"
    });
    tmux.wait_for_screen("the dashboard drawn again", |s| {
        s.contains("http://127.0.0.1:") && s.contains("Last update")
    });
    dir.write("app/src/leaf.js", LEAF.replace("= 1", "= 2"));
    tmux.wait_for_screen("the update after the resume", |s| {
        s.contains("#1 · src/leaf.js")
    });

    tmux.ok(&["send-keys", "-t", "dash", "q"]);
    let screen = tmux.wait_for_screen("hotloop to exit after q", |s| {
        s.contains("hotloop exited with") && s.contains("tty: ")
    });
    assert!(screen.contains("hotloop exited with 0"), "{screen}");
    assert!(
        screen.contains("tty: icanon echo"),
        "raw mode was switched off:\n{screen}"
    );
}

/// `--no-tui` on a terminal reads Vite's shortcuts, a letter and Enter: the ready line says how
/// to list them (`h`), `u` shows the URL, `r` reloads the pages, `q` quits as Ctrl-C does; its
/// lines are coloured on a terminal.
#[test]
fn no_tui_on_a_terminal_takes_vites_shortcuts_and_colours_its_lines() {
    let dir = TempProject::new(
        "//- /app/index.html\n\
         <!doctype html>\n<html><head><title>t</title></head><body>\n\
         <script type=\"module\" src=\"/src/main.js\"></script>\n</body></html>\n\
         //- /app/src/main.js\nconsole.log(1);\n",
    );
    let root = dir.path("app");
    let tmux = Tmux::new(dir.root());
    start_command(&tmux, &dir, "dev --no-tui", &root);
    let screen = tmux.wait_for_screen("the ready line and the shortcuts' hint", |s| {
        s.contains("hotloop ready at") && s.contains("press h + enter to show help")
    });
    let url = screen
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:") && !w.contains(';'))
        .expect("the URL")
        .to_owned();
    let coloured = tmux.ok(&["capture-pane", "-p", "-e", "-t", "dash"]);
    assert!(
        coloured.contains("\x1b[32m"),
        "the ready line is coloured on a terminal:\n{coloured:?}"
    );

    tmux.ok(&["send-keys", "-t", "dash", "h", "Enter"]);
    tmux.wait_for_screen("the shortcuts listed", |s| {
        s.contains("press r + enter to force a full reload of every page")
            && s.contains("press q + enter to quit")
    });
    tmux.ok(&["send-keys", "-t", "dash", "u", "Enter"]);
    tmux.wait_for_screen("the URL shown", |s| s.contains(&format!("Local:   {url}")));
    tmux.ok(&["send-keys", "-t", "dash", "q", "Enter"]);
    let screen = tmux.wait_for_screen("hotloop to exit after q", |s| {
        s.contains("hotloop exited with") && s.contains("tty: ")
    });
    assert!(screen.contains("hotloop exited with 0"), "{screen}");
}

/// `hotloop demo` says which file to edit before the dashboard takes the screen; the dashboard
/// says it too, until the first update.
#[test]
fn the_demo_says_on_the_dashboard_which_file_to_edit() {
    let dir = TempProject::new("//- /README.md\nthe test's directory\n");
    let demo = dir.path("demo");
    let tmux = Tmux::new(dir.root());
    start_command(&tmux, &dir, "demo", &demo);
    let screen = tmux.wait_for_screen("the dashboard with the server ready", |s| {
        s.contains("http://127.0.0.1:") && s.contains("Last update") && !s.contains("building")
    });
    assert!(
        screen.contains("none yet: edit ") && screen.contains("counter.js and save"),
        "{screen}"
    );
    tmux.ok(&["send-keys", "-t", "dash", "q"]);
    tmux.wait_for_screen("hotloop to exit after q", |s| {
        s.contains("hotloop exited with 0") && s.contains("hotloop served http://127.0.0.1:")
    });
}
