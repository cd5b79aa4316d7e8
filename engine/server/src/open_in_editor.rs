//! `GET /__open-in-editor?file=src/App.vue:12:3`, Vite's route for "open this file in my
//! editor": the error overlay's file names link to it, and so do tools of the page
//! (vite-plugin-vue-devtools' inspector, React's click-to-component plugins). The file is a
//! path under the root (`/src/App.vue` or `src/App.vue`, a module id) or an absolute one the
//! server may serve, with an optional `:line[:column]`.
//!
//! Which editor, as the `launch-editor` package Vite uses decides it, minus its scan of the
//! running processes: `LAUNCH_EDITOR` (a known editor, or any command, which gets `file line
//! column`), then `VISUAL` and `EDITOR`, then the first of the common GUI editors on `PATH`.
//! A terminal editor (vim, nano, ...) would take over hotloop's own terminal: it is refused with
//! a message saying what to set instead. The editor is started detached from hotloop's
//! terminal (its output discarded) and waited for on a thread of its own, so it never lingers
//! as a zombie; a GUI editor's command returns at once.
//!
//! A request another site makes (`Sec-Fetch-Site: cross-site`) is refused: only the page and
//! its tools open files.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

use super::AppState;
use super::http::query_param;

/// The route's handler.
pub(crate) async fn open(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return (
            StatusCode::FORBIDDEN,
            "hotloop: another site may not open files",
        )
            .into_response();
    }
    let spec = query_param(uri.query(), "file").map(|f| {
        percent_decode_str(&f.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    });
    let Some(spec) = spec.filter(|f| !f.trim().is_empty()) else {
        return (
            StatusCode::BAD_REQUEST,
            "hotloop: /__open-in-editor needs ?file=<path>[:line[:column]]",
        )
            .into_response();
    };
    let place = FilePlace::parse(&spec);
    let Some(file) = state.fs.editable(&place.path) else {
        return (
            StatusCode::NOT_FOUND,
            format!(
                "hotloop: cannot open {}: no such file of the project",
                place.path
            ),
        )
            .into_response();
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let launch = match launch_command(&env, &|name| on_path(name), &file, place.line, place.column)
    {
        Ok(launch) => launch,
        Err(why) => {
            tracing::warn!("cannot open {} in an editor: {why}", file.display());
            return editor_failed(&why);
        }
    };
    tracing::debug!(file = %file.display(), program = %launch.program, "opening in the editor");
    match spawn_detached(&launch) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => {
            let why = format!("cannot start the editor `{}`: {e}", launch.program);
            tracing::warn!("{why} (set LAUNCH_EDITOR to another one)");
            editor_failed(&why)
        }
    }
}

/// No editor opened: the request itself was right, so the answer is 200, as Vite's (a page's
/// tool that opens files would report a server error otherwise), with the reason as the body
/// (the overlay logs it in the page's console; the terminal has it too).
fn editor_failed(why: &str) -> Response {
    (StatusCode::OK, format!("hotloop: {why}")).into_response()
}

/// `file[:line[:column]]` as the route is given it (`file://` URLs too).
#[derive(Debug, PartialEq, Eq)]
struct FilePlace {
    path: String,
    line: Option<u32>,
    column: Option<u32>,
}

impl FilePlace {
    fn parse(spec: &str) -> FilePlace {
        let spec = spec.trim();
        let spec = spec.strip_prefix("file://").unwrap_or(spec);
        let mut numbers = Vec::new();
        let mut rest = spec;
        // At most two trailing `:<digits>`: line, then column.
        while numbers.len() < 2
            && let Some((head, tail)) = rest.rsplit_once(':')
            && !tail.is_empty()
            && tail.bytes().all(|b| b.is_ascii_digit())
        {
            numbers.push(tail.parse::<u32>().ok());
            rest = head;
        }
        numbers.reverse();
        FilePlace {
            path: rest.to_string(),
            line: numbers.first().copied().flatten(),
            column: numbers.get(1).copied().flatten(),
        }
    }
}

/// What to run.
#[derive(Debug, PartialEq, Eq)]
struct Launch {
    program: String,
    args: Vec<String>,
}

/// How an editor takes a place in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// VS Code and its forks: `-r -g file:line:column`.
    Goto,
    /// `file:line:column` (Sublime Text, Zed).
    Suffix,
    /// JetBrains IDEs: `--line L --column C file`.
    JetBrains,
    /// A command named by `LAUNCH_EDITOR` that hotloop does not know: `file line column`, as
    /// launch-editor calls it.
    Script,
    /// Any other GUI command: the file alone.
    FileOnly,
}

/// Editors that run in the terminal: starting one from the dev server would take over its
/// terminal.
const TERMINAL_EDITORS: [&str; 12] = [
    "vi", "vim", "nvim", "nano", "pico", "emacs", "ed", "micro", "hx", "helix", "kak", "joe",
];

/// The GUI editors looked for on `PATH` when no variable names one, in this order.
const ON_PATH: [&str; 7] = [
    "code", "cursor", "codium", "windsurf", "zed", "subl", "webstorm",
];

fn style_of(program: &str) -> Option<Style> {
    let name = Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program)
        .trim_end_matches(".exe")
        .trim_end_matches(".cmd")
        .trim_end_matches(".sh")
        .to_ascii_lowercase();
    Some(match name.as_str() {
        "code" | "code-insiders" | "codium" | "vscodium" | "cursor" | "windsurf" | "trae" => {
            Style::Goto
        }
        "subl" | "sublime_text" | "zed" | "zeditor" => Style::Suffix,
        "idea" | "idea64" | "webstorm" | "webstorm64" | "phpstorm" | "pycharm" | "goland"
        | "rubymine" | "clion" | "rider" | "rustrover" => Style::JetBrains,
        _ if TERMINAL_EDITORS.contains(&name.as_str()) => return None,
        _ => return Some(Style::FileOnly),
    })
}

/// The command that opens `file` at `line`/`column` (see the module docs); `Err` says why none.
fn launch_command(
    env: &dyn Fn(&str) -> Option<String>,
    on_path: &dyn Fn(&str) -> bool,
    file: &Path,
    line: Option<u32>,
    column: Option<u32>,
) -> Result<Launch, String> {
    let named = ["LAUNCH_EDITOR", "VISUAL", "EDITOR"]
        .into_iter()
        .find_map(|var| env(var).map(|value| (var, value)));
    let (words, style) = match named {
        Some((var, value)) => {
            let words: Vec<String> = value.split_whitespace().map(str::to_string).collect();
            match style_of(&words[0]) {
                Some(Style::FileOnly) if var == "LAUNCH_EDITOR" => (words, Style::Script),
                Some(style) => (words, style),
                None => {
                    return Err(format!(
                        "{var}={value} is an editor that runs in the terminal, where hotloop \
                         runs; set LAUNCH_EDITOR to a GUI editor (e.g. LAUNCH_EDITOR=code) or to \
                         a script, which is called with the file, line and column"
                    ));
                }
            }
        }
        None => match ON_PATH.into_iter().find(|name| on_path(name)) {
            Some(name) => (
                vec![name.to_string()],
                style_of(name).unwrap_or(Style::FileOnly),
            ),
            None => {
                return Err(
                    "no editor found: set LAUNCH_EDITOR to your editor's command (e.g. \
                            LAUNCH_EDITOR=code) or to a script, which is called with the file, \
                            line and column"
                        .to_string(),
                );
            }
        },
    };
    let (line, column) = (line.unwrap_or(1), column.unwrap_or(1));
    let path = file.to_string_lossy().into_owned();
    let mut args: Vec<String> = words[1..].to_vec();
    match style {
        Style::Goto => args.extend(["-r".into(), "-g".into(), format!("{path}:{line}:{column}")]),
        Style::Suffix => args.push(format!("{path}:{line}:{column}")),
        Style::JetBrains => args.extend([
            "--line".into(),
            line.to_string(),
            "--column".into(),
            column.to_string(),
            path,
        ]),
        Style::Script => args.extend([path, line.to_string(), column.to_string()]),
        Style::FileOnly => args.push(path),
    }
    Ok(Launch {
        program: words[0].clone(),
        args,
    })
}

/// Whether an executable `name` is in a directory of `PATH`.
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            let candidate = dir.join(name);
            std::fs::metadata(&candidate).is_ok_and(|m| m.is_file())
        })
    })
}

/// Starts the editor with no stdio of hotloop's, and reaps it on a thread when it exits.
fn spawn_detached(launch: &Launch) -> std::io::Result<()> {
    let mut command = Command::new(&launch.program);
    command
        .args(&launch.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        // Its own process group: Ctrl-C in hotloop's terminal does not reach the editor.
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    let mut child = command.spawn()?;
    std::thread::Builder::new()
        .name("editor-reaper".into())
        .spawn(move || {
            let _ = child.wait();
        })?;
    Ok(())
}

impl super::fs::FsPolicy {
    /// The file `path` names for the editor: a path under the root (`/src/App.vue`,
    /// `src/App.vue`), else an absolute path the server may serve; `None` when there is none.
    pub(crate) fn editable(&self, path: &str) -> Option<PathBuf> {
        let under_root = self.root.join(path.trim_start_matches('/'));
        let candidates = [
            Some(under_root),
            Path::new(path).is_absolute().then(|| PathBuf::from(path)),
        ];
        candidates
            .into_iter()
            .flatten()
            .find(|p| p.is_file() && self.may_serve(p))
            .and_then(|p| std::fs::canonicalize(p).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn command(vars: &[(&str, &str)], path: &[&str]) -> Result<Launch, String> {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        launch_command(
            &env_of(vars),
            &|name| path.iter().any(|p| p == name),
            Path::new("/p/src/App.vue"),
            Some(12),
            Some(3),
        )
    }

    fn argv(launch: Launch) -> Vec<String> {
        std::iter::once(launch.program).chain(launch.args).collect()
    }

    #[test]
    fn the_place_is_split_from_the_path() {
        let place = |s| FilePlace::parse(s);
        assert_eq!(
            place("src/App.vue:12:3"),
            FilePlace {
                path: "src/App.vue".into(),
                line: Some(12),
                column: Some(3)
            }
        );
        assert_eq!(
            place("/abs/a.ts:7"),
            FilePlace {
                path: "/abs/a.ts".into(),
                line: Some(7),
                column: None
            }
        );
        assert_eq!(
            place("file:///abs/a.ts"),
            FilePlace {
                path: "/abs/a.ts".into(),
                line: None,
                column: None
            }
        );
        // Only two numbers are a place; a name that ends in digits keeps them.
        assert_eq!(
            place("C:/x/v:2:1:4"),
            FilePlace {
                path: "C:/x/v:2".into(),
                line: Some(1),
                column: Some(4)
            }
        );
    }

    #[test]
    fn each_known_editor_is_told_the_line_and_column_its_way() {
        assert_eq!(
            argv(command(&[("EDITOR", "code --wait")], &[]).unwrap()),
            ["code", "--wait", "-r", "-g", "/p/src/App.vue:12:3"]
        );
        assert_eq!(
            argv(command(&[("VISUAL", "/opt/zed/zed")], &[]).unwrap()),
            ["/opt/zed/zed", "/p/src/App.vue:12:3"]
        );
        assert_eq!(
            argv(command(&[("LAUNCH_EDITOR", "webstorm.sh")], &[]).unwrap()),
            [
                "webstorm.sh",
                "--line",
                "12",
                "--column",
                "3",
                "/p/src/App.vue"
            ]
        );
        // LAUNCH_EDITOR wins over VISUAL and EDITOR; a command hotloop does not know gets the
        // file, line and column, as launch-editor calls it.
        assert_eq!(
            argv(
                command(
                    &[("EDITOR", "code"), ("LAUNCH_EDITOR", "/bin/open-it")],
                    &[]
                )
                .unwrap()
            ),
            ["/bin/open-it", "/p/src/App.vue", "12", "3"]
        );
        // EDITOR naming an unknown GUI command: the file alone.
        assert_eq!(
            argv(command(&[("EDITOR", "gedit")], &[]).unwrap()),
            ["gedit", "/p/src/App.vue"]
        );
    }

    #[test]
    fn without_a_variable_a_gui_editor_on_path_and_never_a_terminal_one() {
        assert_eq!(
            argv(command(&[], &["subl", "cursor"]).unwrap()),
            ["cursor", "-r", "-g", "/p/src/App.vue:12:3"]
        );
        let none = command(&[], &[]).unwrap_err();
        assert!(none.contains("set LAUNCH_EDITOR"), "{none}");
        let vim = command(&[("EDITOR", "vim")], &["code"]).unwrap_err();
        assert!(
            vim.contains("EDITOR=vim is an editor that runs in the terminal"),
            "{vim}"
        );
    }
}
