//! A module's source map as the engine and the server hold it: its JSON, or a handle on the
//! compile cache's entry the module's code came from. A map is read only when a browser's
//! devtools ask for it, which most sessions never do for most modules, and the maps of a
//! start from the compile cache were 3.7 MB of the server's heap at 10k modules; a stored one
//! is read from disk when asked for. The reading is the engine's ([`MapStore`], a trait
//! object): this crate still does no IO of its own.
//!
//! The map's source text (its `sourcesContent`, which the engine leaves out of the map) is
//! likewise held ([`MapSource::Text`]) or read again from the module's file when asked for
//! ([`MapSource::Read`]: the engine's [`SourceRead`]).

use std::fmt;
use std::sync::Arc;

/// Reads the source map stored under a key (the engine's compile cache).
pub trait MapStore: Send + Sync {
    /// The map's JSON; `None` when the entry is gone or damaged (the module is then served
    /// without a map, as one that never had one).
    fn read_map(&self, key: u128) -> Option<Arc<str>>;
}

/// Reads the text a module was compiled from again (the engine's file read).
pub trait SourceRead: Send + Sync {
    /// The text, if the file still holds what the module was compiled from; `None` when it
    /// changed since or is gone (the map is then served without `sourcesContent`, and
    /// devtools fetch the source themselves).
    fn read_source(&self) -> Option<Arc<str>>;
    /// A hash of the text: two sources with the same key have the same text.
    fn source_key(&self) -> u128;
}

/// The text of a module's map's one source, put back as its `sourcesContent` when served.
#[derive(Clone)]
pub enum MapSource {
    /// In memory (a text no file holds: an inline script, a plugin's output).
    Text(Arc<str>),
    /// The module's file, read again when devtools ask for the map.
    Read(Arc<dyn SourceRead>),
}

impl MapSource {
    /// The text, read from the file when it is there (`None`: the file changed since).
    pub fn text(&self) -> Option<Arc<str>> {
        match self {
            MapSource::Text(text) => Some(text.clone()),
            MapSource::Read(source) => source.read_source(),
        }
    }
}

impl From<Arc<str>> for MapSource {
    fn from(text: Arc<str>) -> MapSource {
        MapSource::Text(text)
    }
}

impl From<&str> for MapSource {
    fn from(text: &str) -> MapSource {
        MapSource::Text(text.into())
    }
}

/// Equal when they are the same text, or read from sources with the same key.
impl PartialEq for MapSource {
    fn eq(&self, other: &MapSource) -> bool {
        match (self, other) {
            (MapSource::Text(a), MapSource::Text(b)) => a == b,
            (MapSource::Read(a), MapSource::Read(b)) => a.source_key() == b.source_key(),
            _ => false,
        }
    }
}

impl Eq for MapSource {}

impl fmt::Debug for MapSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapSource::Text(text) => write!(f, "Text({} bytes)", text.len()),
            MapSource::Read(source) => write!(f, "Read({:032x})", source.source_key()),
        }
    }
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

    struct OnDisk(Option<&'static str>);

    impl SourceRead for OnDisk {
        fn read_source(&self) -> Option<Arc<str>> {
            self.0.map(Arc::from)
        }
        fn source_key(&self) -> u128 {
            self.0.map_or(0, |text| text.len() as u128)
        }
    }

    #[test]
    fn a_map_source_is_held_or_read_when_asked_for() {
        assert_eq!(MapSource::from("a").text().as_deref(), Some("a"));
        let read = MapSource::Read(Arc::new(OnDisk(Some("abc"))));
        assert_eq!(read.text().as_deref(), Some("abc"));
        assert_eq!(MapSource::Read(Arc::new(OnDisk(None))).text(), None);
        assert_eq!(read, MapSource::Read(Arc::new(OnDisk(Some("xyz")))));
        assert_ne!(read, MapSource::from("abc"));
    }

    #[test]
    fn maps_are_equal_by_text_or_by_entry() {
        assert_eq!(stored(7), stored(7));
        assert_ne!(stored(7), stored(8));
        assert_eq!(ModuleMap::from("{}"), ModuleMap::from(String::from("{}")));
        assert_ne!(ModuleMap::from("{\"version\":3}"), stored(7));
    }
}
