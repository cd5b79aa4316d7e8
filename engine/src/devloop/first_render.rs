//! The cold build behind the first render of the last session's page.
//!
//! While the page the last session left is served (`last_page.rs`), the cold build has nothing
//! to give a page that loads it: it only confirms that page (or names another revision, and
//! the hello check reloads it). Run at once, it took the cores the browser needed to compile
//! and run that page: on the 2-core benchmark machine, the plain 10k-module app's page took
//! about 520 ms from its HTML to `DOMContentLoaded` with the engine idle and about 650 ms with
//! the build beside it (lowering the build threads' priority to nice 19 did not give that
//! back). So the engine thread first waits, here, for a page to render ([`wait_for_first_render`]):
//! the server reads a page's frames while its hello waits for the build, so the page's
//! `Rendered` arrives now (`engine/server/src/ws.rs`).
//!
//! The wait ends at the first of: a page's `Rendered`; a page's request for a lazy chunk or
//! for another page of a multi-page app (both need the build), or any request that waits for
//! the build's snapshot (`ClientEvent::BuildAwaited`: the chunk, a map, a module the served
//! page lacks; a client that never renders, such as a script, is not kept waiting); any watcher event or command (an edit is built at once; neither is taken
//! from its channel); no page asked for or connected for [`FirstRenderWait::no_page`] (no tab
//! is open: nothing to make room for); [`FirstRenderWait::at_most`] in any case (a page that
//! never renders). The client events taken meanwhile go to the dev
//! loop in order ([`DevLoop::replay`](super::DevLoop::replay)), so it knows the pages and their
//! render as if it had read them itself.

use std::time::{Duration, Instant};

use crossbeam_channel::{Select, TryRecvError};
use rustc_hash::FxHashSet;

use super::EngineChannels;
use hotloop_protocol::ClientEvent;
use hotloop_protocol::wire::ClientMessage;

/// How long the cold build waits for the last session's page to render.
#[derive(Clone, Copy, Debug)]
pub struct FirstRenderWait {
    /// With no page asked for or connected for this long (since the start, or since the last
    /// one left), the build starts. A page is on its way from its request on
    /// (`ClientEvent::PageRequested`: its WebSocket opens only once its entries ran); a tab
    /// left open across the restart retries every 1–2 s (its runtime's backoff; at once when
    /// it is shown again), is told at once to reload (`engine/server/src/ws.rs`: its connect
    /// and close count, its frames do not) and asks for the page again.
    pub no_page: Duration,
    /// The build starts by then whatever the pages do.
    pub at_most: Duration,
}

impl Default for FirstRenderWait {
    fn default() -> Self {
        FirstRenderWait {
            no_page: Duration::from_millis(1500),
            at_most: Duration::from_millis(6000),
        }
    }
}

/// What the wait saw.
#[derive(Debug, Default)]
pub struct FirstRender {
    /// The client events taken, in order, for [`DevLoop::replay`](super::DevLoop::replay).
    pub events: Vec<ClientEvent>,
    /// How long after the wait began a page said it rendered; `None` when the wait ended
    /// otherwise.
    pub rendered_after: Option<Duration>,
    /// How long the wait took.
    pub waited: Duration,
}

/// Waits as the module docs say.
pub fn wait_for_first_render(channels: &EngineChannels, wait: FirstRenderWait) -> FirstRender {
    let start = Instant::now();
    let mut taken = Vec::new();
    let mut rendered_after = None;
    let mut pages = FxHashSet::default();
    // A page was asked for: it will connect once its entries ran.
    let mut requested = false;
    // Since when no page is connected.
    let mut no_page_since = start;
    loop {
        let at_most = start + wait.at_most;
        let deadline = if pages.is_empty() && !requested {
            at_most.min(no_page_since + wait.no_page)
        } else {
            at_most
        };
        let mut select = Select::new();
        let clients = select.recv(&channels.clients);
        select.recv(&channels.watcher);
        select.recv(&channels.control);
        match select.ready_deadline(deadline) {
            Ok(ready) if ready == clients => {}
            // A change or a command (or a closed channel): the build runs now.
            Ok(_) | Err(_) => break,
        }
        let event = match channels.clients.try_recv() {
            Ok(event) => event,
            Err(TryRecvError::Empty) => continue,
            Err(TryRecvError::Disconnected) => break,
        };
        let done = match &event {
            ClientEvent::PageRequested => {
                requested = true;
                false
            }
            ClientEvent::Connected { client_id, .. } => {
                pages.insert(*client_id);
                requested = false;
                false
            }
            ClientEvent::Disconnected { client_id } => {
                if pages.remove(client_id) && pages.is_empty() {
                    no_page_since = Instant::now();
                }
                false
            }
            ClientEvent::Message {
                message: ClientMessage::Rendered,
                ..
            } => {
                rendered_after = Some(start.elapsed());
                true
            }
            // A page asked for what needs the build; a request waits for it.
            ClientEvent::LazyChunkRequested { .. }
            | ClientEvent::PageOpened { .. }
            | ClientEvent::WorkerRequested { .. }
            | ClientEvent::BuildAwaited => true,
            ClientEvent::Message { .. } => false,
        };
        taken.push(event);
        if done {
            break;
        }
    }
    tracing::debug!(
        "the cold build waited {:.0?} for the last session's page ({} client events)",
        start.elapsed(),
        taken.len()
    );
    FirstRender {
        events: taken,
        rendered_after,
        waited: start.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watcher::WatchEvent;
    use crossbeam_channel::unbounded;
    use hotloop_protocol::ClientId;

    const NEVER: Duration = Duration::from_secs(3600);

    /// The engine's channels and their senders (dropped, a channel is closed: the wait ends).
    struct Open {
        watcher: crossbeam_channel::Sender<WatchEvent>,
        clients: crossbeam_channel::Sender<ClientEvent>,
        _control: crossbeam_channel::Sender<crate::devloop::Control>,
    }

    fn channels() -> (EngineChannels, Open) {
        let (watcher_tx, watcher) = unbounded();
        let (clients_tx, clients) = unbounded();
        let (control_tx, control) = unbounded();
        let channels = EngineChannels {
            watcher,
            clients,
            control,
        };
        let open = Open {
            watcher: watcher_tx,
            clients: clients_tx,
            _control: control_tx,
        };
        (channels, open)
    }

    fn connected(id: u64) -> ClientEvent {
        ClientEvent::Connected {
            client_id: ClientId(id),
            user_agent: None,
        }
    }

    fn message(id: u64, message: ClientMessage) -> ClientEvent {
        ClientEvent::Message {
            client_id: ClientId(id),
            message,
        }
    }

    #[test]
    fn a_pages_render_ends_the_wait_and_what_came_before_it_is_handed_on_in_order() {
        let (channels, open) = channels();
        let clients = &open.clients;
        let invalidate = message(
            1,
            ClientMessage::Invalidate {
                id: "/src/a.js".into(),
                message: None,
            },
        );
        let after = ClientEvent::Disconnected {
            client_id: ClientId(1),
        };
        for event in [
            connected(1),
            connected(2),
            invalidate.clone(),
            message(2, ClientMessage::Rendered),
            after.clone(),
        ] {
            clients.send(event).unwrap();
        }
        let wait = FirstRenderWait {
            no_page: NEVER,
            at_most: NEVER,
        };
        let seen = wait_for_first_render(&channels, wait);
        assert!(seen.rendered_after.is_some());
        assert_eq!(
            seen.events,
            vec![
                connected(1),
                connected(2),
                invalidate,
                message(2, ClientMessage::Rendered)
            ]
        );
        // What came after the render is the dev loop's to read.
        assert_eq!(channels.clients.try_recv(), Ok(after));
    }

    #[test]
    fn a_change_ends_the_wait_and_stays_in_its_channel() {
        let (channels, open) = channels();
        let (watcher, clients) = (&open.watcher, &open.clients);
        clients.send(connected(1)).unwrap();
        watcher
            .send(WatchEvent::Error {
                message: "a change".into(),
            })
            .unwrap();
        let wait = FirstRenderWait {
            no_page: NEVER,
            at_most: NEVER,
        };
        let seen = wait_for_first_render(&channels, wait);
        assert!(seen.events.len() <= 1, "{seen:?}");
        assert_eq!(seen.rendered_after, None);
        assert!(matches!(
            channels.watcher.try_recv(),
            Ok(WatchEvent::Error { .. })
        ));
    }

    #[test]
    fn a_closed_channel_ends_the_wait() {
        let (channels, open) = channels();
        open.clients.send(connected(1)).unwrap();
        drop(open);
        let wait = FirstRenderWait {
            no_page: NEVER,
            at_most: NEVER,
        };
        assert!(wait_for_first_render(&channels, wait).events.len() <= 1);
    }

    #[test]
    fn a_lazy_chunk_another_page_or_the_build_asked_for_or_every_page_gone_for_a_while_ends_the_wait()
     {
        let (channels, open) = channels();
        let clients = &open.clients;
        let wait = FirstRenderWait {
            no_page: NEVER,
            at_most: NEVER,
        };
        let request = ClientEvent::LazyChunkRequested {
            id: "/src/route.js".into(),
        };
        clients.send(connected(1)).unwrap();
        clients.send(request.clone()).unwrap();
        let seen = wait_for_first_render(&channels, wait);
        assert_eq!(seen.events, vec![connected(1), request]);
        assert_eq!(seen.rendered_after, None);
        let page = ClientEvent::PageOpened {
            id: "/about.html".into(),
        };
        clients.send(page.clone()).unwrap();
        assert_eq!(wait_for_first_render(&channels, wait).events, vec![page]);
        // So does any request that waits for the build (a script fetching the chunk).
        clients.send(ClientEvent::BuildAwaited).unwrap();
        assert_eq!(
            wait_for_first_render(&channels, wait).events,
            vec![ClientEvent::BuildAwaited]
        );

        // A page that leaves (a reload) may come back: the wait goes on for `no_page` more.
        let gone = ClientEvent::Disconnected {
            client_id: ClientId(1),
        };
        clients.send(connected(1)).unwrap();
        clients.send(gone.clone()).unwrap();
        clients.send(connected(2)).unwrap();
        clients.send(message(2, ClientMessage::Rendered)).unwrap();
        let seen = wait_for_first_render(&channels, wait);
        assert_eq!(seen.events.len(), 4, "{seen:?}");
        assert!(seen.rendered_after.is_some());
        // One that does not come back: the wait ends `no_page` after it left.
        let short = FirstRenderWait {
            no_page: Duration::from_millis(20),
            at_most: NEVER,
        };
        clients.send(connected(3)).unwrap();
        clients
            .send(ClientEvent::Disconnected {
                client_id: ClientId(3),
            })
            .unwrap();
        let seen = wait_for_first_render(&channels, short);
        assert_eq!(seen.events.len(), 2, "{seen:?}");
        assert_eq!(seen.rendered_after, None);
    }

    #[test]
    fn a_page_asked_for_is_waited_for_past_no_page() {
        let (channels, open) = channels();
        let wait = FirstRenderWait {
            no_page: Duration::from_millis(1),
            at_most: NEVER,
        };
        open.clients.send(ClientEvent::PageRequested).unwrap();
        let clients = open.clients.clone();
        // The page connects and renders later than `no_page` (from another thread, at its
        // own pace: the wait must still be on).
        let page = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            clients.send(connected(1)).unwrap();
            clients.send(message(1, ClientMessage::Rendered)).unwrap();
        });
        let seen = wait_for_first_render(&channels, wait);
        page.join().unwrap();
        assert!(seen.rendered_after.is_some(), "{seen:?}");
        assert_eq!(seen.events.len(), 3, "{seen:?}");
    }

    #[test]
    fn without_a_page_or_a_render_the_wait_ends_by_its_time_outs() {
        let (channels, open) = channels();
        let clients = &open.clients;
        let no_page = FirstRenderWait {
            no_page: Duration::from_millis(20),
            at_most: NEVER,
        };
        assert_eq!(wait_for_first_render(&channels, no_page).events, vec![]);

        clients.send(connected(1)).unwrap();
        let never_renders = FirstRenderWait {
            no_page: NEVER,
            at_most: Duration::from_millis(40),
        };
        let seen = wait_for_first_render(&channels, never_renders);
        assert_eq!(seen.events, vec![connected(1)]);
        assert_eq!(seen.rendered_after, None);
    }
}
