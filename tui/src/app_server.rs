//! `--server FILE`: runs the app's server process (`hotloop-app-server`) for the engine's
//! server graph. One thread joins the two sides: what the engine sends
//! (`engine::ServerOutput`: a chunk to start with, update frames) goes to the process; what
//! the process says comes back as log lines (its stdout/stderr, its failures), as client
//! events of `ClientId::SERVER_PROCESS` (its acks, so the pages hear `hotloop:server-update`)
//! and, when it exits unasked, as a restart plus `Control::ServerRestarted` (the engine sends
//! the current chunk again).

use std::path::Path;
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

/// Runs the bridge until the engine's side closes (then the process is stopped). Every
/// `RSS_EVERY` (and once it answers) the process' pid and resident set go to `telemetry`
/// (`EngineEvent::ServerProcess`: the dashboard and `--no-tui -v` show them).
pub fn bridge(
    mut server: AppServer,
    outputs: Receiver<ServerOutput>,
    clients: Sender<ClientEvent>,
    control: Sender<Control>,
    telemetry: Sender<EngineEvent>,
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
                Ok(AppServerEvent::Failure { id, context, message, stack }) => {
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
                        message,
                        stack,
                    });
                }
                Ok(AppServerEvent::Output { stream, line }) => match stream {
                    OutputStream::Stdout => tracing::info!(target: "server", "{line}"),
                    OutputStream::Stderr => tracing::warn!(target: "server", "{line}"),
                },
                Ok(AppServerEvent::Exited { status, last_words }) => {
                    let now = Instant::now();
                    crashes.retain(|t| now.duration_since(*t) < CRASH_WINDOW);
                    crashes.push(now);
                    tracing::error!(
                        "the app's server exited ({status}); its last words:\n{last_words}"
                    );
                    if crashes.len() > CRASHES_BEFORE_WAITING {
                        tracing::error!(
                            "the app's server keeps exiting: it starts again with the next edit"
                        );
                        waiting = true;
                        continue;
                    }
                    match server.restart() {
                        Ok(()) => {
                            started = false;
                            let _ = control.send(Control::ServerRestarted);
                        }
                        Err(e) => tracing::error!("could not restart the app's server: {e}"),
                    }
                }
                Err(_) => break,
            },
            recv(sample) -> _ => report_rss(&server),
        }
    }
}
