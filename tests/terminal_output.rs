//! What `hotloop dev --no-tui` prints, with the real binary: a `vite.config` that no longer
//! evaluates is said once, as an `error:` line of the log (not also as a raw log record on
//! stderr); a taken port is said as a line of the log, and with `--strict-port` once, with
//! what to do; hotloop's own warnings read `warning: ...`; a page that connects is no news (its lines only with
//! `HMR_LOG=hotloop::clients=debug` or `-v`). Declared as a test of the `hotloop` package
//! (tui/Cargo.toml) for `CARGO_BIN_EXE_hotloop`.

use std::process::{Child, Command, Stdio};

use engine::testing::TempProject;

#[path = "support/stream_lines.rs"]
mod stream_lines;

use stream_lines::{Lines, WAIT};

const PROJECT: &str = r#"
//- /index.html
<!doctype html><script type="module" src="/src/main.js"></script>
//- /src/main.js
import './counter.js';
//- /src/counter.js
export const count = 1;
import.meta.hot.accept();
"#;

/// hotloop, killed if the test fails before it stops it.
struct Hotloop {
    child: Child,
    out: Option<Lines>,
    err: Option<Lines>,
}

impl Drop for Hotloop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hotloop {
    fn start(project: &TempProject, args: &[&str], env: &[(&str, &str)]) -> Hotloop {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hotloop"))
            .args(["dev", ".", "--no-tui", "--no-cache"])
            .args(args)
            .env_remove("HMR_LOG")
            .envs(env.iter().copied())
            .current_dir(project.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run hotloop");
        let out = Lines::of(child.stdout.take().unwrap());
        let err = Lines::of(child.stderr.take().unwrap());
        Hotloop {
            child,
            out: Some(out),
            err: Some(err),
        }
    }

    fn out(&mut self) -> &mut Lines {
        self.out.as_mut().unwrap()
    }

    /// The port of the ready line.
    fn ready(&mut self) -> u16 {
        self.out().wait_for("the ready line", |line| {
            let url = line.split("hotloop ready at http://127.0.0.1:").nth(1)?;
            url.split('/').next()?.parse().ok()
        })
    }

    /// Ctrl-C, then every line of stdout and stderr.
    fn stop(mut self) -> (Vec<String>, Vec<String>) {
        // SAFETY: a plain signal to our child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
        (
            self.out.take().unwrap().rest(),
            self.err.take().unwrap().rest(),
        )
    }
}

#[test]
fn a_vite_config_that_no_longer_evaluates_is_said_once() {
    let project = TempProject::new(PROJECT);
    project.write("vite.config.ts", "export default {\n  base: '/',\n};\n");
    let mut hotloop = Hotloop::start(&project, &["--port", "0"], &[]);
    hotloop.ready();
    project.write("vite.config.ts", "export default {\n  base: '/',,\n};\n");
    hotloop.out().wait_for("the config's error", |line| {
        line.starts_with("error: /vite.config.ts:2:").then_some(())
    });
    let (out, err) = hotloop.stop();
    let said = |lines: &[String]| {
        lines
            .iter()
            .filter(|line| line.contains("vite.config.ts:2:"))
            .count()
    };
    assert_eq!(said(&out), 1, "{out:#?}");
    assert_eq!(said(&err), 0, "not also as a log record: {err:#?}");
}

#[test]
fn a_taken_port_is_said_as_a_line_of_the_log_and_a_strict_one_once_with_what_to_do() {
    let project = TempProject::new(PROJECT);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let asked = port.to_string();

    let mut hotloop = Hotloop::start(&project, &["--port", &asked, "--allow-any-origin"], &[]);
    let got = hotloop.ready();
    assert_ne!(got, port);
    let (out, err) = hotloop.stop();
    let line = format!("warning: port {port} is in use: serving on {got} instead");
    let line = match got - port {
        1 => line,
        _ => format!(
            "warning: ports {port} to {} are in use: serving on {got} instead",
            got - 1
        ),
    };
    assert!(out.iter().any(|l| l.starts_with(&line)), "{line}\n{out:#?}");
    assert!(
        !err.iter()
            .any(|l| l.contains("WARN") || l.contains("in use")),
        "no log record of it on stderr: {err:#?}"
    );
    // hotloop's own warnings on stderr read as a compiler's, without a time or a module path.
    assert!(
        err.iter()
            .any(|l| l.starts_with("warning: --allow-any-origin: any website")),
        "{err:#?}"
    );

    // --strict-port: hotloop stops, saying so once, and what to do.
    let strict = Command::new(env!("CARGO_BIN_EXE_hotloop"))
        .args(["dev", ".", "--no-tui", "--no-cache", "--strict-port"])
        .args(["--port", &asked])
        .current_dir(project.root())
        .stdin(Stdio::null())
        .output()
        .expect("run hotloop");
    assert!(!strict.status.success());
    let err = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(err.matches("in use").count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("error: port {port} on 127.0.0.1 is in use"))
            && err.contains("drop --strict-port"),
        "{err}"
    );
    drop(taken);
}

/// A page connects and is sent an update; only with `HMR_LOG=hotloop::clients=debug` does the
/// log say it connected.
#[test]
fn a_page_that_connects_is_said_only_when_asked_for() {
    for (env, said) in [
        (&[][..], false),
        (&[("HMR_LOG", "warn,hotloop::clients=debug")][..], true),
    ] {
        let project = TempProject::new(PROJECT);
        let mut hotloop = Hotloop::start(&project, &["--port", "0"], env);
        let port = hotloop.ready();
        let page = connect(port);
        // The update says it was sent to the page: the engine had heard it connect before.
        project.write(
            "src/counter.js",
            "export const count = 22;\nimport.meta.hot.accept();\n",
        );
        hotloop.out().wait_for("the update", |line| {
            (line.starts_with("hot update") && line.ends_with("sent to 1 client")).then_some(())
        });
        drop(page);
        let (out, _) = hotloop.stop();
        let connected = out.iter().any(|l| l.starts_with("client 1 connected"));
        assert_eq!(connected, said, "{env:?}: {out:#?}");
    }
}

/// A WebSocket connected as a page of the server is, open until dropped.
fn connect(port: u16) -> impl Sized {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut request = format!("ws://127.0.0.1:{port}/_hotloop/ws")
        .into_client_request()
        .unwrap();
    let origin = format!("http://127.0.0.1:{port}").parse().unwrap();
    request.headers_mut().insert("origin", origin);
    let (ws, _) = runtime
        .block_on(async {
            tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request)).await
        })
        .expect("handshake in time")
        .expect("handshake");
    (ws, runtime)
}
