//! WebSocket sessions, one per browser tab.
//!
//! On upgrade a session subscribes to the broadcast of encoded frames *first*, then reads the
//! current snapshot at once and sends `Hello` built from it, so no update published after the
//! snapshot can be missed, and none queued behind the hello is already in it (subscribed during
//! the cold build, the hello names the build's own revision, `Served::first_revision`; the page
//! reloads only when the hello is ahead of it, and skips the queued updates it already has). A
//! page that says which revision it loaded (`?rev=`, on its first connection) and is behind
//! the snapshot hears a hello at its own revision and then the frames it missed, from the
//! snapshot's `recent` frames (an edit saved while it reloaded for the last one: without them
//! it would reload again). Then it forwards every broadcast frame as one binary message (the bytes the engine
//! chose for this tab: `hotloop_protocol::frame`) and decodes the
//! client's frames into `ClientEvent::Message`s (already while its hello waits for the cold
//! build: a page of the last session says it rendered before the build runs). A session that falls behind the broadcast
//! (`Lagged`) sends the snapshot's `resync` frame (the engine's `FullReload { ClientOutOfSync }`) and closes. A malformed frame, a text frame
//! or an oversized message closes only that socket, with a close code:
//!
//! | code | why |
//! |---|---|
//! | 1001 | server shutting down, or the engine stopped publishing |
//! | 1002 | WebSocket protocol error from the client |
//! | 1003 | text frame (the protocol is binary) |
//! | 1007 | frame that does not decode (`ProtocolError` in the reason) |
//! | 1008 | a frame could not be delivered within `SEND_TIMEOUT` (client stopped reading; its buffers are full, so it usually sees the connection end instead) |
//! | 1009 | message larger than `max_client_message` |
//! | 4000 | the client fell behind the updates and must reload |

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::{AppState, ClientEvent, ClientId, security};
use hotloop_protocol::Frame;
use hotloop_protocol::wire::{self as protocol, PROTOCOL_VERSION, ServerMessage};

/// A client that cannot take one frame within this long is disconnected.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a close frame may take: after a timed-out send the socket's buffers are full and
/// it never goes out, so the connection is just dropped.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

pub mod close_code {
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const UNSUPPORTED_DATA: u16 = 1003;
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const OUT_OF_SYNC: u16 = 4000;
}

/// `GET /_hotloop/ws` (`?server=<id>`: the server that served the page, see [`session`]).
pub(crate) async fn upgrade(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(why) = security::check_ws_origin(&state.hosts, &headers) {
        return security::forbidden(why);
    }
    // Subscribe, then read the snapshot for Hello at once: nothing published after the
    // snapshot is missed (the engine publishes a revision's snapshot before it broadcasts its
    // frame), and a frame queued behind the hello is one the snapshot predates. Read later (once
    // the socket is up), the snapshot could already hold an update whose frame waits in the
    // queue: its hello would name a revision the page has not reached yet, and the page would
    // reload although the update was on its way.
    let updates = state.updates.subscribe();
    let at_subscribe = state.served();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let client_id = state.next_client_id();
    let max = state.max_client_message;
    let page_server = query_param(&uri, "server");
    let page_revision = query_param(&uri, "rev").and_then(|rev| rev.parse().ok());
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| {
            let client = Client {
                id: client_id,
                user_agent,
                page_server,
                page_revision,
            };
            session(state, socket, updates, at_subscribe, client)
        })
}

/// A parameter of the WebSocket's URL (`http::query_param`), percent-decoded.
fn query_param(uri: &axum::http::Uri, name: &str) -> Option<String> {
    let value = crate::http::query_param(uri.query(), name)?;
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .ok()
        .map(|v| v.into_owned())
}

/// Who is on the other end of a session.
struct Client {
    id: ClientId,
    user_agent: Option<String>,
    /// The server that served its page, when the page said (its runtime's `?server=`).
    page_server: Option<String>,
    /// The revision its page loaded, when the page asks to catch up from there (its runtime's
    /// `?rev=`, on its first connection).
    page_revision: Option<u32>,
}

/// Reports `Disconnected` however the session ends.
struct Registration {
    events: crossbeam_channel::Sender<ClientEvent>,
    client_id: ClientId,
}

impl Drop for Registration {
    fn drop(&mut self) {
        report(
            &self.events,
            ClientEvent::Disconnected {
                client_id: self.client_id,
            },
        );
    }
}

/// The channel should be unbounded; a full or closed one drops the event (never blocks a task).
fn report(events: &crossbeam_channel::Sender<ClientEvent>, event: ClientEvent) {
    if let Err(e) = events.try_send(event) {
        tracing::debug!("client event dropped: {e}");
    }
}

async fn send(socket: &mut WebSocket, message: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await,
        Ok(Ok(()))
    )
}

/// Sends a close frame (best effort; the reason is cut to the 123 bytes a frame allows).
async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = CloseFrame {
        code,
        reason: reason[..end].into(),
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

/// Close code and reason for a read error. axum hides tungstenite's error type, so a size
/// limit is recognised by tungstenite's message ("Space limit exceeded: Message too long").
fn read_error_close(error: &axum::Error) -> (u16, &'static str) {
    let text = error.to_string();
    if text.contains("Space limit exceeded") || text.contains("too long") {
        (close_code::TOO_BIG, "hotloop: message too big")
    } else {
        (
            close_code::PROTOCOL_ERROR,
            "hotloop: WebSocket protocol error",
        )
    }
}

async fn session(
    state: Arc<AppState>,
    mut socket: WebSocket,
    mut updates: broadcast::Receiver<Frame>,
    at_subscribe: Arc<hotloop_protocol::served::Served>,
    client: Client,
) {
    let Client {
        id: client_id,
        user_agent,
        page_server,
        page_revision,
    } = client;
    let events = state.client_events.clone();
    report(
        &events,
        ClientEvent::Connected {
            client_id,
            user_agent,
        },
    );
    let _registration = Registration {
        events: events.clone(),
        client_id,
    };
    // A tab of another server (left open across a restart) reconnecting while the cold build
    // runs, when the last session's page is served meanwhile: its hello names this server at
    // once, so it reloads now, into that page, instead of after the build. None of its frames
    // reach the engine (its runtime says `Rendered` on every connect), whose first build waits
    // for a page of this session to render (`devloop/first_render.rs`); its connect and close
    // do: a page is on its way. Without such a page (`page_ready` is then the build's) it
    // waits for the build as below, showing what it has rather than a page that cannot render.
    if at_subscribe.building
        && page_server
            .as_deref()
            .is_some_and(|id| id != &*at_subscribe.server_id)
        && state.page_ready().await.last_session
    {
        let hello = hello(&at_subscribe.server_id, 0);
        if send(&mut socket, Message::Binary(hello.into())).await {
            close(
                &mut socket,
                close_code::GOING_AWAY,
                "hotloop restarted: reload",
            )
            .await;
        }
        return;
    }
    // A tab left open from an earlier run reconnects while this one builds (with no page of
    // the last session, or a runtime that does not name its server): it hears the new server
    // id (and reloads) once there is a page to reload into. Subscribed while the build
    // ran, the session has every frame after the build's own snapshot queued: its hello names
    // that revision (a page that loaded the last session's record must reload only when the
    // build made another page), not whichever is current by the time this task runs, whose
    // frames may wait in the queue.
    let (served, revision) = if at_subscribe.building {
        // Not kept for the session's length: that snapshot may be the last session's page,
        // a copy of every module's code, which the build's page replaces.
        drop(at_subscribe);
        // The page's frames are read meanwhile: the engine waits for a page's `Rendered`
        // before it builds while the last session's page is served (its `DevLoop`'s
        // `wait_for_first_render`), and the page says it before it hears the hello.
        let built = state.built();
        tokio::pin!(built);
        let built = loop {
            tokio::select! {
                built = &mut built => break built,
                incoming = socket.recv() => {
                    if let Err((code, reason)) = take_incoming(&events, client_id, incoming) {
                        if let Some(code) = code {
                            close(&mut socket, code, &reason).await;
                        }
                        return;
                    }
                }
            }
        };
        let first = built.first_revision;
        (built, first)
    } else {
        let revision = at_subscribe.revision;
        (at_subscribe, revision)
    };
    // A page that loaded an older revision's chunk (an edit saved while it reloaded) catches
    // up: its hello names its own revision, and the frames since follow, as they would have
    // had it connected sooner. Without them kept, the hello names the current revision and
    // the page reloads.
    let catch_up = page_revision
        .filter(|_| page_server.as_deref() == Some(&*served.server_id))
        .and_then(|from| Some((from, served.recent.after(from, revision)?)));
    let (revision, mut replayed): (u32, Vec<Arc<[u8]>>) = match catch_up {
        Some((from, frames)) => (
            from,
            frames
                .iter()
                .map(|(_, frame)| frame.bytes_for(client_id).clone())
                .filter(|bytes| !bytes.is_empty())
                .collect(),
        ),
        None => (revision, Vec::new()),
    };
    let hello = hello(&served.server_id, revision);
    // A page loaded while the project has errors shows them at once, not at the next edit.
    let errors = (!served.errors.is_empty()).then(|| {
        protocol::encode(&ServerMessage::Errors {
            revision: served.revision,
            added: served.errors.to_vec(),
            cleared: Vec::new(),
        })
    });
    drop(served);
    if !send(&mut socket, Message::Binary(hello.into())).await {
        return;
    }
    if !replayed.is_empty() {
        tracing::debug!(
            "{client_id}: sending the {} update(s) its page missed",
            replayed.len()
        );
    }
    for bytes in &replayed {
        if !send(
            &mut socket,
            Message::Binary(Bytes::from_owner(bytes.clone())),
        )
        .await
        {
            return;
        }
    }
    if let Some(errors) = errors
        && !send(&mut socket, Message::Binary(errors.into())).await
    {
        return;
    }
    tracing::debug!("{client_id} connected");
    let mut shutdown = state.shutdown.clone();
    if *shutdown.borrow_and_update() {
        close(
            &mut socket,
            close_code::GOING_AWAY,
            "hotloop server stopped",
        )
        .await;
        return;
    }
    loop {
        tokio::select! {
            update = updates.recv() => match update {
                Ok(frame) => {
                    // The engine chose what this tab gets (`Frame::only`).
                    let bytes = frame.bytes_for(client_id).clone();
                    if bytes.is_empty() {
                        continue;
                    }
                    // A frame broadcast after the subscription that its catch-up already sent
                    // (those come first; past them the catch-up's frames are let go).
                    if !replayed.is_empty() {
                        if replayed.iter().any(|r| Arc::ptr_eq(r, &bytes)) {
                            continue;
                        }
                        replayed = Vec::new();
                    }
                    if !send(&mut socket, Message::Binary(Bytes::from_owner(bytes))).await {
                        tracing::debug!("{client_id}: send failed or timed out");
                        close(&mut socket, close_code::POLICY, "hotloop: client too slow").await;
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::info!("{client_id} missed {missed} updates; asking it to reload");
                    // The engine's reload for this revision (the server never picks a reason).
                    let resync = state.served().resync.clone();
                    if resync.is_empty()
                        || send(&mut socket, Message::Binary(Bytes::from_owner(resync))).await
                    {
                        close(&mut socket, close_code::OUT_OF_SYNC, "hotloop: missed updates").await;
                    }
                    return;
                }
                Err(RecvError::Closed) => {
                    close(&mut socket, close_code::GOING_AWAY, "hotloop engine stopped").await;
                    return;
                }
            },
            incoming = socket.recv() => {
                if let Err((code, reason)) = take_incoming(&events, client_id, incoming) {
                    if let Some(code) = code {
                        close(&mut socket, code, &reason).await;
                    }
                    return;
                }
            }
            _ = shutdown.changed() => {
                close(&mut socket, close_code::GOING_AWAY, "hotloop server stopped").await;
                return;
            }
        }
    }
}

/// The `Hello` frame naming `server_id` at `revision`.
fn hello(server_id: &str, revision: u32) -> Vec<u8> {
    protocol::encode(&ServerMessage::Hello {
        protocol: PROTOCOL_VERSION,
        server_id: server_id.to_string(),
        revision,
    })
}

/// How the session ends after a client frame: with a close frame of this code and reason, or
/// (`None`) just so, the socket closed by the client.
type EndSession = (Option<u16>, String);

/// Takes one frame from the client: a message goes to the engine as `ClientEvent::Message`;
/// pings and pongs are nothing; anything else ends the session (see the module's close codes).
fn take_incoming(
    events: &crossbeam_channel::Sender<ClientEvent>,
    client_id: ClientId,
    incoming: Option<Result<Message, axum::Error>>,
) -> Result<(), EndSession> {
    match incoming {
        None | Some(Ok(Message::Close(_))) => Err((None, String::new())),
        Some(Ok(Message::Binary(bytes))) => match protocol::decode_client(&bytes) {
            Ok(message) => {
                report(events, ClientEvent::Message { client_id, message });
                Ok(())
            }
            Err(e) => {
                tracing::warn!("{client_id} sent a malformed frame: {e}");
                Err((Some(close_code::INVALID_PAYLOAD), format!("hotloop: {e}")))
            }
        },
        Some(Ok(Message::Text(_))) => {
            tracing::warn!("{client_id} sent a text frame");
            Err((
                Some(close_code::UNSUPPORTED_DATA),
                "hotloop: text frames are not part of the protocol".to_owned(),
            ))
        }
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
        Some(Err(e)) => {
            tracing::debug!("{client_id}: {e}");
            let (code, reason) = read_error_close(&e);
            Err((Some(code), reason.to_owned()))
        }
    }
}
