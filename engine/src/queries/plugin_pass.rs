//! What a project's Vite plugins make of one module before hotloop compiles it: `load` (a
//! virtual module's code, a query sub-module's block), then `transform` (a `.vue` file into
//! JavaScript, a style block into CSS). Called by `parsed_module`; with no plugins (no
//! `vite.config`), or none whose filters match, it costs nothing and makes no round trip.
//!
//! Every plugin transform runs on the module's source as loaded, before hotloop's own swc
//! pass (TS strip, JSX, React Refresh, ESM → registry factory): what Vite's `enforce: 'pre'`
//! plugins see, and what its normal plugins see for the files Vite's own TS/JSX transform
//! leaves alone (`.vue`, `.svelte`, sub-modules). Normal plugins on `.ts`/`.tsx` files see the
//! source before TS/JSX are compiled, not after as under Vite; the framework plugins read JSX
//! and TS themselves. The plugin's source map (its input → its output) is chained under
//! hotloop's (the output → the factory) by `chain_map`, so devtools show the `.vue`/`.svelte`
//! source; its absolute paths under the root become root-relative ids, like hotloop's own maps.

use std::path::Path;

use crate::db::Db;
use crate::files::{FileClass, plugin_id};
use crate::inputs::Project;
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
    },
    /// A plugin failed, or nothing could produce the module.
    Failed(Diagnostic),
}

/// The language of a plugin's output, as hotloop compiles it next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Script(SourceKind),
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

/// The language a module's code is compiled as after the plugins: a `lang.<ext>` query wins
/// (`App.vue?vue&type=script&lang.ts`), then the path's own extension; a `.vue`/`.svelte`
/// file's output and virtual modules are TypeScript-compatible JavaScript.
pub fn lang_of(id: &str, path: &Path) -> Lang {
    if is_css_request(id) {
        return Lang::Css;
    }
    if let Some((_, query)) = id.split_once('?')
        && let Some(lang) = query.split('&').find_map(|part| part.strip_prefix("lang."))
        && let Some(kind) = SourceKind::from_path(&format!(".{lang}"))
    {
        return Lang::Script(kind);
    }
    match FileClass::of(path) {
        FileClass::Script(kind) => Lang::Script(kind),
        _ => Lang::Script(SourceKind::Ts),
    }
}

/// Runs the plugins' `load` and `transform` hooks for the module at `path` (module id `id`)
/// whose text is `text`, for the page or (`PluginEnv::Ssr`) the app's server.
pub fn run(db: &dyn Db, path: &Path, id: &str, text: &str, env: PluginEnv) -> PluginPass {
    let Some(plugins) = db.plugins() else {
        return PluginPass::Untouched;
    };
    // The plugins' answers depend on this besides the text.
    let _fingerprint = Project::try_get(db).map(|p| p.options(db).plugins_fingerprint);
    let plugin_id = plugin_id(db.files().root(), path);
    let class = FileClass::of(path);
    let mut code: Option<String> = None;
    let mut load_map: Option<String> = None;
    if plugins.wants_load(&plugin_id) {
        match plugins.load_in(env, &plugin_id) {
            Ok(Some(output)) => {
                log_warnings(id, &output.warnings);
                depend_on(db, &output.watch_files);
                code = Some(output.code);
                load_map = output.map;
            }
            Ok(None) => {}
            Err(error) => return PluginPass::Failed(diagnostic(id, text, &error)),
        }
    }
    if code.is_none() && class == FileClass::Virtual {
        return PluginPass::Failed(Diagnostic {
            kind: DiagnosticKind::Transform,
            file: id.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "no plugin loads the virtual module '{plugin_id}': a plugin resolved it but none \
                 of the config's plugins has a `load` hook that answers for it"
            ),
            code_frame: String::new(),
        });
    }
    let source = code.as_deref().unwrap_or(text);
    let transformed = if plugins.wants_transform(&plugin_id, source) {
        match plugins.transform_in(env, &plugin_id, source) {
            Ok(Some(output)) => {
                log_warnings(id, &output.warnings);
                depend_on(db, &output.watch_files);
                Some((output.code, output.map))
            }
            Ok(None) => None,
            Err(error) => return PluginPass::Failed(diagnostic(id, source, &error)),
        }
    } else {
        None
    };
    // A transform's map starts from what `load` gave (a sub-module's block), which the
    // transform's own sources name; the file a `load` map names is the original either way.
    match transformed.or(code.map(|code| (code, load_map))) {
        Some((code, map)) => PluginPass::Code {
            code,
            map,
            lang: lang_of(id, path),
        },
        None => PluginPass::Untouched,
    }
}

/// Whether any plugin may load or transform the module at `path` (text `text`): only then does
/// the app's server get a compile of its own (`parsed::server_parsed_module`).
pub fn touches(db: &dyn Db, path: &Path, text: &str) -> bool {
    let Some(plugins) = db.plugins() else {
        return false;
    };
    // The plugins' filters depend on this besides the text.
    let _fingerprint = Project::try_get(db).map(|p| p.options(db).plugins_fingerprint);
    let plugin_id = plugin_id(db.files().root(), path);
    plugins.wants_load(&plugin_id) || plugins.wants_transform(&plugin_id, text)
}

/// `this.addWatchFile(file)`: the module's compile depends on `file` (a Sass partial, a
/// config the plugin read) as on its own text. Reading the file's input records that with
/// salsa, and the watcher's reports reach the input like any other file's.
fn depend_on(db: &dyn Db, files: &[std::path::PathBuf]) {
    for file in files {
        let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        let input = db.files().get_or_read(db, &path);
        let _ = input.contents(db);
    }
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
    for index in 0..chained.get_source_count() {
        let Some(source) = chained.get_source(index) else {
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
            chained.set_source(index, id.into());
        }
    }
    chained.set_source_root(None::<String>);
    let mut json = Vec::new();
    chained.to_writer(&mut json).ok()?;
    String::from_utf8(json).ok()
}

fn log_warnings(id: &str, warnings: &[String]) {
    for warning in warnings {
        tracing::warn!("{id}: {warning}");
    }
}

/// A plugin's error as the overlay shows it: the plugin's name first, its location and code
/// frame when it gave them (else a frame made from the text it was given).
pub fn diagnostic(id: &str, text: &str, error: &PluginError) -> Diagnostic {
    let (line, column) = error.loc.unwrap_or((1, 1));
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
        message: format!("{who} {} (in its `{}` hook)", error.message, error.hook),
        code_frame: match (&error.frame, error.loc) {
            (Some(frame), _) if !frame.is_empty() => frame.clone(),
            (_, Some((line, column))) => code_frame(text, line, column),
            _ => String::new(),
        },
    }
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
        let lang = |id: &str| lang_of(id, Path::new(id));
        assert_eq!(lang("/p/App.vue"), Lang::Script(SourceKind::Ts));
        assert_eq!(
            lang("/p/App.vue?vue&type=script&lang.tsx"),
            Lang::Script(SourceKind::Tsx)
        );
        assert_eq!(lang("/p/App.vue?vue&type=style&lang.css"), Lang::Css);
        assert_eq!(lang("/p/a.jsx"), Lang::Script(SourceKind::Jsx));
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
        let ours = compiled.map.expect("map");
        let root = Path::new("/work/app");
        let file = Path::new("/work/app/src/App.vue");
        let chained = super::chain_map(&ours, &plugin, root, file).expect("chained");

        let map = swc_sourcemap::SourceMap::from_slice(chained.as_bytes()).unwrap();
        let line = code
            .lines()
            .position(|l| l.contains("const msg = 'hi' + a"))
            .expect("the export in the factory") as u32;
        let token = map.lookup_token(line, 10).expect("a mapping on that line");
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
