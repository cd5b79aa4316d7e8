//! The dev loop's server half (server-side HMR): after each page update, the server graph's
//! update (`server_update::prepare_server`) goes to the app's server process through the
//! binary ([`ServerOutput`]); the process' acks come back as client events of
//! [`ClientId::SERVER_PROCESS`], and once one arrives every page hears
//! `hotloop:server-update` (what a page uses to refetch its data).
//!
//! The process' failures (a request handler's error, a crash) are shown in every page's overlay
//! until an update applies cleanly or the process starts on new code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::host::ServerBuild;
use crate::server_update::{ServerAction, prepare_server};
use crate::telemetry::{EngineEvent, ServerGraphStats, ServerUpdateReport, UpdateOutcome};
use hotloop_protocol::Diagnostic;
use hotloop_protocol::wire::{self as protocol, PROTOCOL_VERSION, ServerMessage};

use super::DevLoop;

/// What the engine thread tells the app's server process (the binary runs it).
#[derive(Clone, Debug)]
pub enum ServerOutput {
    /// Start the process (again) with this chunk, then send it `hello` (an encoded frame).
    Start {
        revision: u32,
        chunk: Arc<str>,
        hello: Arc<[u8]>,
    },
    /// Apply this update frame in place.
    Update { revision: u32, frame: Arc<[u8]> },
}

/// The server half's state in the dev loop.
#[derive(Default)]
pub(super) struct AppServerState {
    /// The last server build (none before the first).
    build: Option<ServerBuild>,
    /// The last revision sent to the process.
    revision: u32,
    /// Revisions sent and not acked yet, with the modules each updated and when their batch's
    /// first watcher event came (for save → applied).
    pending: Vec<(u32, Vec<String>, Option<Instant>)>,
    /// The process reported a failure or exited (the host holds it, shown in every page's
    /// overlay), until an update applies cleanly or the process starts on new code.
    failed: bool,
    /// The failure shown is a request handler's, for this request (`GET /api/todos`): it
    /// also goes once that request is answered.
    pub(super) failed_request: Option<String>,
}

impl DevLoop {
    /// The server graph's update after a page update: send it to the process, or start the
    /// process afresh (first build, or what the planner calls a full reload).
    /// `started`: when the batch's first watcher event came (none at start).
    pub(super) fn update_server(
        &mut self,
        files: &[String],
        config_changed: Option<&str>,
        started: Option<Instant>,
    ) {
        let Some(output) = self.publishers.server.clone() else {
            return;
        };
        let prepare_start = Instant::now();
        let previous = self.app_server.build.take();
        let Some(update) = prepare_server(
            &mut self.host,
            previous.as_ref(),
            files,
            config_changed,
            self.app_server.revision,
        ) else {
            return;
        };
        let prepare = prepare_start.elapsed();
        if previous.is_none() {
            tracing::info!(
                "server: graph of {} modules built in {:.0} ms",
                update.build.graph().len(),
                prepare.as_secs_f64() * 1000.0
            );
        }
        if previous.is_none() || update.build.graph_changed {
            self.telemetry(EngineEvent::ServerGraph(server_graph_stats(&update.build)));
        }
        let report = |revision| {
            EngineEvent::ServerUpdate(Box::new(ServerUpdateReport {
                revision,
                files: files.to_vec(),
                outcome: update.outcome.clone(),
                prepare,
            }))
        };
        match update.action {
            ServerAction::Nothing => {}
            ServerAction::Hot(revision, frame) => {
                self.app_server.revision = revision;
                if let UpdateOutcome::Hot { modules, .. } = &update.outcome {
                    self.app_server
                        .pending
                        .push((revision, modules.clone(), started));
                }
                let _ = output.send(ServerOutput::Update { revision, frame });
                self.telemetry(report(revision));
            }
            ServerAction::Restart(revision) => {
                self.app_server.revision = revision;
                if previous.is_some() {
                    self.telemetry(report(revision));
                }
                self.app_server.build = Some(update.build);
                self.start_server_process(true);
                return;
            }
        }
        match &update.outcome {
            UpdateOutcome::Hot {
                modules,
                boundaries,
                ..
            } => tracing::debug!(
                "server: hot update r{}: {} → {}",
                self.app_server.revision,
                modules.join(" "),
                boundaries.join(" ")
            ),
            UpdateOutcome::FullReload { reason } => {
                tracing::debug!("server: restart r{}: {reason}", self.app_server.revision)
            }
            _ => {}
        }
        self.app_server.build = Some(update.build);
    }

    /// Starts the process on the current server chunk, forgetting what it last failed: at
    /// start, when the planner restarts it, and when the binary started it again on new code
    /// after it kept exiting. `in_update`: called while an update is being prepared (which
    /// then sends the errors and publishes).
    pub(super) fn start_server_process(&mut self, in_update: bool) {
        let Some(output) = self.publishers.server.clone() else {
            return;
        };
        self.clear_server_failure(!in_update);
        self.send_server_start(&output);
    }

    /// Sends the current chunk (made again) to the process that just started; a failure
    /// shown stays.
    fn send_server_start(&mut self, output: &crossbeam_channel::Sender<ServerOutput>) {
        let revision = self.app_server.revision;
        let chunk_start = Instant::now();
        let Some(chunk) = self.host.server_chunk(revision, &self.server_id) else {
            return;
        };
        tracing::info!(
            "server: chunk r{revision} ({:.1} MB with its source map) made in {:.0} ms",
            chunk.len() as f64 / 1e6,
            chunk_start.elapsed().as_secs_f64() * 1000.0
        );
        let hello: Arc<[u8]> = protocol::encode(&ServerMessage::Hello {
            protocol: PROTOCOL_VERSION,
            server_id: self.server_id.to_string(),
            revision,
        })
        .into();
        self.app_server.pending.clear();
        let _ = output.send(ServerOutput::Start {
            revision,
            chunk: chunk.into(),
            hello,
        });
    }

    /// The process applied `revision`: every page hears `hotloop:server-update` with the
    /// server modules it changed.
    pub(super) fn on_server_applied(&mut self, revision: u32, ok: bool, apply_ms: f64) {
        let Some(at) = self
            .app_server
            .pending
            .iter()
            .position(|(r, ..)| *r == revision)
        else {
            return;
        };
        let (_, modules, started) = self.app_server.pending.remove(at);
        self.app_server.pending.retain(|(r, ..)| *r > revision);
        self.telemetry(EngineEvent::ServerApplied {
            revision,
            ok,
            apply: Duration::from_secs_f64(apply_ms.max(0.0) / 1000.0),
            end_to_end: started.map(|t| t.elapsed()),
        });
        if !ok {
            return;
        }
        self.clear_server_failure(true);
        let mut data = String::from("{\"revision\":");
        data.push_str(&revision.to_string());
        data.push_str(",\"modules\":[");
        for (i, module) in modules.iter().enumerate() {
            if i > 0 {
                data.push(',');
            }
            crate::js_literal::push_json_string(&mut data, module);
        }
        data.push_str("]}");
        let frame = protocol::encode(&ServerMessage::Custom {
            event: "hotloop:server-update".into(),
            data,
        });
        let _ = self
            .publishers
            .updates
            .send(hotloop_protocol::Frame::everyone(frame));
        tracing::debug!("server: applied r{revision} in {apply_ms:.1} ms");
    }

    /// The server graph's diagnostics and the process' last failure merged into the page's
    /// (what the overlay shows).
    pub(super) fn with_server_diagnostics(&self, page: &Arc<[Diagnostic]>) -> Arc<[Diagnostic]> {
        self.host.all_diagnostics(page)
    }

    /// The process exited unasked (the binary restarted it, unless it kept exiting): every
    /// page shows why, and a restarted process gets the current chunk. The error stays across
    /// that restart (it is what the restart is about) until an update applies cleanly.
    pub(super) fn on_server_exited(&mut self, message: String, stack: String, restarted: bool) {
        // Shown first: a page that sees the new process answer sees the crash too.
        self.on_server_failed(None, message, stack);
        if restarted && let Some(output) = self.publishers.server.clone() {
            self.send_server_start(&output);
        }
    }

    /// The process reported that a module (or a request handler) threw (`message` says so):
    /// every page shows it (the process keeps serving its last good code).
    pub(super) fn on_server_failed(
        &mut self,
        module: Option<String>,
        message: String,
        stack: String,
    ) {
        self.app_server.failed = true;
        // A handler's failure names its request after this (`Control::ServerFailed`).
        self.app_server.failed_request = None;
        let diagnostic = self
            .host
            .server_failure_diagnostic(module, &message, &stack);
        self.host.set_server_failure(Some(diagnostic));
        let errors = self.with_server_diagnostics(&self.host.diagnostics());
        self.send_errors(&errors);
        // Pages that load meanwhile show it too.
        self.publish();
    }

    /// The process answered `request` again without failing: its failure, if it is the one
    /// shown, goes (a different request's answer says nothing of it).
    pub(super) fn on_server_recovered(&mut self, request: &str) {
        if self.app_server.failed_request.as_deref() == Some(request) {
            tracing::debug!("server: {request} answered again: its failure cleared");
            self.clear_server_failure(true);
        }
    }

    /// Forgets the process' failure. `tell_pages`: send the errors and publish now (else the
    /// update being prepared does both, in its order).
    fn clear_server_failure(&mut self, tell_pages: bool) {
        self.app_server.failed_request = None;
        if std::mem::take(&mut self.app_server.failed) {
            self.host.set_server_failure(None);
            if tell_pages {
                let errors = self.with_server_diagnostics(&self.host.diagnostics());
                self.send_errors(&errors);
                self.publish();
            }
        }
    }
}

/// The server graph's counts for the dashboard and the log.
fn server_graph_stats(build: &ServerBuild) -> ServerGraphStats {
    let graph = build.graph();
    ServerGraphStats {
        entry: build
            .entry_id()
            .map(|id| id.to_string())
            .unwrap_or_default(),
        modules: graph.len(),
        externals: build.externals(),
    }
}
