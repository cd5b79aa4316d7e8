//! `--server FILE`: runs the app's server process (`hotloop-app-server`) for the engine's
//! server graph. One thread joins the two sides: what the engine sends
//! (`engine::ServerOutput`: a chunk to start with, update frames) goes to the process; what
//! the process says comes back as its output, log lines (its failures), client events of
//! `ClientId::SERVER_PROCESS` (its acks, so the pages hear `hotloop:server-update`) and, when
//! it exits unasked, a restart plus `Control::ServerExited` (every tab's overlay shows the
//! crash; the engine sends the current chunk again).
//!
//! The app's output is the app's, always shown: each line goes to `tracing` under
//! [`APP_STDOUT`] or [`APP_STDERR`], which the log filter always lets through. `--no-tui`
//! writes it to hotloop's own stdout or stderr as the app wrote it, ANSI colours included
//! ([`RawOutput`]); the dashboard's log pane shows it without ANSI sequences; `--log-format
//! json` as records of those targets. Node's report of a crash is already there as it wrote
//! it: the terminal adds one line (exited, restarted with its new pid), and the overlay gets
//! the crash from its last words.
//!
//! The process' RSS is sampled every `RSS_EVERY` for the dashboard and the log.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select};
use engine::{Control, EngineEvent, ServerOutput};
use hotloop_app_server::{AppServer, AppServerEvent, AppServerOptions, OutputStream};
use hotloop_protocol::wire::decode_client;
use hotloop_protocol::{ClientEvent, ClientId};

/// More exits than this within `CRASH_WINDOW` stop the automatic restarts until the next
/// edit sends new code.
const CRASHES_BEFORE_WAITING: usize = 5;
const CRASH_WINDOW: Duration = Duration::from_secs(10);
/// How often the process' resident set is sampled.
const RSS_EVERY: Duration = Duration::from_secs(2);

/// The `tracing` target of the lines the app writes to its stdout.
pub const APP_STDOUT: &str = "hotloop::app::stdout";
/// The `tracing` target of the lines the app writes to its stderr.
pub const APP_STDERR: &str = "hotloop::app::stderr";
/// The prefix of both: a filter directive for it keeps them on at any verbosity.
pub const APP_OUTPUT: &str = "hotloop::app";

/// Starts the process (it waits for its chunk) and returns it with its port.
pub fn start(
    root: &Path,
    entry: &Path,
    node: Option<std::path::PathBuf>,
) -> anyhow::Result<AppServer> {
    let name = entry
        .strip_prefix(root)
        .unwrap_or(entry)
        .display()
        .to_string();
    let server = AppServer::start(AppServerOptions {
        node,
        entry: name,
        root: root.to_path_buf(),
        port: 0,
        env: vec![("NODE_ENV".into(), "development".into())],
    })?;
    Ok(server)
}

/// Runs the bridge until the engine's side closes (then the process is stopped, and what it
/// printed on its way out is shown). Every `RSS_EVERY` (and once it answers) the process' pid
/// and resident set go to `telemetry` (`EngineEvent::ServerProcess`: the dashboard and
/// `--no-tui -v` show them). `stopped` is set while the process stays stopped because it kept
/// exiting (the proxy's 503 says so: `ServerConfig::app_server_stopped`).
pub fn bridge(
    mut server: AppServer,
    outputs: Receiver<ServerOutput>,
    clients: Sender<ClientEvent>,
    control: Sender<Control>,
    telemetry: Sender<EngineEvent>,
    stopped: Arc<AtomicBool>,
) {
    let events = server.events().clone();
    let sample = crossbeam_channel::tick(RSS_EVERY);
    let report_rss = |server: &AppServer| {
        if let Some(pid) = server.pid()
            && let Some(rss_bytes) = engine::rss_bytes_of(pid)
        {
            // Never block on a slow reader (the engine's own events are sent likewise).
            let _ = telemetry.try_send(EngineEvent::ServerProcess { pid, rss_bytes });
        }
    };
    // Whether the running process has been sent a chunk (a `Start` then means a restart).
    let mut started = false;
    // It kept exiting: the next code the engine sends starts it again.
    let mut waiting = false;
    let mut crashes: Vec<Instant> = Vec::new();
    loop {
        select! {
            recv(outputs) -> output => match output {
                Ok(ServerOutput::Start { chunk, hello, .. }) => {
                    waiting = false;
                    stopped.store(false, Ordering::Relaxed);
                    if started && let Err(e) = server.restart() {
                        tracing::error!("could not restart the app's server: {e}");
                        continue;
                    }
                    started = true;
                    if let Err(e) = server.send_chunk(&chunk).and_then(|()| server.send_frame(&hello)) {
                        tracing::error!("could not start the app's server: {e}");
                    }
                }
                Ok(ServerOutput::Update { .. }) if waiting => {
                    // New code for a process that kept exiting: start it on the current chunk.
                    waiting = false;
                    stopped.store(false, Ordering::Relaxed);
                    crashes.clear();
                    match server.restart() {
                        Ok(()) => {
                            started = false;
                            let _ = control.send(Control::ServerRestarted);
                        }
                        Err(e) => tracing::error!("could not restart the app's server: {e}"),
                    }
                }
                Ok(ServerOutput::Update { frame, .. }) => {
                    if let Err(e) = server.send_frame(&frame) {
                        tracing::warn!("the app's server missed an update: {e}");
                    }
                }
                Err(_) => break,
            },
            recv(events) -> event => match event {
                Ok(AppServerEvent::Ready { port, eval, start }) => {
                    tracing::info!(
                        "server: the app's server answers on 127.0.0.1:{port} (chunk evaluated \
                         in {:.0} ms, then {:.0} ms for its async imports)",
                        eval.as_secs_f64() * 1000.0,
                        start.as_secs_f64() * 1000.0
                    );
                    report_rss(&server);
                }
                Ok(AppServerEvent::Frame(bytes)) => match decode_client(&bytes) {
                    Ok(message) => {
                        let _ = clients.send(ClientEvent::Message {
                            client_id: ClientId::SERVER_PROCESS,
                            message,
                        });
                    }
                    Err(e) => tracing::debug!("server: unreadable frame from the app's server: {e}"),
                },
                Ok(AppServerEvent::Failure { id, context, request, message, stack }) => {
                    let id_for_overlay = id.clone();
                    let place = match (id, context) {
                        (Some(id), Some(context)) => format!("{id} ({context})"),
                        (Some(id), None) => id,
                        (None, Some(context)) => context,
                        (None, None) => "the app's server".into(),
                    };
                    tracing::error!("server: {place}: {message}\n{stack}");
                    let _ = control.send(Control::ServerFailed {
                        module: id_for_overlay,
                        request,
                        message,
                        stack,
                    });
                }
                Ok(AppServerEvent::Recovered { request }) => {
                    tracing::debug!("server: {request} answered again without failing");
                    let _ = control.send(Control::ServerRecovered { request });
                }
                Ok(AppServerEvent::Output { stream, line }) => show_output(stream, &line),
                Ok(AppServerEvent::Exited { status, last_words }) => {
                    let now = Instant::now();
                    crashes.retain(|t| now.duration_since(*t) < CRASH_WINDOW);
                    crashes.push(now);
                    // Its last words are on the terminal already, as Node wrote them.
                    let restarted = if crashes.len() > CRASHES_BEFORE_WAITING {
                        tracing::error!(
                            "the app's server exited ({status}), {} times in {} s: it keeps \
                             exiting, and starts again with the next edit",
                            crashes.len(),
                            CRASH_WINDOW.as_secs()
                        );
                        waiting = true;
                        stopped.store(true, Ordering::Relaxed);
                        false
                    } else {
                        match server.restart() {
                            Ok(()) => {
                                started = false;
                                let pid = server.pid().map_or("?".into(), |p| p.to_string());
                                tracing::error!(
                                    "the app's server exited ({status}); restarted (pid {pid})"
                                );
                                true
                            }
                            Err(e) => {
                                tracing::error!(
                                    "the app's server exited ({status}); could not restart it: {e}"
                                );
                                false
                            }
                        }
                    };
                    let crash = Crash::from_last_words(&last_words);
                    let message = match crash.message {
                        Some(said) => format!("the app's server exited ({status}): {said}"),
                        None => format!("the app's server exited ({status})"),
                    };
                    let _ = control.send(Control::ServerExited {
                        message,
                        stack: crash.stack,
                        restarted,
                    });
                }
                Err(_) => break,
            },
            recv(sample) -> _ => report_rss(&server),
        }
    }
    // What its SIGTERM and `exit` handlers print is the app's too.
    server.shutdown();
    for event in server.events().try_iter() {
        if let AppServerEvent::Output { stream, line } = event {
            show_output(stream, &line);
        }
    }
}

/// One line of the app's output, to `tracing` under its stream's target (see the module docs).
fn show_output(stream: OutputStream, line: &str) {
    match stream {
        OutputStream::Stdout => tracing::info!(target: APP_STDOUT, "{line}"),
        OutputStream::Stderr => tracing::warn!(target: APP_STDERR, "{line}"),
    }
}

/// What the overlay shows of an exit, read from its last words (see [`Crash::from_last_words`]).
#[derive(Debug, PartialEq, Eq)]
struct Crash {
    /// The error's first line (`Error: boom`), when the last words hold a stack.
    message: Option<String>,
    /// The error's stack (its frames name the `.ts` lines: the overlay's code frame comes
    /// from the first in the project), else the last words themselves.
    stack: String,
}

impl Crash {
    /// Node reports an uncaught exception as the place that threw (`file:line`, that source
    /// line and a caret), a blank line, the error's stack (its first line, then `    at ...`
    /// frames), and `Node.js vX`. The stack is what the overlay needs; last words without one
    /// (`process.exit(3)` after a `console.error`) are shown as they are.
    fn from_last_words(last_words: &str) -> Crash {
        let lines: Vec<&str> = last_words.lines().collect();
        let is_frame = |line: &str| line.trim_start().starts_with("at ");
        let first = lines.windows(2).position(|pair| {
            !pair[0].trim().is_empty() && !pair[0].starts_with(' ') && is_frame(pair[1])
        });
        match first {
            Some(first) => {
                let frames = lines[first + 1..]
                    .iter()
                    .take_while(|l| is_frame(l))
                    .count();
                Crash {
                    message: Some(lines[first].to_owned()),
                    stack: lines[first..=first + frames].join("\n"),
                }
            }
            None => Crash {
                message: None,
                stack: last_words.trim().to_owned(),
            },
        }
    }
}

/// `--no-tui`'s text log: the app's lines written to hotloop's stdout or stderr unchanged
/// (ANSI colours and all), every other record left to the other layers.
pub struct RawOutput;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RawOutput {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let target = event.metadata().target();
        if target != APP_STDOUT && target != APP_STDERR {
            return;
        }
        let mut line = Message(String::new());
        event.record(&mut line);
        line.0.push('\n');
        // One write per line, under the stream's lock: lines never interleave mid-way.
        let _ = if target == APP_STDOUT {
            std::io::stdout().lock().write_all(line.0.as_bytes())
        } else {
            std::io::stderr().lock().write_all(line.0.as_bytes())
        };
    }
}

/// A record's `message`, as written.
struct Message(String);

impl tracing::field::Visit for Message {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            use std::fmt::Write as _;
            let _ = write!(self.0, "{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Crash;

    #[test]
    fn a_crash_is_read_from_node_s_report_of_it() {
        let report = "/app/src/server.ts:22\n      \
             setTimeout(() => { throw new Error('uncaught async crash'); }, 10);\n      \
             ^\n\n\
             Error: uncaught async crash\n    \
             at Timeout._onTimeout (/app/src/server.ts:22:32)\n    \
             at listOnTimeout (node:internal/timers:573:17)\n\n\
             Node.js v20.20.2";
        assert_eq!(
            Crash::from_last_words(report),
            Crash {
                message: Some("Error: uncaught async crash".into()),
                stack: "Error: uncaught async crash\n    \
                        at Timeout._onTimeout (/app/src/server.ts:22:32)\n    \
                        at listOnTimeout (node:internal/timers:573:17)"
                    .into(),
            }
        );
        assert_eq!(
            Crash::from_last_words("closing the database\n"),
            Crash {
                message: None,
                stack: "closing the database".into(),
            }
        );
        assert_eq!(Crash::from_last_words("").message, None);
    }
}
