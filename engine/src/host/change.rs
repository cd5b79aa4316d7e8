//! Applying changed paths to the inputs: read the bytes, set an input only when they differ,
//! move the resolution epoch when a file appears or disappears or a config file changes (and
//! the packages' epoch only when that file is in `node_modules` or a config file changed:
//! `Project::package_epoch`).
//! A changed tsconfig (`tsconfig.json`, `tsconfig.*.json`) also re-reads the tsconfig facts of
//! every known script (`crate::tsconfig`) and sets those that differ: exactly the scripts whose
//! compile options changed compile again.
//! A created file no module imports compiles again the modules whose plugins watched a file in
//! its directory or one above (`touch_scanners_of`): Tailwind CSS's sources, a class only the
//! new file uses. The plugin host hears each batch's changed files before the build
//! (`Plugins::files_changed`), so that its kept Tailwind scanners read only those.
//!
//! What the plugins hear and say back, in Vite's order: every file the watcher saw changed,
//! created or removed (`FileChanges`: `server.watcher` events, their async listeners awaited,
//! and `watchChange` in the host, which hotloop's next requests wait for), then the hot update
//! of each changed file (with no modules for a file no module reads); a batch where files came
//! or went, which has no hot update to wait on, waits for them (`Plugins::settle`). The
//! modules they mark stale meanwhile (`server.reloadModule`, `moduleGraph.invalidateModule`,
//! `ws.send({ type: 'update' })`) compile with the same batch, and a reload they ask for is
//! that batch's (`AppliedChanges::reload_requested`: one reload, none while the batch left
//! errors). A hot update's answer decides which of the file's modules update: those it
//! leaves out are not sent with the edit (`AppliedChanges::left_out`). A module a `pre`
//! middleware served is asked again when files no module reads come, go or change. A module
//! a plugin failed on is compiled again with the next edit (`retry_plugin_failures`: a
//! plugin's `load` may read what another file's `transform` left), and an edited file's
//! outputs never come from the compile cache again (`plugin_cache.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashSet;
use salsa::{Durability, Setter as _};

use crate::db::Db as _;
use crate::files::{plugin_id, read_contents, split_query};
use crate::graph::ModuleIndex;
use crate::inputs::{FileContents, SourceFile, content_hash, in_node_modules};
use crate::queries::env::is_env_file_of;
use crate::queries::plugin_pass::is_css_request;
use crate::tsconfig::is_tsconfig_file;
// An install's marker (in the root's `node_modules` or, in a workspace, the one above it,
// which the watcher watches too): the watcher does not look inside packages (too many
// watches), so one changing is how an `npm install` is noticed: every known `node_modules`
// file is re-read.
use crate::watcher::is_install_marker;
use hotloop_protocol::plugin::{CustomEvent, FileChanges};
use hotloop_protocol::{Diagnostic, DiagnosticKind};

use super::EngineHost;

/// What one `apply_changes` call did (not to be confused with a client's ack of an update).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppliedChanges {
    /// Module ids of the files whose contents changed (their inputs were set), in batch order.
    pub changed_files: Vec<Arc<str>>,
    /// `index.html` changed.
    pub html_changed: bool,
    /// Module ids of `package.json` / `tsconfig*.json` / `jsconfig.json` files that changed.
    pub config_changed: Vec<Arc<str>>,
    /// A file appeared or disappeared, or a config file changed: resolution re-runs.
    pub epoch_moved: bool,
    /// Files that had contents and now read as empty, left as they were
    /// (`apply_watched_changes` only): maybe caught between an editor's truncate and its
    /// write. Re-read them a little later with `apply_changes`, which takes them as they are.
    pub deferred: Vec<PathBuf>,
    /// Custom events the plugins sent to the pages while hearing of these changes
    /// (`server.ws.send` in `handleHotUpdate`), `(event, JSON data)` in order: they go out
    /// before this batch's update.
    pub plugin_events: Vec<CustomEvent>,
    /// A plugin asked the pages to reload while hearing of these changes (vite-plugin-qwik's
    /// `handleHotUpdate`): this batch's update is a full reload.
    pub reload_requested: bool,
    /// Module ids of edited files' modules the plugins' hot update left out of its answer
    /// (plugin-vue's `<style>`-only edit answers the style module alone): this batch's update
    /// does not send them, whatever their new code; it reaches a page with a later update or
    /// load, as under Vite (`EngineHost::take_left_out`).
    pub left_out: Vec<Arc<str>>,
    /// Of `changed_files`, the modules compiled again only because a plugin failed on them in
    /// the last build (`retry_plugin_failures`): the batch did not save them.
    pub retried: Vec<Arc<str>>,
}

impl AppliedChanges {
    /// The files and configs that changed, by id without the leading `/` (`src/App.tsx`).
    pub fn saved_names(&self) -> Vec<String> {
        self.changed_files
            .iter()
            .chain(&self.config_changed)
            .map(|id| id.trim_start_matches('/').to_owned())
            .collect()
    }

    /// Nothing the engine tracks changed.
    pub fn is_empty(&self) -> bool {
        self.changed_files.is_empty()
            && !self.html_changed
            && self.config_changed.is_empty()
            && !self.epoch_moved
    }
}

fn is_package_json(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "package.json")
}

/// Config files that change resolution (and, for tsconfigs, compilation).
fn is_config_file(path: &Path) -> bool {
    is_tsconfig_file(path)
        || matches!(
            path.file_name().and_then(|n| n.to_str()),
            Some("package.json" | "jsconfig.json")
        )
}

/// The `.env` files the mode reads, in the env directory (`envDir`, the root by default; their
/// change reloads the page with the new variables).
fn is_env_file(env_dir: &Path, path: &Path, mode: &str) -> bool {
    path.parent() == Some(env_dir)
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| is_env_file_of(n, mode))
}

/// Editor droppings and tool caches: never imported, so their creation cannot change what
/// resolves (vim's `4913` probe, `*.swp`, `*~`, anything under a dot-directory).
fn is_ignorable(root: &Path, path: &Path) -> bool {
    // Under the root, any dot-directory; outside it (a linked package), only the file's name
    // counts: the absolute path may well run through a dot-directory of its own.
    if let Ok(rel) = path.strip_prefix(root)
        && rel
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    {
        return true;
    }
    path.file_name()
        .is_some_and(|name| crate::watcher::is_editor_temp(&name.to_string_lossy()))
}

impl EngineHost {
    fn normalize(&self, path: &Path) -> PathBuf {
        let path = if path.is_relative() {
            self.root.join(path)
        } else {
            path.to_path_buf()
        };
        if path.starts_with(&self.root) {
            return path;
        }
        // The watcher may report through a symlinked spelling of the root.
        match (path.parent().map(std::fs::canonicalize), path.file_name()) {
            (Some(Ok(parent)), Some(name)) => parent.join(name),
            _ => path,
        }
    }

    /// Reads `paths` from disk and updates the inputs whose bytes changed. Paths nothing
    /// references are ignored cheaply, unless they could change what resolves: a created
    /// (first seen) or deleted file or directory, or a `package.json`/`tsconfig.json`, moves
    /// the resolution epoch.
    pub fn apply_changes(&mut self, paths: &[PathBuf]) -> AppliedChanges {
        let _span = tracing::debug_span!("apply_changes", paths = paths.len()).entered();
        let mut applied = AppliedChanges::default();
        let mut batch: FxHashSet<PathBuf> = FxHashSet::default();
        let mut tsconfig_changed = false;
        // A `package.json`'s `type` decides its files' module format (`package_type.rs`).
        let mut package_json_changed = false;
        // What the plugins hear of this batch (`files_changed`), then the hot updates of the
        // changed files (`tell_plugins`; a file no module reads has no modules), in Vite's
        // order: its watcher's `watchChange` before `handleHotUpdate`.
        let mut files = FileChanges::default();
        let mut hot_updates: Vec<(PathBuf, bool)> = Vec::new();
        // Sub-modules of this batch's files that a plugin reloaded before it came.
        let mut reloaded_ahead: Vec<Arc<str>> = Vec::new();
        for path in paths {
            let path = self.normalize(path);
            if !batch.insert(path.clone()) {
                continue;
            }
            if let Some(ahead) = self.reloaded_ahead.remove(&path) {
                reloaded_ahead.extend(ahead);
            }
            // Its `?raw`/`?url` modules and plugins' query sub-modules read this file too.
            for file in self.db.files().variants_of(&path) {
                self.refresh(file, &mut applied);
            }
            if is_install_marker(&self.root, &path) {
                // The root's `node_modules`, and the one the install wrote its marker in: a
                // workspace's, above the root, where it hoists the packages (after an `rm -rf
                // node_modules`, their files came back unread: "react/index.js does not
                // exist" until a restart).
                let mut dirs = vec![self.root.join("node_modules")];
                if let Some(marker_modules) = path.parent()
                    && !dirs.iter().any(|d| d == marker_modules)
                {
                    dirs.push(marker_modules.to_path_buf());
                }
                for node_modules in dirs {
                    self.refresh_under(&node_modules, &mut applied);
                    // An install may change a package's `type`: its files' module format.
                    self.refresh_package_facts(&node_modules, &mut applied);
                }
                self.config_changed(&path, &mut applied);
                continue;
            }
            let config =
                is_config_file(&path) || self.is_vite_config(&path) || self.is_env_file(&path);
            if let Some(file) = self.db.files().get(&path) {
                let was_missing = matches!(file.contents(&self.db), FileContents::Missing);
                let changed = self.refresh(file, &mut applied);
                if config && changed {
                    tsconfig_changed |= is_tsconfig_file(&path);
                    package_json_changed |= is_package_json(&path);
                    self.config_changed(&path, &mut applied);
                }
                if changed {
                    let name = path.to_string_lossy().into_owned();
                    if was_missing {
                        // Back after a delete: the plugins hear it came (`add`, as Vite's
                        // watcher says; vite-plugin-pages routes it again).
                        files.created.push(name);
                    } else if path.exists() {
                        files.changed.push(name);
                        hot_updates.push((path.clone(), true));
                    } else {
                        // (`hotUpdate` with `type: 'delete'` from the host: no file to read)
                        files.removed.push(name);
                    }
                }
                continue;
            }
            if config {
                let bytes = std::fs::read(&path);
                // An empty config file read right after a change is most likely caught between
                // an editor's truncate and its write (an empty tsconfig would briefly compile
                // every script with the defaults): re-read it later, as an emptied input.
                if self.defer_emptied && bytes.as_ref().is_ok_and(|b| b.is_empty()) {
                    tracing::debug!(file = %path.display(), "config file read as empty right after a change; re-reading later");
                    applied.deferred.push(path);
                    continue;
                }
                let hash = match bytes {
                    Ok(bytes) => content_hash(&bytes),
                    Err(_) => 0,
                };
                if self.config_hashes.insert(path.clone(), hash) != Some(hash) {
                    tsconfig_changed |= is_tsconfig_file(&path);
                    package_json_changed |= is_package_json(&path);
                    self.config_changed(&path, &mut applied);
                    // No module reads it, but the plugins' watchers hear of it as Vite's
                    // do (vite-tsconfig-paths reloads its `paths` on a tsconfig's change).
                    let name = path.to_string_lossy().into_owned();
                    if path.exists() {
                        files.changed.push(name);
                        hot_updates.push((path.clone(), false));
                    } else {
                        files.removed.push(name);
                    }
                }
                continue;
            }
            match std::fs::metadata(&path) {
                Ok(meta) => {
                    if meta.is_dir() && self.db.files().is_known_dir(&path) {
                        // Moved or re-created: its known files may have come (back).
                        self.refresh_under(&path, &mut applied);
                        continue;
                    }
                    if is_ignorable(&self.root, &path) {
                        continue;
                    }
                    if self.seen.contains(&path) {
                        // A file no module reads, written again: the plugins hear of it, and
                        // their hot update (intlify's locale files feed a virtual module).
                        if !meta.is_dir() {
                            files.changed.push(path.to_string_lossy().into_owned());
                            hot_updates.push((path.clone(), false));
                        }
                        continue;
                    }
                    // A path we have not seen before: created since the resolver last looked,
                    // unless the watcher saw it modified (it was there before: a log or a
                    // `components.d.ts` a plugin writes, which no import can have missed).
                    self.seen.insert(path.clone());
                    if !self.modified.contains(&path) {
                        self.came_or_went(&path, &mut applied);
                    }
                    if meta.is_dir() {
                        self.refresh_under(&path, &mut applied);
                    } else {
                        self.touch_scanners_of(&path);
                        if self.modified.contains(&path) {
                            files.changed.push(path.to_string_lossy().into_owned());
                            hot_updates.push((path.clone(), false));
                        } else {
                            files.created.push(path.to_string_lossy().into_owned());
                        }
                    }
                }
                Err(_) => {
                    if self.seen.remove(&path) && !is_ignorable(&self.root, &path) {
                        files.removed.push(path.to_string_lossy().into_owned());
                    }
                    if self.db.files().is_known_dir(&path) {
                        // A directory went away (moved: a route folder renamed), maybe without
                        // events for the files in it. The plugins hear that they went, as
                        // chokidar tells Vite's (`unlink` for each): TanStack Router's
                        // generator rewrites `routeTree.gen.ts` then, which this batch reads
                        // again (`refresh_importers_of`) rather than failing on the old import.
                        for (_, file) in self.db.files().under(&path) {
                            let existed = file.contents(&self.db).exists();
                            if self.refresh(file, &mut applied)
                                && existed
                                && !file.contents(&self.db).exists()
                            {
                                let gone = file.path(&self.db).to_string_lossy().into_owned();
                                files.removed.push(gone);
                            }
                        }
                    }
                }
            }
        }
        if tsconfig_changed || package_json_changed {
            let facts_changed = self.refresh_tsconfig_facts(&mut applied) > 0;
            if facts_changed && tsconfig_changed {
                self.reload_plugins_for_tsconfig();
            }
        }
        files.structural = applied.epoch_moved;
        self.modified.clear();
        let came_or_went = !(files.created.is_empty() && files.removed.is_empty());
        // Files no module reads came, went or changed.
        let unread = came_or_went || hot_updates.iter().any(|(_, tracked)| !tracked);
        self.tell_plugins_files_changed(&files);
        for (path, tracked) in hot_updates {
            self.tell_plugins(&path, tracked, &mut applied);
        }
        if came_or_went && let Some(plugins) = self.db.plugins() {
            // What their watcher listeners did about files that came or went is this batch's.
            plugins.settle();
            applied.plugin_events.extend(plugins.take_custom_events());
            applied.reload_requested |= plugins.take_reload_requested();
            self.refresh_importers_of(&files.removed, &batch, &mut applied);
        }
        // Modules the plugins marked stale while hearing of these changes
        // (`moduleGraph.invalidateModule` in a hot update or a watcher listener) compile with
        // this batch.
        let invalidated = self.take_plugin_invalidations();
        self.recompile_into(&invalidated, &mut applied);
        // One a plugin updated itself updates, though a hot update's answer left it out:
        // unplugin-vue-router reloads a page's `?definePage` module (`server.reloadModule`),
        // which plugin-vue's answer for the page (the component) does not name; its reload
        // may have come before this batch (`reloaded_ahead`).
        let reloaded = !(invalidated.is_empty() && reloaded_ahead.is_empty());
        if reloaded && !applied.left_out.is_empty() {
            let files = self.db.files();
            let ids: FxHashSet<Arc<str>> = invalidated
                .iter()
                .map(|p| files.module_id(p))
                .chain(reloaded_ahead)
                .collect();
            applied.left_out.retain(|id| !ids.contains(id));
        }
        // What a middleware served may be made of such files (an icon sprite): asked again.
        if unread {
            let served = self.db.plugin_confirmations().served_modules();
            self.recompile_into(&served, &mut applied);
        }
        if !(files.changed.is_empty() && files.created.is_empty() && files.removed.is_empty()) {
            self.retry_plugin_failures(&mut applied);
        }
        self.move_epoch_for(&applied);
        self.left_out = applied.left_out.iter().cloned().collect();
        tracing::debug!(
            changed = applied.changed_files.len(),
            epoch_moved = applied.epoch_moved,
            html = applied.html_changed,
            "applied changes"
        );
        applied
    }

    /// The modules that imported the `removed` files, read again once the plugins have heard
    /// of them: a generator among them may have rewritten such a module meanwhile (TanStack
    /// Router's `routeTree.gen.ts`, in its `watchChange`), and this batch then builds what it
    /// imports now, instead of a resolve error for the deleted route until the watcher's next
    /// batch brings the new text.
    fn refresh_importers_of(
        &mut self,
        removed: &[String],
        batch: &FxHashSet<PathBuf>,
        applied: &mut AppliedChanges,
    ) {
        let Some(state) = &self.state else {
            return;
        };
        let graph = &state.graph;
        let mut importers = Vec::new();
        for path in removed {
            let Some(file) = self.db.files().get(Path::new(path)) else {
                continue;
            };
            let Some(index) = graph.index_of_file(file) else {
                continue;
            };
            for &importer in graph.graph.importers(index) {
                let file = graph.files[importer.idx()];
                if !batch.contains(&**file.path(&self.db)) && !importers.contains(&file) {
                    importers.push(file);
                }
            }
        }
        for file in importers {
            self.refresh(file, applied);
        }
    }

    /// Of the next batch's paths, those the watcher saw modified rather than created (its
    /// `ChangeKind::Modified`): what the plugins hear of a file no module reads.
    pub fn note_modified(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        self.modified.extend(paths);
    }

    /// `apply_changes` for paths the watcher just reported: a file that had contents and now
    /// reads as empty is not taken yet but listed in `AppliedChanges::deferred` — the reader may have
    /// come between an editor's truncate and its write (the empty module would be a wrong,
    /// often reload-causing update). The caller re-reads deferred files after a short delay
    /// with `apply_changes`, which takes an empty file as a real edit.
    pub fn apply_watched_changes(&mut self, paths: &[PathBuf]) -> AppliedChanges {
        self.defer_emptied = true;
        let applied = self.apply_changes(paths);
        self.defer_emptied = false;
        applied
    }

    /// Re-reads every known file (after the watcher lost events) and moves the epoch.
    pub fn rescan(&mut self) -> AppliedChanges {
        let _span = tracing::debug_span!("rescan").entered();
        let mut applied = AppliedChanges::default();
        self.seen.clear();
        self.config_hashes.clear();
        let root = PathBuf::from("/");
        self.refresh_under(&root, &mut applied);
        self.refresh_tsconfig_facts(&mut applied);
        applied.epoch_moved = true;
        self.move_epoch();
        self.tell_plugins_files_changed(&FileChanges {
            structural: true,
            ..FileChanges::default()
        });
        applied
    }

    fn refresh_under(&mut self, dir: &Path, applied: &mut AppliedChanges) {
        for (_, file) in self.db.files().under(dir) {
            self.refresh(file, applied);
        }
    }

    /// Re-reads one known file; sets its input if the contents differ. Returns whether it did.
    fn refresh(&mut self, file: SourceFile, applied: &mut AppliedChanges) -> bool {
        let path = file.path(&self.db).clone();
        let new = read_contents(&path);
        let old = file.contents(&self.db);
        if *old == new {
            return false;
        }
        let empty = |c: &FileContents| match c {
            FileContents::Text(text) => text.is_empty(),
            FileContents::Binary { len, .. } => *len == 0,
            FileContents::Missing => false,
        };
        if self.defer_emptied && empty(&new) && old.exists() && !empty(old) {
            tracing::debug!(file = %path.display(), "read as empty right after a change; re-reading later");
            applied.deferred.push(path.to_path_buf());
            return false;
        }
        if old.exists() != new.exists() {
            // (`came_or_went`, on the fields: `old` is the database's.)
            applied.epoch_moved = true;
            self.packages_moved |= in_node_modules(&path);
        }
        tracing::trace!(file = %path.display(), "contents changed");
        let exists = new.exists();
        let saved = exists && old.exists();
        self.db.files().hold(&new);
        file.set_contents(&mut self.db).to(new);
        if saved && !file.edited(&self.db) {
            file.set_edited(&mut self.db).to(true);
        }
        applied.changed_files.push(self.db.files().module_id(&path));
        let page = self.project.pages(&self.db).contains(&file);
        if file == self.project.index_html(&self.db) || page {
            applied.html_changed = true;
            self.pending.html_changed = true;
        }
        if page && !exists {
            self.close_page(file);
        }
        self.pending.mark(file);
        true
    }

    /// A file just created that no module imports may still be one a plugin reads without an
    /// import: a source Tailwind CSS scans for class names (its `@source` directories, v3's
    /// `content` globs), which the plugin reports only as the files it found
    /// (`this.addWatchFile`, PostCSS `dependency`/`dir-dependency`). The modules that watched a
    /// file in the new file's directory or in one above it compile again (their input is set
    /// anew, same text): Tailwind's next scan finds the new file, and a class only it uses
    /// restyles the page without a reload. A module whose output comes out the same sends
    /// nothing. O(watched files), on a file's creation only.
    fn touch_scanners_of(&mut self, path: &Path) {
        let Some(state) = &self.state else {
            return;
        };
        if state.watchers.is_empty() {
            return;
        }
        let above: FxHashSet<&Path> = path.ancestors().skip(1).collect();
        let mut modules: Vec<ModuleIndex> = state
            .watchers
            .iter()
            .filter(|(file, _)| {
                file.path(&self.db)
                    .parent()
                    .is_some_and(|dir| above.contains(dir))
            })
            .flat_map(|(_, modules)| modules.iter().copied())
            .collect();
        modules.sort();
        modules.dedup();
        let files: Vec<SourceFile> = modules
            .into_iter()
            .map(|index| state.graph.files[index.idx()])
            .collect();
        for file in files {
            tracing::debug!(
                new = %path.display(),
                module = %file.path(&self.db).display(),
                "a new file where a plugin of this module scans: compiling it again"
            );
            let contents = file.contents(&self.db).clone();
            file.set_contents(&mut self.db).to(contents);
            self.pending.mark(file);
        }
    }

    /// Compiles the modules at `paths` again, their texts as they are: the plugins' output for
    /// them, kept from the last session, turned out different when confirmed
    /// (`plugin_cache::Confirmations`). Like an edit of them for the update that follows.
    pub fn recompile(&mut self, paths: &[PathBuf]) -> AppliedChanges {
        let mut applied = AppliedChanges::default();
        self.recompile_into(paths, &mut applied);
        applied
    }

    fn recompile_into(&mut self, paths: &[PathBuf], applied: &mut AppliedChanges) {
        for path in paths {
            // Its new code compiled with an edit whose update left it out: it goes with the
            // next update (a plugin that reloads it wants the pages to have it).
            let id = self.db.files().module_id(path);
            if self.unsent.contains(&id) && !self.resend.contains(&id) {
                self.resend.push(id.clone());
            }
            let Some(file) = self.db.files().get(path) else {
                continue;
            };
            // A plugin may reload a query sub-module before hotloop's watcher tells of its
            // file's edit (unplugin-vue-router's own watcher reloads a page's `?definePage`
            // module). It waits for that edit, as the file does: the edit's plugins' hot
            // update comes before its modules' hooks run (plugin-vue's `<style>` module is
            // loaded from the descriptor its hot update keeps; read ahead, it compiled the
            // old style under the new text, and the edit then found nothing to do).
            if let Some((base, _)) = split_query(path)
                && read_contents(file.path(&self.db)) != *file.contents(&self.db)
            {
                tracing::debug!(module = %id, "reloaded by a plugin ahead of its file's edit: compiles with it");
                let ahead = self.reloaded_ahead.entry(base).or_default();
                if !ahead.contains(&id) {
                    ahead.push(id);
                }
                continue;
            }
            self.compile_again(file, applied);
        }
    }

    /// Marks `file` to compile again in the next build, as an edit of it would (its input set
    /// to the same contents), unless the batch has it already; true when it was marked.
    fn compile_again(&mut self, file: SourceFile, applied: &mut AppliedChanges) -> bool {
        if self.pending.dirty_set.contains(&file) {
            return false;
        }
        let contents = file.contents(&self.db).clone();
        file.set_contents(&mut self.db).to(contents);
        self.pending.mark(file);
        applied.changed_files.push(file.id(&self.db).clone());
        true
    }

    /// Compiles again, with an edit's batch, the modules whose plugin hooks failed in the last
    /// build, as Vite compiles a failed module again on its next request: a plugin's `load`
    /// may answer from what another file's `transform` left behind, a dependency hotloop cannot
    /// see (vite-plugin-qwik's segments of a component failed while the component did not
    /// parse, and load once it does). A module still failing costs one compile per edit.
    fn retry_plugin_failures(&mut self, applied: &mut AppliedChanges) {
        if self.db.plugins().is_none() {
            return;
        }
        let Some(state) = &self.state else {
            return;
        };
        let failed: Vec<SourceFile> = state
            .with_diagnostics
            .iter()
            .filter(|(_, diagnostics)| {
                diagnostics
                    .iter()
                    .any(|d| d.kind == DiagnosticKind::Transform)
            })
            .map(|(index, _)| state.graph.files[index.idx()])
            .collect();
        for file in failed {
            tracing::debug!(file = %file.path(&self.db).display(), "compiling again a module a plugin failed on");
            if self.compile_again(file, applied) {
                applied.retried.push(file.id(&self.db).clone());
            }
        }
    }

    /// What a thread confirming the plugin outputs this session took from the compile cache
    /// needs, when some wait (see `plugin_cache.rs`).
    pub fn confirmer(&self) -> Option<crate::plugin_cache::Confirmer> {
        self.db.confirmer()
    }

    /// Modules whose kept plugin outputs were found changed outside the confirming thread (a
    /// file confirmed first for its sub-module), to compile again (`recompile`).
    pub fn take_confirmed_changes(&self) -> Vec<PathBuf> {
        self.db.plugin_confirmations().take_changed()
    }

    /// A tsconfig's change changed what some file compiles with: the plugins start afresh
    /// with the config, evaluated again, as for an edit of it. What Vite's TS step inside them
    /// read of the tsconfigs (plugin-vue's `transformWithOxc` of a `<script lang="ts">`) is
    /// cached per resolved config, and Vite itself re-reads only a `tsconfig.json` it sees
    /// change; their outputs are asked again (their key holds the file's tsconfig facts:
    /// `plugin_pass::run`).
    fn reload_plugins_for_tsconfig(&mut self) {
        let Some((config, _)) = &self.vite_config else {
            return;
        };
        if self.db.plugins().is_none() {
            return;
        }
        let config = config.clone();
        tracing::info!(
            "a tsconfig changed: {} evaluated again for the plugins",
            config.display()
        );
        self.reload_vite_config(&config);
    }

    /// Re-reads which tsconfig applies to each known script outside `node_modules` and what it
    /// says, and its module format (the nearest `package.json`'s `type`); sets the inputs whose
    /// facts differ (O(known scripts), on tsconfig and `package.json` changes only). Returns how
    /// many differed.
    fn refresh_tsconfig_facts(&mut self, applied: &mut AppliedChanges) -> usize {
        let files = self.db.files();
        files.tsconfigs().clear_cache();
        files.package_types().clear_cache();
        let known = files.under(Path::new("/"));
        self.refresh_facts(
            known.into_iter().filter(|(path, _)| !in_node_modules(path)),
            applied,
        )
    }

    /// Re-reads the module format of each known file under `node_modules` (the `type` of its
    /// package's `package.json`, which an install may have changed; the watcher stays out of
    /// packages, so no change of the `package.json` itself is seen). Returns how many differed.
    fn refresh_package_facts(
        &mut self,
        node_modules: &Path,
        applied: &mut AppliedChanges,
    ) -> usize {
        let files = self.db.files();
        files.package_types().clear_cache();
        let known = files.under(node_modules);
        self.refresh_facts(known.into_iter(), applied)
    }

    /// Sets the facts of each of `known` whose facts read from disk now differ.
    fn refresh_facts(
        &mut self,
        known: impl Iterator<Item = (PathBuf, SourceFile)>,
        applied: &mut AppliedChanges,
    ) -> usize {
        let files = self.db.files();
        let mut changed = Vec::new();
        for (path, file) in known {
            let facts = files.tsconfig_facts(&path);
            if *file.tsconfig(&self.db) != facts {
                changed.push((path, file, facts));
            }
        }
        let count = changed.len();
        for (path, file, facts) in changed {
            tracing::debug!(file = %path.display(), "tsconfig facts changed");
            let _previous = file.set_tsconfig(&mut self.db).to(facts);
            let id = self.db.files().module_id(&path);
            if !applied.changed_files.contains(&id) {
                applied.changed_files.push(id);
            }
            self.pending.mark(file);
        }
        count
    }

    /// A `.env` file the mode reads, in the env directory.
    fn is_env_file(&self, path: &Path) -> bool {
        let options = self.project.options(&self.db);
        is_env_file(options.env_dir_in(&self.root), path, &options.mode)
    }

    fn config_changed(&mut self, path: &Path, applied: &mut AppliedChanges) {
        // Vite restarts its server for a `.env` file too: a config that reads it (`loadEnv`
        // feeding `define`, a proxy target) is evaluated again.
        let evaluated =
            !(self.is_vite_config(path) || self.is_env_file(path)) || self.reload_vite_config(path);
        let id = self.db.files().module_id(path);
        applied.config_changed.push(id.clone());
        if !evaluated {
            // The config as it was before stays, and so do the pages (as under Vite, whose
            // restart fails): the update shows the error alone.
            return;
        }
        // A `package.json` or an install changes what resolves (and a package's module
        // format): built again, it reaches the pages as an edit would (`npm install` reloaded
        // them twice, losing their state, for a package nothing imported yet).
        if is_package_json(path) || is_install_marker(&self.root, path) {
            self.pending.packages_changed.get_or_insert(id);
        } else {
            self.pending.config_changed.get_or_insert(id);
        }
        applied.epoch_moved = true;
        self.packages_moved = true;
    }

    /// The `vite.config` the session started with, taken ahead of its evaluation (the last
    /// session's answer of it), evaluated to something else: it counts as changed, as when
    /// saved (evaluated again, every module looked at again, the pages reloaded). The changes
    /// name the config in `config_changed` (none without a config).
    pub fn config_evaluated_anew(&mut self) -> AppliedChanges {
        let mut applied = AppliedChanges::default();
        if let Some((path, _)) = &self.vite_config {
            let path = path.clone();
            self.config_changed(&path, &mut applied);
        }
        self.move_epoch_for(&applied);
        applied
    }

    /// Moves the resolution epochs `applied` asks for: both when a package's imports may
    /// resolve otherwise (`packages_moved`), else the app's alone.
    fn move_epoch_for(&mut self, applied: &AppliedChanges) {
        if !applied.epoch_moved {
            return;
        }
        if self.packages_moved {
            self.move_epoch();
        } else {
            self.move_source_epoch();
        }
    }

    /// Evaluates the changed `vite.config.*` again (see `EngineHost::watch_vite_config`);
    /// false when it failed (the error is kept for the overlay, `config_error`).
    fn reload_vite_config(&mut self, path: &Path) -> bool {
        let Some((_, reload)) = self.vite_config.as_mut() else {
            return true;
        };
        match reload() {
            Ok(super::ReloadedConfig { options, files }) => {
                self.vite_config_files = files;
                self.config_error = None;
                // The plugins start afresh with the config, and what they made is asked again.
                self.db.plugin_confirmations().clear();
                let generation = self.project.plugins_generation(&self.db) + 1;
                self.project
                    .set_plugins_generation(&mut self.db)
                    .with_durability(Durability::HIGH)
                    .to(generation);
                if *self.project.options(&self.db) != options {
                    tracing::info!(
                        "{} changed: the project's options follow it",
                        path.display()
                    );
                    let resolve_changed = self.project.options(&self.db).resolve != options.resolve;
                    if resolve_changed {
                        self.db.reconfigure_resolvers(&self.root, &options.resolve);
                    }
                    self.project.set_options(&mut self.db).to(options);
                    if resolve_changed {
                        self.move_epoch();
                    }
                }
                true
            }
            Err(message) => {
                // Said once, by the diagnostic below (the log, the dashboard, the overlay): a
                // log record of it printed it a second time, raw.
                tracing::debug!("{} did not evaluate: {message}", path.display());
                // A syntax error's message starts with its place (`/abs/vite.config.ts:8:3: …`),
                // which the diagnostic says itself.
                let (line, column, message) =
                    place_in_message(&message, path).unwrap_or((1, 1, message.as_str()));
                // (Its code frame follows its first line.)
                let (message, code_frame) = message.split_once('\n').unwrap_or((message, ""));
                self.config_error = Some(Diagnostic {
                    kind: DiagnosticKind::Transform,
                    file: self.db.files().module_id(path).to_string(),
                    line,
                    column,
                    message: format!(
                        "{message} (the page keeps running with the config as it was before)"
                    ),
                    code_frame: code_frame.to_string(),
                });
                false
            }
        }
    }

    /// Runs the plugins' `handleHotUpdate`/`hotUpdate` for a changed project file, before the
    /// build re-runs their `transform`: plugins keep what they saw last there (plugin-vue's
    /// previous descriptor, which makes a template-only edit a re-render that keeps state).
    /// Which modules update is still the engine's to decide, from what the plugins' new output
    /// changes; an error is logged at debug level, and the build that follows shows it: the
    /// host answers the transform of the text whose hot update threw with that error, without
    /// running the plugins (as Vite transforms nothing then), so plugin-vue's fix compares with
    /// the last good descriptor. A file no module reads (not `tracked`) has no modules, as under Vite: a
    /// plugin that feeds it into a module of its own marks that module stale
    /// (`invalidateModule`).
    fn tell_plugins(&self, path: &Path, tracked: bool, applied: &mut AppliedChanges) {
        let Some(plugins) = self.db.plugins() else {
            return;
        };
        if in_node_modules(path) {
            return;
        }
        // An output kept from the last session and not confirmed yet is confirmed first, with
        // the text it was made from: the plugin's hot update compares the edit with what its
        // last `transform` of the file saw (plugin_cache.rs).
        self.db
            .plugin_confirmations()
            .confirm_file(path, plugins, self.db.compile_cache(), true);
        let primed = self.db.plugin_confirmations().primed_by_confirmation(path);
        self.db.plugin_confirmations().edited(path);
        let root = self.db.files().root();
        // The file's modules, as plugin ids and as module ids.
        let mut modules: Vec<(String, Arc<str>)> = Vec::new();
        if tracked {
            modules.push((plugin_id(root, path), self.db.files().module_id(path)));
            for variant in self.db.files().variants_of(path) {
                let variant = variant.path(&self.db);
                // hotloop's own module of an `import.meta.glob` call (`App.vue?glob=0`) is none
                // of the plugins' (Vite puts the listing in the importer): their answer neither
                // names it nor leaves it out, and a call added again reaches the page with it.
                if crate::files::glob_module_of_path(variant).is_some() {
                    continue;
                }
                modules.push((plugin_id(root, variant), self.db.files().module_id(variant)));
            }
        }
        let ids: Vec<String> = modules.iter().map(|(id, _)| id.clone()).collect();
        let watchers = self.watchers_of(path);
        let importers: Vec<String> = watchers.iter().map(|(id, _)| id.clone()).collect();
        // The text this batch compiles: a later save on disk is the next batch's.
        let text = self
            .db
            .files()
            .get(path)
            .and_then(|file| file.contents(&self.db).text());
        let file_id = plugin_id(root, path);
        let mut answer = plugins.hot_update(&file_id, &ids, &importers, text.as_deref());
        // "Nothing changed" from plugins whose view of the file a confirmation built, of a text
        // other than the edit's: they may have read the edit from disk then (plugin-vue fills
        // its hot-update descriptor from the file), and compared it with itself. Shown the
        // confirmed text's hot update, then the edit's, they compare the edit with what the page
        // runs (plugin-vue's `_rerender_only`, which keeps the component's state, comes from
        // that). What they do for the text going back is none of the page's.
        if let (Ok(Some(listed)), Some(Some(confirmed))) = (&answer, &primed)
            && listed.is_empty()
            && text.as_deref() != Some(&**confirmed)
        {
            tracing::debug!(
                "{}: the plugins saw the edit during its confirmation; showing them the confirmed text first",
                path.display()
            );
            applied.plugin_events.extend(plugins.take_custom_events());
            applied.reload_requested |= plugins.take_reload_requested();
            let _ = plugins.hot_update(&file_id, &ids, &importers, Some(confirmed));
            let _ = plugins.take_custom_events();
            let _ = plugins.take_reload_requested();
            answer = plugins.hot_update(&file_id, &ids, &importers, text.as_deref());
        }
        let primed = primed.is_some();
        match answer {
            // Their answer decides which of the file's modules update, when it names some of
            // them (plugin-vue's answer to a `<style>`-only edit: the style module). One that
            // names only other modules (@intlify/unplugin-vue-i18n's messages module, for any
            // JSON file) leaves the file's own to the engine: left out, an `<i18n src>` block's
            // edit stayed stale where Vite, propagating the messages module, reloads.
            Ok(Some(listed)) if modules.iter().any(|(id, _)| listed.contains(id)) => {
                tracing::debug!(?ids, ?listed, "plugins' hot update answer");
                applied.left_out.extend(
                    modules
                        .into_iter()
                        .filter(|(id, _)| !listed.contains(id))
                        .map(|(_, module)| module),
                )
            }
            // An empty answer is Vite's "handled": the plugin does its own hot update (a
            // custom event to the page: analog's Angular components), and none of the file's
            // modules updates, nor the script modules that watched the file (its nodes'
            // importers there: the component of an edited `templateUrl`). Their new code goes
            // with the next update that has it. A stylesheet that watched it still updates,
            // as Vite updates a self-accepting module's CSS importers (Tailwind CSS's scans).
            // ... unless a confirmation built the plugins' view of the file, which may be of
            // the edited text itself (`Confirmations::primed_by_confirmation`): then the
            // engine decides, from what the new output changes.
            Ok(Some(listed)) if listed.is_empty() && primed => tracing::debug!(
                ?ids,
                "plugins' hot update answer is empty, but their view of the file came from a \
                 confirmation: the outputs decide"
            ),
            Ok(Some(listed)) if listed.is_empty() && !modules.is_empty() => {
                tracing::debug!(?ids, "plugins' hot update answer is empty: they handled it");
                applied
                    .left_out
                    .extend(modules.into_iter().map(|(_, module)| module));
                applied.left_out.extend(
                    watchers
                        .into_iter()
                        .map(|(_, module)| module)
                        .filter(|module| !is_css_request(module)),
                );
            }
            Ok(Some(listed)) => {
                tracing::debug!(
                    ?ids,
                    ?listed,
                    "plugins' hot update answer names none of its modules"
                )
            }
            Ok(None) => {}
            // (The build that follows shows it, as its transform's error. Logged once, there.)
            Err(error) => tracing::debug!("the plugins' hot update failed: {error}"),
        }
        applied.plugin_events.extend(plugins.take_custom_events());
        applied.reload_requested |= plugins.take_reload_requested();
    }

    /// The modules whose plugins watched `path` (`this.addWatchFile`), as plugin ids and as
    /// module ids.
    fn watchers_of(&self, path: &Path) -> Vec<(String, Arc<str>)> {
        let (Some(state), Some(file)) = (&self.state, self.db.files().get(path)) else {
            return Vec::new();
        };
        let root = self.db.files().root();
        state
            .watchers
            .get(&file)
            .into_iter()
            .flatten()
            .map(|&index| {
                let module = state.graph.files[index.idx()];
                (
                    plugin_id(root, module.path(&self.db)),
                    state.graph.module(index).id.clone(),
                )
            })
            .collect()
    }

    /// Tells the plugin host what this batch changed, before the build that follows (see
    /// `Plugins::files_changed`): Tailwind CSS's kept scanners extract only these files, and
    /// walk the sources again when something appeared or disappeared (`structural`).
    fn tell_plugins_files_changed(&self, files: &FileChanges) {
        if files.is_empty() {
            return;
        }
        if let Some(plugins) = self.db.plugins() {
            plugins.files_changed(files);
        }
    }

    /// A file or directory at `path` came or went: what resolves may have changed, and what
    /// a package's imports resolve to when it is in `node_modules`.
    fn came_or_went(&mut self, path: &Path, applied: &mut AppliedChanges) {
        applied.epoch_moved = true;
        self.packages_moved |= in_node_modules(path);
    }

    /// Everything resolves again: both epochs move.
    pub(super) fn move_epoch(&mut self) {
        self.move_source_epoch();
        self.project
            .set_package_epoch(&mut self.db)
            .with_durability(Durability::HIGH)
            .to(self.epoch);
    }

    /// Only files outside `node_modules` came or went: the app's imports resolve again, the
    /// packages' stay (`Project::package_epoch`).
    fn move_source_epoch(&mut self) {
        self.epoch += 1;
        self.packages_moved = false;
        self.db.resolvers().clear_cache();
        self.project
            .set_resolution_epoch(&mut self.db)
            .with_durability(Durability::HIGH)
            .to(self.epoch);
        self.pending.epoch_moved = true;
    }
}

/// The `line:column` a message about the file at `path` starts with (`<path>:8:3: …`), and
/// the message after it.
fn place_in_message<'m>(message: &'m str, path: &Path) -> Option<(u32, u32, &'m str)> {
    let rest = message.strip_prefix(path.to_str()?)?.strip_prefix(':')?;
    let mut parts = rest.splitn(3, ':');
    let line = parts.next()?.parse().ok()?;
    let column = parts.next()?.parse().ok()?;
    Some((line, column, parts.next()?.trim_start()))
}

#[cfg(test)]
mod tests {
    use super::place_in_message;
    use std::path::Path;

    #[test]
    fn a_config_errors_place_is_read_from_its_message() {
        let path = Path::new("/p/vite.config.ts");
        assert_eq!(
            place_in_message("/p/vite.config.ts:8:3: Unexpected token `]`", path),
            Some((8, 3, "Unexpected token `]`"))
        );
        assert_eq!(
            place_in_message("/p/vite.config.ts: cannot load the plugin", path),
            None
        );
        assert_eq!(place_in_message("Error: x", path), None);
    }
}
