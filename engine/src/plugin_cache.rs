//! Vite plugins' outputs kept across restarts, and confirmed after the start.
//!
//! What a plugin made of a module (a `.vue` file into JavaScript, its `<style>` block into CSS)
//! is an entry of the compile cache's store (`cache.rs`; an encoding of its own), keyed by this
//! binary, the config's fingerprint (`ProjectOptions::plugins_fingerprint`: the config and the
//! plugin packages' versions), the environment, the module id and its text; it is taken only
//! while the files the plugin watched (`this.addWatchFile`) hold what they held then. A restart
//! takes it from there (`plugin_pass::run`) instead of a round trip to Node: the cold build of a
//! Vue app no longer waits on its plugin, and the swc compile of the output is a hit of its own.
//!
//! Two things a key cannot see are settled by confirming every entry a build took from disk:
//! once a page has rendered, a thread runs the plugins on the same texts, as the last session
//! did ([`Confirmations::run`], started by the dev loop). That builds the state the plugins keep
//! between hooks (plugin-vue's `handleHotUpdate` compares an edit with the descriptor its last
//! `transform` of the file kept: without it the first edit would re-mount the component,
//! losing its state), and it catches an output that depends on what no key sees (another
//! module's `meta`, a file read without `addWatchFile`, the clock): such a module is compiled
//! again from the plugin's new answer and the page updated as for an edit
//! (`EngineHost::recompile`). A file is confirmed out of turn, with the text it had, before an
//! edit's hot update asks the plugins about it (`EngineHost::tell_plugins`) and before one of
//! its query sub-modules that missed the cache is asked (its `load` may read what the file's
//! `transform` left in the plugin). A plugin may read the file itself during that `transform`
//! (plugin-vue fills its hot-update descriptor from the file on disk), so the first edit's hot
//! update after a confirmation may compare the edit with itself: an empty answer to it ("nothing
//! changed", "handled") is not taken. The plugins are shown the confirmed text's hot update
//! first, then the edit's again (as if the file went back to the text the page runs, then
//! forward), so that they see the change the page will get (plugin-vue's `_rerender_only`, which
//! keeps the component's state); if the answer is still empty, the outputs decide
//! ([`Confirmations::primed_by_confirmation`]).
//!
//! A module whose output a confirmation found different is *volatile* from then on (under
//! this config's fingerprint): its output depends on what no key sees (a per-process id, a
//! style hash seeded anew: @analogjs/vite-plugin-angular's), so a kept one would be served at
//! every start and replaced a second later (the page reloading by itself). Its outputs are not
//! taken from the cache nor kept ([`volatile_key`]). Except an output kept from after an edit
//! of its file ([`Kept::after_edit`]): the plugins then knew the file's earlier text, and
//! plugin-vue's output after a template-only edit adds `_rerender_only`, which a fresh session's
//! lacks. Found different, it is replaced by the fresh one for the next start, neither marked
//! nor sent to the page (that update would re-mount the component and lose its state); the
//! page runs what the last session's ran for the same text.
//!
//! Virtual modules are not kept (their `load` reads the plugin's own state; they are cheap).
//! Only clean outputs are kept: an error is asked again every time.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use hotloop_protocol::plugin::{Output, PluginEnv, PluginError, Plugins};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::cache::CompileCache;
use crate::files::split_query;

const MAGIC: &[u8; 8] = b"HLPLUG02";

/// What the plugins answered for a module.
pub(crate) enum Answer {
    /// No `load` or `transform` hook answered: hotloop compiles the file's own text.
    Untouched,
    /// Their output (a `load` and the `transform`s over it, or the `transform`s alone).
    Code(Kept),
    /// A hook failed; `loaded` is what `load` gave before (the text the error's frame is in)
    /// with its map back to the file (plugin-vue's block map), `watch_files` what it asked to
    /// watch.
    Failed {
        error: PluginError,
        loaded: Option<(String, Option<String>)>,
        watch_files: Vec<PathBuf>,
    },
    /// A virtual module no `load` answered for.
    UnloadedVirtual,
}

/// A plugin output as kept: the code, its map and the files the hooks watched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Kept {
    pub code: String,
    pub map: Option<String>,
    pub watch_files: Vec<PathBuf>,
    /// A hash of the watched files' contents when the plugins answered: a kept output whose
    /// watched files changed since (a Sass partial, a source Tailwind CSS scanned) is asked
    /// again, not served and confirmed later.
    #[serde(default)]
    pub watch_digest: u64,
    /// The language the hooks said `code` is in (Rolldown's `moduleType`), when they did.
    #[serde(default)]
    pub module_type: Option<String>,
    /// Made after an edit of its file in the session that kept it: the plugins then knew the
    /// file's earlier text, and their output may say so (plugin-vue's `_rerender_only` after a
    /// template-only edit), where a fresh session's does not ([`Confirmations::confirm`]).
    #[serde(default)]
    pub after_edit: bool,
    /// A `pre` middleware's answer (`Output::from_middleware`), which is never kept.
    #[serde(skip)]
    pub from_middleware: bool,
    /// `this.warn` calls (logged when asked, not kept on disk).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Kept {
    fn digest(&self) -> u64 {
        let mut hasher = Xxh3::new();
        hasher.update(self.code.as_bytes());
        hasher.update(&[0]);
        hasher.update(self.map.as_deref().unwrap_or("\u{0}none").as_bytes());
        for file in &self.watch_files {
            hasher.update(&[0]);
            hasher.update(file.as_os_str().as_encoded_bytes());
        }
        hasher.update(&[1]);
        hasher.update(self.module_type.as_deref().unwrap_or("").as_bytes());
        hasher.digest()
    }
}

/// Runs the plugins' `load` and `transform` hooks for the module `plugin_id` (text `text`):
/// both in one round trip when a `load` hook may answer (a query sub-module, a virtual module),
/// `transform` alone otherwise. `virtual_module`: the id is no file, so only a `load` makes it.
pub(crate) fn ask(
    plugins: &dyn Plugins,
    env: PluginEnv,
    plugin_id: &str,
    virtual_module: bool,
    text: &str,
) -> Answer {
    let mut loaded: Option<Output> = None;
    let transformed = if plugins.wants_load_in(env, plugin_id) {
        let both = match plugins.load_and_transform_in(env, plugin_id, text, !virtual_module) {
            Ok(both) => both,
            Err(error) => {
                return Answer::Failed {
                    error,
                    loaded: None,
                    watch_files: Vec::new(),
                };
            }
        };
        loaded = both.loaded;
        if loaded.is_none() && virtual_module {
            return Answer::UnloadedVirtual;
        }
        match both.transformed {
            Ok(output) => output,
            Err(error) => {
                let (loaded, watch_files) = match loaded {
                    Some(output) => (Some((output.code, output.map)), output.watch_files),
                    None => (None, Vec::new()),
                };
                return Answer::Failed {
                    error,
                    loaded,
                    watch_files,
                };
            }
        }
    } else if virtual_module {
        return Answer::UnloadedVirtual;
    } else if plugins.wants_transform_in(env, plugin_id, text) {
        match plugins.transform_in(env, plugin_id, text) {
            Ok(output) => output,
            Err(error) => {
                return Answer::Failed {
                    error,
                    loaded: None,
                    watch_files: Vec::new(),
                };
            }
        }
    } else {
        None
    };
    let mut watch_files = Vec::new();
    let mut warnings = Vec::new();
    let mut load_map = None;
    let mut load_code = None;
    let mut module_type = None;
    let mut from_middleware = false;
    if let Some(output) = loaded {
        from_middleware = output.from_middleware;
        watch_files.extend(output.watch_files);
        warnings.extend(output.warnings);
        load_code = Some(output.code);
        load_map = output.map;
        module_type = output.module_type;
    }
    // A transform's map starts from what `load` gave (a sub-module's block), which the
    // transform's own sources name; the file a `load` map names is the original either way.
    let (code, map) = match transformed {
        Some(output) => {
            watch_files.extend(output.watch_files);
            warnings.extend(output.warnings);
            module_type = output.module_type.or(module_type);
            (output.code, output.map)
        }
        None => match load_code {
            Some(code) => (code, load_map),
            None => return Answer::Untouched,
        },
    };
    Answer::Code(Kept {
        code,
        map,
        watch_files,
        watch_digest: 0,
        module_type,
        after_edit: false,
        from_middleware,
        warnings,
    })
}

/// The key of `plugin_id`'s output in `env` for `text` under the config `fingerprint`; `None`
/// without a cache.
pub(crate) fn key(
    cache: &CompileCache,
    fingerprint: u64,
    env: PluginEnv,
    plugin_id: &str,
    text: &str,
) -> Option<u128> {
    cache.entry_key(&[
        MAGIC,
        &fingerprint.to_le_bytes(),
        &[env as u8],
        plugin_id.as_bytes(),
        text.as_bytes(),
    ])
}

/// The key of the mark that `plugin_id`'s outputs in `env` are volatile under `fingerprint`
/// (whatever its text); `None` without a cache.
pub(crate) fn volatile_key(
    cache: &CompileCache,
    fingerprint: u64,
    env: PluginEnv,
    plugin_id: &str,
) -> Option<u128> {
    cache.entry_key(&[
        MAGIC,
        b"volatile",
        &fingerprint.to_le_bytes(),
        &[env as u8],
        plugin_id.as_bytes(),
    ])
}

/// Whether the mark under `key` says the module's outputs are volatile.
pub(crate) fn is_volatile(cache: &CompileCache, key: u128) -> bool {
    cache.read_entry(key).is_some()
}

/// The output kept under `key`, if any (a damaged entry is forgotten).
pub(crate) fn read(cache: &CompileCache, key: u128) -> Option<Kept> {
    let bytes = cache.read_entry(key)?;
    let kept = decode(&bytes);
    if kept.is_none() {
        tracing::debug!("compile cache: plugin entry {key:032x} is damaged; asking the plugins");
        cache.forget_entry(key);
    }
    kept
}

/// Keeps `output` under `key` for the next session.
pub(crate) fn write(cache: &CompileCache, key: u128, output: &Kept) {
    if let Some(entry) = encode(output) {
        cache.write_entry(key, entry);
    }
}

/// The JSON of the output, framed as every cache entry is.
fn encode(output: &Kept) -> Option<Vec<u8>> {
    Some(crate::cache::framed(
        MAGIC,
        &serde_json::to_vec(output).ok()?,
    ))
}

fn decode(bytes: &[u8]) -> Option<Kept> {
    serde_json::from_slice(crate::cache::unframed(MAGIC, bytes)?).ok()
}

/// An output a build took from disk, not yet confirmed by the plugins.
struct Pending {
    key: u128,
    /// Where a difference marks the module volatile ([`volatile_key`]).
    volatile_key: Option<u128>,
    env: PluginEnv,
    /// The module's path (a query sub-module's with its query), as the engine knows it.
    path: PathBuf,
    plugin_id: String,
    /// The text the output was made from (the file's text when the build took it).
    text: Arc<str>,
    digest: u64,
    /// [`Kept::after_edit`], and what the build took (its watched files' digest).
    after_edit: bool,
    watch_files: Vec<PathBuf>,
    watch_digest: u64,
}

/// The outputs taken from disk this session and not confirmed yet; shared by the build (which
/// adds them), the confirming thread and an edit (which confirms its file first).
#[derive(Default)]
pub struct Confirmations {
    queue: Mutex<VecDeque<Pending>>,
    /// Paths whose outputs a confirmation found changed (their entries forgotten), for the
    /// dev loop to compile again ([`Confirmations::take_changed`]).
    changed: Mutex<Vec<PathBuf>>,
    /// Files edited this session ([`Confirmations::edited`]).
    edited: Mutex<rustc_hash::FxHashSet<PathBuf>>,
    /// Files a confirmation ran the plugins on and that no edit has reached since, with the
    /// file's text it confirmed (none when only a query sub-module of the file was confirmed)
    /// ([`Confirmations::primed_by_confirmation`]).
    primed: Mutex<rustc_hash::FxHashMap<PathBuf, Option<Arc<str>>>>,
    /// Modules a `pre` middleware served ([`Confirmations::served`]).
    served: Mutex<rustc_hash::FxHashSet<PathBuf>>,
    /// The paths the confirming thread is confirming now: an edit of their file waits for them
    /// (`confirm_file`), or its hot update could reach the plugins before the confirming
    /// `transform` primed them (plugin-vue without its last descriptor re-mounts the component).
    confirming: Mutex<Vec<PathBuf>>,
    confirmed: Condvar,
}

impl Confirmations {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &self,
        key: u128,
        volatile_key: Option<u128>,
        env: PluginEnv,
        path: &Path,
        plugin_id: &str,
        text: &Arc<str>,
        kept: &Kept,
    ) {
        lock(&self.queue).push_back(Pending {
            key,
            volatile_key,
            env,
            path: path.to_path_buf(),
            plugin_id: plugin_id.to_string(),
            text: text.clone(),
            digest: kept.digest(),
            after_edit: kept.after_edit,
            watch_files: kept.watch_files.clone(),
            watch_digest: kept.watch_digest,
        });
    }

    pub fn is_empty(&self) -> bool {
        lock(&self.queue).is_empty()
    }

    /// The plugins heard of an edit of the file at `path` (its hot update): from now on its
    /// outputs, and its query sub-modules', come from the plugins, never from the cache. The
    /// plugins' state of an edited file is newer than any kept output: plugin-vue's output
    /// for a text seen at the start lacks the `_rerender_only` its hot update now adds, so an
    /// edit undone would re-mount the component and lose its state.
    pub(crate) fn edited(&self, path: &Path) {
        lock(&self.edited).insert(path.to_path_buf());
    }

    /// Whether the plugins' view of the file at `path` was last built by a confirmation, and
    /// this is its first edit since (the mark is taken), with the file's text the confirmation
    /// gave them. A confirming `transform` gets the text the output was kept for, but a plugin
    /// may read the file itself as well, and an edit may be on disk by then: plugin-vue's
    /// `transform` fills the descriptor its hot update compares with from the file on disk, so
    /// an edit saved while its file waited for confirmation compared equal to itself and its
    /// hot update answered "nothing changed".
    pub(crate) fn primed_by_confirmation(&self, path: &Path) -> Option<Option<Arc<str>>> {
        lock(&self.primed).remove(path)
    }

    /// Whether the module at `path` (a file, or a query sub-module of one) was edited this
    /// session ([`Confirmations::edited`]).
    pub(crate) fn was_edited(&self, path: &Path) -> bool {
        let edited = lock(&self.edited);
        !edited.is_empty()
            && match split_query(path) {
                Some((file, _)) => edited.contains(&file),
                None => edited.contains(path),
            }
    }

    /// How many outputs wait.
    pub fn len(&self) -> usize {
        lock(&self.queue).len()
    }

    /// Forgets what is waiting (the config changed: its plugins start afresh, every module is
    /// compiled again anyway).
    pub fn clear(&self) {
        lock(&self.queue).clear();
    }

    /// Confirms every waiting output, one at a time (an edit may take its file's in between);
    /// what changed is kept for [`Confirmations::take_changed`].
    pub fn run(&self, plugins: &dyn Plugins, cache: &CompileCache) {
        loop {
            let pending = {
                let mut queue = lock(&self.queue);
                let Some(pending) = queue.pop_front() else {
                    break;
                };
                lock(&self.confirming).push(pending.path.clone());
                pending
            };
            self.confirm(&pending, plugins, cache, true);
            let mut confirming = lock(&self.confirming);
            if let Some(at) = confirming.iter().position(|p| *p == pending.path) {
                confirming.swap_remove(at);
            }
            self.confirmed.notify_all();
        }
    }

    /// Confirms now what waits for the file at `path` (the file itself and its query
    /// sub-modules): before an edit's hot update asks the plugins about it, and before a
    /// sub-module of it missed the cache is asked (its `load` may read what the file's
    /// `transform` left in the plugin, vite-plugin-svelte's CSS). What changed is kept for
    /// [`Confirmations::take_changed`]. `edited`: the file on disk is already the edit's (a
    /// hot update): a `load` hook reads the file itself, not the text it is given (svgr's), so
    /// an output that differs then says nothing about the plugins; it is made again, and
    /// not marked to be asked at every start.
    pub(crate) fn confirm_file(
        &self,
        path: &Path,
        plugins: &dyn Plugins,
        cache: &CompileCache,
        edited: bool,
    ) {
        let of_file = |p: &Path| split_query(p).map_or(p == path, |(file, _)| file == path);
        let mine: VecDeque<Pending> = {
            let mut queue = lock(&self.queue);
            let (mine, rest) = queue.drain(..).partition(|p| of_file(&p.path));
            *queue = rest;
            mine
        };
        for pending in &mine {
            self.confirm(pending, plugins, cache, !edited);
        }
        // What the confirming thread took of the file is waited for (bounded: a hung plugin is
        // the host's time-out to end).
        let deadline = Instant::now() + CONFIRM_WAIT;
        let mut confirming = lock(&self.confirming);
        while confirming.iter().any(|p| of_file(p)) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            confirming = self
                .confirmed
                .wait_timeout(confirming, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Runs the plugins on the pending output's text; when they no longer give what was kept,
    /// forgets the entry and notes the path to compile again (`verdict`: and marks it to be
    /// asked at every start, the plugins' output of that text not being stable).
    fn confirm(
        &self,
        pending: &Pending,
        plugins: &dyn Plugins,
        cache: &CompileCache,
        verdict: bool,
    ) {
        let file = split_query(&pending.path).map_or_else(|| pending.path.clone(), |(f, _)| f);
        if !lock(&self.edited).contains(&file) {
            let text = (pending.path == file).then(|| pending.text.clone());
            let mut primed = lock(&self.primed);
            let slot = primed.entry(file.clone()).or_default();
            if text.is_some() {
                *slot = text;
            }
        }
        let fresh = match ask(
            plugins,
            pending.env,
            &pending.plugin_id,
            false,
            &pending.text,
        ) {
            Answer::Code(kept) => Some(kept),
            _ => None,
        };
        let same = fresh
            .as_ref()
            .is_some_and(|kept| kept.digest() == pending.digest);
        if !same {
            cache.forget_entry(pending.key);
            // Edited meanwhile (a save while the confirmations ran): as at an edit.
            let on_disk = std::fs::read_to_string(&file).ok();
            let unedited = on_disk.as_deref() == Some(&*pending.text);
            if let Some(mut fresh) = fresh.filter(|fresh| {
                verdict
                    && unedited
                    && pending.after_edit
                    && fresh.watch_files == pending.watch_files
            }) {
                // Made after an edit last session, for the text the file has: the difference is
                // what the plugins knew of the edit (plugin-vue's `_rerender_only`), not the
                // file. The page runs what the last session's page ran; the next start takes
                // the fresh output. Compiled again and sent, plugin-vue's update without
                // `_rerender_only` would re-mount the component and lose its state.
                tracing::debug!(
                    "{}: the output kept from after an edit differs from a fresh one; keeping the fresh one for the next start",
                    pending.path.display()
                );
                fresh.watch_digest = pending.watch_digest;
                write(cache, pending.key, &fresh);
                return;
            }
            if !verdict || !unedited {
                tracing::debug!(
                    "{}: edited before its kept output was confirmed; compiling it again",
                    pending.path.display()
                );
            } else {
                tracing::info!(
                    "{}: the plugins' output differs from the one kept from the last session; \
                     compiling it again (and asking the plugins for it at every start from now on)",
                    pending.path.display()
                );
                if let Some(volatile) = pending.volatile_key {
                    cache.write_entry(volatile, crate::cache::framed(MAGIC, b"volatile"));
                }
            }
            lock(&self.changed).push(pending.path.clone());
        }
    }

    /// The paths confirmations found changed since the last call.
    pub fn take_changed(&self) -> Vec<PathBuf> {
        std::mem::take(&mut *lock(&self.changed))
    }

    /// The module at `path` is a `pre` middleware's answer (`Output::from_middleware`): it is
    /// asked again when files no module reads come, go or change (`host/change.rs`), as a page
    /// load would ask the middleware again under Vite.
    pub(crate) fn served(&self, path: &Path) {
        lock(&self.served).insert(path.to_path_buf());
    }

    /// The modules middlewares served ([`Confirmations::served`]).
    pub(crate) fn served_modules(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = lock(&self.served).iter().cloned().collect();
        paths.sort();
        paths
    }
}

/// What a thread confirming the waiting outputs needs (`EngineHost::confirmer`).
pub struct Confirmer {
    pub(crate) plugins: Arc<dyn Plugins>,
    pub(crate) cache: Arc<CompileCache>,
    pub(crate) confirmations: Arc<Confirmations>,
}

impl Confirmer {
    /// [`Confirmations::run`].
    pub fn run(&self) {
        self.confirmations.run(&*self.plugins, &self.cache);
    }

    /// How many outputs wait.
    pub fn waiting(&self) -> usize {
        self.confirmations.len()
    }
}

/// How long an edit waits for the confirming thread to finish with its file.
const CONFIRM_WAIT: Duration = Duration::from_secs(5);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_round_trips_and_a_damaged_entry_is_none() {
        let kept = Kept {
            code: "export default 1\n".into(),
            map: Some("{\"version\":3}".into()),
            watch_files: vec![PathBuf::from("/p/_theme.scss")],
            watch_digest: 42,
            module_type: Some("js".into()),
            after_edit: true,
            from_middleware: false,
            warnings: vec!["not kept".into()],
        };
        let bytes = encode(&kept).unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(back.code, kept.code);
        assert_eq!(back.map, kept.map);
        assert_eq!(back.watch_files, kept.watch_files);
        assert_eq!(back.watch_digest, 42);
        assert_eq!(back.module_type.as_deref(), Some("js"));
        assert!(back.after_edit);
        assert!(back.warnings.is_empty());
        assert_eq!(back.digest(), kept.digest());
        let mut damaged = bytes.clone();
        let last = damaged.len() - 2;
        damaged[last] ^= 1;
        assert!(decode(&damaged).is_none());
        assert!(decode(b"HLCACHE1........").is_none());
    }
}
