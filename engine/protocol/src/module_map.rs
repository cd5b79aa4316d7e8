//! A module's source map as the engine and the server hold it: its JSON, or a handle on the
//! compile cache's entry the module's code came from. A map is read only when a browser's
//! devtools ask for it, which most sessions never do for most modules, and the maps of a
//! start from the compile cache were 3.7 MB of the server's heap at 10k modules; a stored one
//! is read from disk when asked for. The reading is the engine's ([`MapStore`], a trait
//! object): this crate still does no IO of its own.

use std::fmt;
use std::sync::Arc;

/// Reads the source map stored under a key (the engine's compile cache).
pub trait MapStore: Send + Sync {
    /// The map's JSON; `None` when the entry is gone or damaged (the module is then served
    /// without a map, as one that never had one).
    fn read_map(&self, key: u128) -> Option<Arc<str>>;
}

/// Where a module's source map is.
#[derive(Clone)]
pub enum ModuleMap {
    /// Its JSON, in memory.
    Text(Arc<str>),
    /// In the compile cache's entry `key`, read on demand.
    Stored(Arc<StoredMap>),
}

/// A map kept on disk: the entry's key and the store that reads it.
pub struct StoredMap {
    pub key: u128,
    pub store: Arc<dyn MapStore>,
}

impl ModuleMap {
    /// The map's JSON, read from the store when it is there.
    pub fn text(&self) -> Option<Arc<str>> {
        match self {
            ModuleMap::Text(text) => Some(text.clone()),
            ModuleMap::Stored(stored) => stored.store.read_map(stored.key),
        }
    }

    /// The bytes of it held in memory (0 for a stored one).
    pub fn held_bytes(&self) -> usize {
        match self {
            ModuleMap::Text(text) => text.len(),
            ModuleMap::Stored(_) => 0,
        }
    }
}

impl From<Arc<str>> for ModuleMap {
    fn from(text: Arc<str>) -> ModuleMap {
        ModuleMap::Text(text)
    }
}

impl From<String> for ModuleMap {
    fn from(text: String) -> ModuleMap {
        ModuleMap::Text(text.into())
    }
}

impl From<&str> for ModuleMap {
    fn from(text: &str) -> ModuleMap {
        ModuleMap::Text(text.into())
    }
}

/// Two maps are equal when they are the same text or the same stored entry (an entry's key
/// is a hash of everything its output depends on).
impl PartialEq for ModuleMap {
    fn eq(&self, other: &ModuleMap) -> bool {
        match (self, other) {
            (ModuleMap::Text(a), ModuleMap::Text(b)) => a == b,
            (ModuleMap::Stored(a), ModuleMap::Stored(b)) => a.key == b.key,
            _ => false,
        }
    }
}

impl Eq for ModuleMap {}

impl fmt::Debug for ModuleMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleMap::Text(text) => f.debug_tuple("Text").field(text).finish(),
            ModuleMap::Stored(stored) => write!(f, "Stored({:032x})", stored.key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct OneEntry;

    impl MapStore for OneEntry {
        fn read_map(&self, key: u128) -> Option<Arc<str>> {
            (key == 7).then(|| Arc::from("{\"version\":3}"))
        }
    }

    fn stored(key: u128) -> ModuleMap {
        ModuleMap::Stored(Arc::new(StoredMap {
            key,
            store: Arc::new(OneEntry),
        }))
    }

    #[test]
    fn a_stored_map_is_read_when_asked_for_and_holds_nothing() {
        assert_eq!(stored(7).text().as_deref(), Some("{\"version\":3}"));
        assert_eq!(stored(8).text(), None);
        assert_eq!(stored(7).held_bytes(), 0);
        assert_eq!(ModuleMap::from("{}").held_bytes(), 2);
    }

    #[test]
    fn maps_are_equal_by_text_or_by_entry() {
        assert_eq!(stored(7), stored(7));
        assert_ne!(stored(7), stored(8));
        assert_eq!(ModuleMap::from("{}"), ModuleMap::from(String::from("{}")));
        assert_ne!(ModuleMap::from("{\"version\":3}"), stored(7));
    }
}
