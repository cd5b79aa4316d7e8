//! Where the compile cache's entries live on disk: a few append-only **segment** files per
//! project directory, not one file per module. Creating ten thousand small files on a first
//! start cost more than compiling them (ext4's inode allocation, measured with `perf` on the
//! 10k-module benchmark fixture); appending them to one file costs a `write` each.
//!
//! - **Segment** `<dir>/<pid>-<nanos>.pack`: `SEGMENT_MAGIC`, then records
//!   `[key: u128 LE][len: u32 LE][entry: len bytes]`. The entry is `cache::encode`'s output,
//!   which carries its own magic and checksum, so a damaged entry is found when it is read.
//! - **Opening** scans every segment's record headers (one buffered pass, payloads skipped)
//!   into an index `key → (segment, offset, len)`; a torn tail (a process killed mid-append)
//!   ends the scan of that segment. Reads are `pread`s on the segments' open files, from any
//!   thread.
//! - **Writing**: one session appends to one segment of its own, created at its first write;
//!   only its writer thread appends, so records never interleave.
//! - **Compaction**, after the cold build: when more than a quarter of the stored bytes are
//!   entries this session did not use, or there are more than `MAX_SEGMENTS` segments, the used
//!   entries are copied into one new segment (temp file + rename), which becomes this session's
//!   segment, and the others are deleted. Another hotloop on the same project keeps reading the
//!   files it has open (an unlinked file stays readable); what it appends after that is lost,
//!   which costs a compile on the next start, never a wrong entry.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use rustc_hash::{FxHashMap, FxHashSet};

const SEGMENT_MAGIC: &[u8; 8] = b"HLPACK01";
const SEGMENT_EXT: &str = "pack";
const RECORD_HEADER: usize = 16 + 4;
/// More segments than this are merged at the next compaction even with no dead entries.
pub(super) const MAX_SEGMENTS: usize = 4;
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(3600);

/// Where one entry's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Loc {
    segment: usize,
    offset: u64,
    len: u32,
}

struct Segment {
    path: PathBuf,
    file: File,
}

/// This session's own segment, which only the writer thread appends to.
struct Own {
    segment: usize,
    len: u64,
}

/// The segments of one cache directory and the index over them.
pub(super) struct Store {
    dir: PathBuf,
    segments: RwLock<Vec<Segment>>,
    index: RwLock<FxHashMap<u128, Loc>>,
    own: Mutex<Option<Own>>,
}

impl Store {
    /// Opens every segment in `dir` and indexes its records.
    pub(super) fn open(dir: &Path) -> io::Result<Store> {
        let mut segments = Vec::new();
        let mut index = FxHashMap::default();
        let mut paths: Vec<PathBuf> = fs::read_dir(dir)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == SEGMENT_EXT))
            .collect();
        // Oldest first (names start with the writer's pid and clock; any order is correct, this
        // one lets a newer copy of a key win).
        paths.sort();
        for path in paths {
            let file = match File::open(&path) {
                Ok(file) => file,
                // Deleted by another hotloop's compaction between the listing and here.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let segment = segments.len();
            for (key, offset, len) in scan(&file)? {
                index.insert(
                    key,
                    Loc {
                        segment,
                        offset,
                        len,
                    },
                );
            }
            segments.push(Segment { path, file });
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            segments: RwLock::new(segments),
            index: RwLock::new(index),
            own: Mutex::new(None),
        })
    }

    /// The stored bytes of `key`'s entry, if any.
    pub(super) fn read(&self, key: u128) -> Option<Vec<u8>> {
        let loc = *read_lock(&self.index).get(&key)?;
        let segments = read_lock(&self.segments);
        let mut bytes = vec![0; loc.len as usize];
        segments
            .get(loc.segment)?
            .file
            .read_exact_at(&mut bytes, loc.offset)
            .ok()?;
        Some(bytes)
    }

    /// Forgets `key` (its entry was damaged); the next write stores it again.
    pub(super) fn forget(&self, key: u128) {
        write_lock(&self.index).remove(&key);
    }

    /// Appends `entry` under `key` to this session's segment (writer thread only).
    pub(super) fn append(&self, key: u128, entry: &[u8]) -> io::Result<()> {
        let len = u32::try_from(entry.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "entry over 4 GiB"))?;
        let mut own = lock(&self.own);
        let own = match &mut *own {
            Some(own) => own,
            None => own.insert(self.new_segment()?),
        };
        let mut record = Vec::with_capacity(RECORD_HEADER + entry.len());
        record.extend_from_slice(&key.to_le_bytes());
        record.extend_from_slice(&len.to_le_bytes());
        record.extend_from_slice(entry);
        read_lock(&self.segments)[own.segment]
            .file
            .write_all_at(&record, own.len)?;
        let loc = Loc {
            segment: own.segment,
            offset: own.len + RECORD_HEADER as u64,
            len,
        };
        own.len += record.len() as u64;
        write_lock(&self.index).insert(key, loc);
        Ok(())
    }

    /// Drops every entry not in `keep` when that is worth a rewrite (see the module docs), and
    /// files of older cache layouts (writer thread only).
    pub(super) fn compact(&self, keep: &FxHashSet<u128>) -> io::Result<()> {
        remove_leftovers(&self.dir)?;
        let (live, live_bytes) = {
            let index = read_lock(&self.index);
            let mut live: Vec<(u128, Loc)> = index
                .iter()
                .filter(|(key, _)| keep.contains(key))
                .map(|(&key, &loc)| (key, loc))
                .collect();
            // Sequential reads of each old segment.
            live.sort_by_key(|(_, loc)| (loc.segment, loc.offset));
            let bytes: u64 = live
                .iter()
                .map(|(_, loc)| (RECORD_HEADER + loc.len as usize) as u64)
                .sum();
            (live, bytes)
        };
        let (count, stored_bytes) = {
            let segments = read_lock(&self.segments);
            let stored = segments
                .iter()
                .map(|s| s.file.metadata().map(|m| m.len()))
                .sum::<io::Result<u64>>()?;
            (segments.len(), stored)
        };
        let dead_bytes =
            stored_bytes.saturating_sub(live_bytes + (count * SEGMENT_MAGIC.len()) as u64);
        if count <= MAX_SEGMENTS && dead_bytes * 4 <= stored_bytes {
            return Ok(());
        }

        let temp = self
            .dir
            .join(format!(".compact-{}.tmp", std::process::id()));
        let mut index = FxHashMap::default();
        {
            let mut out = io::BufWriter::new(File::create(&temp)?);
            out.write_all(SEGMENT_MAGIC)?;
            let mut offset = SEGMENT_MAGIC.len() as u64;
            let segments = read_lock(&self.segments);
            let mut entry = Vec::new();
            for (key, loc) in &live {
                entry.resize(loc.len as usize, 0);
                segments[loc.segment]
                    .file
                    .read_exact_at(&mut entry, loc.offset)?;
                out.write_all(&key.to_le_bytes())?;
                out.write_all(&loc.len.to_le_bytes())?;
                out.write_all(&entry)?;
                offset += RECORD_HEADER as u64;
                index.insert(
                    *key,
                    Loc {
                        segment: 0,
                        offset,
                        len: loc.len,
                    },
                );
                offset += u64::from(loc.len);
            }
            out.into_inner().map_err(io::IntoInnerError::into_error)?;
        }
        let path = self.dir.join(segment_name());
        fs::rename(&temp, &path).inspect_err(|_| {
            let _ = fs::remove_file(&temp);
        })?;
        let file = OpenOptions::new().read(true).write(true).open(&path)?;
        let len = file.metadata()?.len();

        // Swap in the new segment; a reader holding the old lock finishes on the old files.
        let mut own = lock(&self.own);
        let mut segments = write_lock(&self.segments);
        let mut stored_index = write_lock(&self.index);
        let old = std::mem::replace(&mut *segments, vec![Segment { path, file }]);
        *stored_index = index;
        *own = Some(Own { segment: 0, len });
        drop((stored_index, segments, own));
        for segment in old {
            match fs::remove_file(&segment.path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    fn new_segment(&self) -> io::Result<Own> {
        let path = self.dir.join(segment_name());
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        file.write_all(SEGMENT_MAGIC)?;
        let mut segments = write_lock(&self.segments);
        segments.push(Segment { path, file });
        Ok(Own {
            segment: segments.len() - 1,
            len: SEGMENT_MAGIC.len() as u64,
        })
    }
}

/// The records of one segment: `(key, offset of the entry, its length)`, up to the first torn
/// record. A file without the segment magic has none.
fn scan(file: &File) -> io::Result<Vec<(u128, u64, u32)>> {
    let file_len = file.metadata()?.len();
    let mut file = file;
    file.seek(io::SeekFrom::Start(0))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut magic = [0u8; SEGMENT_MAGIC.len()];
    if reader.read_exact(&mut magic).is_err() || &magic != SEGMENT_MAGIC {
        return Ok(Vec::new());
    }
    let mut records = Vec::new();
    let mut at = SEGMENT_MAGIC.len() as u64;
    let mut header = [0u8; RECORD_HEADER];
    while at + RECORD_HEADER as u64 <= file_len {
        reader.read_exact(&mut header)?;
        let (key, len) = header.split_at(16);
        let key = u128::from_le_bytes(key.try_into().expect("16 bytes"));
        let len = u32::from_le_bytes(len.try_into().expect("4 bytes"));
        let entry = at + RECORD_HEADER as u64;
        if entry + u64::from(len) > file_len {
            break;
        }
        records.push((key, entry, len));
        reader.seek_relative(i64::from(len))?;
        at = entry + u64::from(len);
    }
    Ok(records)
}

/// A fresh segment file name: this process and the clock (ordered oldest first).
fn segment_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:032x}-{}.{SEGMENT_EXT}", std::process::id())
}

/// Deletes the one-file-per-entry layout of older hotloops (32 hex digits) and temp files a
/// killed process left behind (an hour old: never one another hotloop is writing now).
fn remove_leftovers(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let legacy = name.len() == 32 && u128::from_str_radix(name, 16).is_ok();
        let stale_temp = name.starts_with('.')
            && name.ends_with(".tmp")
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_TEMP));
        if legacy || stale_temp {
            match fs::remove_file(entry.path()) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}

/// The keys stored in `dir`'s segments, with repeats (tests).
#[cfg(test)]
pub(super) fn stored_keys(dir: &Path) -> Vec<u128> {
    let store = Store::open(dir).expect("cache dir");
    let segments = read_lock(&store.segments);
    segments
        .iter()
        .flat_map(|s| scan(&s.file).expect("scan"))
        .map(|(key, _, _)| key)
        .collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
