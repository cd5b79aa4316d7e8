//! The page of the last session: what the page's chunk was when hotloop last served this
//! project, kept in the compile cache's directory, so that a restart serves the page at once
//! while its cold build runs (the build then only confirms it).
//!
//! - **Record** (`page.bin`): the binary's salt and a key of the project's options, the entry
//!   HTML, the chunk's define statements `(module id, text)`, its start statement at revision 0
//!   with a placeholder for the server id, the texts of the stylesheets served at their own
//!   URL (a `<link rel=stylesheet>` blocks the first render), and a manifest: the length, mtime and a hash of the
//!   bytes of every file the engine had read (or that it was missing). Written when a session
//!   ends with another page than it started with, to a temporary file renamed over the last
//!   (`save`); checked on read (magic, xxh3-64 of the body).
//! - **Use** (`load`): only when the salt, the key and the HTML are the same and every file of
//!   the manifest is as it was: the same length and mtime, or, with another mtime, the same
//!   bytes (a file touched, or checked out again), or still missing. Anything that a manifest
//!   cannot see (a file created that resolution now prefers, a package's `exports` edited) is
//!   caught after the build: the host compares the built chunk with the record
//!   (`first_difference`) and publishes another revision when they differ, so a page loaded
//!   from the record reloads.
//!
//! An optimisation only, like the compile cache: any error means no record (a debug line).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use hotloop_protocol::served::{Chunk, Parts, Statement};
use xxhash_rust::xxh3::xxh3_64;

const MAGIC: &[u8; 8] = b"HLPAGE03";
const FILE: &str = "page.bin";

/// What the server id is written as in a record's start statement (a server id is hex digits).
pub(crate) const SERVER_ID_PLACEHOLDER: &str = "\u{0}hotloop-server-id\u{0}";

/// What a record is made from.
pub(crate) struct PageRecord<'a> {
    /// The binary's salt and the project options' hash: a record of another build of hotloop
    /// or other options is never used.
    pub key: u128,
    pub html: &'a str,
    pub parts: &'a Parts,
    /// The start statement and map line at revision 0, the server id as
    /// [`SERVER_ID_PLACEHOLDER`] (JSON-quoted where it stands).
    pub trailer: &'a str,
    /// The texts of the stylesheets served at their own URL (`<link rel=stylesheet>` in the
    /// page), `(module id, text)`: a linked sheet blocks the page's first render.
    pub sheets: Vec<(&'a str, &'a str)>,
}

/// Stylesheets served at their own URL, `(module id, text)`.
pub(crate) type Sheets = Vec<(Arc<str>, Arc<str>)>;

/// What a record gives back: the page's chunk, its stylesheets.
pub(crate) struct RecordedPage {
    pub chunk: Chunk,
    pub sheets: Sheets,
}

/// Writes the record of `page` into `dir`, with the state of `files` now. Returns the bytes
/// written.
pub(crate) fn save(dir: &Path, page: &PageRecord<'_>, files: &[PathBuf]) -> std::io::Result<u64> {
    let mut body = Vec::with_capacity(
        page.html.len()
            + page.trailer.len()
            + page
                .parts
                .iter()
                .map(|(id, s)| id.len() + s.len() + 8)
                .sum::<usize>()
            + files.len() * 96,
    );
    body.extend_from_slice(&page.key.to_le_bytes());
    put_str(&mut body, page.html);
    put_str(&mut body, page.trailer);
    put_u32(&mut body, page.parts.len());
    for (id, statement) in page.parts.iter() {
        put_str(&mut body, id);
        put_u32(&mut body, statement.len());
        for piece in statement.pieces() {
            body.extend_from_slice(piece.as_bytes());
        }
    }
    put_u32(&mut body, page.sheets.len());
    for (id, text) in &page.sheets {
        put_str(&mut body, id);
        put_str(&mut body, text);
    }
    let files: Vec<(&str, FileStamp)> = stamps(files);
    put_u32(&mut body, files.len());
    for (path, stamp) in files {
        put_str(&mut body, path);
        body.extend_from_slice(&stamp.to_bytes());
    }
    static WRITES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = dir.join(format!("{FILE}.{}.{n}.tmp", std::process::id()));
    let written = (|| {
        let mut out = fs::File::create(&temp)?;
        out.write_all(MAGIC)?;
        out.write_all(&xxh3_64(&body).to_le_bytes())?;
        out.write_all(&body)?;
        drop(out);
        fs::rename(&temp, dir.join(FILE))
    })();
    if written.is_err() {
        // A full disk, a read-only cache: no half-written file stays behind.
        let _ = fs::remove_file(&temp);
    }
    written.map(|()| (MAGIC.len() + 8 + body.len()) as u64)
}

/// Removes the record in `dir`, if any.
pub(crate) fn forget(dir: &Path) {
    let _ = fs::remove_file(dir.join(FILE));
}

/// Why a record was not used (for the log).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotUsed {
    /// No record, or one this binary cannot read.
    Missing,
    /// Another build of hotloop, other options or another `index.html`.
    OtherProject,
    /// This file changed since (or appeared, or went).
    Changed(PathBuf),
}

/// The chunk of the record in `dir`, its start statement naming `server_id`, when the record
/// is of this `key` and `html` and no file it lists changed.
pub(crate) fn load(
    dir: &Path,
    key: u128,
    html: &str,
    server_id: &str,
) -> Result<RecordedPage, NotUsed> {
    let bytes = fs::read(dir.join(FILE)).map_err(|_| NotUsed::Missing)?;
    let record = Record::parse(&bytes).ok_or(NotUsed::Missing)?;
    if record.key != key || record.html != html {
        return Err(NotUsed::OtherProject);
    }
    if let Some(changed) = first_changed(&record.files) {
        return Err(NotUsed::Changed(changed));
    }
    let quoted = |id: &str| serde_json::to_string(id).unwrap_or_default();
    let trailer = record
        .trailer
        .replace(&quoted(SERVER_ID_PLACEHOLDER), &quoted(server_id));
    let parts: Parts = record
        .parts
        .into_iter()
        .map(|(id, text)| (Arc::from(id), Statement::whole(text)))
        .collect();
    let sheets = record
        .sheets
        .into_iter()
        .map(|(id, text)| (Arc::from(id), Arc::from(text)))
        .collect();
    Ok(RecordedPage {
        chunk: Chunk::new(parts, trailer),
        sheets,
    })
}

/// The first module whose define statement differs between `a` and `b` (`None`: the same
/// statements in the same order; a missing one counts as differing).
pub(crate) fn first_difference(a: &Parts, b: &Parts) -> Option<Arc<str>> {
    let mut left = a.iter();
    let mut right = b.iter();
    loop {
        match (left.next(), right.next()) {
            (None, None) => return None,
            (Some((id, _)), None) | (None, Some((id, _))) => return Some(id.clone()),
            (Some((a_id, a)), Some((b_id, b))) => {
                if a_id != b_id || !same_text(a, b) {
                    return Some(a_id.clone());
                }
            }
        }
    }
}

/// `a` and `b` write the same text (however their parts are split).
fn same_text(a: &Statement, b: &Statement) -> bool {
    a.len() == b.len()
        && a.pieces()
            .iter()
            .flat_map(|p| p.bytes())
            .eq(b.pieces().iter().flat_map(|p| p.bytes()))
}

/// A record as read.
struct Record<'a> {
    key: u128,
    html: &'a str,
    trailer: &'a str,
    parts: Vec<(&'a str, &'a str)>,
    sheets: Vec<(&'a str, &'a str)>,
    files: Vec<(&'a str, FileStamp)>,
}

impl<'a> Record<'a> {
    fn parse(bytes: &'a [u8]) -> Option<Record<'a>> {
        let rest = bytes.strip_prefix(MAGIC)?;
        let (sum, body) = rest.split_first_chunk::<8>()?;
        if u64::from_le_bytes(*sum) != xxh3_64(body) {
            return None;
        }
        let mut r = Reader(body);
        let key = u128::from_le_bytes(*r.take_array::<16>()?);
        let html = r.str()?;
        let trailer = r.str()?;
        let count = r.u32()?;
        let mut parts = Vec::with_capacity(count.min(1 << 20));
        for _ in 0..count {
            parts.push((r.str()?, r.str()?));
        }
        let count = r.u32()?;
        let mut sheets = Vec::with_capacity(count.min(1 << 16));
        for _ in 0..count {
            sheets.push((r.str()?, r.str()?));
        }
        let count = r.u32()?;
        let mut files = Vec::with_capacity(count.min(1 << 20));
        for _ in 0..count {
            let path = r.str()?;
            let stamp = FileStamp::from_bytes(r.take_array::<{ FileStamp::LEN }>()?);
            files.push((path, stamp));
        }
        r.0.is_empty().then_some(Record {
            key,
            html,
            trailer,
            parts,
            sheets,
            files,
        })
    }
}

/// What a file was: its length, mtime and an xxh3-64 of its bytes, or missing
/// (`len == u64::MAX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    mtime_nanos: u128,
    hash: u64,
}

impl FileStamp {
    const LEN: usize = 32;
    const MISSING: FileStamp = FileStamp {
        len: u64::MAX,
        mtime_nanos: 0,
        hash: 0,
    };

    /// The file now, its bytes read and hashed (for a record).
    fn of(path: &Path) -> FileStamp {
        let Some(mut stamp) = FileStamp::stat(path) else {
            return FileStamp::MISSING;
        };
        match fs::read(path) {
            Ok(bytes) if bytes.len() as u64 == stamp.len => stamp.hash = xxh3_64(&bytes),
            _ => return FileStamp::MISSING,
        }
        stamp
    }

    /// Length and mtime only (`hash` 0); `None` for a missing file or not a file.
    fn stat(path: &Path) -> Option<FileStamp> {
        let meta = fs::metadata(path).ok().filter(|m| m.is_file())?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        Some(FileStamp {
            len: meta.len(),
            mtime_nanos: mtime.unwrap_or(Duration::ZERO).as_nanos(),
            hash: 0,
        })
    }

    /// The file at `path` is still what this stamp says: missing as it was, or the same
    /// length and mtime, or (touched, checked out again, stashed and popped: same length,
    /// another mtime) the same bytes.
    fn still_holds(&self, path: &Path) -> bool {
        let Some(now) = FileStamp::stat(path) else {
            return *self == FileStamp::MISSING;
        };
        if now.len != self.len {
            return false;
        }
        now.mtime_nanos == self.mtime_nanos
            || fs::read(path).is_ok_and(|bytes| xxh3_64(&bytes) == self.hash)
    }

    fn to_bytes(self) -> [u8; Self::LEN] {
        let mut out = [0; Self::LEN];
        out[..8].copy_from_slice(&self.len.to_le_bytes());
        out[8..24].copy_from_slice(&self.mtime_nanos.to_le_bytes());
        out[24..].copy_from_slice(&self.hash.to_le_bytes());
        out
    }

    fn from_bytes(bytes: &[u8; Self::LEN]) -> FileStamp {
        let (len, rest) = bytes.split_at(8);
        let (mtime, hash) = rest.split_at(16);
        FileStamp {
            len: u64::from_le_bytes(len.try_into().unwrap_or_default()),
            mtime_nanos: u128::from_le_bytes(mtime.try_into().unwrap_or_default()),
            hash: u64::from_le_bytes(hash.try_into().unwrap_or_default()),
        }
    }
}

/// The stamps of `files` now (UTF-8 paths only), made on a few threads (a read per file).
fn stamps(files: &[PathBuf]) -> Vec<(&str, FileStamp)> {
    in_parallel(files, stamp_batch)
        .into_iter()
        .flatten()
        .collect()
}

fn stamp_batch(batch: &[PathBuf]) -> Vec<(&str, FileStamp)> {
    batch
        .iter()
        .filter_map(|path| Some((path.to_str()?, FileStamp::of(path))))
        .collect()
}

/// `f` over `items` in a few contiguous batches on threads of their own (one, for few items),
/// the results in order.
fn in_parallel<'a, T: Sync, R: Send>(items: &'a [T], f: impl Fn(&'a [T]) -> R + Sync) -> Vec<R> {
    const PER_THREAD: usize = 2048;
    if items.len() <= PER_THREAD {
        return vec![f(items)];
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let per = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|batch| scope.spawn(move || f(batch)))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// The first file whose stamp is not the recorded one, looked at on a few threads (a stat is
/// a system call: 10,000 of them take ~10 ms on one).
fn first_changed(files: &[(&str, FileStamp)]) -> Option<PathBuf> {
    let changed = |batch: &[(&str, FileStamp)]| {
        batch
            .iter()
            .find(|(path, stamp)| !stamp.still_holds(Path::new(path)))
            .map(|(path, _)| PathBuf::from(path))
    };
    in_parallel(files, changed).into_iter().flatten().next()
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take_array<const N: usize>(&mut self) -> Option<&'a [u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<usize> {
        usize::try_from(u32::from_le_bytes(*self.take_array::<4>()?)).ok()
    }

    fn str(&mut self) -> Option<&'a str> {
        let len = self.u32()?;
        let (text, rest) = (self.0.get(..len)?, self.0.get(len..)?);
        self.0 = rest;
        std::str::from_utf8(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(texts: &[(&str, &str)]) -> Parts {
        texts
            .iter()
            .map(|(id, text)| (Arc::from(*id), Statement::whole(*text)))
            .collect()
    }

    #[test]
    fn a_record_reads_back_with_the_new_server_id_until_a_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("a.js");
        fs::write(&source, "export {}").unwrap();
        let missing = dir.path().join("b.js");
        let page = parts(&[("/a.js", "define(a);\n"), ("/c.js", "define(c);\n")]);
        let trailer = format!(
            "__hotloop.start([\"/a.js\"], {{\"revision\":0,\"serverId\":{}}});\n",
            serde_json::to_string(SERVER_ID_PLACEHOLDER).unwrap()
        );
        let record = PageRecord {
            key: 7,
            html: "<html>",
            parts: &page,
            trailer: &trailer,
            sheets: vec![("/a.css", "p { color: red }")],
        };
        save(dir.path(), &record, &[source.clone(), missing.clone()]).unwrap();

        let RecordedPage { chunk, sheets } = load(dir.path(), 7, "<html>", "abc").unwrap();
        assert_eq!(first_difference(&chunk.parts, &page), None);
        assert_eq!(
            sheets,
            [(Arc::from("/a.css"), Arc::from("p { color: red }"))]
        );
        assert_eq!(
            chunk.trailer,
            "__hotloop.start([\"/a.js\"], {\"revision\":0,\"serverId\":\"abc\"});\n"
        );
        assert_eq!(
            load(dir.path(), 8, "<html>", "abc").err(),
            Some(NotUsed::OtherProject)
        );
        assert_eq!(
            load(dir.path(), 7, "<html >", "abc").err(),
            Some(NotUsed::OtherProject)
        );

        fs::write(&missing, "").unwrap();
        assert_eq!(
            load(dir.path(), 7, "<html>", "abc").err(),
            Some(NotUsed::Changed(missing.clone()))
        );
        fs::remove_file(&missing).unwrap();
        assert!(load(dir.path(), 7, "<html>", "abc").is_ok());

        // Touched, or checked out again: another mtime, the same bytes.
        let later = std::time::SystemTime::now() + Duration::from_secs(60);
        fs::write(&source, "export {}").unwrap();
        fs::File::options()
            .write(true)
            .open(&source)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert!(load(dir.path(), 7, "<html>", "abc").is_ok());
        // The same length, other bytes.
        fs::write(&source, "export []").unwrap();
        assert_eq!(
            load(dir.path(), 7, "<html>", "abc").err(),
            Some(NotUsed::Changed(source.clone()))
        );
        fs::write(&source, "export {};").unwrap();
        assert_eq!(
            load(dir.path(), 7, "<html>", "abc").err(),
            Some(NotUsed::Changed(source))
        );
    }

    #[test]
    fn a_damaged_record_is_no_record() {
        let dir = tempfile::tempdir().unwrap();
        let page = parts(&[("/a.js", "define(a);\n")]);
        let record = PageRecord {
            key: 1,
            html: "",
            parts: &page,
            trailer: "",
            sheets: Vec::new(),
        };
        save(dir.path(), &record, &[]).unwrap();
        let path = dir.path().join(FILE);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, &bytes).unwrap();
        assert_eq!(load(dir.path(), 1, "", "x").err(), Some(NotUsed::Missing));
        fs::write(&path, &bytes[..20]).unwrap();
        assert_eq!(load(dir.path(), 1, "", "x").err(), Some(NotUsed::Missing));
    }

    #[test]
    fn statements_compare_by_their_text_and_order() {
        let a = parts(&[("/a.js", "define(a);\n"), ("/b.js", "define(b);\n")]);
        let split: Parts = [
            (
                Arc::from("/a.js"),
                Statement::new("define(", Arc::from("a"), ");\n".into()),
            ),
            (Arc::from("/b.js"), Statement::whole("define(b);\n")),
        ]
        .into_iter()
        .collect();
        assert_eq!(first_difference(&a, &split), None);
        let edited = parts(&[("/a.js", "define(a);\n"), ("/b.js", "define(B);\n")]);
        assert_eq!(first_difference(&a, &edited).as_deref(), Some("/b.js"));
        let shorter = parts(&[("/a.js", "define(a);\n")]);
        assert_eq!(first_difference(&a, &shorter).as_deref(), Some("/b.js"));
        let swapped = parts(&[("/b.js", "define(b);\n"), ("/a.js", "define(a);\n")]);
        assert_eq!(first_difference(&a, &swapped).as_deref(), Some("/a.js"));
    }
}
