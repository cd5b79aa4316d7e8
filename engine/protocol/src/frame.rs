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
//!
//! The engine keeps the frames of its last revisions ([`RecentFrames`], in each snapshot): a
//! page that loaded an older revision's chunk and connects after newer ones went out (an edit
//! saved while it reloaded for the last one) is sent those frames after its hello instead of
//! being told it missed them and must reload again.

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

/// The frames that moved the revision, oldest first, one per revision without a gap, within
/// [`RecentFrames::MAX_FRAMES`] and [`RecentFrames::MAX_BYTES`]: what a page behind by a few
/// revisions is sent to catch up ([`RecentFrames::after`]). An O(n) copy per push, n ≤ 32.
#[derive(Clone, Debug, Default)]
pub struct RecentFrames {
    frames: Arc<[(u32, Frame)]>,
}

impl RecentFrames {
    /// Revisions kept: a page further behind reloads.
    pub const MAX_FRAMES: usize = 32;
    /// Bytes kept (of each frame's `bytes`): a revision that changed much is not held for long.
    pub const MAX_BYTES: usize = 4 << 20;

    /// These frames and `frame` of `revision` after them; the oldest go first past the limits,
    /// all of them when `revision` does not follow the newest kept (the window has no gap).
    pub fn with(&self, revision: u32, frame: Frame) -> RecentFrames {
        let follows = self
            .frames
            .last()
            .is_none_or(|(last, _)| last.checked_add(1) == Some(revision));
        let mut frames: Vec<(u32, Frame)> = if follows {
            self.frames.to_vec()
        } else {
            Vec::new()
        };
        frames.push((revision, frame));
        let mut bytes: usize = frames.iter().map(|(_, f)| f.bytes.len()).sum();
        let mut drop = frames.len().saturating_sub(Self::MAX_FRAMES);
        for (_, f) in &frames[..drop] {
            bytes -= f.bytes.len();
        }
        while drop < frames.len() && bytes > Self::MAX_BYTES {
            bytes -= frames[drop].1.bytes.len();
            drop += 1;
        }
        RecentFrames {
            frames: frames.split_off(drop).into(),
        }
    }

    /// The frames of every revision after `revision` up to `current`, in order; `None` when
    /// the window does not reach back to `revision + 1` (or forward to `current`).
    pub fn after(&self, revision: u32, current: u32) -> Option<&[(u32, Frame)]> {
        if revision >= current {
            return Some(&[]);
        }
        let start = self.frames.iter().position(|(r, _)| *r == revision + 1)?;
        let end = self.frames.iter().position(|(r, _)| *r == current)?;
        Some(&self.frames[start..=end])
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
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

    fn frame(n: usize) -> Frame {
        Frame::everyone(vec![0u8; n])
    }

    #[test]
    fn recent_frames_give_every_revision_after_the_pages_or_none() {
        let mut recent = RecentFrames::default();
        for revision in 3..=6 {
            recent = recent.with(revision, frame(revision as usize));
        }
        let revisions = |frames: Option<&[(u32, Frame)]>| {
            frames.map(|f| f.iter().map(|(r, _)| *r).collect::<Vec<_>>())
        };
        assert_eq!(revisions(recent.after(3, 6)), Some(vec![4, 5, 6]));
        assert_eq!(revisions(recent.after(2, 5)), Some(vec![3, 4, 5]));
        assert_eq!(revisions(recent.after(6, 6)), Some(vec![]));
        assert_eq!(
            revisions(recent.after(1, 6)),
            None,
            "revision 2 is not kept"
        );
        assert_eq!(
            revisions(recent.after(3, 7)),
            None,
            "revision 7 is not kept"
        );
        // A revision that does not follow the newest (a new session's numbering) starts over.
        let restarted = recent.with(1, frame(1));
        assert_eq!(revisions(restarted.after(0, 1)), Some(vec![1]));
        assert_eq!(restarted.len(), 1);
    }

    #[test]
    fn recent_frames_keep_the_newest_within_their_limits() {
        let mut recent = RecentFrames::default();
        for revision in 1..=40 {
            recent = recent.with(revision, frame(10));
        }
        assert_eq!(recent.len(), RecentFrames::MAX_FRAMES);
        assert!(recent.after(8, 40).is_some());
        assert!(recent.after(7, 40).is_none());
        let half = RecentFrames::MAX_BYTES / 2 + 1;
        recent = recent.with(41, frame(half)).with(42, frame(half));
        assert_eq!(recent.len(), 1, "two halves and more exceed the bytes kept");
        assert!(recent.after(41, 42).is_some());
        // One frame larger than the limit is not kept at all: its page reloads.
        recent = recent.with(43, frame(RecentFrames::MAX_BYTES + 1));
        assert!(recent.is_empty());
        assert!(recent.after(42, 43).is_none());
    }
}
