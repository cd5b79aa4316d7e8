//! The persistent compile cache: what swc made of a script, kept on disk between runs so that a
//! restart compiles only what changed (Vite keeps its optimized dependencies in
//! `node_modules/.vite` for the same reason; here every script is covered, the app's own too).
//!
//! - **Key**: xxh3-128 of everything the output depends on: this hotloop binary (version, size
//!   and mtime of the executable, so any rebuild starts afresh), the transform options (with
//!   the facts of the file's tsconfig: JSX runtime, decorators, class fields), the module id (source map names, `jsxDEV` file names), the source kind and the full text. A hit
//!   is therefore exactly what compiling would return, which keeps `parsed_module` pure.
//! - **Entries**: records in a few append-only segment files per project (`pack.rs`: one
//!   `write` per entry, not one file per module), appended by a background thread and checked
//!   on read (magic and an xxh3-64 of the payload): a bad entry is a miss and is replaced.
//! - Only modules that compiled without diagnostics are stored.
//! - **Source maps** are read from the entry when a browser's devtools ask for one
//!   (`ModuleMap::Stored`), a hit's and a fresh compile's alike: the latter's waits in memory
//!   only until the writer has appended its entry ([`Maps`]; at 10k modules the maps of a first
//!   start were ~3.5 MB of the server's heap for the whole session).
//! - **Pruning**: after the cold build, entries that neither this build nor this session used
//!   are dropped (the segments compacted when that is worth it), so the directory holds about
//!   one project's worth of modules.
//! - **Location**: `$HOTLOOP_CACHE_DIR`, else `$XDG_CACHE_HOME/hotloop`, else
//!   `~/.cache/hotloop`; one subdirectory per project root, and in it one per hotloop binary
//!   (its salt), so that two binaries used on one project (a global and a project-local
//!   install, a build from source and a release) keep their own entries: in one directory
//!   each pruned what the other had used, and every switch compiled the project from scratch.
//!   The binaries not used for a while go: a start keeps its own and the
//!   [`KEPT_BINARIES`] last used others. Outside the project, so the watcher never sees the
//!   cache's own writes.
//!
//! Vite plugins' `load`/`transform` outputs are entries of their own in the same store
//! (`plugin_cache.rs`: keyed by the config's fingerprint and the module's text, and confirmed
//! by running the plugins again in the background after the start).
//!
//! The cache is an optimisation only: every IO error disables it for the session (with one
//! warning) and compiling goes on as without it.

use std::fs;
use std::hash::Hash as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::Sender;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use hotloop_protocol::{MapStore, ModuleMap, StoredMap};

use crate::source_text::SourceText;
use crate::transform::{
    CompiledModule, ExportNames, GlobImport, HotFacts, ImportNames, ImportRecord, SourceKind,
    TransformOptions,
};

mod pack;

const MAGIC: &[u8; 8] = b"HLCACHE1";

/// Cache hits and misses since the cache was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

/// A handle on the on-disk compile cache; [`CompileCache::disabled`] compiles every time.
#[derive(Default)]
pub struct CompileCache {
    inner: Option<Inner>,
}

struct Inner {
    dir: PathBuf,
    store: Arc<pack::Store>,
    /// Where `ModuleMap::Stored` maps are read: this session's on their way to disk, then the
    /// store.
    maps: Arc<Maps>,
    /// Hash of the binary's identity: part of every key.
    salt: u128,
    /// Keys read or written this session (kept by the prune).
    used: Mutex<FxHashSet<u128>>,
    writer: Mutex<Option<Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Set on the first IO error: the cache stops reading and writing.
    broken: Arc<AtomicBool>,
    hits: AtomicU64,
    misses: AtomicU64,
}

enum Job {
    Write(u128, Arc<CompiledModule>),
    /// An entry another module encoded (`plugin_cache.rs`).
    WriteRaw(u128, Vec<u8>),
    /// Delete every entry not in the set.
    Prune(FxHashSet<u128>),
}

impl CompileCache {
    /// No cache: every module is compiled.
    pub fn disabled() -> CompileCache {
        CompileCache::default()
    }

    /// The cache of the project at `root` in the default location (see the module docs), or
    /// `None` when there is no cache directory to use (no `HOME`) or this executable's identity
    /// cannot be read.
    pub fn for_project(root: &Path) -> Option<CompileCache> {
        CompileCache::open_for_binary(&project_dir(root)?, binary_salt()?)
    }

    /// The directory [`CompileCache::for_project`] keeps the cache of the project at `root`
    /// in (not created): what the binary keeps about the project beside the cache goes there
    /// too (the last session's answer of its `vite.config`).
    pub fn dir_for_project(root: &Path) -> Option<PathBuf> {
        Some(binary_dir(&project_dir(root)?, binary_salt()?))
    }

    /// The cache of the binary with `salt` in a project's cache directory `project`, the
    /// other binaries' directories pruned (see the module docs).
    fn open_for_binary(project: &Path, salt: u128) -> Option<CompileCache> {
        let dir = binary_dir(project, salt);
        let cache = CompileCache::open(&dir)?;
        forget_other_binaries(project, &dir);
        Some(cache)
    }

    /// A cache in `dir` (created if missing). `None` when it cannot be created or this
    /// executable's identity cannot be read (entries could then outlive the code that made
    /// them).
    pub fn open(dir: &Path) -> Option<CompileCache> {
        let salt = binary_salt()?;
        if let Err(e) = fs::create_dir_all(dir) {
            tracing::warn!(
                "compile cache disabled: cannot create {}: {e}",
                dir.display()
            );
            return None;
        }
        let store = match pack::Store::open(dir) {
            Ok(store) => Arc::new(store),
            Err(e) => {
                tracing::warn!("compile cache disabled: cannot read {}: {e}", dir.display());
                return None;
            }
        };
        let broken = Arc::new(AtomicBool::new(false));
        let maps = Arc::new(Maps {
            store: store.clone(),
            pending: Mutex::default(),
        });
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        let thread = {
            let dir = dir.to_path_buf();
            let store = store.clone();
            let maps = maps.clone();
            let broken = broken.clone();
            std::thread::Builder::new()
                .name("hotloop-cache".into())
                .spawn(move || {
                    for job in rx {
                        if broken.load(Relaxed) {
                            continue;
                        }
                        let result = match &job {
                            Job::Write(key, module) => match encode(module) {
                                Some(entry) => store.append(*key, &entry).map(|()| {
                                    maps.written(*key);
                                }),
                                None => Ok(()),
                            },
                            Job::WriteRaw(key, entry) => store.append(*key, entry),
                            Job::Prune(keep) => store.compact(keep),
                        };
                        if let Err(e) = result {
                            broken.store(true, Relaxed);
                            tracing::warn!(
                                "compile cache disabled for this session: {}: {e}",
                                dir.display()
                            );
                        }
                    }
                })
                .ok()?
        };
        Some(CompileCache {
            inner: Some(Inner {
                dir: dir.to_path_buf(),
                store,
                maps,
                salt,
                used: Mutex::default(),
                writer: Mutex::new(Some(tx)),
                thread: Mutex::new(Some(thread)),
                broken,
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        })
    }

    /// The directory entries live in (`None` when disabled).
    pub fn dir(&self) -> Option<&Path> {
        self.inner.as_ref().map(|i| i.dir.as_path())
    }

    pub fn stats(&self) -> CacheStats {
        self.inner
            .as_ref()
            .map_or_else(CacheStats::default, |i| CacheStats {
                hits: i.hits.load(Relaxed),
                misses: i.misses.load(Relaxed),
            })
    }

    /// The cached output for this input, else `compile(text)` (stored for next time when it
    /// compiled cleanly). A hit needs no text: a file's is read only on a miss.
    pub fn compile_script(
        &self,
        id: &str,
        kind: SourceKind,
        text: &SourceText,
        options: &TransformOptions,
        compile: impl FnOnce(&str) -> CompiledModule,
    ) -> CompiledModule {
        let Some(inner) = &self.inner else {
            return compile(&text.text());
        };
        if inner.broken.load(Relaxed) {
            return compile(&text.text());
        }
        let key = inner.key(id, kind, text, options);
        lock(&inner.used).insert(key);
        if let Some(module) = inner.read(key) {
            inner.hits.fetch_add(1, Relaxed);
            return module;
        }
        inner.misses.fetch_add(1, Relaxed);
        // A file read again that holds other bytes now compiles them, but not into the entry
        // of the text its input names.
        let (code, as_named) = text.current();
        let mut module = compile(&code);
        if as_named && module.code.is_some() && module.diagnostics.is_empty() {
            let entry = Arc::new(module.clone());
            match &module.map {
                // Its map waits for devtools in the entry, as a hit's does: in memory only
                // until the writer has appended it (in before the job, so that its removal
                // cannot come first).
                Some(ModuleMap::Text(map)) => {
                    inner.maps.wait(key, map.clone());
                    if inner.send(Job::Write(key, entry)) {
                        module.map = Some(inner.stored_map(key));
                    } else {
                        inner.maps.written(key);
                    }
                }
                _ => {
                    inner.send(Job::Write(key, entry));
                }
            }
        }
        module
    }

    /// A key for an entry of another kind than a compiled script (`plugin_cache.rs`): `parts`
    /// hashed with this binary's identity; `None` when the cache is disabled or broken.
    pub(crate) fn entry_key(&self, parts: &[&[u8]]) -> Option<u128> {
        let inner = self.inner.as_ref().filter(|i| !i.broken.load(Relaxed))?;
        let mut hasher = Xxh3::new();
        hasher.update(&inner.salt.to_le_bytes());
        for part in parts {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        Some(hasher.digest128())
    }

    /// The bytes stored under `key` (an [`CompileCache::entry_key`]); the entry is kept by
    /// the prune either way, as written ones are.
    pub(crate) fn read_entry(&self, key: u128) -> Option<Vec<u8>> {
        let inner = self.inner.as_ref().filter(|i| !i.broken.load(Relaxed))?;
        lock(&inner.used).insert(key);
        inner.store.read(key)
    }

    /// Stores `entry` under `key` in the background.
    pub(crate) fn write_entry(&self, key: u128, entry: Vec<u8>) {
        if let Some(inner) = self.inner.as_ref().filter(|i| !i.broken.load(Relaxed)) {
            lock(&inner.used).insert(key);
            inner.send(Job::WriteRaw(key, entry));
        }
    }

    /// Makes `key` a miss from now on (a damaged or outdated entry).
    pub(crate) fn forget_entry(&self, key: u128) {
        if let Some(inner) = &self.inner {
            inner.store.forget(key);
        }
    }

    /// Deletes, in the background, every entry this session has not used. Call once the cold
    /// build is done.
    pub fn prune_unused(&self) {
        if let Some(inner) = &self.inner {
            let keep = lock(&inner.used).clone();
            inner.send(Job::Prune(keep));
        }
    }

    /// Waits until every write and prune sent so far is on disk; later calls to
    /// `compile_script` still read the cache but no longer write to it.
    pub fn flush(&self) {
        if let Some(inner) = &self.inner {
            drop(lock(&inner.writer).take());
            if let Some(thread) = lock(&inner.thread).take() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for CompileCache {
    fn drop(&mut self) {
        self.flush();
    }
}

impl Inner {
    /// The key of a compile of `text`: its hash stands for it (a hit needs no text at all).
    fn key(
        &self,
        id: &str,
        kind: SourceKind,
        text: &SourceText,
        options: &TransformOptions,
    ) -> u128 {
        let mut hasher = Xxh3::new();
        hasher.update(&self.salt.to_le_bytes());
        hasher.update(&[kind as u8]);
        // Every option, the tsconfig's JSX and decorator settings included (a derived `Hash`:
        // stable for one binary, and the salt changes with the binary).
        options.hash(&mut hasher);
        hasher.update(&(id.len() as u64).to_le_bytes());
        hasher.update(id.as_bytes());
        hasher.update(&(text.len() as u64).to_le_bytes());
        hasher.update(&text.hash().to_le_bytes());
        hasher.digest128()
    }

    fn read(&self, key: u128) -> Option<CompiledModule> {
        let bytes = self.store.read(key)?;
        // The map stays on disk until a browser's devtools ask for it.
        let module = decode(&bytes, || self.stored_map(key));
        if module.is_none() {
            tracing::debug!("compile cache: entry {key:032x} is damaged; recompiling");
            self.store.forget(key);
        }
        module
    }

    /// The map of entry `key`, read when asked for.
    fn stored_map(&self, key: u128) -> ModuleMap {
        ModuleMap::Stored(Arc::new(StoredMap {
            key,
            store: self.maps.clone(),
        }))
    }

    /// Hands `job` to the writer; false once the writer is gone (`flush`).
    fn send(&self, job: Job) -> bool {
        lock(&self.writer)
            .as_ref()
            .is_some_and(|writer| writer.send(job).is_ok())
    }
}

/// The maps `ModuleMap::Stored` reads: a fresh compile's from memory until the writer has
/// appended its entry (`pending`), every other from the store. A map whose entry never gets
/// written (the cache broke on the way) stays in `pending`, readable, for the session.
struct Maps {
    store: Arc<pack::Store>,
    pending: Mutex<FxHashMap<u128, Arc<str>>>,
}

impl Maps {
    fn wait(&self, key: u128, map: Arc<str>) {
        lock(&self.pending).insert(key, map);
    }

    fn written(&self, key: u128) {
        lock(&self.pending).remove(&key);
    }
}

impl MapStore for Maps {
    fn read_map(&self, key: u128) -> Option<Arc<str>> {
        if let Some(map) = lock(&self.pending).get(&key) {
            return Some(map.clone());
        }
        self.store.read_map(key)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn default_base() -> Option<PathBuf> {
    let from_env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = from_env("HOTLOOP_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = from_env("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("hotloop"));
    }
    from_env("HOME").map(|home| PathBuf::from(home).join(".cache").join("hotloop"))
}

/// The cache directory of the project at `root` (each binary's directory is inside).
fn project_dir(root: &Path) -> Option<PathBuf> {
    let project = format!("{:016x}", xxh3_64(root.as_os_str().as_encoded_bytes()));
    Some(default_base()?.join(project))
}

/// How many other binaries' directories a project's cache keeps (see the module docs).
const KEPT_BINARIES: usize = 2;

/// What a binary's directory is marked with at every start: its mtime says when it was last
/// used (a session that only reads the cache writes nothing else).
const LAST_USED: &str = "last-used";

/// The directory of the binary with `salt` in a project's cache directory.
fn binary_dir(project: &Path, salt: u128) -> PathBuf {
    project.join(format!("{:016x}", salt as u64))
}

/// Marks `current` (a binary's directory in `project`) used now and removes what the project's
/// cache holds besides it and the [`KEPT_BINARIES`] last used other binaries' directories:
/// theirs, and the segments and page the cache kept in the project's directory itself before
/// it had one per binary. Errors are ignored: another hotloop may be doing the same.
fn forget_other_binaries(project: &Path, current: &Path) {
    let _ = fs::File::create(current.join(LAST_USED))
        .and_then(|file| file.set_modified(std::time::SystemTime::now()));
    let Ok(entries) = fs::read_dir(project) else {
        return;
    };
    let mut others = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path == current {
            continue;
        }
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => {
                let used = fs::metadata(path.join(LAST_USED))
                    .and_then(|meta| meta.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                others.push((used, path));
            }
            Ok(_) => {
                let _ = fs::remove_file(&path);
            }
            Err(_) => {}
        }
    }
    others.sort_by_key(|(used, _)| std::cmp::Reverse(*used));
    for (_, dir) in others.into_iter().skip(KEPT_BINARIES) {
        let _ = fs::remove_dir_all(dir);
    }
}

/// This build of hotloop: its version and the size and mtime of the running executable. Read
/// once per process (the project's cache directory, the cache itself and the last session's
/// page each ask at start-up), so a binary replaced on disk while it runs keeps its own salt.
pub(crate) fn binary_salt() -> Option<u128> {
    static SALT: std::sync::OnceLock<Option<u128>> = std::sync::OnceLock::new();
    *SALT.get_or_init(read_binary_salt)
}

fn read_binary_salt() -> Option<u128> {
    let exe = std::env::current_exe().ok()?;
    let meta = fs::metadata(&exe).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let mut hasher = Xxh3::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(&meta.len().to_le_bytes());
    hasher.update(&modified.as_nanos().to_le_bytes());
    Some(hasher.digest128())
}

/// The small structured part of an entry; code and map follow it raw.
#[derive(Serialize, Deserialize)]
struct Meta {
    imports: Vec<ImportRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    globs: Vec<GlobImport>,
    hot: HotFacts,
    #[serde(default, skip_serializing_if = "ImportNames::is_empty")]
    import_names: ImportNames,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exports: Option<ExportNames>,
}

/// `MAGIC`, xxh3-64 of the rest, then three length-prefixed parts: the `Meta` JSON, the code,
/// the map (length `u32::MAX` = no map).
fn encode(module: &CompiledModule) -> Option<Vec<u8>> {
    let meta = serde_json::to_vec(&Meta {
        imports: module.imports.clone(),
        globs: module.globs.clone(),
        hot: module.hot.clone(),
        import_names: module.import_names.clone(),
        exports: module.exports.clone(),
    })
    .ok()?;
    let code = module.code.as_deref()?.as_bytes();
    let map = module.map.as_ref().and_then(ModuleMap::text);
    let map = map.as_deref().map(str::as_bytes);
    let len = |part: &[u8]| u32::try_from(part.len()).ok().filter(|&n| n != u32::MAX);
    let mut body = Vec::with_capacity(12 + meta.len() + code.len() + map.map_or(0, <[u8]>::len));
    for part in [Some(meta.as_slice()), Some(code)] {
        let part = part?;
        body.extend_from_slice(&len(part)?.to_le_bytes());
        body.extend_from_slice(part);
    }
    match map {
        Some(map) => {
            body.extend_from_slice(&len(map)?.to_le_bytes());
            body.extend_from_slice(map);
        }
        None => body.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
    Some(framed(MAGIC, &body))
}

/// An entry as stored: `magic`, xxh3-64 of `body`, `body` (every kind of entry, so that a
/// damaged or foreign one reads as a miss).
pub(crate) fn framed(magic: &[u8; 8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&xxh3_64(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// The body of a [`framed`] entry of kind `magic`; `None` when the kind or the sum is not.
pub(crate) fn unframed<'a>(magic: &[u8; 8], bytes: &'a [u8]) -> Option<&'a [u8]> {
    let rest = bytes.strip_prefix(magic)?;
    let (sum, body) = rest.split_first_chunk::<8>()?;
    (u64::from_le_bytes(*sum) == xxh3_64(body)).then_some(body)
}

/// The three parts of a checked entry: the `Meta` JSON, the code, the map.
struct Parts<'a> {
    meta: &'a [u8],
    code: &'a str,
    map: Option<&'a str>,
}

fn parts(bytes: &[u8]) -> Option<Parts<'_>> {
    let body = unframed(MAGIC, bytes)?;
    let mut at = body;
    let mut part = |optional: bool| -> Option<Option<&[u8]>> {
        let (len, rest) = at.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len);
        if optional && len == u32::MAX {
            at = rest;
            return Some(None);
        }
        let len = usize::try_from(len).ok()?;
        let (part, rest) = (rest.get(..len)?, rest.get(len..)?);
        at = rest;
        Some(Some(part))
    };
    let meta = part(false)??;
    let code = std::str::from_utf8(part(false)??).ok()?;
    let map = match part(true)? {
        Some(map) => Some(std::str::from_utf8(map).ok()?),
        None => None,
    };
    Some(Parts { meta, code, map })
}

/// The entry's module, with `map` for its map when it has one (its text, or where to read it).
fn decode(bytes: &[u8], map: impl FnOnce() -> ModuleMap) -> Option<CompiledModule> {
    let parts = parts(bytes)?;
    let meta: Meta = serde_json::from_slice(parts.meta).ok()?;
    Some(CompiledModule {
        imports: meta.imports,
        globs: meta.globs,
        hot: meta.hot,
        import_names: meta.import_names,
        exports: meta.exports,
        code: Some(parts.code.into()),
        map: parts.map.map(|_| map()),
        diagnostics: Vec::new(),
    })
}

/// The map of the compiled script stored under `key`, for a `ModuleMap::Stored`.
impl MapStore for pack::Store {
    fn read_map(&self, key: u128) -> Option<Arc<str>> {
        let bytes = self.read(key)?;
        parts(&bytes)?.map.map(Arc::from)
    }
}

/// How many entries `dir` stores (a key stored twice counts twice); for tests.
#[cfg(test)]
pub(crate) fn stored_entries(dir: &Path) -> usize {
    pack::stored_keys(dir).len()
}

#[cfg(test)]
mod tests;
