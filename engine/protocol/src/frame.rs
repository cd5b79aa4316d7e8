//! What the engine hands the WebSocket sessions through its `tokio::sync::broadcast`: one
//! encoded server message and the tabs it is for. The engine chooses the tabs and encodes what
//! each gets; a session only picks the bytes for its own client ([`Frame::bytes_for`]), so the
//! server never decides what a tab needs.
//!
//! Most frames are for every tab. An update of modules that only lazy chunks hold goes to the
//! tabs that loaded one of those chunks ([`Frame::only`]); every other tab gets `others`
//! instead: an `Errors` message that adds and clears nothing at the update's revision, which
//! moves the tab's revision without code (so the revision check of its next `Hello`, after a
//! reconnect, still holds) and applies nothing. A tab that loads such a chunk later gets the
//! then-current code from the chunk itself.

use std::sync::Arc;

use crate::client::ClientId;
use crate::wire::{self, ServerMessage};

/// One broadcast message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The encoded message for the tabs it is for.
    pub bytes: Arc<[u8]>,
    /// `None`: every tab.
    pub only: Option<Only>,
}

/// The tabs a [`Frame`] is for, and what the others get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Only {
    pub clients: Arc<[ClientId]>,
    /// What every other tab gets instead (see the module docs); empty: nothing.
    pub others: Arc<[u8]>,
}

impl Frame {
    /// A frame for every tab.
    pub fn everyone(bytes: impl Into<Arc<[u8]>>) -> Frame {
        Frame {
            bytes: bytes.into(),
            only: None,
        }
    }

    /// The message of `revision` (`bytes`) for `clients` only; the others hear that the
    /// revision moved.
    pub fn only(bytes: impl Into<Arc<[u8]>>, revision: u32, clients: Arc<[ClientId]>) -> Frame {
        let others = wire::encode(&ServerMessage::Errors {
            revision,
            added: Vec::new(),
            cleared: Vec::new(),
        });
        Frame {
            bytes: bytes.into(),
            only: Some(Only {
                clients,
                others: others.into(),
            }),
        }
    }

    /// A message for `clients` alone that moves no revision (`ChunkSynced`): the other tabs
    /// get nothing.
    pub fn to(bytes: impl Into<Arc<[u8]>>, clients: Arc<[ClientId]>) -> Frame {
        Frame {
            bytes: bytes.into(),
            only: Some(Only {
                clients,
                others: Arc::from([]),
            }),
        }
    }

    /// Whether the frame is for `client` (or every tab).
    pub fn is_for(&self, client: ClientId) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.clients.contains(&client))
    }

    /// What the session of `client` sends; empty: nothing (see [`Frame::to`]).
    pub fn bytes_for(&self, client: ClientId) -> &Arc<[u8]> {
        match &self.only {
            Some(only) if !only.clients.contains(&client) => &only.others,
            _ => &self.bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::decode_server;

    #[test]
    fn a_frame_for_some_tabs_tells_the_others_only_that_the_revision_moved() {
        let update = wire::encode(&ServerMessage::Custom {
            event: "e".into(),
            data: "1".into(),
        });
        let frame = Frame::only(update.clone(), 7, Arc::from([ClientId(2)]));
        assert!(frame.is_for(ClientId(2)));
        assert!(!frame.is_for(ClientId(3)));
        assert_eq!(&frame.bytes_for(ClientId(2))[..], &update[..]);
        assert_eq!(
            decode_server(frame.bytes_for(ClientId(3))).expect("decodes"),
            ServerMessage::Errors {
                revision: 7,
                added: Vec::new(),
                cleared: Vec::new(),
            }
        );
        let everyone = Frame::everyone(update.clone());
        assert!(everyone.is_for(ClientId(3)));
        assert_eq!(&everyone.bytes_for(ClientId(3))[..], &update[..]);
    }
}
