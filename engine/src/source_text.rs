//! A source file's text as its input holds it: always the text's hash and length, and the text
//! itself only while a build needs it.
//!
//! Most of a session's queries never read a module's text again after its first compile (a
//! start from the compile cache reads none but to hash it), yet an input that held the text
//! kept every file of the project in memory for the session: 4 MB of the heap at 10,000
//! modules. A text read from a file is held from the read until its module compiled
//! (`queries::parsed` releases it then, so the next file's text reuses its memory) or, for a
//! file no module compile reads (a page's HTML, a `package.json`), until the build's snapshot
//! is published (`Files::release_texts`). After that, a query that needs it (a module
//! compiled again because its tsconfig changed, a plugin's hook, a code frame) reads the file
//! again, and a map's `sourcesContent` is read again when devtools ask ([`SourceRead`]).
//! Texts that no file holds (an inline style, a plugin's output, a test's text) are held for
//! good.
//!
//! Two texts are equal when their hashes (xxh3-128) and lengths are: the input's value is what
//! the file held when it was read, and a later read that finds other bytes is the watcher's to
//! report (until then, a query gets the bytes the file has now, as one that ran a moment later
//! would; the compile cache keeps nothing made of them under the old text's key).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hotloop_protocol::{MapSource, SourceRead};
use xxhash_rust::xxh3::xxh3_128;

/// Reads the file of an input again, as the engine reads it (`files::read_contents`): its
/// text, or `None` when it is gone or no longer text. (Given by `files`, which is above this
/// module.)
pub(crate) type ReadAgain = fn(&Arc<Path>) -> Option<SourceText>;

/// See the module docs. Cloning shares it.
#[derive(Clone)]
pub struct SourceText(Arc<Inner>);

struct Inner {
    hash: u128,
    len: usize,
    /// The file it was read from and how to read it again; `None`: a text given in memory,
    /// held for good.
    file: Option<(Arc<Path>, ReadAgain)>,
    held: Mutex<Option<Arc<str>>>,
}

impl SourceText {
    /// A text no file holds (held for as long as the value lives).
    pub fn given(text: impl Into<Arc<str>>) -> SourceText {
        let text = text.into();
        SourceText::new(None, text)
    }

    /// A text just read from `file` (the input's path; a query variant's is its real file's
    /// text): held until [`SourceText::release`].
    pub(crate) fn read(file: Arc<Path>, text: Arc<str>, read_again: ReadAgain) -> SourceText {
        SourceText::new(Some((file, read_again)), text)
    }

    fn new(file: Option<(Arc<Path>, ReadAgain)>, text: Arc<str>) -> SourceText {
        SourceText(Arc::new(Inner {
            hash: xxh3_128(text.as_bytes()),
            len: text.len(),
            file,
            held: Mutex::new(Some(text)),
        }))
    }

    /// xxh3-128 of the text.
    pub fn hash(&self) -> u128 {
        self.0.hash
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.len
    }

    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// The text: held, else read from the file again. A file that holds other bytes now (an
    /// edit the watcher has not reported yet) gives those; one that is gone or no longer
    /// text, an empty text (the watcher's report of it comes next).
    pub fn text(&self) -> Arc<str> {
        self.current().0
    }

    /// [`SourceText::text`], and whether it is the text this value names (not so when the
    /// file changed since it was read: nothing made of it may be kept under this text's hash).
    pub fn current(&self) -> (Arc<str>, bool) {
        self.0.current()
    }

    /// Drops the held text of a file's read (a given text stays). Returns whether one was held.
    pub(crate) fn release(&self) -> bool {
        self.0.file.is_some() && self.0.held().take().is_some()
    }

    /// Whether it was read from a file (and so is released after its build).
    pub(crate) fn is_read(&self) -> bool {
        self.0.file.is_some()
    }

    /// Whether the text is in memory now.
    #[cfg(test)]
    pub(crate) fn is_held(&self) -> bool {
        self.0.held().is_some()
    }

    /// The text as a source map's `sourcesContent`: a file's is read again when devtools ask.
    pub fn map_source(&self) -> MapSource {
        match &self.0.file {
            Some(_) => MapSource::Read(self.0.clone()),
            None => MapSource::Text(self.text()),
        }
    }
}

impl Inner {
    fn held(&self) -> MutexGuard<'_, Option<Arc<str>>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// See [`SourceText::current`].
    fn current(&self) -> (Arc<str>, bool) {
        if let Some(text) = self.held().as_ref() {
            return (text.clone(), true);
        }
        // (A given text is never released.)
        let Some((file, read_again)) = &self.file else {
            return (Arc::from(""), false);
        };
        match read_again(file) {
            Some(now) => {
                let same = now.0.hash == self.hash && now.0.len == self.len;
                if !same {
                    tracing::debug!(file = %file.display(), "changed on disk since its input was set: compiling what it holds now");
                }
                let text = now.0.held().clone();
                (text.unwrap_or_else(|| Arc::from("")), same)
            }
            None => {
                tracing::debug!(file = %file.display(), "no longer readable as text since its input was set");
                (Arc::from(""), false)
            }
        }
    }
}

impl SourceRead for Inner {
    /// The text only when it is still the one the map was made of.
    fn read_source(&self) -> Option<Arc<str>> {
        let (text, same) = self.current();
        same.then_some(text)
    }

    fn source_key(&self) -> u128 {
        self.hash
    }
}

impl From<&str> for SourceText {
    fn from(text: &str) -> SourceText {
        SourceText::given(text)
    }
}

impl From<String> for SourceText {
    fn from(text: String) -> SourceText {
        SourceText::given(text)
    }
}

impl From<Arc<str>> for SourceText {
    fn from(text: Arc<str>) -> SourceText {
        SourceText::given(text)
    }
}

impl PartialEq for SourceText {
    fn eq(&self, other: &SourceText) -> bool {
        self.0.hash == other.0.hash && self.0.len == other.0.len
    }
}

impl Eq for SourceText {}

impl Hash for SourceText {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash.hash(state);
        self.0.len.hash(state);
    }
}

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({} bytes)", self.0.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::read_contents;
    use crate::inputs::FileContents;

    fn file_with(text: &str) -> (tempfile::TempDir, Arc<Path>) {
        let dir = tempfile::tempdir().unwrap();
        let path: Arc<Path> = Arc::from(dir.path().join("a.js"));
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn read(path: &Arc<Path>) -> SourceText {
        match read_contents(path) {
            FileContents::Text(text) => text,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_files_text_is_held_until_released_then_read_again() {
        let (_dir, path) = file_with("let a = 1;\n");
        let text = read(&path);
        assert!(text.is_read() && text.is_held());
        assert!(text.release());
        assert!(!text.is_held() && !text.release());
        assert_eq!(&*text.text(), "let a = 1;\n");
        // A read after the release is not held again.
        assert!(!text.is_held());
        assert_eq!(text, read(&path));
        assert_eq!(text.len(), 11);
    }

    #[test]
    fn a_given_text_is_never_released() {
        let text = SourceText::given("x");
        assert!(!text.release());
        assert!(text.is_held());
        assert_eq!(text, SourceText::from("x"));
        assert_ne!(text, SourceText::from("y"));
    }

    #[test]
    fn a_changed_file_gives_its_new_text_to_queries_and_no_source_to_maps() {
        let (_dir, path) = file_with("old");
        let text = read(&path);
        let source = text.map_source();
        assert_eq!(source.text().as_deref(), Some("old"));
        text.release();
        assert_eq!(source.text().as_deref(), Some("old"), "read again");
        assert_eq!(text.current(), (Arc::from("old"), true));
        std::fs::write(&path, "new").unwrap();
        assert_eq!(text.current(), (Arc::from("new"), false));
        assert_eq!(source.text(), None, "not the text the map was made of");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(&*text.text(), "");
        assert_eq!(SourceText::given("g").map_source(), MapSource::from("g"));
    }
}
