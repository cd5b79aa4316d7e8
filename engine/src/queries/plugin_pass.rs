//! What a project's Vite plugins make of one module before hotloop compiles it: `load` (a
//! virtual module's code, a query sub-module's block), then `transform` (a `.vue` file into
//! JavaScript, a style block into CSS). Called by `parsed_module`; with no plugins (no
//! `vite.config`), or none whose filters match, it costs nothing and makes no round trip.
//!
//! The plugin transforms run before hotloop's own swc pass (TS strip, JSX, React Refresh, ESM
//! → registry factory), in Vite's order: the `pre` plugins on the source as loaded, then (for
//! a TS/JSX module a normal or `post` plugin transforms) Vite's own TS/JSX transform in the host
//! (`js/script-step.js`; its output says `moduleType: 'js'`, which `lang_of` takes), then the
//! others. A module only `pre` plugins transform keeps its TS and JSX for hotloop's pass, and
//! its key in the compile cache holds its tsconfig's settings, which that step reads. The
//! plugin's source map (its input → its output) is chained under
//! hotloop's (the output → the factory) by `chain_map`, so devtools show the `.vue`/`.svelte`
//! source; its absolute paths under the root become root-relative ids, like hotloop's own maps.
//!
//! A plugin's error that names its place only in words is placed in the text the plugin was
//! given (`error_place.rs`).

mod error_place;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::db::Db;
use crate::files::{FileClass, plugin_id};
use crate::inputs::{Project, SourceFile};
use crate::plugin_cache::{self, Answer, Kept};
use crate::transform::SourceKind;
use hotloop_protocol::plugin::{PluginEnv, PluginError};
use hotloop_protocol::{Diagnostic, DiagnosticKind, code_frame};

/// What the plugins made of a module.
pub enum PluginPass {
    /// No plugin loaded or transformed it: hotloop compiles the file's own text.
    Untouched,
    /// A plugin's output, to be compiled as `lang`, with the plugin's source map if it gave one.
    Code {
        code: String,
        map: Option<String>,
        lang: Lang,
        /// The files the plugins watched for it (`this.addWatchFile`), which the compile
        /// depends on like its own text.
        watched: Vec<SourceFile>,
    },
    /// A plugin failed, or nothing could produce the module; `watched` as for `Code` (the
    /// file the error names, when another: the partial a fix will edit).
    Failed {
        diagnostic: Diagnostic,
        watched: Vec<SourceFile>,
    },
}

/// The language of a plugin's output, as hotloop compiles it next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Script(SourceKind),
    /// A script whose id names no language (a `.vue` or `.mdx` file's output, a virtual
    /// module): compiled as TypeScript, a superset, with every import kept as written, as
    /// Vite, which runs no TS transform on it, keeps them (`ImportElision::Verbatim`).
    Unnamed,
    Css,
}

/// Vite's `isCSSRequest`: an id whose path or `lang.*` query names a stylesheet language.
pub fn is_css_request(id: &str) -> bool {
    const CSS_LANGS: [&str; 9] = [
        "css", "less", "sass", "scss", "styl", "stylus", "pcss", "postcss", "sss",
    ];
    let mut rest = id;
    while let Some(dot) = rest.find('.') {
        rest = &rest[dot + 1..];
        let end = rest.find(['?', '&']).unwrap_or(rest.len());
        let ext = &rest[..end];
        if CSS_LANGS.contains(&ext) && (end == rest.len() || rest[end..].starts_with('?')) {
            return true;
        }
    }
    false
}

/// The language a module's code is compiled as after the plugins: a stylesheet request's is
/// CSS; then the script `moduleType` the hooks gave (`js` after Vite's TS/JSX step), a
/// `lang.<ext>` query
/// (`App.vue?vue&type=script&lang.ts`), then the id's extension before its query
/// (`index.tsx?tsr-split=component`, the virtual `~icons/mdi/home.jsx`); a `.vue`/`.svelte`
/// file's output and virtual modules without a script extension are TypeScript-compatible
/// JavaScript.
pub fn lang_of(id: &str, path: &Path, module_type: Option<&str>) -> Lang {
    // (A stylesheet request stays a stylesheet: Vite's CSS plugins come after the others.)
    if is_css_request(id) {
        return Lang::Css;
    }
    if let Some(kind) = module_type.and_then(SourceKind::from_extension) {
        return Lang::Script(kind);
    }
    if let Some((_, query)) = id.split_once('?')
        && let Some(lang) = query.split('&').find_map(|part| part.strip_prefix("lang."))
        && let Some(kind) = SourceKind::from_path(&format!(".{lang}"))
    {
        return Lang::Script(kind);
    }
    let bare = id.split(['?', '#']).next().unwrap_or(id);
    if let Some(kind) = SourceKind::from_path(bare) {
        return Lang::Script(kind);
    }
    match FileClass::of(path) {
        FileClass::Script(kind) => Lang::Script(kind),
        _ => Lang::Unnamed,
    }
}

/// Runs the plugins' `load` and `transform` hooks for the module at `path` (module id `id`)
/// whose text is `text`, for the page or (`PluginEnv::Ssr`) the app's server. An output kept
/// in the compile cache for this text and config is taken from there, to be confirmed by the
/// plugins after the build (`plugin_cache.rs`).
pub fn run(db: &dyn Db, file: SourceFile, id: &str, text: &Arc<str>, env: PluginEnv) -> PluginPass {
    let Some(plugins) = db.plugins() else {
        return PluginPass::Untouched;
    };
    let path = file.path(db);
    // The plugins' answers depend on this besides the text; a script's also on its tsconfig,
    // which Vite's TS/JSX step before the normal plugins reads (the host's `script-step.js`).
    let mut fingerprint = Project::try_get(db).map_or(0, |p| p.options(db).plugins_fingerprint);
    let keep = Project::try_get(db).is_none_or(|p| p.options(db).keep_plugin_outputs);
    if matches!(FileClass::of(path), FileClass::Script(_)) {
        use std::hash::{Hash, Hasher};
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        file.tsconfig(db).hash(&mut hasher);
        fingerprint ^= hasher.finish();
    }
    let plugin_id = plugin_id(db.files().root(), path);
    let virtual_module = FileClass::of(path) == FileClass::Virtual;
    // What no plugin's filter admits is the file's own text, with no cache lookup either.
    if !virtual_module
        && !plugins.wants_load_in(env, &plugin_id)
        && !plugins.wants_transform_in(env, &plugin_id, text)
    {
        return PluginPass::Untouched;
    }
    // New plugins after the config was evaluated again hear of the module too.
    let _generation = Project::try_get(db).map(|p| p.plugins_generation(db));
    let cache = db.compile_cache();
    let volatile_key = (!virtual_module)
        .then(|| plugin_cache::volatile_key(cache, fingerprint, env, &plugin_id))
        .flatten();
    // (A module whose output differed from the kept one is not kept: `plugin_cache.rs`.)
    let key = volatile_key
        .filter(|&volatile| !plugin_cache::is_volatile(cache, volatile))
        .and_then(|_| plugin_cache::key(cache, fingerprint, env, &plugin_id, text));
    // (An edited file's outputs come from the plugins: `Confirmations::edited`.)
    if let Some(key) = key
        && keep
        && !db.plugin_confirmations().was_edited(path)
        && let Some(kept) = plugin_cache::read(cache, key)
    {
        let watched = depend_on(db, &kept.watch_files);
        if watch_digest(db, &watched) == kept.watch_digest {
            db.plugin_confirmations()
                .add(key, volatile_key, env, path, &plugin_id, text, &kept);
            return code(id, path, kept, watched);
        }
    }
    // A query sub-module asked while its file's output waits to be confirmed: the file first,
    // so that the plugin holds what its `load` reads.
    if key.is_some()
        && let Some((file, _)) = crate::files::split_query(path)
    {
        db.plugin_confirmations()
            .confirm_file(&file, plugins, cache, false);
    }
    match plugin_cache::ask(plugins, env, &plugin_id, virtual_module, text) {
        Answer::Untouched => PluginPass::Untouched,
        Answer::Code(mut kept) => {
            log_warnings(id, &kept.warnings);
            if kept.from_middleware {
                db.plugin_confirmations().served(path);
            }
            let watched = depend_on(db, &kept.watch_files);
            if let Some(key) = key {
                kept.watch_digest = watch_digest(db, &watched);
                kept.after_edit = db.plugin_confirmations().was_edited(path);
                plugin_cache::write(cache, key, &kept);
            }
            code(id, path, kept, watched)
        }
        // A part of a file that is gone (a page renamed while a plugin's routes module still
        // names its `?definePage` block, by the file's path): an import of a file that is not
        // there, which the next batch (the plugin's new routes) usually clears.
        Answer::UnloadedVirtual => match gone_file_of_part(db, Path::new(&plugin_id)) {
            Some(file) => part_of_missing_file(db, id, &file),
            None => unloaded_virtual(id, &plugin_id, Vec::new()),
        },
        Answer::Failed {
            error,
            loaded,
            watch_files,
        } => failed(db, path, id, text, loaded, &error, &watch_files),
    }
}

/// A hook's failure as the module's diagnostic (`text`: the module's text, or what `loaded`
/// gave, which the hook saw), with the files it watched and, for an error in another file (a
/// partial), that file: the diagnostic names it and its frame comes from its text. An error in
/// what a `load` cut out of the module's own file (an SFC's `<style lang="scss">` block) is
/// placed in that file through the load's map, as Vite places it.
fn failed(
    db: &dyn Db,
    path: &Path,
    id: &str,
    text: &str,
    loaded: Option<(String, Option<String>)>,
    error: &PluginError,
    watch_files: &[PathBuf],
) -> PluginPass {
    // The plugin may have failed on a file it read from disk that its error does not name (a
    // stylesheet's `@import` of a file deleted, or not there yet): the failure depends on the
    // files that come and go (the resolution epoch). Made of the module's text alone, it
    // counted as changed no later than that text, so the modules' projections kept the last
    // good compile's (no error shown; the watched files it dropped went unheard: a stale page
    // without a message).
    let _epoch = Project::try_get(db).map(|p| p.resolution_epoch(db));
    let mut watched = depend_on(db, watch_files);
    let (text, load_map) = match &loaded {
        Some((code, map)) => (code.as_str(), map.as_deref()),
        None => (text, None),
    };
    if let Some(in_file) = in_loaded_file(db, path, error, load_map) {
        watched.push(in_file.file);
        let id = in_file.file.id(db).clone();
        return PluginPass::Failed {
            diagnostic: diagnostic(&id, &in_file.text, &in_file.error),
            watched,
        };
    }
    let diagnostic = match error_file(db, path, error) {
        Some(file) => {
            watched.push(file);
            let other = file.contents(db).text().unwrap_or_else(|| Arc::from(""));
            let id = file.id(db).clone();
            in_other_file(diagnostic(&id, &other, error), &other, error)
        }
        None => diagnostic(id, text, error),
    };
    PluginPass::Failed {
        diagnostic,
        watched,
    }
}

/// A plugin output as the compile that follows takes it, `watched` its watched files' inputs.
fn code(id: &str, path: &Path, kept: Kept, watched: Vec<SourceFile>) -> PluginPass {
    PluginPass::Code {
        watched,
        code: kept.code,
        lang: lang_of(id, path, kept.module_type.as_deref()),
        map: kept.map,
    }
}

/// A hash of what the files a plugin watched hold now (read through their inputs, so a later
/// change of one compiles the module again as it would anyway).
fn watch_digest(db: &dyn Db, watched: &[SourceFile]) -> u64 {
    use crate::inputs::FileContents;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for file in watched {
        match file.contents(db) {
            FileContents::Missing => hasher.update(b"\0missing"),
            FileContents::Text(text) => {
                hasher.update(&(text.len() as u64).to_le_bytes());
                hasher.update(&text.hash().to_le_bytes());
            }
            FileContents::Binary { hash, len } => {
                hasher.update(&hash.to_le_bytes());
                hasher.update(&len.to_le_bytes());
            }
        }
    }
    hasher.digest()
}

/// The file whose query sub-module `path` is (`/abs/About.vue?definePage&vue`), when that
/// file does not exist (deleted or renamed), as the database sees it.
pub(crate) fn gone_file_of_part(db: &dyn Db, path: &Path) -> Option<PathBuf> {
    let (file, _) = crate::files::split_query(path)?;
    (file.is_absolute() && !db.files().get_or_read(db, &file).contents(db).exists()).then_some(file)
}

/// A query sub-module of `file`, which does not exist: no plugin loads it.
fn part_of_missing_file(db: &dyn Db, id: &str, file: &Path) -> PluginPass {
    let file_id = db.files().module_id(file);
    PluginPass::Failed {
        watched: Vec::new(),
        diagnostic: Diagnostic {
            kind: DiagnosticKind::Resolve,
            file: id.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "{file_id} does not exist (deleted or renamed?), so nothing loads this part of \
                 it; change or remove the import that names it"
            ),
            code_frame: String::new(),
        },
    }
}

/// A virtual module no plugin's `load` answered for.
fn unloaded_virtual(id: &str, plugin_id: &str, watched: Vec<SourceFile>) -> PluginPass {
    PluginPass::Failed {
        watched,
        diagnostic: Diagnostic {
            kind: DiagnosticKind::Transform,
            file: id.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "no plugin loads the virtual module '{plugin_id}': a plugin resolved it but none \
                 of the config's plugins has a `load` hook that answers for it"
            ),
            code_frame: String::new(),
        },
    }
}

/// An asset (one of Vite's asset types) in a project with plugins: a `load` hook that answers
/// for it makes it a module, as under Vite, where the plugins' `load` comes before the asset
/// plugin's (vite-plugin-wasm's `.wasm` modules); else it stays its URL (`Untouched`). Never
/// kept in the compile cache: the plugin reads the file itself.
pub fn run_for_asset(db: &dyn Db, path: &Path, id: &str, env: PluginEnv) -> PluginPass {
    let Some(plugins) = db.plugins() else {
        return PluginPass::Untouched;
    };
    let _fingerprint = Project::try_get(db).map(|p| p.options(db).plugins_fingerprint);
    let plugin_id = plugin_id(db.files().root(), path);
    if !plugins.wants_load_in(env, &plugin_id) {
        return PluginPass::Untouched;
    }
    match plugin_cache::ask(plugins, env, &plugin_id, true, "") {
        Answer::Untouched | Answer::UnloadedVirtual => PluginPass::Untouched,
        Answer::Code(kept) => {
            log_warnings(id, &kept.warnings);
            let watched = depend_on(db, &kept.watch_files);
            code(id, path, kept, watched)
        }
        Answer::Failed {
            error,
            loaded,
            watch_files,
        } => failed(db, path, id, "", loaded, &error, &watch_files),
    }
}

/// Whether any plugin of either environment may load or transform the module at `path` (text
/// `text`): only then does the app's server get a compile of its own
/// (`parsed::server_parsed_module`), run with the ssr environment's plugins (which may be
/// none of those the page's compile ran: `applyToEnvironment`).
pub fn touches(db: &dyn Db, path: &Path, text: &str) -> bool {
    let Some(plugins) = db.plugins() else {
        return false;
    };
    // The plugins' filters depend on this besides the text.
    let _fingerprint = Project::try_get(db).map(|p| p.options(db).plugins_fingerprint);
    let plugin_id = plugin_id(db.files().root(), path);
    [PluginEnv::Client, PluginEnv::Ssr].into_iter().any(|env| {
        plugins.wants_load_in(env, &plugin_id) || plugins.wants_transform_in(env, &plugin_id, text)
    })
}

/// `this.addWatchFile(file)`: the module's compile depends on `file` (a Sass partial, a
/// config the plugin read, a source Tailwind CSS scanned for class names) as on its own text.
/// Reading the file's input records that with salsa, and the watcher's reports reach the input
/// like any other file's; the inputs are returned so the host can find the module from the
/// file (`host/build.rs`). Globs and relative paths (`@tailwindcss/vite` watches its source
/// patterns too) name no one file and are left out.
fn depend_on(db: &dyn Db, files: &[std::path::PathBuf]) -> Vec<SourceFile> {
    let mut inputs = Vec::with_capacity(files.len());
    let mut seen = rustc_hash::FxHashSet::default();
    for file in files {
        if !file.is_absolute() || file.to_string_lossy().contains(['*', '{', '?']) {
            continue;
        }
        // A file hotloop knows already is looked up as given (Tailwind CSS reports every source
        // it scanned, on each compile): only an unknown one costs a `realpath`.
        let input = match db.files().get(file) {
            Some(input) => input,
            None => {
                let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
                db.files().get_or_read(db, &path)
            }
        };
        let _ = input.contents(db);
        if seen.insert(input) {
            inputs.push(input);
        }
    }
    inputs
}

/// The file a plugin's error names when it is not the module's own (a Sass partial): the
/// failed compile depends on it, so the fix, which edits that file, compiles the module again.
/// An error placed in the module's own file (see [`failed`]): that file, its text, and the
/// error at the place the load's map gives, with no frame of its own (the plugin's shows the
/// block's lines).
struct InLoadedFile {
    file: SourceFile,
    text: Arc<str>,
    error: PluginError,
}

/// The error of a query sub-module (`App.vue?vue&type=style&index=0&lang.scss`) at a place in
/// what its `load` gave, placed in its file (`App.vue`) through the load's map when the map's
/// source is that file.
fn in_loaded_file(
    db: &dyn Db,
    path: &Path,
    error: &PluginError,
    load_map: Option<&str>,
) -> Option<InLoadedFile> {
    let (base, _) = crate::files::split_query(path)?;
    let (line, column) = error.loc?;
    let named = error
        .id
        .as_deref()
        .map(|id| id.split(['?', '#']).next().unwrap_or(id));
    if named.is_some_and(|named| Path::new(named) != base && Path::new(named) != path) {
        return None;
    }
    let (line, column) = original_position(load_map?, &base, line, column)?;
    let file = depend_on(db, &[base]).pop()?;
    let text = file.contents(db).text()?;
    Some(InLoadedFile {
        file,
        text,
        error: PluginError {
            loc: Some((line, column)),
            frame: None,
            ..error.clone()
        },
    })
}

/// Where the 1-based `line` and `column` of a plugin's output lie in `file`, the file it was
/// made from, by the plugin's `map`: `None` when the map does not parse or places them in
/// another source.
pub fn original_position(map: &str, file: &Path, line: u32, column: u32) -> Option<(u32, u32)> {
    let map = swc_sourcemap::SourceMap::from_slice(map.as_bytes()).ok()?;
    let token = map.lookup_token(line.checked_sub(1)?, column.saturating_sub(1))?;
    let source = Path::new(token.get_source()?);
    let source_is_file = source == file
        || file
            .file_name()
            .is_some_and(|name| source == Path::new(name))
        || file.ends_with(source.strip_prefix("/").unwrap_or(source));
    if !source_is_file {
        return None;
    }
    // The token starts at or before the place: the rest of the way, on its line or below.
    let (dst_line, dst_col) = (token.get_dst_line(), token.get_dst_col());
    let src_line = token.get_src_line() + (line - 1 - dst_line);
    let src_col = if line - 1 == dst_line {
        token.get_src_col() + (column.saturating_sub(1) - dst_col)
    } else {
        column.saturating_sub(1)
    };
    Some((src_line + 1, src_col + 1))
}

fn error_file(db: &dyn Db, path: &Path, error: &PluginError) -> Option<SourceFile> {
    let file = Path::new(error.id.as_deref()?.split(['?', '#']).next()?);
    if file == path || !file.is_absolute() {
        return None;
    }
    depend_on(db, &[file.to_path_buf()]).pop()
}

/// hotloop's map of a compiled plugin output (`compiled`: the output → the factory) chained
/// over the plugin's (`plugin`: the original → the output), so positions in the factory map to
/// the original file. A relative source is relative to the module's directory (`path`'s), as
/// Vite reads it (vite-plugin-svelte writes `App.svelte`); sources under `root` become
/// root-relative ids (`/src/App.vue`). `None` when either map does not parse (the caller keeps
/// its own).
pub fn chain_map(compiled: &str, plugin: &str, root: &Path, path: &Path) -> Option<String> {
    let compiled = swc_sourcemap::SourceMap::from_slice(compiled.as_bytes()).ok()?;
    let mut chained = swc_sourcemap::SourceMap::from_slice(plugin.as_bytes()).ok()?;
    chained.adjust_mappings(&compiled);
    root_relative_sources(&mut chained, root, path);
    let mut json = Vec::new();
    chained.to_writer(&mut json).ok()?;
    String::from_utf8(json).ok()
}

/// A plugin map's sources as hotloop names them: relative to the module's directory (`path`'s)
/// when relative, root-relative ids (`/src/App.vue`) when under `root`; no `sourceRoot`.
fn root_relative_sources(map: &mut swc_sourcemap::SourceMap, root: &Path, path: &Path) {
    for index in 0..map.get_source_count() {
        let Some(source) = map.get_source(index) else {
            continue;
        };
        let source = Path::new(&**source);
        let absolute = if source.is_absolute() {
            lexical_normal(source)
        } else {
            lexical_normal(&path.parent().unwrap_or(root).join(source))
        };
        if let Ok(rel) = absolute.strip_prefix(root) {
            let id = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
            map.set_source(index, id.into());
        }
    }
    map.set_source_root(None::<String>);
}

/// The plugin's map of a stylesheet it compiled (Sass, Less, PostCSS: the CSS → the source) as
/// the comment that ends the served CSS, `/*# sourceMappingURL=data:... */`, so devtools show
/// the `.scss` line of a rule. Sources become root-relative ids as in [`chain_map`];
/// `sourcesContent` is what the plugin host put there (`js/css.js`). `None` when the map does
/// not parse.
pub fn css_map_comment(plugin: &str, root: &Path, path: &Path) -> Option<String> {
    use base64::Engine as _;
    let mut map = swc_sourcemap::SourceMap::from_slice(plugin.as_bytes()).ok()?;
    root_relative_sources(&mut map, root, path);
    let mut json = Vec::new();
    map.to_writer(&mut json).ok()?;
    let mut comment = String::from("/*# sourceMappingURL=data:application/json;base64,");
    base64::engine::general_purpose::STANDARD.encode_string(&json, &mut comment);
    comment.push_str(" */");
    Some(comment)
}

/// A module's warnings from its plugins, at debug level: the plugin host logged each as the
/// plugin raised it (`[plugin name] ...`), and a second copy is noise.
fn log_warnings(id: &str, warnings: &[String]) {
    for warning in warnings {
        tracing::debug!("{id}: {warning}");
    }
}

/// A plugin's error as the overlay shows it: the plugin's name first, its location and code
/// frame when it gave them (else a frame made from the text it was given; without a location,
/// the place of the source text its message quotes, `error_place.rs`).
pub fn diagnostic(id: &str, text: &str, error: &PluginError) -> Diagnostic {
    // A frame of the file's own text (a `<script setup>` error's, whose `loc` is the block's)
    // places it first.
    let place = error
        .frame
        .as_deref()
        .and_then(|frame| error_place::place_from_frame(frame, text))
        .or(error.loc)
        .or_else(|| error_place::place_from_message(&error.message, text));
    let (line, column) = place.unwrap_or((1, 1));
    let who = if error.plugin.is_empty() {
        "[plugin host]".to_string()
    } else {
        format!("[plugin {}]", error.plugin)
    };
    Diagnostic {
        kind: DiagnosticKind::Transform,
        file: id.to_string(),
        line,
        column,
        // The hook is named on the message's first line: a message may carry its own frame
        // (vite-plugin-svgr's XML error), which the note followed.
        message: match error.message.split_once('\n') {
            Some((first, rest)) => format!("{who} {first} (in its `{}` hook)\n{rest}", error.hook),
            None => format!("{who} {} (in its `{}` hook)", error.message, error.hook),
        },
        code_frame: match (&error.frame, place) {
            (Some(frame), _) if !frame.is_empty() => frame.clone(),
            (_, Some((line, column))) => code_frame(text, line, column),
            _ => String::new(),
        },
    }
}

/// The diagnostic of an error in another file than the module's (a partial), made by
/// [`diagnostic`] with that file's `text`: a frame the plugin made of the module's own text
/// (Less quotes the importer's lines at the partial's line) is made again from the file's.
fn in_other_file(mut diagnostic: Diagnostic, text: &str, error: &PluginError) -> Diagnostic {
    let own_frame = error
        .frame
        .as_deref()
        .is_some_and(|frame| error_place::place_from_frame(frame, text).is_some());
    if !own_frame && error.frame.is_some() && error.loc.is_some() {
        diagnostic.code_frame = code_frame(text, diagnostic.line, diagnostic.column);
    }
    diagnostic
}

/// `path` with `.` and `..` components resolved without touching the file system.
fn lexical_normal(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_without_a_location_points_at_the_text_its_message_quotes() {
        let error = PluginError {
            plugin: "@tailwindcss/vite:generate:serve".into(),
            hook: "transform".into(),
            id: None,
            message: "Missing closing } at .card".into(),
            loc: None,
            frame: None,
        };
        let css = "@import \"tailwindcss\";\n\n.card {\n  color: red;\n";
        let d = diagnostic("/src/index.css", css, &error);
        assert_eq!((d.line, d.column), (3, 1));
        assert!(d.code_frame.contains("> 3 | .card {"), "{}", d.code_frame);
        // Nothing quoted that the text holds: line 1, no frame (as before).
        let d = diagnostic(
            "/src/index.css",
            css,
            &PluginError {
                message: "Unexpected end of input".into(),
                ..error
            },
        );
        assert_eq!((d.line, d.column, d.code_frame.as_str()), (1, 1, ""));
    }

    /// vite-plugin-svgr's XML error carries its own frame in its message: the hook is named on
    /// its first line, not under the frame's caret (sweep 16).
    #[test]
    fn the_hook_is_named_on_the_first_line_of_a_message_with_a_frame() {
        let error = PluginError {
            plugin: "vite-plugin-svgr".into(),
            hook: "load".into(),
            id: None,
            message: "Expected > (0:5)\n\n<svg <<< xmlns=\"http://www.w3.org/2000/svg\">\n     ^"
                .into(),
            loc: None,
            frame: None,
        };
        let d = diagnostic(
            "/src/logo.svg",
            "<svg <<< xmlns=\"http://www.w3.org/2000/svg\">\n",
            &error,
        );
        assert_eq!(
            d.message,
            "[plugin vite-plugin-svgr] Expected > (0:5) (in its `load` hook)\n\n<svg <<< xmlns=\"http://www.w3.org/2000/svg\">\n     ^"
        );
    }

    /// Less's error in a partial quotes the importer's lines at the partial's line: the frame is
    /// the partial's own; a frame the partial's text holds is kept.
    #[test]
    fn an_error_in_a_partial_gets_the_partials_frame() {
        let partial = "\n\n@c: rgb(0, 0, 255;\n";
        let error = PluginError {
            plugin: "hotloop:css".into(),
            hook: "transform".into(),
            id: Some("/p/src/partials/colors.less".into()),
            message: "[less] @c rule is missing block or ending semi-colon".into(),
            loc: Some((3, 3)),
            frame: Some("1 | // line 1 of app.less\n2 | @import 'partials/colors.less';\n3 | .t { color: @c; }\n  |   ^".into()),
        };
        let d = in_other_file(
            diagnostic("/src/partials/colors.less", partial, &error),
            partial,
            &error,
        );
        assert_eq!((d.line, d.column), (3, 3));
        assert!(
            d.code_frame.contains("> 3 | @c: rgb(0, 0, 255;"),
            "{}",
            d.code_frame
        );
        assert!(!d.code_frame.contains("app.less"), "{}", d.code_frame);
        let own = PluginError {
            frame: Some("3 | @c: rgb(0, 0, 255;\n  |   ^".into()),
            ..error
        };
        let d = in_other_file(
            diagnostic("/src/partials/colors.less", partial, &own),
            partial,
            &own,
        );
        assert_eq!(d.code_frame, "3 | @c: rgb(0, 0, 255;\n  |   ^");
    }

    #[test]
    fn css_requests_as_vite_sees_them() {
        for id in [
            "/p/a.css",
            "/p/App.vue?vue&type=style&index=0&lang.css",
            "/p/App.vue?vue&type=style&index=0&scoped=1&lang.scss",
            "/p/a.module.less",
            "/p/a.css?inline",
        ] {
            assert!(is_css_request(id), "{id}");
        }
        for id in [
            "/p/a.js",
            "/p/App.vue",
            "/p/App.vue?vue&type=script&lang.ts",
            "/p/css.js",
            "/p/a.cssx",
        ] {
            assert!(!is_css_request(id), "{id}");
        }
    }

    #[test]
    fn output_languages() {
        let lang = |id: &str| lang_of(id, Path::new(id), None);
        assert_eq!(lang("/p/App.vue"), Lang::Unnamed);
        assert_eq!(lang("/p/Page.mdx"), Lang::Unnamed);
        // What the hooks said wins over the id (Vite's TS/JSX step made JS of a `.tsx`), but a
        // stylesheet request stays CSS.
        assert_eq!(
            lang_of("/p/App.tsx", Path::new("/p/App.tsx"), Some("js")),
            Lang::Script(SourceKind::Js)
        );
        assert_eq!(
            lang_of("/p/a.css", Path::new("/p/a.css"), Some("js")),
            Lang::Css
        );
        assert_eq!(
            lang("/p/App.vue?vue&type=script&lang.tsx"),
            Lang::Script(SourceKind::Tsx)
        );
        assert_eq!(lang("/p/App.vue?vue&type=style&lang.css"), Lang::Css);
        assert_eq!(lang("/p/a.jsx"), Lang::Script(SourceKind::Jsx));
        // A plugin's query on a script keeps its language (TanStack Router's split routes).
        assert_eq!(
            lang("/p/routes/index.tsx?tsr-split=component"),
            Lang::Script(SourceKind::Tsx)
        );
        // A virtual module's extension says it (unplugin-icons' JSX components).
        assert_eq!(
            lang_of(
                "/@id/~icons/mdi/home.jsx",
                Path::new("/p/@id/~icons/mdi/home.jsx"),
                None
            ),
            Lang::Script(SourceKind::Jsx)
        );
        assert_eq!(lang("/@id/__x00__virtual:routes"), Lang::Unnamed);
    }

    #[test]
    fn a_stylesheets_map_ends_it_as_a_data_url_with_root_relative_sources() {
        use base64::Engine as _;
        let map = serde_json::json!({
            "version": 3,
            "sources": ["/work/app/src/App.scss", "styles/_theme.scss"],
            "sourcesContent": ["h1 { color: red; }\n", "$a: 1;\n"],
            "names": [],
            "mappings": "AAAA",
        })
        .to_string();
        let comment = css_map_comment(
            &map,
            Path::new("/work/app"),
            Path::new("/work/app/src/App.scss"),
        )
        .expect("a comment");
        let data = comment
            .strip_prefix("/*# sourceMappingURL=data:application/json;base64,")
            .and_then(|rest| rest.strip_suffix(" */"))
            .expect("the comment's shape");
        let json = base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("base64");
        let decoded: serde_json::Value = serde_json::from_slice(&json).expect("a map");
        assert_eq!(
            decoded["sources"],
            serde_json::json!(["/src/App.scss", "/src/styles/_theme.scss"])
        );
        assert_eq!(decoded["sourcesContent"][1], "$a: 1;\n");
        assert_eq!(decoded["mappings"], "AAAA");
        assert_eq!(
            css_map_comment("not a map", Path::new("/w"), Path::new("/w/a.scss")),
            None
        );
    }

    use crate::transform::{TransformOptions, compile_module};

    const ORIGINAL: &str = "<template>hi</template>\n<script>\nconst a = 1;\nexport const msg = 'hi' + a;\n</script>\n";
    const OUTPUT: &str = "const a = 1;\nexport const msg = 'hi' + a;\n";

    #[test]
    fn chain_map_maps_the_factory_back_to_the_plugins_original() {
        // The plugin's map: output lines 0 and 1 come from lines 2 and 3 of the `.vue` file.
        let plugin = serde_json::json!({
            "version": 3,
            "sources": ["/work/app/src/App.vue"],
            "sourcesContent": [ORIGINAL],
            "names": [],
            "mappings": "AAEA;AACA",
        })
        .to_string();
        let compiled = compile_module(
            "/src/App.vue",
            SourceKind::Ts,
            OUTPUT,
            &TransformOptions::default(),
        );
        let code = compiled.code.expect("code");
        let ours = compiled.map.and_then(|map| map.text()).expect("map");
        let root = Path::new("/work/app");
        let file = Path::new("/work/app/src/App.vue");
        let chained = super::chain_map(&ours, &plugin, root, file).expect("chained");

        let map = swc_sourcemap::SourceMap::from_slice(chained.as_bytes()).unwrap();
        let (line, column) = code
            .lines()
            .enumerate()
            .find_map(|(i, l)| l.find("const msg=\"hi\"+a").map(|c| (i as u32, c as u32)))
            .expect("the export in the factory");
        let token = map
            .lookup_token(line, column + 6)
            .expect("a mapping at the name");
        assert_eq!(
            token.get_source().map(|s| &**s),
            Some("/src/App.vue"),
            "{chained}"
        );
        assert_eq!(token.get_src_line(), 3, "{chained}");
        assert_eq!(
            map.get_source_contents(0).map(|s| &**s),
            Some(ORIGINAL),
            "the .vue text, not the plugin's output"
        );
        // A map that does not parse leaves the caller's own.
        assert_eq!(super::chain_map(&ours, "not a map", root, file), None);

        // vite-plugin-svelte's sources are relative to the module's directory.
        let relative = plugin.replace("/work/app/src/App.vue", "../src/./App.vue");
        let chained = super::chain_map(&ours, &relative, root, file).expect("chained");
        let map = swc_sourcemap::SourceMap::from_slice(chained.as_bytes()).unwrap();
        assert_eq!(map.get_source(0).map(|s| &**s), Some("/src/App.vue"));
    }
}
