//! The engine with a project's plugins: modules only plugins make (a `.vue`-like file, its
//! style sub-module, a virtual module) are modules of the graph like any other, compiled after
//! the plugins' `load`/`transform`, and an edit re-runs only what it touches.
//!
//! The plugins here are a small deterministic set written in Rust against the
//! `hotloop_protocol::plugin::Plugins` seam (what the engine sees of the Node.js plugin host),
//! so that the queries' executions can be counted; the real host, running the real
//! `@vitejs/plugin-vue`, is exercised by its own crate's tests and the end-to-end suite.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use expect_test::expect;

use crate::testing::{Incremental, sent_modules};
use hotloop_protocol::plugin::{FileChanges, Output, PluginEnv, PluginError, Plugins, Resolved};

/// ``*.vue` files here are `<template>TEXT</template><style>CSS</style>`: the transform makes a JS
/// module exporting TEXT that imports its style sub-module (`?sfc&type=style&lang.css`), whose
/// `load` is the style block. `virtual:greeting` is a virtual module. `boom` in a template is
/// a plugin error at its position.
#[derive(Default)]
struct SfcPlugins {
    hot_updates: AtomicUsize,
    /// `transform` and `load` calls (round trips to Node, were this the real host).
    asked: AtomicUsize,
    /// Every `files_changed` heard: the changed paths, and whether it was structural.
    files_changed: Mutex<Vec<(Vec<String>, bool)>>,
    /// Every `files_changed` heard: the files created and removed.
    created_removed: Mutex<Vec<(Vec<String>, Vec<String>)>>,
    /// Each `resolve_ids_in` call's specifiers, in order.
    resolve_batches: Mutex<Vec<Vec<String>>>,
    /// While set, `virtual:flaky`'s `load` fails (it reads what it cannot see yet).
    flaky_fails: AtomicBool,
    /// What the next hot update does besides: the module ids it marks stale
    /// (`server.reloadModule`) and whether it asks for a reload.
    on_hot_update: Mutex<(Vec<String>, bool)>,
    /// What a hot update did and nobody took yet (`take_invalidated`, `take_reload_requested`).
    said: Mutex<(Vec<String>, bool)>,
    /// While set, a hot update answers only the file's style sub-module (plugin-vue's answer
    /// to a `<style>`-only edit).
    answer_style_only: AtomicBool,
    /// What `{{session}}` in a template becomes (see `transform`).
    session: AtomicUsize,
    /// While set, a hot update answers `[]`: the plugin handled it (Vite's documented way to
    /// do one's own hot update with custom events).
    answer_empty: AtomicBool,
    /// Each hot update's file and the importers it was given, in order.
    hot_update_importers: Mutex<Vec<(String, Vec<String>)>>,
    /// While set, a hot update answers another module only (@intlify/unplugin-vue-i18n's
    /// messages module, for any JSON file).
    answer_other_only: AtomicBool,
    /// `{{pair}}` transforms so far: each waits (at most [`PAIR_WAIT`]) for the other of its
    /// pair to arrive, and says whether it did (a compiler that takes requests at once).
    pairs: (Mutex<usize>, std::sync::Condvar),
    /// A file and the text the plugins write to it when they hear that a file was removed (a
    /// route generator's `watchChange`: TanStack Router's `routeTree.gen.ts`).
    on_removed_write: Mutex<Option<(std::path::PathBuf, String)>>,
    /// The style block each file's last `transform` saw, for a block whose `load` reads the
    /// plugin's state rather than the file (`/* from transform */`: plugin-vue's descriptor
    /// cache), and whether such a `load` came while a transform of its file ran.
    descriptors: Descriptors,
    /// While set, a `.vue` file's `transform` notes its template as the file on disk holds it
    /// (once, as plugin-vue fills its hot-update descriptor from the file), and a hot update
    /// answers `[]` when the file's template is still the noted one, else the file's module.
    compare_with_disk: AtomicBool,
    /// The templates noted for `compare_with_disk`, by plugin id.
    hot_templates: Mutex<std::collections::HashMap<String, String>>,
    /// While set, a hot update answers only the file's `type=block` sub-module (plugin-vue's
    /// answer to an `<i18n>` block's edit).
    answer_block_only: AtomicBool,
    /// Files a hot update was heard for: `{{rerender}}` in their template adds
    /// `_rerender_only` to the output from then on (plugin-vue's, once it has the file's
    /// previous descriptor).
    heard: Mutex<std::collections::HashSet<String>>,
    /// While set, a hot update answers the file's own module (plugin-vue's answer to a
    /// template or script edit).
    answer_file_only: AtomicBool,
    /// The template of each text a hot update was given (`read()`), in order.
    hot_update_templates: Mutex<Vec<String>>,
}

/// Each file's last transformed style block, and whether a `load` of such a block came while a
/// transform waited (`SfcPlugins::descriptors`).
type Descriptors = (
    Mutex<(std::collections::HashMap<String, String>, bool)>,
    std::sync::Condvar,
);

/// How long a `{{pair}}` transform waits for the other of its pair.
const PAIR_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl SfcPlugins {
    /// `together` when the other transform of this one's pair arrived while it waited.
    fn pair(&self) -> &'static str {
        let (arrived, cvar) = &self.pairs;
        let mut n = arrived.lock().unwrap();
        *n += 1;
        let target = n.div_ceil(2) * 2;
        cvar.notify_all();
        let (n, _) = cvar
            .wait_timeout_while(n, PAIR_WAIT, |n| *n < target)
            .unwrap();
        if *n >= target { "together" } else { "alone" }
    }
}

impl SfcPlugins {
    fn resolve_batches(&self) -> Vec<Vec<String>> {
        self.resolve_batches.lock().unwrap().clone()
    }
}

/// The plugin's `load` failing on `id` with `message`, at no place.
fn load_error(id: &str, message: &str) -> PluginError {
    PluginError {
        plugin: "sfc".into(),
        hook: "load".into(),
        id: Some(id.into()),
        message: message.into(),
        loc: None,
        frame: None,
    }
}

/// A source map whose `lines` output lines are the lines of `file` from line `start` (0-based)
/// on, column for column.
fn block_map(file: &str, start: usize, lines: usize) -> String {
    fn vlq(value: i64) -> String {
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut v = if value < 0 {
            (-value << 1) | 1
        } else {
            value << 1
        };
        let mut out = String::new();
        loop {
            let mut digit = v & 31;
            v >>= 5;
            if v > 0 {
                digit |= 32;
            }
            out.push(B64[digit as usize] as char);
            if v == 0 {
                return out;
            }
        }
    }
    let mut mappings = format!("AA{}A", vlq(start as i64));
    for _ in 1..lines.max(1) {
        mappings.push_str(";AACA");
    }
    serde_json::json!({ "version": 3, "sources": [file], "names": [], "mappings": mappings })
        .to_string()
}

fn block<'a>(text: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = text.find(&open).map_or(0, |i| i + open.len());
    let end = text.find(&close).unwrap_or(text.len());
    text.get(start..end).unwrap_or("")
}

impl Plugins for SfcPlugins {
    fn fingerprint(&self) -> u64 {
        7
    }

    fn wants_resolve(&self, specifier: &str) -> bool {
        specifier.starts_with("virtual:") || specifier.contains("?sfc")
    }

    fn resolve_id(
        &self,
        specifier: &str,
        importer: Option<&str>,
    ) -> Result<Option<Resolved>, PluginError> {
        Ok(Some(Resolved {
            id: if specifier.starts_with("virtual:") {
                format!("\0{specifier}")
            } else if let (Some(rest), Some(importer)) = (specifier.strip_prefix("./"), importer) {
                // A sub-module named from a file beside it (a glob's `./App.vue?sfc&...`).
                let dir = std::path::Path::new(importer).parent().expect("a file");
                dir.join(rest).to_string_lossy().into_owned()
            } else {
                specifier.to_string()
            },
            external: false,
        }))
    }

    // The trait's own shape (see `Plugins`: a large but rare error).
    #[allow(clippy::result_large_err)]
    fn resolve_ids_in(
        &self,
        env: PluginEnv,
        specifiers: &[&str],
        importer: Option<&str>,
    ) -> Vec<Result<Option<Resolved>, PluginError>> {
        self.resolve_batches
            .lock()
            .unwrap()
            .push(specifiers.iter().map(|s| s.to_string()).collect());
        specifiers
            .iter()
            .map(|specifier| self.resolve_id_in(env, specifier, importer))
            .collect()
    }

    fn wants_load(&self, id: &str) -> bool {
        id.starts_with('\0') || id.contains("?sfc")
    }

    fn load(&self, id: &str) -> Result<Option<Output>, PluginError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if id == "\0virtual:flaky" && self.flaky_fails.load(Ordering::SeqCst) {
            return Err(load_error(id, "not ready"));
        }
        if id == "\0virtual:greeting" {
            return Ok(Some(Output {
                code: "export default 'hello from a plugin';\n".into(),
                ..Output::default()
            }));
        }
        if let Some(name) = id.strip_prefix("\0virtual:") {
            return Ok(Some(Output {
                code: format!("export default {name:?};\n"),
                ..Output::default()
            }));
        }
        let (file, _) = id.split_once('?').expect("a sub-module");
        // A block of a file that is gone: nothing to load (unplugin-vue-router's `?definePage`).
        let Ok(text) = std::fs::read_to_string(file) else {
            return Ok(None);
        };
        // `BOOM` in a file fails its transform and its blocks' `load` (plugin-vue's cannot
        // load a block of a file it could not parse).
        if text.contains("BOOM") {
            return Err(load_error(id, "no descriptor"));
        }
        // `NOTHING` too fails its transform, and its blocks' `load` has nothing for them
        // (vite-plugin-svelte's style module of a component that did not compile).
        if text.contains("NOTHING") {
            return Ok(None);
        }
        let style = block(&text, "style");
        if style.contains("/* from transform */") {
            let (state, cvar) = &self.descriptors;
            let mut state = state.lock().unwrap();
            state.1 = true;
            cvar.notify_all();
            return Ok(Some(Output {
                code: state.0.get(file).cloned().unwrap_or_default(),
                ..Output::default()
            }));
        }
        // The block's map back to its lines in the file (compiler-sfc's `block.map`), when the
        // file asks for it (`/* mapped */` in the block).
        let map = style.contains("/* mapped */").then(|| {
            let start = text
                .find("<style>")
                .map_or(0, |at| text[..at].lines().count());
            block_map(file, start, style.lines().count())
        });
        Ok(Some(Output {
            code: style.to_string(),
            map,
            ..Output::default()
        }))
    }

    fn wants_transform(&self, id: &str, code: &str) -> bool {
        // (A style block only when it has an error: as a `code` filter would have it.)
        id.ends_with(".vue")
            || (id.ends_with("&lang.css") && code.contains("BAD"))
            || (id.ends_with(".css") && code.contains("{{need:"))
            || id.ends_with(".json")
    }

    fn transform(&self, id: &str, code: &str) -> Result<Option<Output>, PluginError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        // A `.json` file: `"wrap"` in it makes JSON of it (a `pre` plugin's), `"compile"` a
        // module (@intlify/unplugin-vue-i18n's precompiled messages), else nothing.
        if id.ends_with(".json") {
            let code = if code.contains("\"wrap\"") {
                format!("{{ \"wrapped\": {} }}", code.trim())
            } else if code.contains("\"compile\"") {
                "export default { compiled: () => 'at build' };\n".to_string()
            } else {
                return Ok(None);
            };
            return Ok(Some(Output {
                code,
                ..Output::default()
            }));
        }
        // A stylesheet's `{{need:NAME}}` (see `need`).
        if id.ends_with(".css") && !id.contains('?') {
            let (code, watch_files) = need(id, code)?;
            return Ok(Some(Output {
                code,
                watch_files,
                ..Output::default()
            }));
        }
        // A style block's preprocessor (Sass's): `BAD` is an error at its place in the block.
        if id.ends_with("&lang.css") {
            let Some(at) = code.find("BAD") else {
                return Ok(None);
            };
            let line = code[..at].matches('\n').count() as u32 + 1;
            let column = (at - code[..at].rfind('\n').map_or(0, |nl| nl + 1)) as u32 + 1;
            return Err(PluginError {
                plugin: "sass".into(),
                hook: "transform".into(),
                id: Some(id.split('?').next().unwrap_or(id).into()),
                message: "expected \")\"".into(),
                loc: Some((line, column)),
                frame: Some(format!("{line} │ (the block's own line)")),
            });
        }
        let template = block(code, "template");
        if self.compare_with_disk.load(Ordering::SeqCst) {
            let on_disk = std::fs::read_to_string(id).unwrap_or_default();
            self.hot_templates
                .lock()
                .unwrap()
                .entry(id.to_string())
                .or_insert_with(|| block(&on_disk, "template").to_string());
        }
        if block(code, "style").contains("/* from transform */") {
            // Keep the block as this transform saw it, after giving a `load` of the block that
            // runs meanwhile (it would read the last one) the time to come.
            let (state, cvar) = &self.descriptors;
            let mut state = state.lock().unwrap();
            state.1 = false;
            let (mut state, _) = cvar
                .wait_timeout_while(state, std::time::Duration::from_millis(300), |s| !s.1)
                .unwrap();
            state
                .0
                .insert(id.to_string(), block(code, "style").to_string());
        }
        if let Some(at) = ["boom", "BOOM", "NOTHING"]
            .iter()
            .find_map(|w| code.find(w))
        {
            let line = code[..at].lines().count().max(1) as u32;
            return Err(PluginError {
                plugin: "sfc".into(),
                hook: "transform".into(),
                id: Some(id.into()),
                message: "cannot compile `boom`".into(),
                loc: Some((line, 11)),
                frame: None,
            });
        }
        let paired;
        let template = if template.contains("{{pair}}") {
            paired = template.replace("{{pair}}", self.pair());
            paired.as_str()
        } else {
            template
        };
        // `{{session}}` is this plugin instance's `session`: an output that differs from one
        // process to the next for the same text (a per-process id, a style hash seeded anew).
        let salted;
        let template = if template.contains("{{session}}") {
            salted = template.replace(
                "{{session}}",
                &self.session.load(Ordering::SeqCst).to_string(),
            );
            salted.as_str()
        } else {
            template
        };
        // `{{theme}}` in a template reads `theme.txt` beside it (`this.addWatchFile`).
        let theme = std::path::Path::new(id).with_file_name("theme.txt");
        let (mut template, mut watch_files) = if template.contains("{{theme}}") {
            let value = std::fs::read_to_string(&theme).unwrap_or_default();
            (template.replace("{{theme}}", value.trim()), vec![theme])
        } else {
            (template.to_string(), Vec::new())
        };
        // `{{first-line:NAME}}` is the first line of the file NAME beside it (what Tailwind
        // CSS does with the sources it scans: reads them, watches them).
        if let Some(start) = template.find("{{first-line:") {
            let end = template[start..]
                .find("}}")
                .map_or(template.len(), |e| start + e);
            let name = &template[start + "{{first-line:".len()..end];
            let file = std::path::Path::new(id).with_file_name(name);
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let line = text.lines().next().unwrap_or("").to_string();
            template.replace_range(start..(end + 2).min(template.len()), &line);
            watch_files.push(file);
        }
        // `{{need:NAME}}`: see `need`.
        let (needed, files) = need(id, &template)?;
        template = needed;
        watch_files.extend(files);
        // `{{scan:DIR}}` is the first line of each file in the directory DIR beside it, in
        // name order (what Tailwind CSS does with a source directory: lists it, reads and
        // watches each file it finds, and reports no more than those files).
        if let Some(start) = template.find("{{scan:") {
            let end = template[start..]
                .find("}}")
                .map_or(template.len(), |e| start + e);
            let dir =
                std::path::Path::new(id).with_file_name(&template[start + "{{scan:".len()..end]);
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
                .collect();
            files.sort();
            let lines: Vec<String> = files
                .iter()
                .map(|file| {
                    let text = std::fs::read_to_string(file).unwrap_or_default();
                    text.lines().next().unwrap_or("").to_string()
                })
                .collect();
            template.replace_range(start..(end + 2).min(template.len()), &lines.join(" "));
            watch_files.extend(files);
        }
        // `{{side}}`: the output imports `./side.js` and uses nothing of it (an `.mdx` page's
        // import of a module for its side effects).
        let side = if template.contains("{{side}}") {
            "import side from './side.js';\n"
        } else {
            ""
        };
        // `{{glob}}`: the output lists `./icons/*.js` (`import.meta.glob` in a `<script>`) and
        // accepts itself.
        let side = if template.contains("{{glob}}") {
            format!(
                "{side}export const icons = import.meta.glob('./icons/*.js');\nimport.meta.hot.accept();\n"
            )
        } else {
            side.to_string()
        };
        let template = template.replace("{{glob}}", "");
        // `{{rerender}}`: the output says `_rerender_only` once a hot update of the file was
        // heard (see `heard`).
        let rerender = template.contains("{{rerender}}");
        let template = template.replace("{{rerender}}", "");
        let side = if rerender && self.heard.lock().unwrap().contains(id) {
            format!("{side}export const _rerender_only = true;\n")
        } else {
            side
        };
        // `{{block}}`: the output imports the file's `type=block` sub-module (a JS module: the
        // `<style>` block's text, as `load` gives any sub-module) and accepts itself, as
        // plugin-vue's component imports its `<i18n>` block's module and accepts itself.
        let block = if template.contains("{{block}}") {
            format!("import block from '{id}?sfc&type=block&lang.js';\nimport.meta.hot.accept();\n")
        } else {
            String::new()
        };
        // `{{missing}}`: the output's first line imports `./missing.js`, mapped (an `.mdx`
        // page's map) to the line of the file that says it.
        // `{{broken}}`: the same with a line that does not parse (user code a plugin copies
        // into its output unchecked: a Vue 2 `<script>`).
        let (missing, map) = match (code.find("{{missing}}"), code.find("{{broken}}")) {
            (Some(at), _) => (
                "import missing from './missing.js';\n",
                Some(block_map(id, code[..at].matches('\n').count(), 1)),
            ),
            (None, Some(at)) => (
                "const broken = ;\n",
                Some(block_map(id, code[..at].matches('\n').count(), 1)),
            ),
            (None, None) => ("", None),
        };
        Ok(Some(Output {
            code: format!(
                "{missing}{side}{block}import '{id}?sfc&type=style&lang.css';\nexport default {template:?};\n"
            ),
            map,
            watch_files,
            ..Output::default()
        }))
    }

    fn hot_update(
        &self,
        file: &str,
        modules: &[String],
        importers: &[String],
        text: Option<&str>,
    ) -> Result<Option<Vec<String>>, PluginError> {
        self.hot_updates.fetch_add(1, Ordering::SeqCst);
        // What the plugin's `read()` gives: the engine's text of the edit, else the file.
        let text = text.map_or_else(
            || std::fs::read_to_string(file).unwrap_or_default(),
            str::to_string,
        );
        self.hot_update_templates
            .lock()
            .unwrap()
            .push(block(&text, "template").to_string());
        self.heard.lock().unwrap().insert(file.to_string());
        self.hot_update_importers
            .lock()
            .unwrap()
            .push((file.to_string(), importers.to_vec()));
        let (ids, reload) = std::mem::take(&mut *self.on_hot_update.lock().unwrap());
        let mut said = self.said.lock().unwrap();
        said.0.extend(ids);
        said.1 |= reload;
        if self.answer_other_only.load(Ordering::SeqCst) {
            return Ok(Some(vec!["\0virtual:greeting".to_string()]));
        }
        if self.answer_empty.load(Ordering::SeqCst) {
            return Ok(Some(Vec::new()));
        }
        if self.compare_with_disk.load(Ordering::SeqCst) {
            let now = block(&text, "template").to_string();
            let mut noted = self.hot_templates.lock().unwrap();
            if noted.get(file) == Some(&now) {
                return Ok(Some(Vec::new()));
            }
            noted.insert(file.to_string(), now);
            return Ok(Some(vec![file.to_string()]));
        }
        // The file's sub-modules of one type alone.
        let only = |kind: &str| {
            modules
                .iter()
                .filter(|m| m.contains(kind))
                .cloned()
                .collect()
        };
        if self.answer_style_only.load(Ordering::SeqCst) {
            return Ok(Some(only("type=style")));
        }
        if self.answer_block_only.load(Ordering::SeqCst) {
            return Ok(Some(only("type=block")));
        }
        if self.answer_file_only.load(Ordering::SeqCst) {
            return Ok(Some(vec![file.to_string()]));
        }
        Ok(None)
    }

    fn take_invalidated(&self) -> Vec<String> {
        std::mem::take(&mut self.said.lock().unwrap().0)
    }

    fn take_reload_requested(&self) -> bool {
        std::mem::take(&mut self.said.lock().unwrap().1)
    }

    fn files_changed(&self, changes: &FileChanges) {
        self.files_changed
            .lock()
            .unwrap()
            .push((changes.changed.clone(), changes.structural));
        self.created_removed
            .lock()
            .unwrap()
            .push((changes.created.clone(), changes.removed.clone()));
        if !changes.removed.is_empty()
            && let Some((file, text)) = self.on_removed_write.lock().unwrap().take()
        {
            std::fs::write(file, text).unwrap();
        }
    }

    /// Injects a meta tag into `<head>`, and an entry script when the page asks for one.
    fn transform_index_html(
        &self,
        url_path: &str,
        filename: &str,
        html: &str,
    ) -> Result<Option<String>, PluginError> {
        assert_eq!(url_path, "/index.html");
        assert!(filename.ends_with("/index.html"), "{filename}");
        let mut html = html.replace(
            "<head>",
            "<head><meta name=\"from-plugin\" content=\"sfc\">",
        );
        if html.contains("<!-- add-entry -->") {
            html = html.replace(
                "<!-- add-entry -->",
                "<script type=\"module\" src=\"/src/extra.js\"></script>",
            );
        }
        Ok(Some(html))
    }
}

const PROJECT: &str = r#"
//- /index.html
<!doctype html>
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import App from './App.vue';
import greeting from 'virtual:greeting';
console.log(App, greeting);
//- /src/App.vue
<template>Hello</template>
<style>.app { color: red; }</style>
"#;

/// `{{need:NAME}}` in `text` is the first line of the file NAME beside `id`, which must be
/// there (a stylesheet's `@import` through postcss-import: a missing file fails the module,
/// with an error that names no file); the files read are watched.
// (The error is the `Plugins` trait's own: a large but rare one.)
#[allow(clippy::result_large_err)]
fn need(id: &str, text: &str) -> Result<(String, Vec<std::path::PathBuf>), PluginError> {
    let mut text = text.to_string();
    let mut watch_files = Vec::new();
    while let Some(start) = text.find("{{need:") {
        let end = text[start..].find("}}").map_or(text.len(), |e| start + e);
        let name = text[start + "{{need:".len()..end].to_string();
        let file = std::path::Path::new(id).with_file_name(&name);
        let Ok(read) = std::fs::read_to_string(&file) else {
            return Err(PluginError {
                plugin: "sfc".into(),
                hook: "transform".into(),
                id: Some(id.into()),
                message: format!("ENOENT: no such file or directory, open './{name}'"),
                loc: Some((1, 1)),
                frame: None,
            });
        };
        let line = read.lines().next().unwrap_or("").to_string();
        text.replace_range(start..(end + 2).min(text.len()), &line);
        watch_files.push(file);
    }
    Ok((text, watch_files))
}

fn project() -> (Incremental, Arc<SfcPlugins>) {
    let mut project = Incremental::new(PROJECT);
    let plugins = Arc::new(SfcPlugins::default());
    project.host.use_plugins(plugins.clone());
    (project, plugins)
}

#[test]
fn plugin_modules_are_graph_modules_and_a_style_edit_updates_the_style_alone() {
    let (mut p, plugins) = project();
    p.check(
        &["//- /src/App.vue\n<template>Hello</template>\n<style>.app { color: blue; }</style>\n"],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/App.vue /@id/__x00__virtual:greeting
                /src/App.vue -> /src/App.vue?sfc&type=style&lang.css
                /@id/__x00__virtual:greeting
                /src/App.vue?sfc&type=style&lang.css: self
            edit /src/App.vue
              applied: files [/src/App.vue?sfc&type=style&lang.css /src/App.vue]
              queries:
                chunk_entry: ran /src/App.vue?sfc&type=style&lang.css; reused /src/App.vue
                emitted_module: ran /src/App.vue /src/App.vue?sfc&type=style&lang.css
                hot_meta: ran /src/App.vue /src/App.vue?sfc&type=style&lang.css
                import_specifiers: reused /src/App.vue /src/App.vue?sfc&type=style&lang.css
                module_deps: reused /src/App.vue /src/App.vue?sfc&type=style&lang.css
                module_diagnostics: ran /src/App.vue /src/App.vue?sfc&type=style&lang.css
                module_imports: ran /src/App.vue /src/App.vue?sfc&type=style&lang.css
                parsed_module: ran /src/App.vue /src/App.vue?sfc&type=style&lang.css
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/App.vue /src/App.vue?sfc&type=style&lang.css
              changed: /src/App.vue?sfc&type=style&lang.css
              plan: hot send=[/src/App.vue?sfc&type=style&lang.css] invalidate=[/src/App.vue?sfc&type=style&lang.css] boundaries=[/src/App.vue?sfc&type=style&lang.css self] css_only
        "#]],
    );
    assert_eq!(plugins.hot_updates.load(Ordering::SeqCst), 1);
    let chunk = p.chunk();
    assert!(chunk.contains("hello from a plugin"), "{chunk}");
    assert!(chunk.contains("color: blue"), "{chunk}");
}

/// A part of a file that is gone (a query sub-module a plugin resolved, which no `load`
/// answers now: unplugin-vue-router's routes module naming a renamed page's `?definePage`
/// block until it regenerates) is an import of a file that is not there, a `Resolve` error
/// (held back like one for the batch that usually clears it), not "no plugin loads the
/// virtual module".
#[test]
fn a_part_of_a_file_that_is_gone_is_an_import_of_a_missing_file() {
    let (mut p, _) = project();
    p.project.write(
        "src/main.js",
        "import block from './Gone.vue?sfc&type=block';\nconsole.log(block);\n",
    );
    p.host.apply_changes(&[p.path("src/main.js")]);
    p.build();
    let diagnostics = p.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        diagnostics[0].contains("/src/Gone.vue does not exist (deleted or renamed?)"),
        "{diagnostics:?}"
    );
    assert!(
        p.host
            .diagnostics()
            .iter()
            .all(|d| d.kind == hotloop_protocol::DiagnosticKind::Resolve)
    );
}

#[test]
fn a_plugin_error_names_the_plugin_and_the_file_and_the_fix_clears_it() {
    let (mut p, _) = project();
    p.build();
    p.project
        .write("src/App.vue", "<template>\nHello boom</template>\n");
    p.host.apply_changes(&[p.path("src/App.vue")]);
    p.build();
    let diagnostics = p.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        diagnostics[0].contains("/src/App.vue:2:11")
            && diagnostics[0]
                .contains("[plugin sfc] cannot compile `boom` (in its `transform` hook)"),
        "{diagnostics:?}"
    );
    // The module keeps its last good code in the page.
    assert!(p.chunk().contains("Hello"));
    p.project
        .write("src/App.vue", "<template>Fixed</template>\n");
    p.host.apply_changes(&[p.path("src/App.vue")]);
    p.build();
    assert!(p.diagnostics().is_empty());
    assert!(p.chunk().contains("Fixed"));
}

/// A module's imports that plugins take reach them in one request (one round trip to the
/// plugin host), each specifier once, the ones no plugin wants left out; an edit that keeps
/// the imports asks again for nothing.
#[test]
fn a_modules_plugin_specifiers_are_resolved_in_one_request() {
    let (mut p, plugins) = project();
    p.project.write(
        "src/main.js",
        "import App from './App.vue';\nimport a from 'virtual:a';\nimport b from 'virtual:b';\n\
         export { default as again } from 'virtual:a';\nconsole.log(App, a, b);\n",
    );
    p.build();
    let mut batches = plugins.resolve_batches();
    batches.sort();
    assert_eq!(
        batches,
        [
            vec![format!(
                "{}?sfc&type=style&lang.css",
                p.path("src/App.vue").display()
            )],
            vec!["virtual:a".to_string(), "virtual:b".to_string()],
        ]
    );
    p.project.write(
        "src/main.js",
        "import App from './App.vue';\nimport a from 'virtual:a';\nimport b from 'virtual:b';\n\
         export { default as again } from 'virtual:a';\nconsole.log(b, a, App);\n",
    );
    p.host.apply_changes(&[p.path("src/main.js")]);
    p.build();
    assert_eq!(plugins.resolve_batches().len(), 2, "no new request");
}

#[test]
fn without_plugins_a_foreign_file_is_an_error_naming_what_compiles_it() {
    let mut p = Incremental::new(
        "//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nimport App from './App.vue';\n//- /src/App.vue\n<template/>\n",
    );
    p.build();
    let diagnostics = p.diagnostics();
    assert!(
        diagnostics.iter().any(|d| d.contains("@vitejs/plugin-vue")),
        "{diagnostics:?}"
    );
}

/// With plugins, a query no plugin takes is the plugins' to answer, but a query that is Vite's
/// own (`?no-inline`) is not a missing plugin: the error says what it is. A worker `&inline` is
/// the plain worker in development, as under Vite, and `.wasm?init` instantiates the file.
#[test]
fn with_plugins_a_vite_query_hotloop_lacks_is_named_as_vites_and_inline_workers_work() {
    let mut p = Incremental::new(
        "//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nimport big from './logo.svg?no-inline';\nimport W from './w.js?worker&inline';\n\
         import init from './add.wasm?init';\nconsole.log(big, W, init);\n\
         //- /src/logo.svg\n<svg/>\n//- /src/add.wasm\n\n//- /src/w.js\nself.onmessage = () => {};\n",
    );
    p.host.use_plugins(Arc::new(SfcPlugins::default()));
    p.build();
    let diagnostics = p.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        diagnostics[0]
            .contains("`?no-inline` imports are a Vite feature hotloop does not have yet")
            && !diagnostics[0].contains("no plugin"),
        "{diagnostics:?}"
    );
    let chunk = p.chunk();
    assert!(chunk.contains("/src/w.js?worker"), "{chunk}");
    assert!(
        chunk.contains("WebAssembly.instantiateStreaming"),
        "{chunk}"
    );
    assert!(chunk.contains("\"/src/add.wasm\""), "{chunk}");
}

#[test]
fn without_plugins_a_scss_inline_import_is_an_error_naming_sass() {
    let mut p = Incremental::new(
        "//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nimport css from './a.scss?inline';\nconsole.log(css);\n\
         //- /src/a.scss\n$c: red;\n.a { color: $c; }\n",
    );
    p.build();
    let diagnostics = p.diagnostics();
    assert!(
        diagnostics
            .iter()
            .any(|d| d.contains("/src/a.scss?inline") && d.contains("`sass` package")),
        "{diagnostics:?}"
    );
}

#[test]
fn a_file_a_plugin_watches_recompiles_the_module_that_read_it() {
    let (mut p, _) = project();
    p.project
        .write("src/App.vue", "<template>Theme {{theme}}</template>\n");
    p.project.write("src/theme.txt", "dark\n");
    p.build();
    assert!(p.chunk().contains("Theme dark"), "{}", p.chunk());
    // Not a module of the graph, yet its edit reaches the module whose compile read it.
    p.project.write("src/theme.txt", "light\n");
    p.host.apply_changes(&[p.path("src/theme.txt")]);
    let build = p.build();
    assert_eq!(
        build
            .changed
            .iter()
            .map(|&i| build.graph().module(i).id.to_string())
            .collect::<Vec<_>>(),
        ["/src/App.vue"]
    );
    assert!(p.chunk().contains("Theme light"), "{}", p.chunk());
}

/// A file only a plugin watches (analog's `templateUrl`) has the module that watched it as its
/// importer in the plugins' hot update, as under Vite; an answer that handles it (`[]`) leaves
/// that module out of the update (its new code goes with the next update that has it), where
/// without an answer its new code is sent (here no module accepts it: a reload).
#[test]
fn a_hot_update_that_handles_a_watched_file_leaves_out_the_modules_that_watched_it() {
    use crate::telemetry::UpdateOutcome;
    use crate::update::{Cause, prepare};
    let (mut p, plugins) = project();
    p.project
        .write("src/App.vue", "<template>Theme {{theme}}</template>\n");
    p.project.write("src/theme.txt", "dark\n");
    p.build();
    let edit = |p: &mut Incremental, text: &str| {
        let path = p.project.write("src/theme.txt", text);
        p.host.apply_changes(&[path]);
        prepare(
            &mut p.host,
            Cause::Edit {
                files: &["src/theme.txt".into()],
            },
            1,
        )
    };
    let update = edit(&mut p, "light\n");
    assert!(
        matches!(&update.outcome, UpdateOutcome::FullReload { reason } if reason.starts_with("/src/App.vue changed")),
        "{:?}",
        update.outcome
    );
    let app = p.path("src/App.vue").display().to_string();
    let theme = p.path("src/theme.txt").display().to_string();
    assert_eq!(
        plugins.hot_update_importers.lock().unwrap().last(),
        Some(&(theme, vec![app]))
    );
    plugins.answer_empty.store(true, Ordering::SeqCst);
    let update = edit(&mut p, "dusk\n");
    assert_eq!(update.outcome, UpdateOutcome::NoChange);
    assert!(
        p.chunk().contains("Theme dusk"),
        "compiled, for the next page"
    );
}

/// A glob's query is a plugin's like a static import's (svgr's `?react`): each matched file
/// loads through the plugin that takes it, and the glob module imports that module.
#[test]
fn a_glob_with_a_plugins_query_imports_what_the_plugin_loads_for_each_file() {
    let (mut p, _) = project();
    p.project.write(
        "src/main.js",
        "const styles = import.meta.glob('./*.vue', { query: '?sfc&type=style&lang.css', eager: true });\nconsole.log(styles);\n",
    );
    let build = p.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let chunk = p.chunk();
    assert!(
        chunk.contains(r#"require.namespace("./App.vue?sfc&type=style&lang.css")"#),
        "{chunk}"
    );
    assert!(
        chunk.contains(r#"__hotloop.define("/src/App.vue?sfc&type=style&lang.css""#),
        "{chunk}"
    );
}

/// A `.json` file goes through the plugins: JSON text they make is compiled as JSON (with
/// the config's `json` options), code they make of it as a script (@intlify/unplugin-vue-i18n's
/// precompiled messages), and one they leave is hotloop's JSON module.
#[test]
fn the_plugins_transform_json_files_into_json_or_code() {
    let (mut p, _) = project();
    p.project.write(
        "src/main.js",
        "import a from './a.json';\nimport b from './b.json';\nimport c from './c.json';\nconsole.log(a, b, c);\n",
    );
    p.project.write("src/a.json", "{ \"wrap\": 1 }\n");
    p.project.write("src/b.json", "{ \"compile\": 1 }\n");
    p.project.write("src/c.json", "{ \"plain\": 1 }\n");
    let build = p.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let chunk = p.chunk();
    for expected in [
        r#"module.exports = { "wrapped": { "wrap": 1 } };"#,
        r#"const _default={compiled:()=>"at build"};"#,
        r#"module.exports = { "plain": 1 };"#,
    ] {
        assert!(chunk.contains(expected), "{expected}\n{chunk}");
    }
}

/// An edit that adds an import of a module a plugin fails to load (unplugin-icons' icon that
/// does not exist) is not sent: the importer keeps its last good code in the page, whose
/// overlay shows the plugin's error; the module coming right sends both.
#[test]
fn an_edit_importing_a_module_that_fails_to_load_keeps_the_last_good_module() {
    use crate::telemetry::UpdateOutcome;
    use crate::update::{Cause, prepare};
    let (mut p, plugins) = project();
    p.project.write(
        "src/main.js",
        "import App from './App.vue';\nconsole.log(App);\nimport.meta.hot.accept();\n",
    );
    p.build();
    plugins.flaky_fails.store(true, Ordering::SeqCst);
    p.project.write(
        "src/main.js",
        "import App from './App.vue';\nimport flaky from 'virtual:flaky';\nconsole.log(App, flaky);\nimport.meta.hot.accept();\n",
    );
    p.host.apply_changes(&[p.path("src/main.js")]);
    let files = ["src/main.js".to_string()];
    let broken = prepare(&mut p.host, Cause::Edit { files: &files }, 1);
    assert!(broken.frame.is_none(), "nothing sent");
    assert!(
        matches!(broken.outcome, UpdateOutcome::Errors { count: 1 }),
        "{:?}",
        broken.outcome
    );
    // The plugin can load it now; the next edit compiles it again, and both go.
    plugins.flaky_fails.store(false, Ordering::SeqCst);
    p.project.write(
        "src/main.js",
        "import App from './App.vue';\nimport flaky from 'virtual:flaky';\nconsole.log(App, flaky, 2);\nimport.meta.hot.accept();\n",
    );
    p.host.apply_changes(&[p.path("src/main.js")]);
    let fixed = prepare(&mut p.host, Cause::Edit { files: &files }, 2);
    assert!(fixed.frame.is_some(), "the fix is sent");
    assert!(
        matches!(fixed.outcome, UpdateOutcome::Hot { .. }),
        "{:?}",
        fixed.outcome
    );
}

/// An error a style block's preprocessor reports at a line of the block is placed at the line
/// of the file (through the block's map, as Vite places it), with hotloop's frame of the file.
#[test]
fn an_error_in_a_loaded_block_is_placed_in_its_file() {
    let (mut p, _) = project();
    p.project.write(
        "src/App.vue",
        "<template>Hi</template>\n\n<style>/* mapped */\n.a {\n  color: BAD;\n}\n</style>\n",
    );
    p.build();
    let diagnostics = p.host.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(
        (d.file.as_str(), d.line, d.column),
        ("/src/App.vue", 5, 10),
        "{d:?}"
    );
    assert!(
        d.code_frame.contains("5 |   color: BAD;") && !d.code_frame.contains("block's own"),
        "{}",
        d.code_frame
    );
}

/// A plugin's output for a file whose id names no language (a `.vue` or `.mdx` file) keeps an
/// import it does not use (Vite runs no TypeScript transform on it, which would drop it): the
/// module it names runs.
#[test]
fn an_unused_import_in_a_plugins_output_is_kept() {
    let (mut p, _) = project();
    p.project
        .write("src/App.vue", "<template>Hi {{side}}</template>\n");
    p.project
        .write("src/side.js", "window.sideRan = true;\nexport default 1;\n");
    p.build();
    let chunk = p.chunk();
    assert!(
        chunk.contains("__hotloop.define(\"/src/side.js\""),
        "{chunk}"
    );
}

/// An import of a plugin's output that does not resolve is named at its line in the file (by
/// the plugin's map), not in the output.
#[test]
fn an_unresolved_import_of_a_plugins_output_is_named_at_its_line_in_the_file() {
    let (mut p, _) = project();
    p.project
        .write("src/App.vue", "<template>\nHi\n\n{{missing}}</template>\n");
    p.build();
    let diagnostics = p.host.diagnostics();
    let d = diagnostics
        .iter()
        .find(|d| d.message.contains("'./missing.js'"))
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!((d.file.as_str(), d.line), ("/src/App.vue", 4), "{d:?}");
    assert!(
        d.code_frame.contains("> 4 | {{missing}}"),
        "{}",
        d.code_frame
    );
}

/// A syntax error in a plugin's output, in code the plugin copied from the file, is named at
/// its line in the file (by the plugin's map), with the file's code frame; it was at the
/// output's line, framed in the output.
#[test]
fn a_syntax_error_in_a_plugins_output_is_named_at_its_line_in_the_file() {
    let (mut p, _) = project();
    p.project
        .write("src/App.vue", "<template>\nHi\n\n{{broken}}</template>\n");
    p.build();
    let diagnostics = p.host.diagnostics();
    let d = diagnostics
        .iter()
        .find(|d| d.file == "/src/App.vue")
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!(d.line, 4, "{d:?}");
    assert!(
        d.code_frame.contains("> 4 | {{broken}}</template>"),
        "{}",
        d.code_frame
    );
}

/// A query sub-module that a plugin loads from what the file's last `transform` left
/// (plugin-vue's `<i18n>` and `<style>` blocks from its descriptor cache) compiles after the
/// file in the same update, never beside it: the page was one edit behind.
#[test]
fn a_sub_module_made_from_its_files_transform_compiles_after_it() {
    let (mut p, _) = project();
    p.project.write(
        "src/App.vue",
        "<template>Hi</template>\n<style>/* from transform */ .a { color: red; }</style>\n",
    );
    p.build();
    assert!(p.chunk().contains("color: red"), "{}", p.chunk());
    p.project.write(
        "src/App.vue",
        "<template>Hi</template>\n<style>/* from transform */ .a { color: blue; }</style>\n",
    );
    p.host.apply_changes(&[p.path("src/App.vue")]);
    p.build();
    let chunk = p.chunk();
    assert!(chunk.contains("color: blue"), "{chunk}");
}

/// A module a plugin rewrites when it hears that a file it imported was removed (a route
/// generator's routes file) is read again in the same batch: no resolve error for the deleted
/// file in between.
#[test]
fn a_module_the_plugins_rewrite_when_its_import_is_removed_builds_with_the_removal() {
    let (mut p, plugins) = project();
    p.project.write(
        "src/main.js",
        "import routes from './routes.js';\nconsole.log(routes);\n",
    );
    p.project.write(
        "src/routes.js",
        "import a from './a.js';\nimport b from './b.js';\nexport default [a, b];\n",
    );
    p.project.write("src/a.js", "export default 'a';\n");
    p.project.write("src/b.js", "export default 'b';\n");
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    *plugins.on_removed_write.lock().unwrap() = Some((
        p.path("src/routes.js"),
        "import a from './a.js';\nexport default [a];\n".into(),
    ));
    std::fs::remove_file(p.path("src/b.js")).unwrap();
    let applied = p.host.apply_changes(&[p.path("src/b.js")]);
    assert!(
        applied
            .changed_files
            .iter()
            .any(|id| &**id == "/src/routes.js"),
        "{:?}",
        applied.changed_files
    );
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert!(!p.chunk().contains("\"/src/b.js\""), "{}", p.chunk());
}

/// The same when the removed file went with its directory (a route folder renamed: the watcher
/// reports the directory alone): the plugins hear the file went, and the module they rewrite
/// builds with it (sweep 16: "build failed: 1 error" until `routeTree.gen.ts` came next batch).
#[test]
fn a_module_the_plugins_rewrite_when_its_imports_directory_goes_builds_with_the_removal() {
    let (mut p, plugins) = project();
    p.project.write(
        "src/main.js",
        "import routes from './routes.js';\nconsole.log(routes);\n",
    );
    p.project.write(
        "src/routes.js",
        "import a from './posts/a.js';\nexport default [a];\n",
    );
    p.project.write("src/posts/a.js", "export default 'a';\n");
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    *plugins.on_removed_write.lock().unwrap() = Some((
        p.path("src/routes.js"),
        "import a from './articles/a.js';\nexport default [a];\n".into(),
    ));
    std::fs::rename(p.path("src/posts"), p.path("src/articles")).unwrap();
    p.host
        .apply_changes(&[p.path("src/posts"), p.path("src/articles")]);
    let heard = plugins.created_removed.lock().unwrap().clone();
    assert!(
        heard
            .iter()
            .any(|(_, removed)| removed.iter().any(|f| f.ends_with("src/posts/a.js"))),
        "{heard:?}"
    );
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert!(p.chunk().contains("/src/articles/a.js"), "{}", p.chunk());
}

/// A file many modules' plugins read (a Sass settings file fourteen Vuetify sheets use): its
/// edit compiles them at once, so a plugin host that takes requests at once (sass-embedded)
/// compiles them side by side; they went one after another, a round trip each.
#[test]
fn the_modules_that_read_an_edited_file_compile_at_once() {
    let (mut p, _) = project();
    p.project.write(
        "src/main.js",
        "import A from './A.vue';\nimport B from './B.vue';\nconsole.log(A, B);\n",
    );
    p.project
        .write("src/A.vue", "<template>A {{theme}} {{pair}}</template>\n");
    p.project
        .write("src/B.vue", "<template>B {{theme}} {{pair}}</template>\n");
    p.project.write("src/theme.txt", "dark\n");
    p.build();
    p.project.write("src/theme.txt", "light\n");
    p.host.apply_changes(&[p.path("src/theme.txt")]);
    p.build();
    let chunk = p.chunk();
    assert!(
        chunk.contains("A light together") && chunk.contains("B light together"),
        "{chunk}"
    );
}

#[test]
fn a_module_a_plugin_watches_recompiles_the_watcher_in_the_same_build() {
    let (mut p, _) = project();
    p.project.write(
        "src/App.vue",
        "<template>Main says {{first-line:main.js}}</template>\n",
    );
    p.build();
    assert!(p.chunk().contains("Main says import App"), "{}", p.chunk());
    // `main.js` is a module of the graph and a file `App.vue`'s transform read: its edit
    // compiles both, in one build that looks at those two alone (no graph, no other module).
    p.check(
        &["//- /src/main.js\n// first line\nimport App from './App.vue';\nimport greeting from 'virtual:greeting';\nconsole.log(App, greeting);\n"],
        expect![[r#"
            edit /src/main.js
              applied: files [/src/main.js]
              queries:
                chunk_entry: ran /src/App.vue; reused /src/main.js
                emitted_module: ran /src/App.vue /src/main.js
                hot_meta: ran /src/App.vue /src/main.js
                import_specifiers: ran /src/main.js; reused /src/App.vue
                module_deps: reused /src/App.vue /src/main.js
                module_diagnostics: ran /src/App.vue /src/main.js
                module_imports: ran /src/App.vue /src/main.js
                parsed_module: ran /src/App.vue /src/main.js; reused /@id/__x00__virtual:greeting
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/App.vue /src/main.js
              changed: /src/App.vue
              plan: reload: /src/App.vue changed and no module accepts it (via /src/App.vue <- /src/main.js)
        "#]],
    );
    assert!(
        p.chunk().contains("Main says // first line"),
        "{}",
        p.chunk()
    );
}

/// What the plugins hear after each batch of edits, before the build (Tailwind CSS's kept
/// scanners extract only these files; `watchChange` and `server.watcher` listeners hear of
/// every file): the files whose contents changed, the files that came and went, and whether
/// anything structural happened. A batch that changed nothing tells nothing.
#[test]
fn the_plugins_hear_each_batchs_changed_files_and_whether_files_came_or_went() {
    let (mut p, plugins) = project();
    p.build();
    let heard = || std::mem::take(&mut *plugins.files_changed.lock().unwrap());
    let came_went = || std::mem::take(&mut *plugins.created_removed.lock().unwrap());
    heard();
    came_went();
    let app = p.path("src/App.vue").to_string_lossy().into_owned();
    p.project.write(
        "src/App.vue",
        "<template>Bye</template>\n<style>.app{}</style>\n",
    );
    p.host.apply_changes(&[p.path("src/App.vue")]);
    assert_eq!(heard(), vec![(vec![app.clone()], false)]);
    assert_eq!(came_went(), vec![(vec![], vec![])]);
    // The same bytes again: nothing changed, nothing to tell.
    p.host.apply_changes(&[p.path("src/App.vue")]);
    assert_eq!(heard(), vec![]);
    // A file no module reads: it came, then changed, then went.
    let new = p.project.write("src/ui/new.txt", "x\n");
    let new_name = new.to_string_lossy().into_owned();
    p.host.apply_changes(std::slice::from_ref(&new));
    assert_eq!(heard(), vec![(vec![], true)]);
    assert_eq!(came_went(), vec![(vec![new_name.clone()], vec![])]);
    p.project.write("src/ui/new.txt", "y\n");
    p.host.apply_changes(std::slice::from_ref(&new));
    assert_eq!(heard(), vec![(vec![new_name.clone()], false)]);
    assert_eq!(came_went(), vec![(vec![], vec![])]);
    p.project.remove("src/ui/new.txt");
    p.host.apply_changes(std::slice::from_ref(&new));
    assert_eq!(came_went(), vec![(vec![], vec![new_name])]);
    heard();
    // A config file hotloop reads itself (a tsconfig, which no module imports): the plugins
    // hear it too (vite-tsconfig-paths reloads its `paths` from `server.watcher`'s events).
    let tsconfig = p
        .project
        .write("tsconfig.json", "{ \"compilerOptions\": {} }\n");
    let tsconfig_name = tsconfig.to_string_lossy().into_owned();
    p.host.apply_changes(std::slice::from_ref(&tsconfig));
    heard();
    came_went();
    p.project.write(
        "tsconfig.json",
        "{ \"compilerOptions\": { \"paths\": { \"$x/*\": [\"./src/*\"] } } }\n",
    );
    p.host.apply_changes(std::slice::from_ref(&tsconfig));
    assert_eq!(heard(), vec![(vec![tsconfig_name], true)]);
    assert_eq!(came_went(), vec![(vec![], vec![])]);
    // A known file deleted went, and things moved.
    let gone = p.project.remove("src/App.vue");
    p.host.apply_changes(&[gone]);
    assert_eq!(heard(), vec![(vec![], true)]);
    assert_eq!(came_went(), vec![(vec![], vec![app])]);
    p.host.rescan();
    assert_eq!(heard(), vec![(vec![], true)]);
}

#[test]
fn a_new_file_where_a_plugin_scans_recompiles_the_scanner_though_nothing_imports_it() {
    let (mut p, _) = project();
    p.project
        .write("src/App.vue", "<template>Classes: {{scan:ui}}</template>\n");
    p.project.write("src/ui/a.txt", "alpha\n");
    p.build();
    assert!(p.chunk().contains("Classes: alpha"), "{}", p.chunk());
    // `b.txt` is no module's and the plugin never named it, but it is where the plugin
    // scans (beside a file it watched): its creation compiles `App.vue` again.
    p.check(
        &["//- /src/ui/b.txt\nbeta\n"],
        expect![[r#"
            create /src/ui/b.txt
              applied: epoch moved
              queries:
                chunk: reused project
                chunk_entry: ran /src/App.vue; reused /@id/__x00__virtual:greeting /src/App.vue?sfc&type=style&lang.css /src/main.js
                emitted_module: ran /src/App.vue; reused /@id/__x00__virtual:greeting /src/App.vue?sfc&type=style&lang.css /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /src/App.vue; reused /@id/__x00__virtual:greeting /src/App.vue?sfc&type=style&lang.css /src/main.js
                html_entries: reused project
                import_specifiers: reused /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
                index_text: reused project
                module_deps: reused /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
                module_diagnostics: ran /src/App.vue; reused /@id/__x00__virtual:greeting /src/App.vue?sfc&type=style&lang.css /src/main.js
                module_graph: reused project
                module_imports: ran /src/App.vue; reused /@id/__x00__virtual:greeting /src/App.vue?sfc&type=style&lang.css /src/main.js
                parsed_module: ran /src/App.vue; reused /@id/__x00__virtual:greeting /src/App.vue?sfc&type=style&lang.css /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
              changed: /src/App.vue
              plan: reload: /src/App.vue changed and no module accepts it (via /src/App.vue <- /src/main.js)
        "#]],
    );
    assert!(p.chunk().contains("Classes: alpha beta"), "{}", p.chunk());
    // A file created elsewhere (no directory at or above it holds a file the plugin
    // watched) compiles nothing again.
    p.check(
        &["//- /other/c.txt\ngamma\n"],
        expect![[r#"
            create /other/c.txt
              applied: epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
                emitted_module: reused /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: reused /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
                html_entries: reused project
                import_specifiers: reused /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
                index_text: reused project
                module_deps: reused /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
                module_diagnostics: reused /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
                module_graph: reused project
                module_imports: reused /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
                parsed_module: reused /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /@id/__x00__virtual:greeting /src/App.vue /src/App.vue?sfc&type=style&lang.css /src/main.js
              changed: nothing
              plan: nothing
        "#]],
    );
}

#[test]
fn transform_index_html_tags_are_served_and_an_entry_it_adds_is_built() {
    let fixture = PROJECT.replace(
        "<!doctype html>\n",
        "<!doctype html>\n<html><head><title>t</title></head><body><!-- add-entry -->\n",
    ) + "//- /src/extra.js\nconsole.log('extra entry');\n";
    let mut p = Incremental::new(&fixture);
    p.host.use_plugins(Arc::new(SfcPlugins::default()));
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let html = p.served(1).html.expect("a page");
    assert!(
        html.contains(r#"<meta name="from-plugin" content="sfc">"#),
        "{html}"
    );
    assert!(
        p.module_ids().contains(&"/src/extra.js".to_string()),
        "{:?}",
        p.module_ids()
    );
    assert!(p.chunk().contains("extra entry"));
}

/// The page's chunk as `host` serves it at `revision`.
fn served_chunk(host: &mut crate::EngineHost, revision: u32) -> String {
    let served = host.served(&Arc::from("test-server"), revision);
    String::from_utf8(served.chunk.bytes().to_vec()).unwrap()
}

#[test]
fn a_restart_takes_the_plugins_outputs_from_the_compile_cache_and_confirms_them_after() {
    use crate::EngineHost;
    use crate::cache::CompileCache;
    use crate::testing::TempProject;

    let cache_dir = TempProject::empty();
    let (mut first, _) = project();
    first.project.write("src/theme.txt", "dark\n");
    first.project.write(
        "src/App.vue",
        "<template>Theme {{theme}}</template>\n<style>.app { color: red; }</style>\n",
    );
    first
        .host
        .use_compile_cache(CompileCache::open(cache_dir.root()).expect("cache"));
    first.build();
    let chunk = first.chunk();
    assert!(
        first.host.confirmer().is_none(),
        "all asked, nothing to confirm"
    );
    let Incremental { project, host, .. } = first;
    drop(host);

    // The next session: App.vue's transform and its style block's load come from the cache.
    let restart = |project: &TempProject| {
        let mut host = EngineHost::new(project.root(), Default::default()).expect("host");
        let plugins = Arc::new(SfcPlugins::default());
        host.use_plugins(plugins.clone());
        host.use_compile_cache(CompileCache::open(cache_dir.root()).expect("cache"));
        host.build();
        (host, plugins)
    };
    let (mut second, plugins) = restart(&project);
    // The virtual module is asked again (never kept); the file and its sub-module are not.
    assert_eq!(plugins.asked.load(Ordering::SeqCst), 1);
    assert_eq!(served_chunk(&mut second, 1), chunk);
    // Confirmed after: the plugins are asked for the two kept outputs, and give the same.
    let confirmer = second.confirmer().expect("outputs to confirm");
    assert_eq!(confirmer.waiting(), 2);
    confirmer.run();
    assert_eq!(
        second.take_confirmed_changes(),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(plugins.asked.load(Ordering::SeqCst), 3);
    assert!(second.confirmer().is_none());
    drop(second);

    // A file the plugin watches changed between sessions: the kept output is not taken.
    project.write("src/theme.txt", "light\n");
    let (mut relit, plugins) = restart(&project);
    assert_eq!(
        plugins.asked.load(Ordering::SeqCst),
        2,
        "the virtual module and App.vue"
    );
    let chunk = served_chunk(&mut relit, 1);
    assert!(chunk.contains("Theme light"), "{chunk}");
    drop(relit);

    // One that changes while the session runs, before the plugins confirm what was kept
    // (here: removed, behind the watcher's back): the confirmation finds the plugins' answer
    // differs, and the module is compiled again from it.
    let (mut third, plugins) = restart(&project);
    assert_eq!(plugins.asked.load(Ordering::SeqCst), 1);
    std::fs::remove_file(project.root().join("src/theme.txt")).unwrap();
    third.confirmer().expect("outputs to confirm").run();
    let changed = third.take_confirmed_changes();
    assert_eq!(changed, [project.root().join("src/App.vue")]);
    // Compiled again from the plugins' new answer, as an edit of the file would be.
    let applied = third.recompile(&changed);
    assert_eq!(applied.changed_files.len(), 1);
    third.build();
    let chunk = served_chunk(&mut third, 2);
    assert!(
        chunk.contains("Theme \"") && !chunk.contains("Theme dark"),
        "{chunk}"
    );
}

/// A file whose kept output waits for confirmation when it is edited: the confirmation runs
/// the plugins on the kept text, but plugin-vue also reads the file on disk there (the edited
/// text) for the descriptor its hot update compares with, and then answers the edit's hot
/// update with "nothing changed" (`[]`). That answer is not taken as "handled" (it was dropped,
/// and a reload kept the old text): the plugin is shown the confirmed text's hot update, then
/// the edit's again, which it compares with the text the page runs (plugin-vue's re-render
/// that keeps the state; without it the component re-mounted), and the page gets the edit.
#[test]
fn an_edit_before_its_files_confirmation_reaches_the_page_though_the_plugin_saw_it_already() {
    use crate::EngineHost;
    use crate::cache::CompileCache;
    use crate::testing::TempProject;

    let cache_dir = TempProject::empty();
    let (mut first, _) = project();
    first.project.write(
        "src/App.vue",
        "<template>before</template>\n<style>.app {}</style>\n",
    );
    first
        .host
        .use_compile_cache(CompileCache::open(cache_dir.root()).expect("cache"));
    first.build();
    let Incremental { project, host, .. } = first;
    drop(host);

    let mut host = EngineHost::new(project.root(), Default::default()).expect("host");
    let plugins = Arc::new(SfcPlugins::default());
    plugins.compare_with_disk.store(true, Ordering::SeqCst);
    host.use_plugins(plugins.clone());
    host.use_compile_cache(CompileCache::open(cache_dir.root()).expect("cache"));
    host.build();
    assert!(served_chunk(&mut host, 1).contains("before"));
    assert!(host.confirmer().is_some(), "kept outputs wait");
    // Saved before the confirming thread's turn: the edit confirms its file first.
    project.write(
        "src/App.vue",
        "<template>after</template>\n<style>.app {}</style>\n",
    );
    let applied = host.apply_changes(&[project.root().join("src/App.vue")]);
    assert_eq!(
        *plugins.hot_update_templates.lock().unwrap(),
        ["after", "before", "after"],
        "the edit, the confirmed text, the edit again"
    );
    // The plugin's answer to the edit names the file's module (its style did not change).
    assert_eq!(
        applied.left_out.iter().map(|id| &**id).collect::<Vec<_>>(),
        ["/src/App.vue?sfc&type=style&lang.css"]
    );
    host.build();
    let chunk = served_chunk(&mut host, 2);
    assert!(chunk.contains("after"), "{chunk}");

    // The next edit's empty answer is the plugin's word again: nothing of the file updates.
    project.write(
        "src/App.vue",
        "<template>after</template>\n<style>.app {}</style>\n\n",
    );
    let applied = host.apply_changes(&[project.root().join("src/App.vue")]);
    assert_eq!(plugins.hot_updates.load(Ordering::SeqCst), 4);
    assert!(
        applied.left_out.iter().any(|id| &**id == "/src/App.vue"),
        "{:?}",
        applied.left_out
    );
}

/// The SFC project whose `App.vue` says which session compiled it (`{{session}}`: the
/// `SfcPlugins`' session number), for tests of the plugins' outputs kept across sessions.
fn session_project() -> crate::testing::TempProject {
    let (first, _) = project();
    first.project.write(
        "src/App.vue",
        "<template>Session {{session}}</template>\n<style>.app { color: red; }</style>\n",
    );
    first.project
}

/// A session of `project` over the compile cache in `cache_dir`: a host with `options` and the
/// `SfcPlugins` of session `n`, built once.
fn cached_session(
    project: &crate::testing::TempProject,
    cache_dir: &crate::testing::TempProject,
    options: crate::inputs::ProjectOptions,
    n: usize,
) -> (crate::EngineHost, Arc<SfcPlugins>) {
    let mut host = crate::EngineHost::new(project.root(), options).expect("host");
    let plugins = Arc::new(SfcPlugins::default());
    plugins.session.store(n, Ordering::SeqCst);
    host.use_plugins(plugins.clone());
    host.use_compile_cache(crate::cache::CompileCache::open(cache_dir.root()).expect("cache"));
    host.build();
    (host, plugins)
}

/// An output that differs from one session to the next for the same text (analog's style
/// hashes): the confirmation finds the kept one different once, and from then on the module
/// is asked at every start, never served from the cache (the page would run the last
/// session's output and reload a second later, at every restart).
#[test]
fn an_output_found_different_once_is_asked_at_every_start_after() {
    use crate::testing::TempProject;

    let cache_dir = TempProject::empty();
    let project = session_project();
    let session = |n: usize| cached_session(&project, &cache_dir, Default::default(), n);
    let (one, _) = session(1);
    assert!(one.confirmer().is_none(), "all asked");
    drop(one);
    // Kept from the first session, then found different by the plugins of the second.
    let (two, plugins) = session(2);
    assert_eq!(
        plugins.asked.load(Ordering::SeqCst),
        1,
        "the virtual module alone"
    );
    two.confirmer().expect("outputs to confirm").run();
    assert_eq!(
        two.take_confirmed_changes(),
        [project.root().join("src/App.vue")]
    );
    drop(two);
    // The third asks App.vue in its build (its style block still comes from the cache) and
    // has only the block to confirm.
    let (mut three, plugins) = session(3);
    assert_eq!(
        plugins.asked.load(Ordering::SeqCst),
        2,
        "the virtual module and App.vue"
    );
    let chunk = served_chunk(&mut three, 1);
    assert!(chunk.contains("Session 3"), "{chunk}");
    let confirmer = three.confirmer().expect("the style block to confirm");
    assert_eq!(confirmer.waiting(), 1);
    confirmer.run();
    assert!(three.take_confirmed_changes().is_empty());
}

/// A file edited before its kept output was confirmed: the confirmation runs then, with the
/// edit already on disk, where a plugin's `load` reads the file itself (svgr's). An output
/// that differs then is made again, and the module is not taken for one whose output changes
/// from session to session: the next start serves it from the cache.
#[test]
fn an_output_found_different_while_its_file_is_edited_is_not_asked_at_every_start() {
    use crate::testing::TempProject;

    let cache_dir = TempProject::empty();
    let project = session_project();
    let session = |n: usize| cached_session(&project, &cache_dir, Default::default(), n);
    drop(session(1));
    // The second session's edit comes before its confirmations ran.
    let (mut two, _) = session(2);
    let app = project.write(
        "src/App.vue",
        "<template>Edited {{session}}</template>\n<style>.app { color: red; }</style>\n",
    );
    two.apply_changes(&[app]);
    two.build();
    let chunk = served_chunk(&mut two, 1);
    assert!(chunk.contains("Edited 2"), "{chunk}");
    drop(two);
    // The edit's output is kept; the third session serves it: only the virtual module asked.
    let (_three, plugins) = session(3);
    assert_eq!(
        plugins.asked.load(Ordering::SeqCst),
        1,
        "the virtual module alone"
    );
}

/// An output made after an edit of its file (plugin-vue's after a template-only edit says
/// `_rerender_only`, knowing the file's earlier text) differs from the fresh one the next
/// session's confirmation gets for the same text. It is neither sent to the page (plugin-vue's
/// update without `_rerender_only` re-mounts the component: its state lost) nor marked to be
/// asked at every start: the fresh output is kept for the next start instead.
#[test]
fn an_output_kept_from_after_an_edit_is_replaced_by_the_fresh_one_without_an_update() {
    use crate::testing::TempProject;

    let cache_dir = TempProject::empty();
    let project = session_project();
    project.write(
        "src/App.vue",
        "<template>Count{{rerender}}</template>\n<style>.app { color: red; }</style>\n",
    );
    let session = |n: usize| cached_session(&project, &cache_dir, Default::default(), n);
    let (mut one, _) = session(1);
    let app = project.write(
        "src/App.vue",
        "<template>Count: {{rerender}}</template>\n<style>.app { color: red; }</style>\n",
    );
    one.apply_changes(&[app]);
    one.build();
    assert!(served_chunk(&mut one, 1).contains("_rerender_only"));
    drop(one);
    let (mut two, plugins) = session(2);
    assert_eq!(
        plugins.asked.load(Ordering::SeqCst),
        1,
        "the virtual module alone"
    );
    assert!(
        served_chunk(&mut two, 1).contains("_rerender_only"),
        "the kept output"
    );
    two.confirmer().expect("outputs to confirm").run();
    assert!(
        two.take_confirmed_changes().is_empty(),
        "no update for the page"
    );
    drop(two);
    let (mut three, plugins) = session(3);
    assert_eq!(
        plugins.asked.load(Ordering::SeqCst),
        1,
        "still served from the cache"
    );
    let chunk = served_chunk(&mut three, 1);
    assert!(
        chunk.contains("Count: ") && !chunk.contains("_rerender_only"),
        "{chunk}"
    );
    three.confirmer().expect("outputs to confirm").run();
    assert!(three.take_confirmed_changes().is_empty());
}

/// A plugin that gathers from every module's `transform` (UnoCSS) must see every module at the
/// start: with `keep_plugin_outputs` off, no kept output is served; the plugins are asked as
/// in the first session (the scripts' own compile cache still serves).
#[test]
fn without_kept_plugin_outputs_a_start_asks_the_plugins_for_every_module() {
    use crate::inputs::ProjectOptions;
    use crate::testing::TempProject;

    let cache_dir = TempProject::empty();
    let (first, _) = project();
    let Incremental { project, .. } = first;
    let session = |keep: bool| {
        let options = ProjectOptions {
            keep_plugin_outputs: keep,
            ..Default::default()
        };
        let (host, plugins) = cached_session(&project, &cache_dir, options, 0);
        (host, plugins.asked.load(Ordering::SeqCst))
    };
    let (first, asked_first) = session(true);
    drop(first);
    let (kept, asked_kept) = session(true);
    assert!(
        asked_kept < asked_first,
        "kept outputs served: {asked_kept} of {asked_first}"
    );
    assert!(kept.confirmer().is_some());
    drop(kept);
    let (fresh, asked_fresh) = session(false);
    assert_eq!(asked_fresh, asked_first, "every module asked again");
    assert!(fresh.confirmer().is_none(), "nothing kept to confirm");
}

#[test]
fn a_sub_module_missing_from_the_cache_has_its_file_confirmed_before_it_is_asked() {
    use crate::EngineHost;
    use crate::cache::CompileCache;
    use crate::testing::TempProject;

    let cache_dir = TempProject::empty();
    let (mut first, _) = project();
    first
        .host
        .use_compile_cache(CompileCache::open(cache_dir.root()).expect("cache"));
    first.build();
    let Incremental { project, host, .. } = first;
    drop(host);

    // The style block's kept output is damaged (a later record of its key that does not
    // decode); App.vue's is fine.
    let text = std::fs::read_to_string(project.root().join("src/App.vue")).unwrap();
    let cache = CompileCache::open(cache_dir.root()).expect("cache");
    let style = format!(
        "{}?sfc&type=style&lang.css",
        project.root().join("src/App.vue").display()
    );
    let key = crate::plugin_cache::key(&cache, 7, PluginEnv::Client, &style, &text).unwrap();
    assert!(crate::plugin_cache::read(&cache, key).is_some());
    cache.write_entry(key, b"damaged".to_vec());
    drop(cache);

    let mut host = EngineHost::new(project.root(), Default::default()).expect("host");
    let plugins = Arc::new(SfcPlugins::default());
    host.use_plugins(plugins.clone());
    host.use_compile_cache(CompileCache::open(cache_dir.root()).expect("cache"));
    host.build();
    // The virtual module; App.vue's transform, confirming its kept output before the style
    // block is asked (a plugin's `load` of it may read what the transform left); the load.
    assert_eq!(plugins.asked.load(Ordering::SeqCst), 3);
    assert!(
        host.confirmer().is_none(),
        "App.vue's output confirmed already"
    );
    let chunk = served_chunk(&mut host, 1);
    assert!(chunk.contains("color: red"), "{chunk}");
}

/// A module a plugin failed on is compiled again with the next edit, though none of its inputs
/// changed (Vite asks again on the next request): its `load` may read what another file's
/// `transform` left in the plugin (vite-plugin-qwik's segments of a component).
#[test]
fn a_module_a_plugin_failed_on_is_compiled_again_with_the_next_edit() {
    let (mut p, plugins) = project();
    p.project.write(
        "src/main.js",
        "import App from './App.vue';\nimport flaky from 'virtual:flaky';\nconsole.log(App, flaky);\n",
    );
    plugins.flaky_fails.store(true, Ordering::SeqCst);
    p.build();
    assert_eq!(p.diagnostics().len(), 1, "{:?}", p.diagnostics());
    plugins.flaky_fails.store(false, Ordering::SeqCst);
    // A batch that changes nothing asks nothing again.
    let applied = p.host.apply_changes(&[p.path("src/App.vue")]);
    assert!(applied.is_empty());
    p.project.write(
        "src/App.vue",
        "<template>Bye</template>\n<style>.app{}</style>\n",
    );
    let applied = p.host.apply_changes(&[p.path("src/App.vue")]);
    assert!(
        applied
            .changed_files
            .iter()
            .any(|id| id.contains("virtual:flaky")),
        "{:?}",
        applied.changed_files
    );
    let build = p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert!(p.chunk().contains("\"flaky\""), "{}", p.chunk());
    assert!(!build.changed.is_empty());
    // Compiling cleanly, it is not asked again with the next edit.
    let asked = plugins.asked.load(Ordering::SeqCst);
    p.project.write(
        "src/App.vue",
        "<template>Hi</template>\n<style>.app{}</style>\n",
    );
    let applied = p.host.apply_changes(&[p.path("src/App.vue")]);
    assert!(
        !applied
            .changed_files
            .iter()
            .any(|id| id.contains("virtual:flaky"))
    );
    p.build();
    assert_eq!(
        plugins.asked.load(Ordering::SeqCst) - asked,
        2,
        "App.vue's transform and its style's load, nothing else"
    );
}

/// What the plugins say while hearing of an edit belongs to that edit's batch: the modules
/// they mark stale (`server.reloadModule`, `moduleGraph.invalidateModule`) compile with it,
/// and a reload they ask for is its (`AppliedChanges::reload_requested`).
#[test]
fn what_a_hot_update_marks_stale_compiles_with_the_edit_and_its_reload_is_the_edits() {
    let (mut p, plugins) = project();
    p.build();
    *plugins.on_hot_update.lock().unwrap() = (vec!["\0virtual:greeting".to_string()], true);
    p.project.write(
        "src/App.vue",
        "<template>Bye</template>\n<style>.app{}</style>\n",
    );
    let applied = p.host.apply_changes(&[p.path("src/App.vue")]);
    assert!(applied.reload_requested);
    assert!(
        applied
            .changed_files
            .iter()
            .any(|id| id.contains("virtual:greeting")),
        "{:?}",
        applied.changed_files
    );
    assert!(!plugins.take_reload_requested(), "taken with the edit");
    assert!(
        p.host.take_plugin_invalidations().is_empty(),
        "taken with the edit"
    );
}

/// A plugin may reload a query sub-module of a file before hotloop's watcher tells of the
/// file's edit (unplugin-vue-router's own watcher reloads a page's `?definePage` module). It
/// waits for that edit, as the file does, and compiles with the edit's batch, after its
/// plugins' hot update: plugin-vue loads a `<style>` block from the descriptor the file's hot
/// update and transform keep, so read ahead it compiled the old style under the new text, and
/// the edit then found nothing to do (a second quick save's style edit never showed). It
/// updates with the edit though the hot update's answer leaves it out.
#[test]
fn a_sub_module_a_plugin_reloads_before_its_files_edit_compiles_with_the_edit() {
    use crate::telemetry::UpdateOutcome;
    use crate::update::{Cause, prepare};
    let (mut p, plugins) = project();
    p.project.write(
        "src/main.js",
        "import App from './App.vue';\nimport text from './App.vue?raw';\nconsole.log(App, text);\n\
         import.meta.hot.accept();\n",
    );
    p.project.write(
        "src/App.vue",
        "<template>Hi</template>\n<style>/* from transform */ .a { color: red; }</style>\n",
    );
    p.build();
    let path = p.project.write(
        "src/App.vue",
        "<template>Hi</template>\n<style>/* from transform */ .a { color: teal; }</style>\n",
    );
    let style = p.path("src/App.vue?sfc&type=style&lang.css");
    let raw = p.path("src/App.vue?raw");
    // As the dev loop does with a plugin's reloads: compile them, update with what changed.
    let applied = p.host.recompile(&[style, raw]);
    if !applied.changed_files.is_empty() {
        let files: Vec<String> = applied
            .changed_files
            .iter()
            .map(|f| f.to_string())
            .collect();
        prepare(&mut p.host, Cause::Edit { files: &files }, 1);
    }

    plugins.answer_style_only.store(true, Ordering::SeqCst);
    p.host.apply_changes(&[path]);
    let edit = Cause::Edit {
        files: &["src/App.vue".into()],
    };
    let update = prepare(&mut p.host, edit, 2);
    match &update.outcome {
        UpdateOutcome::Hot { modules, .. } => assert_eq!(
            modules,
            &["/src/App.vue?raw", "/src/App.vue?sfc&type=style&lang.css"]
        ),
        outcome => panic!("{outcome:?}"),
    }
    let chunk = p.chunk();
    assert!(
        chunk.contains(r#"module.exports = "<template>Hi</template>\n<style>/* from transform */ .a { color: teal; }"#),
        "the raw text: {chunk}"
    );
    assert!(chunk.contains(".a { color: teal; }"), "the style: {chunk}");
}

/// The plugins' hot update answer decides which of an edited file's modules update: one that
/// answers the style sub-module alone (plugin-vue's `<style>`-only edit) gets a CSS update,
/// though the file's main module compiles to new code too (plugin-vue's drops the
/// `_rerender_only` of a template edit before; re-running it would re-mount the component).
/// The main module's new code goes with the next update that has it.
#[test]
fn the_plugins_hot_update_answer_decides_which_of_the_files_modules_update() {
    use crate::telemetry::UpdateOutcome;
    use crate::update::{Cause, prepare};
    let (mut p, plugins) = project();
    p.build();
    let edit = |p: &mut Incremental, text: &str| {
        let path = p.project.write("src/App.vue", text);
        p.host.apply_changes(&[path]);
        prepare(
            &mut p.host,
            Cause::Edit {
                files: &["src/App.vue".into()],
            },
            1,
        )
    };
    plugins.answer_style_only.store(true, Ordering::SeqCst);
    let update = edit(
        &mut p,
        "<template>Hello again</template>\n<style>.app { color: green; }</style>\n",
    );
    let changed: Vec<String> = update
        .build
        .changed
        .iter()
        .map(|&m| update.build.graph().module(m).id.to_string())
        .collect();
    assert!(changed.contains(&"/src/App.vue".to_string()), "{changed:?}");
    assert_eq!(
        update.outcome,
        UpdateOutcome::Hot {
            modules: vec!["/src/App.vue?sfc&type=style&lang.css".into()],
            boundaries: vec!["/src/App.vue?sfc&type=style&lang.css".into()],
            css_only: true,
        }
    );
    // Without an answer, the next edit sends what changed: the main module's new code (which
    // no module here accepts: a reload).
    plugins.answer_style_only.store(false, Ordering::SeqCst);
    let update = edit(
        &mut p,
        "<template>Hello at last</template>\n<style>.app { color: green; }</style>\n",
    );
    assert!(
        matches!(&update.outcome, UpdateOutcome::FullReload { reason } if reason.starts_with("/src/App.vue changed")),
        "{:?}",
        update.outcome
    );
    // An answer that names none of the file's modules (only another one) leaves the file's
    // own to the engine: they are sent (an `<i18n src>` block's JSON stayed stale).
    plugins.answer_other_only.store(true, Ordering::SeqCst);
    let update = edit(
        &mut p,
        "<template>Hello once more</template>\n<style>.app { color: green; }</style>\n",
    );
    assert!(
        matches!(&update.outcome, UpdateOutcome::FullReload { reason } if reason.starts_with("/src/App.vue changed")),
        "{:?}",
        update.outcome
    );
    // An empty answer: the plugin did its own hot update; nothing is sent, nothing reloads.
    plugins.answer_other_only.store(false, Ordering::SeqCst);
    plugins.answer_empty.store(true, Ordering::SeqCst);
    let update = edit(
        &mut p,
        "<template>Hello, handled</template>\n<style>.app { color: green; }</style>\n",
    );
    assert_eq!(update.outcome, UpdateOutcome::NoChange);
}

/// A module of the edited file the answer leaves out, that the update re-evaluates anyway (the
/// file's block module, which the answer names, is accepted by it), runs its current code, as
/// Vite imports the boundary anew: plugin-vue answers an `<i18n>` block's edit with the block's
/// module, and the component's code of an earlier template edit (`_rerender_only`) only
/// re-rendered it, the new messages never applied.
#[test]
fn a_left_out_module_the_update_re_evaluates_runs_its_current_code() {
    use crate::telemetry::UpdateOutcome;
    use crate::update::{Cause, prepare};
    let (mut p, plugins) = project();
    p.project.write(
        "src/App.vue",
        "<template>{{block}}Hello</template>\n<style>export default 'v1';</style>\n",
    );
    p.build();
    plugins.answer_block_only.store(true, Ordering::SeqCst);
    let path = p.project.write(
        "src/App.vue",
        "<template>{{block}}Hello again</template>\n<style>export default 'v2';</style>\n",
    );
    p.host.apply_changes(&[path]);
    let edit = Cause::Edit {
        files: &["src/App.vue".into()],
    };
    match prepare(&mut p.host, edit, 1).outcome {
        UpdateOutcome::Hot {
            modules,
            boundaries,
            ..
        } => {
            assert_eq!(boundaries, ["/src/App.vue"]);
            assert!(
                modules.contains(&"/src/App.vue".to_string())
                    && modules.contains(&"/src/App.vue?sfc&type=block&lang.js".to_string()),
                "the component's new code goes with its block's: {modules:?}"
            );
        }
        outcome => panic!("{outcome:?}"),
    }
}

/// An `import.meta.glob` call in a plugin's output, removed and added again: its glob module
/// (`App.vue?glob=0`, compiled before, so not new) goes with the update although the plugin's
/// answer names only the file's module; it is hotloop's, not one of the plugins' (plugin-vue's
/// answer left it out, and the page threw `Cannot find module './App.vue?glob=0'`).
#[test]
fn a_glob_call_added_again_to_a_plugins_output_reaches_the_page() {
    use crate::telemetry::UpdateOutcome;
    use crate::update::{Cause, prepare};
    let (mut p, plugins) = project();
    p.project.write("src/icons/a.js", "export default 'a';\n");
    p.project
        .write("src/App.vue", "<template>{{glob}}Icons</template>\n");
    p.build();
    plugins.answer_file_only.store(true, Ordering::SeqCst);
    let mut revision = 1;
    let mut save = |p: &mut Incremental, text: &str| {
        let path = p.project.write("src/App.vue", text);
        p.host.apply_changes(&[path]);
        let edit = Cause::Edit {
            files: &["src/App.vue".into()],
        };
        revision += 1;
        prepare(&mut p.host, edit, revision).outcome
    };
    save(&mut p, "<template>No icons</template>\n");
    match save(&mut p, "<template>{{glob}}Icons again</template>\n") {
        UpdateOutcome::Hot { modules, .. } => assert!(
            modules.contains(&"/src/App.vue?glob=0".to_string()),
            "{modules:?}"
        ),
        outcome => panic!("{outcome:?}"),
    }
}

/// A module of the edited file that a plugin updated itself while hearing of the edit
/// (`server.reloadModule`: unplugin-vue-router's page's `?definePage` module) updates, though
/// the hot update's answer (plugin-vue's: another module of the file) left it out.
#[test]
fn a_module_the_answer_left_out_but_a_plugin_reloaded_updates() {
    use crate::telemetry::UpdateOutcome;
    use crate::update::{Cause, prepare};
    let (mut p, plugins) = project();
    p.build();
    plugins.answer_style_only.store(true, Ordering::SeqCst);
    let update = |p: &mut Incremental, revision| {
        let edit = Cause::Edit {
            files: &["src/App.vue".into()],
        };
        prepare(&mut p.host, edit, revision).outcome
    };
    let reloads = |outcome: &UpdateOutcome| matches!(outcome, UpdateOutcome::FullReload { reason } if reason.starts_with("/src/App.vue changed"));
    let main = p.path("src/App.vue").to_string_lossy().into_owned();
    *plugins.on_hot_update.lock().unwrap() = (vec![main], false);
    let path = p.project.write(
        "src/App.vue",
        "<template>Reloaded</template>\n<style>.app { color: green; }</style>\n",
    );
    p.host.apply_changes(&[path]);
    // The component's new code goes out: no module here accepts it, so the page reloads
    // (without the plugin's reload, the answer's style module alone: a CSS update).
    let outcome = update(&mut p, 1);
    assert!(reloads(&outcome), "{outcome:?}");

    // The reload may come after the edit's batch (unplugin-vue-router's own watcher): the
    // module the edit's update left out, which did not change since, goes out then.
    *plugins.on_hot_update.lock().unwrap() = (Vec::new(), false);
    let path = p.project.write(
        "src/App.vue",
        "<template>Reloaded later</template>\n<style>.app { color: teal; }</style>\n",
    );
    p.host.apply_changes(&[path]);
    let outcome = update(&mut p, 2);
    assert!(
        matches!(&outcome, UpdateOutcome::Hot { css_only: true, .. }),
        "{outcome:?}"
    );
    p.host.recompile(&[p.path("src/App.vue")]);
    let outcome = update(&mut p, 3);
    assert!(reloads(&outcome), "{outcome:?}");
    // Once sent, a reload of it with nothing new sends nothing.
    p.host.recompile(&[p.path("src/App.vue")]);
    assert_eq!(update(&mut p, 4), UpdateOutcome::NoChange);
}

/// With the project's plugins, no index.html is no error (the page may be a plugin's:
/// vite-plugin-html's template, served by its middleware at `/`), as under Vite; without them
/// it is one (`tests/pages.rs`).
#[test]
fn with_plugins_no_index_html_is_no_error() {
    let (mut p, _plugins) = project();
    let gone = p.project.remove("index.html");
    p.host.apply_changes(&[gone]);
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
}

/// A binary file under a query no plugin loads (`img.png?w=1`, vite-imagetools' shape without
/// vite-imagetools) is the file's URL, as Vite's asset plugin answers; not "not valid UTF-8".
#[test]
fn a_binary_file_under_a_query_no_plugin_loads_is_its_url() {
    let (mut p, _plugins) = project();
    p.project.write(
        "src/main.js",
        "import img from './img.png?w=1';\nconsole.log(img);\n",
    );
    std::fs::write(p.path("src/img.png"), b"\x89PNG\r\n\x1a\n\xff\xfe").unwrap();
    let build = p.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let chunk = p.chunk();
    assert!(chunk.contains("\"/src/img.png\""), "{chunk}");
}

/// A file a plugin fails on, whose blocks it then cannot load either, is one error: the file's
/// first plugin failure (as under Vite, where the page never asks for the blocks).
#[test]
fn a_plugin_failure_and_the_failures_it_causes_in_the_files_blocks_are_one_error() {
    let (mut p, _) = project();
    p.build();
    let mut one_error_with = |template: &str| {
        let text = format!("<template>\n{template}</template>\n<style>.app{{}}</style>\n");
        p.project.write("src/App.vue", &text);
        p.host.apply_changes(&[p.path("src/App.vue")]);
        p.build();
        let diagnostics = p.diagnostics();
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0].contains("cannot compile `boom`"),
            "{diagnostics:?}"
        );
    };
    one_error_with("Hello BOOM");
    // Its blocks' `load` answering nothing (not failing) is no second error either.
    one_error_with("Hello NOTHING");
}

/// A tsconfig edit that changes what a script compiles with evaluates the config again when
/// plugins run: their TS step read the old tsconfig (plugin-vue's `<script lang="ts">`), and
/// the new evaluation's fingerprint (which holds the tsconfigs) asks their outputs again. An
/// edit that changes no script's options does not.
#[test]
fn a_tsconfig_edit_that_changes_a_scripts_options_evaluates_the_config_again() {
    use crate::ReloadedConfig;
    use crate::inputs::ProjectOptions;

    let (mut p, _plugins) = project();
    p.project.write(
        "tsconfig.json",
        r#"{ "compilerOptions": { "verbatimModuleSyntax": true }, "include": ["src"] }"#,
    );
    p.project.write("src/util.ts", "export const n = 1;\n");
    p.project.write(
        "src/main.js",
        "import App from './App.vue';\nimport { n } from './util';\nconsole.log(App, n);\n",
    );
    let config = p.path("vite.config.ts");
    p.project.write("vite.config.ts", "export default {}\n");
    let evaluations = Arc::new(AtomicUsize::new(0));
    let counted = evaluations.clone();
    p.host.watch_vite_config(
        config,
        Vec::new(),
        Box::new(move || {
            let n = counted.fetch_add(1, Ordering::SeqCst) as u64;
            Ok(ReloadedConfig {
                options: ProjectOptions {
                    plugins_fingerprint: n + 1,
                    ..ProjectOptions::default()
                },
                files: Vec::new(),
            })
        }),
    );
    p.build();
    let tsconfig = p.path("tsconfig.json");

    // Whitespace only: no script's options change.
    p.project.write(
        "tsconfig.json",
        r#"{ "compilerOptions": { "verbatimModuleSyntax": true },  "include": ["src"] }"#,
    );
    p.host.apply_changes(std::slice::from_ref(&tsconfig));
    p.build();
    assert_eq!(evaluations.load(Ordering::SeqCst), 0);

    p.project.write(
        "tsconfig.json",
        r#"{ "compilerOptions": { "verbatimModuleSyntax": false }, "include": ["src"] }"#,
    );
    p.host.apply_changes(std::slice::from_ref(&tsconfig));
    p.host.take_query_runs();
    p.host.build();
    assert_eq!(evaluations.load(Ordering::SeqCst), 1);
    let recompiled = parsed_since(&mut p);
    assert!(
        recompiled.contains(&"/src/App.vue".to_string()),
        "the plugins' output is asked again: {recompiled:?}"
    );
}

/// A `.env` edit evaluates the config again (as Vite restarts its server): its plugins are new
/// instances that gathered nothing (UnoCSS's classes, vite-plugin-inspect's records, which
/// showed no module after such an edit). Though the options come out the same, every module a
/// plugin takes is given to them again; one that no plugin takes is not compiled again.
#[test]
fn a_config_evaluated_again_gives_its_new_plugins_every_module_again() {
    use crate::ReloadedConfig;

    let (mut p, plugins) = project();
    p.project.write("vite.config.ts", "export default {}\n");
    let env = p.project.write(".env", "VITE_A=1\n");
    p.build();
    let options = p.host.project().options(p.host.db()).clone();
    p.host.watch_vite_config(
        p.path("vite.config.ts"),
        Vec::new(),
        Box::new(move || {
            Ok(ReloadedConfig {
                options: options.clone(),
                files: Vec::new(),
            })
        }),
    );
    let asked = plugins.asked.load(Ordering::SeqCst);
    p.project.write(".env", "VITE_A=2\n");
    p.host.apply_changes(std::slice::from_ref(&env));
    p.host.take_query_runs();
    p.host.build();
    assert!(
        plugins.asked.load(Ordering::SeqCst) > asked,
        "the new plugins transformed the modules again"
    );
    let parsed = parsed_since(&mut p);
    assert!(parsed.contains(&"/src/App.vue".to_string()), "{parsed:?}");
    assert!(!parsed.contains(&"/src/main.js".to_string()), "{parsed:?}");
}

/// The modules whose `parsed_module` ran since the host's query runs were last taken.
fn parsed_since(p: &mut Incremental) -> Vec<String> {
    p.host
        .take_query_runs()
        .into_iter()
        .filter(|run| {
            &*run.query == "parsed_module" && run.kind == crate::db::QueryEventKind::Executed
        })
        .map(|run| run.module)
        .collect()
}

/// A page renamed while a plugin's routes module names its `?definePage` block by the file's
/// path (unplugin-vue-router): the rename's batch removes the block from the page; the
/// plugin's first new routes module still names the old block beside the new one. Sending the
/// new page's block then would re-evaluate the routes module's last good code, which imports
/// the removed block ("Cannot find module" in the page): that update waits until the routes
/// module is whole, and goes with it.
#[test]
fn an_update_that_would_rerun_a_module_whose_imports_are_gone_waits_for_it() {
    use crate::telemetry::UpdateOutcome;
    use crate::update::{Cause, prepare};
    let (mut p, _) = project();
    // The fake plugin loads a block from the file's `<style>` (a `?definePage` block's code).
    p.project.write(
        "src/Page.vue",
        "<template>page</template>\n<style>export default 'page';</style>\n",
    );
    p.project.write(
        "src/routes.js",
        "import page from './Page.vue?sfc&type=block';\nexport const routes = [page];\nimport.meta.hot.accept();\n",
    );
    p.project.write(
        "src/main.js",
        "import { routes } from './routes.js';\nconsole.log(routes);\n",
    );
    p.build();
    // The rename.
    p.project.remove("src/Page.vue");
    p.project.write(
        "src/Other.vue",
        "<template>other</template>\n<style>export default 'other';</style>\n",
    );
    p.host
        .apply_changes(&[p.path("src/Page.vue"), p.path("src/Other.vue")]);
    let files = ["src/Page.vue".to_string(), "src/Other.vue".to_string()];
    prepare(&mut p.host, Cause::Edit { files: &files }, 1);
    // The plugin's routes with the new page added, the old one not yet gone.
    p.project.write(
        "src/routes.js",
        "import page from './Page.vue?sfc&type=block';\nimport other from './Other.vue?sfc&type=block';\nexport const routes = [page, other];\nimport.meta.hot.accept();\n",
    );
    p.host.apply_changes(&[p.path("src/routes.js")]);
    let files = ["src/routes.js".to_string()];
    let partial = prepare(&mut p.host, Cause::Edit { files: &files }, 2);
    assert!(
        partial.frame.is_none(),
        "nothing sent: {:?}",
        partial.outcome
    );
    assert!(
        matches!(partial.outcome, UpdateOutcome::Errors { .. }),
        "{:?}",
        partial.outcome
    );
    // The plugin's routes without the old page: the routes module and the new block go.
    p.project.write(
        "src/routes.js",
        "import other from './Other.vue?sfc&type=block';\nexport const routes = [other];\nimport.meta.hot.accept();\n",
    );
    p.host.apply_changes(&[p.path("src/routes.js")]);
    let whole = prepare(&mut p.host, Cause::Edit { files: &files }, 3);
    assert!(whole.frame.is_some(), "{:?}", whole.outcome);
    let UpdateOutcome::Hot { modules, .. } = &whole.outcome else {
        panic!("{:?}", whole.outcome);
    };
    let mut modules: Vec<&str> = modules.iter().map(|m| &**m).collect();
    modules.sort();
    assert_eq!(
        modules,
        ["/src/Other.vue?sfc&type=block", "/src/routes.js"],
        "{:?}",
        whole.outcome
    );
}

/// A part a plugin fails on, of a file that is there, keeps its last good code in the page: an
/// update that re-runs its importer (whose new code waits on it) is sent, and the importer's
/// last good code runs with it (the fixture's `parts.ts?variant` whose transform stopped
/// applying).
#[test]
fn an_update_that_reruns_a_module_waiting_on_a_failed_part_of_a_file_still_goes() {
    use crate::telemetry::UpdateOutcome;
    use crate::update::{Cause, prepare};
    let (mut p, _) = project();
    p.project.write(
        "src/Page.vue",
        "<template>page</template>\n<style>export default 'page';</style>\n",
    );
    p.project.write("src/b.js", "export const b = 1;\n");
    p.project.write(
        "src/routes.js",
        "import page from './Page.vue?sfc&type=block';\nimport { b } from './b.js';\nexport const routes = [page, b];\nimport.meta.hot.accept();\n",
    );
    p.project.write(
        "src/main.js",
        "import { routes } from './routes.js';\nconsole.log(routes);\n",
    );
    p.build();
    // The plugin has nothing for the block now (`NOTHING`), and `b.js` changed beside it.
    p.project.write(
        "src/Page.vue",
        "<template>NOTHING</template>\n<style>export default 'page';</style>\n",
    );
    p.project.write("src/b.js", "export const b = 2;\n");
    p.host
        .apply_changes(&[p.path("src/Page.vue"), p.path("src/b.js")]);
    let files = ["src/Page.vue".to_string(), "src/b.js".to_string()];
    let update = prepare(&mut p.host, Cause::Edit { files: &files }, 1);
    let UpdateOutcome::Hot { modules, .. } = &update.outcome else {
        panic!("{:?}", update.outcome);
    };
    assert_eq!(modules, &["/src/b.js".to_string()]);
}

/// A plugin that fails because a file it read is gone (a stylesheet's `@import`, through
/// postcss-import: its error names no file) fails the module: the failure is made of the module's
/// text and of the files that come and go, not of its text alone, which salsa took for no change
/// (the last good compile's diagnostics, none, and watched files, none from then on: "no
/// change", and the other imports' edits went unheard; a stale page without a message). Also
/// after the module compiled again once a new import's file came (`retry_plugin_failures`).
#[test]
fn a_plugin_failing_on_a_deleted_file_it_read_fails_the_module() {
    let (mut p, _plugins) = project();
    p.project.write("src/a.txt", "from a\n");
    p.project.write(
        "src/App.vue",
        "<template>{{need:a.txt}}</template>\n<style>.app{}</style>\n",
    );
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let step = |p: &mut Incremental, paths: &[&str]| {
        let paths: Vec<_> = paths.iter().map(|path| p.path(path)).collect();
        p.host.apply_changes(&paths);
        p.build();
    };
    // The file it read goes: the module fails; it comes back: the module follows.
    std::fs::remove_file(p.path("src/a.txt")).unwrap();
    step(&mut p, &["src/a.txt"]);
    assert_eq!(p.diagnostics().len(), 1, "{:?}", p.diagnostics());
    p.project.write("src/a.txt", "from a\n");
    step(&mut p, &["src/a.txt"]);
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    // The new import fails, then its file comes: the module is compiled again and succeeds.
    p.project.write(
        "src/App.vue",
        "<template>{{need:a.txt}} {{need:b.txt}}</template>\n<style>.app{}</style>\n",
    );
    step(&mut p, &["src/App.vue"]);
    assert_eq!(p.diagnostics().len(), 1, "{:?}", p.diagnostics());
    p.project.write("src/b.txt", "from b\n");
    step(&mut p, &["src/b.txt"]);
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert!(p.chunk().contains("from a from b"), "{}", p.chunk());
    // Its other import goes: the module fails again.
    std::fs::remove_file(p.path("src/a.txt")).unwrap();
    step(&mut p, &["src/a.txt"]);
    assert_eq!(p.diagnostics().len(), 1, "{:?}", p.diagnostics());
    // Both back, edited: the module follows.
    p.project.write("src/a.txt", "from a again\n");
    step(&mut p, &["src/a.txt"]);
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    p.project.write("src/b.txt", "from b again\n");
    step(&mut p, &["src/b.txt"]);
    assert!(
        p.chunk().contains("from a again from b again"),
        "{}",
        p.chunk()
    );
}

/// A module that fails in a build that walks the whole graph (a file came or went: its
/// `@import`ed file deleted) keeps its last good code there too, as in an edit's build: its fix
/// is an update of the module the page runs, not its first compile, which no module in the page
/// had run, so nothing accepted it and the page reloaded (a stylesheet whose deleted `@import`
/// came back: "full reload: /src/style.css changed and no module accepts it").
#[test]
fn a_module_failing_in_a_full_build_keeps_its_last_good_code_and_its_fix_hot_updates() {
    use crate::update::{Cause, prepare};
    let (mut p, _plugins) = project();
    p.project.write("src/a.txt", "body { color: red; }\n");
    p.project.write(
        "src/main.js",
        "import './style.css';\nimport App from './App.vue';\nconsole.log(App);\n",
    );
    p.project
        .write("src/style.css", "{{need:a.txt}}\n.app { margin: 0; }\n");
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let step = |p: &mut Incremental| {
        let path = p.path("src/a.txt");
        p.host.apply_changes(&[path]);
        prepare(&mut p.host, Cause::Edit { files: &[] }, 1)
    };
    std::fs::remove_file(p.path("src/a.txt")).unwrap();
    let update = step(&mut p);
    assert_eq!(sent_modules(&update), Vec::<String>::new());
    assert_eq!(p.diagnostics().len(), 1, "{:?}", p.diagnostics());
    p.project.write("src/a.txt", "body { color: blue; }\n");
    let update = step(&mut p);
    assert_eq!(sent_modules(&update), ["/src/style.css"]);
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
}
