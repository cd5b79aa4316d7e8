//! The `Files` side-table: canonical path → `SourceFile` input, get-or-create (in the style of
//! ruff_db's `Files`). Resolution inside queries creates inputs for the files it finds, reading
//! them from disk once; afterwards only the `EngineHost` updates them, when the watcher reports a
//! change. Also the one place that knows how a path becomes a module id and how file bytes
//! become `FileContents`.
//!
//! # Module ids
//!
//! A module id is the URL path of the file relative to the project root with a leading `/`:
//! `/src/main.tsx`, `/node_modules/react/index.js`. The engine numbers modules densely
//! (`ModuleIndex(u32)`) inside a `ModuleGraph`; the browser and the protocol use the string id.
//!
//! Also here: each file's `FileClass` (how the engine treats it, by extension), the paths of
//! import query variants (a plugin's query sub-module: the file's path with the query in its
//! name), and each input's durability (`durability_for`: `node_modules` files `HIGH`, the app's
//! files `MEDIUM`, a page's requests `LOW`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rustc_hash::{FxHashMap, FxHashSet};
use salsa::Durability;

use crate::inputs::{
    FileContents, SourceFile, TsconfigFacts, content_hash, has_component, in_node_modules,
};
use crate::package_type::PackageTypes;
use crate::source_text::SourceText;
use crate::transform::{self, ScriptConfig, SourceKind, WorkerQuery};
use crate::tsconfig::Tsconfigs;

/// JS modules larger than this are not parsed: their text is not even kept. Real npm files
/// reach 10 MB (`typescript.js` 9 MB, monaco-editor's `ts.worker.js` 10.7 MB), which must
/// compile; the limit keeps a stray generated dump from taking the engine's memory (swc's
/// syntax tree is many times the text).
pub const MAX_MODULE_BYTES: u64 = 32 * 1024 * 1024;

/// Prefix of module ids for files outside the project root.
pub const FS_PREFIX: &str = "/@fs";

/// How the engine treats a file, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileClass {
    Script(SourceKind),
    Css,
    Json,
    Html,
    /// A `.env` file of the project root (`queries::env` reads its text).
    Env,
    /// Vite's asset types (images, fonts, media, ...) and files without an extension. Only a
    /// hash of the bytes is kept.
    Asset,
    /// A type neither hotloop nor Vite knows (`.md`, `.yaml`, `.glsl`): with plugins, their
    /// `load`/`transform` make it a module, as under Vite (unplugin-vue-markdown's pages);
    /// what no plugin takes, or a project without plugins, gets the asset's URL.
    Unknown,
    /// `import text from "./notes.md?raw"`: the file's text as a string (see [`ImportQuery`]).
    Raw,
    /// `import href from "./logo.png?url"`: the file's URL, whatever its kind.
    Url,
    /// `import css from "./a.css?inline"`: a stylesheet's text, without injecting it; any other
    /// file as a `data:` URL (the contents are that URL, made when the file is read).
    Inline,
    /// `import W from "./w.ts?worker"` (and `?sharedworker`, `?worker&url`): names the worker
    /// script of the file, never reads it (see `transform::worker`).
    Worker(WorkerQuery),
    /// `import init from "./add.wasm?init"`: a function that instantiates the WebAssembly
    /// module at the file's URL (Vite's `init(imports)` → `Promise<WebAssembly.Instance>`).
    /// Only a hash of the bytes is kept, as for an asset.
    WasmInit,
    /// The module an `import.meta.glob(...)` call becomes (see [`glob_module_path`]); its code
    /// comes from the importer's call and the files that match, not from a file of its own.
    Glob,
    /// A file of a language hotloop does not compile itself (`.vue`, `.svelte`, `.scss`, ...;
    /// see [`NEEDS_A_TOOL`]): its text is kept for the project's plugins; without a plugin that
    /// takes it, importing it is an error that names what would.
    Foreign,
    /// A query sub-module a plugin asked for (`/src/App.vue?vue&type=style&index=0&lang.css`):
    /// the path is the file's with the query appended, its contents are the file's text (so it
    /// is re-read with the file), and the plugins' `load`/`transform` make its code.
    SubModule,
    /// The `index`th inline module script of an HTML page (`<script type="module">import …`),
    /// at Vite's path for it: `<page>?html-proxy&index=<n>.js` (see [`html_script_path`]); its
    /// code is the script's text in the page as served, not a file's.
    HtmlScript,
    /// The `index`th inline `<style>` of an HTML page that needs the CSS pipeline (a local
    /// `@import`, a Tailwind CSS directive), at Vite's path for it:
    /// `<page>?html-proxy&direct&index=<n>.css` (see [`html_style_path`]); its text is the
    /// style's in the page as served, not a file's, and the page links it as a stylesheet.
    HtmlStyle,
    /// `optimizeDeps`' banner (`ProjectOptions::deps_banner`), the first entry of a page, at
    /// `<page>?hotloop-deps-banner.js` (see [`deps_banner_path`]); its code is the option's.
    DepsBanner,
    /// A module only a plugin knows (`virtual:routes`, `\0plugin-vue:export-helper`), at the
    /// path `<root>/@id/<id>` (see [`virtual_path`]); no file, always empty contents.
    Virtual,
}

/// The directory, under the root, where virtual modules live: their ids are `/@id/<id>`, the
/// URLs Vite gives them, with `\0` spelled `__x00__`.
pub const VIRTUAL_DIR: &str = "@id";

/// The path of the virtual module a plugin calls `id`.
pub fn virtual_path(root: &Path, id: &str) -> PathBuf {
    // A leading `/` (`/@solid-refresh`) is spelled `__x2f__`, or `join` would start over.
    let id = id.replace('\0', "__x00__");
    let id = match id.strip_prefix('/') {
        Some(rest) => format!("__x2f__{rest}"),
        None => id,
    };
    root.join(VIRTUAL_DIR).join(id)
}

/// A module id as an error message names it: a file outside the root (`/@fs/<path>`, a
/// workspace package's) by its path, which a terminal or an editor opens; any other as it is.
pub fn message_id(id: &str) -> &str {
    id.strip_prefix(FS_PREFIX)
        .filter(|path| path.starts_with('/'))
        .unwrap_or(id)
}

/// A module id as a person reads it: a plugin's virtual module whose id is a path not on
/// disk (UnoCSS's `/__uno.css`, whose module id is `/@id/__x2f____uno.css`) as that path, as
/// Vite names it; any other id as it is.
pub fn display_id(id: &str) -> std::borrow::Cow<'_, str> {
    match id.strip_prefix("/@id/__x2f__") {
        Some(rest) => format!("/{rest}").into(),
        None => id.into(),
    }
}

/// The module path of a plugin id (what [`plugin_id`] undoes): a path on disk (with any
/// query) when its file exists, else the virtual module `<root>/@id/<id>` (`\0virtual:x`, and
/// `/@solid-refresh` or `/__uno.css` as much).
pub fn path_of_plugin_id(root: &Path, id: &str) -> PathBuf {
    let on_disk = id.starts_with('/')
        && !id.starts_with("/@id/")
        && Path::new(id.split('?').next().unwrap_or_default()).exists();
    if on_disk {
        PathBuf::from(id)
    } else {
        virtual_path(root, id.trim_start_matches("/@id/"))
    }
}

/// The plugin id (Vite's) of a module path: the virtual id for `<root>/@id/...`, else the
/// absolute path with any query.
pub fn plugin_id(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root.join(VIRTUAL_DIR)) {
        Ok(rest) => {
            let id = rest.to_string_lossy().replace("__x00__", "\0");
            match id.strip_prefix("__x2f__") {
                Some(rest) => format!("/{rest}"),
                None => id,
            }
        }
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

/// The path of `file` with `query` (without `?`) in its file name: what [`split_query`] undoes.
pub fn with_query(file: &Path, query: &str) -> PathBuf {
    let mut path = file.as_os_str().to_os_string();
    path.push("?");
    path.push(query);
    PathBuf::from(path)
}

/// A path whose file name carries a query (`App.vue?vue&type=style`): the file's path and
/// the query (without `?`).
pub fn split_query(path: &Path) -> Option<(PathBuf, &str)> {
    let name = path.file_name()?.to_str()?;
    let (base, query) = name.split_once('?')?;
    (!base.is_empty()).then(|| (path.with_file_name(base), query))
}

/// The path of the module the `index`th `import.meta.glob(...)` call of `importer` becomes:
/// `<importer>?glob=<index>` (id `/src/main.ts?glob=0`), next to the importer so the matched
/// files' relative specifiers resolve from the importer's directory.
#[cfg(test)]
pub fn glob_module_path(importer: &Path, index: usize) -> PathBuf {
    let mut path = importer.as_os_str().to_os_string();
    path.push(format!("?glob={index}"));
    PathBuf::from(path)
}

/// The importer and call index of a glob module's path; `None` for any other path.
pub fn glob_module_of_path(path: &Path) -> Option<(PathBuf, usize)> {
    let name = path.file_name()?.to_str()?;
    let (base, index) = name.rsplit_once("?glob=")?;
    if base.is_empty() || index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((path.with_file_name(base), index.parse().ok()?))
}

/// The module of the `index`th inline module script of the page at `page` (Vite's
/// `/index.html?html-proxy&index=0.js`): next to the page, so its relative imports resolve
/// from the page's directory.
pub fn html_script_path(page: &Path, index: usize) -> PathBuf {
    with_query(page, &format!("html-proxy&index={index}.js"))
}

/// The module of the `index`th inline `<style>` of the page at `page` that needs the CSS
/// pipeline (Vite's `/index.html?html-proxy&direct&index=0.css`): next to the page, so its
/// relative `@import`s and `url()`s resolve from the page's directory.
pub fn html_style_path(page: &Path, index: usize) -> PathBuf {
    with_query(page, &format!("{HTML_STYLE_QUERY}{index}.css"))
}

/// The module id of [`html_style_path`] for the page whose module id is `page_id`.
pub fn html_style_id(page_id: &str, index: usize) -> String {
    format!("{page_id}?{HTML_STYLE_QUERY}{index}.css")
}

/// The query of [`html_style_path`] before the index.
const HTML_STYLE_QUERY: &str = "html-proxy&direct&index=";

/// The query of [`deps_banner_path`].
const DEPS_BANNER_QUERY: &str = "hotloop-deps-banner.js";

/// The module of `optimizeDeps`' banner on the page at `page`: next to the page, so the
/// banner's imports (a package's shims) resolve from the page's directory.
pub fn deps_banner_path(page: &Path) -> PathBuf {
    with_query(page, DEPS_BANNER_QUERY)
}

/// The page and script index of an inline script's module path; `None` for any other path.
pub fn html_script_of_path(path: &Path) -> Option<(PathBuf, usize)> {
    html_proxy_of_path(path, "html-proxy&index=", ".js")
}

/// The page and style index of an inline style's module path ([`html_style_path`]); `None`
/// for any other path.
pub fn html_style_of_path(path: &Path) -> Option<(PathBuf, usize)> {
    html_proxy_of_path(path, HTML_STYLE_QUERY, ".css")
}

/// A page's path and an index from `<page>?<query><index><suffix>`.
fn html_proxy_of_path(path: &Path, query: &str, suffix: &str) -> Option<(PathBuf, usize)> {
    let name = path.file_name()?.to_str()?;
    let (base, rest) = name.split_once('?')?;
    let index = rest.strip_prefix(query)?.strip_suffix(suffix)?;
    if !(base.ends_with(".html") || base.ends_with(".htm"))
        || index.is_empty()
        || !index.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((path.with_file_name(base), index.parse().ok()?))
}

/// Vite's import queries that change what a module exports. The module of `x.md?raw` is a
/// file of its own, at the path `<dir>/x.md?raw` (id `/src/x.md?raw`), whose contents are read
/// from `x.md`; when the watcher reports `x.md`, its `?raw`/`?url` variants are re-read too
/// (`Files::variants_of`). Worker variants depend only on the file's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImportQuery {
    Raw,
    Url,
    Inline,
    Worker(WorkerQuery),
    /// `?init` (of a `.wasm` file).
    Init,
}

impl ImportQuery {
    pub const ALL: [ImportQuery; 7] = [
        ImportQuery::Raw,
        ImportQuery::Url,
        ImportQuery::Inline,
        ImportQuery::Init,
        ImportQuery::Worker(WorkerQuery::Dedicated),
        ImportQuery::Worker(WorkerQuery::Shared),
        ImportQuery::Worker(WorkerQuery::Url),
    ];

    /// The query a specifier ends with (`./a.svg?raw` → `Raw`) and the specifier without it.
    /// `?worker&inline` is `?worker` (and `?sharedworker&inline` `?sharedworker`): Vite inlines a
    /// worker only in a build.
    pub fn split(specifier: &str) -> Option<(&str, ImportQuery)> {
        const INLINE_WORKERS: [(&str, WorkerQuery); 2] = [
            ("?worker&inline", WorkerQuery::Dedicated),
            ("?sharedworker&inline", WorkerQuery::Shared),
        ];
        for (suffix, worker) in INLINE_WORKERS {
            if let Some(base) = specifier.strip_suffix(suffix)
                && !base.is_empty()
            {
                return Some((base, ImportQuery::Worker(worker)));
            }
        }
        ImportQuery::ALL.into_iter().find_map(|query| {
            let base = specifier.strip_suffix(query.suffix())?;
            (!base.is_empty()).then_some((base, query))
        })
    }

    fn suffix(self) -> &'static str {
        match self {
            ImportQuery::Raw => "?raw",
            ImportQuery::Url => "?url",
            ImportQuery::Inline => "?inline",
            ImportQuery::Init => "?init",
            ImportQuery::Worker(WorkerQuery::Dedicated) => "?worker",
            ImportQuery::Worker(WorkerQuery::Shared) => "?sharedworker",
            ImportQuery::Worker(WorkerQuery::Url) => "?worker&url",
        }
    }

    /// The path of `file`'s variant module for this query.
    pub fn path_of(self, file: &Path) -> PathBuf {
        let mut path = file.as_os_str().to_os_string();
        path.push(self.suffix());
        PathBuf::from(path)
    }

    /// The real file of a variant path and its query; `None` for an ordinary path.
    pub fn of_path(path: &Path) -> Option<(PathBuf, ImportQuery)> {
        let name = path.file_name()?.to_str()?;
        let (base, query) = ImportQuery::split(name)?;
        Some((path.with_file_name(base), query))
    }
}

impl FileClass {
    /// Called several times per module and query: it looks at the file name's bytes and
    /// allocates nothing unless the name has a query.
    pub fn of(path: &Path) -> FileClass {
        let name = path.file_name().and_then(|n| n.to_str());
        let has_query = name.is_some_and(|n| n.contains('?'));
        if has_query {
            if glob_module_of_path(path).is_some() {
                return FileClass::Glob;
            }
            if html_script_of_path(path).is_some() {
                return FileClass::HtmlScript;
            }
            if html_style_of_path(path).is_some() {
                return FileClass::HtmlStyle;
            }
            if split_query(path).is_some_and(|(_, query)| query == DEPS_BANNER_QUERY) {
                return FileClass::DepsBanner;
            }
            match ImportQuery::of_path(path) {
                Some((_, ImportQuery::Raw)) => return FileClass::Raw,
                Some((_, ImportQuery::Url)) => return FileClass::Url,
                Some((_, ImportQuery::Inline)) => return FileClass::Inline,
                Some((_, ImportQuery::Worker(query))) => return FileClass::Worker(query),
                Some((_, ImportQuery::Init)) => return FileClass::WasmInit,
                None => {}
            }
        }
        // `<root>/@id/...` (no project keeps sources in a directory of that name; packages
        // under `node_modules/@scope` never are one).
        if has_component(path, VIRTUAL_DIR) && !in_node_modules(path) {
            return FileClass::Virtual;
        }
        if has_query && split_query(path).is_some() {
            return FileClass::SubModule;
        }
        if name.is_some_and(crate::dotenv::is_env_file_name) {
            return FileClass::Env;
        }
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            return FileClass::Asset;
        };
        let ext: std::borrow::Cow<'_, str> = if ext.bytes().any(|b| b.is_ascii_uppercase()) {
            ext.to_ascii_lowercase().into()
        } else {
            ext.into()
        };
        match &*ext {
            "css" => FileClass::Css,
            "json" => FileClass::Json,
            "html" | "htm" => FileClass::Html,
            ext if let Some(kind) = SourceKind::from_extension(ext) => FileClass::Script(kind),
            ext if NEEDS_A_TOOL.iter().any(|(known, _)| *known == ext) => FileClass::Foreign,
            ext if transform::VITE_ASSET_TYPES.contains(&ext) => FileClass::Asset,
            _ => FileClass::Unknown,
        }
    }

    fn keeps_text(self) -> bool {
        !matches!(
            self,
            FileClass::Asset | FileClass::Url | FileClass::WasmInit
        )
    }

    /// A module made by hotloop rather than read from a file: its contents are always empty.
    fn is_virtual(self) -> bool {
        matches!(
            self,
            FileClass::Glob
                | FileClass::Worker(_)
                | FileClass::Virtual
                | FileClass::HtmlScript
                | FileClass::HtmlStyle
                | FileClass::DepsBanner
        )
    }
}

/// What a CSS preprocessor's files need: its npm package, run through Vite's CSS pipeline.
macro_rules! preprocessor {
    ($package:literal) => {
        concat!(
            "the `",
            $package,
            "` package (npm install -D ",
            $package,
            " vite: hotloop runs it through Vite's CSS pipeline)"
        )
    };
}

/// File types that are code of some language or framework hotloop does not compile itself:
/// importing one (without `?raw`/`?url`) is an error that says what would handle it, never a
/// silent asset URL. `(extension, what handles it)`.
const NEEDS_A_TOOL: &[(&str, &str)] = &[
    ("vue", "`@vitejs/plugin-vue` in vite.config"),
    ("svelte", "`@sveltejs/vite-plugin-svelte` in vite.config"),
    ("scss", preprocessor!("sass")),
    ("sass", preprocessor!("sass")),
    ("less", preprocessor!("less")),
    ("styl", preprocessor!("stylus")),
    ("stylus", preprocessor!("stylus")),
    ("pcss", "PostCSS"),
    ("sss", "PostCSS with `sugarss`"),
    ("mdx", "`@mdx-js/rollup` in vite.config"),
    ("astro", "Astro's own dev server (`astro dev`)"),
    ("marko", "`@marko/vite` in vite.config"),
    ("elm", "`vite-plugin-elm` in vite.config"),
    ("coffee", "a CoffeeScript plugin in vite.config"),
    ("graphql", "a GraphQL plugin in vite.config"),
    ("gql", "a GraphQL plugin in vite.config"),
];

/// What a file of a type hotloop does not compile needs (see [`NEEDS_A_TOOL`]), or `None`.
pub fn needed_tool(path: &Path) -> Option<(&'static str, &'static str)> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    NEEDS_A_TOOL
        .iter()
        .find(|(known, _)| *known == ext)
        .map(|&(known, tool)| (known, tool))
}

/// A stylesheet in any of Vite's CSS languages (`.css`, `.scss`, `.less`, ...), by extension.
pub fn is_stylesheet(path: &Path) -> bool {
    const LANGS: [&str; 9] = [
        "css", "less", "sass", "scss", "styl", "stylus", "pcss", "postcss", "sss",
    ];
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| LANGS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Reads a file the way the engine stores it (a `?raw`/`?url` variant reads its real file; a
/// glob module or worker variant has no file and is always empty text). A directory or an
/// unreadable path is `Missing`. A text is held until its module compiled or its build is
/// published (see [`SourceText`]), and read again from `input` (the input's path, shared)
/// after that.
pub fn read_contents(input: &Arc<Path>) -> FileContents {
    let class = FileClass::of(input);
    let Some(real) = real_file(input, class) else {
        return FileContents::Text("".into());
    };
    let path = real.as_ref();
    let Ok(meta) = std::fs::metadata(path) else {
        return FileContents::Missing;
    };
    if !meta.is_file() {
        return FileContents::Missing;
    }
    let Ok(bytes) = std::fs::read(path) else {
        return FileContents::Missing;
    };
    // (A file of an unknown type that big is kept as its hash, as an asset: its URL.)
    let too_big = matches!(
        class,
        FileClass::Script(_) | FileClass::Raw | FileClass::Inline | FileClass::Unknown
    ) && bytes.len() as u64 > MAX_MODULE_BYTES;
    // A stylesheet's `?inline` (plain, or Sass/Less/... for the plugins' CSS pipeline) is its
    // text; any other file's is the `data:` URL Vite gives.
    if class == FileClass::Inline && !too_big && !is_stylesheet(path) {
        let url = data_url(path, &bytes);
        return FileContents::Text(SourceText::read(input.clone(), url.into(), read_text_again));
    }
    if class.keeps_text() && !too_big {
        return match String::from_utf8(bytes) {
            Ok(text) => FileContents::Text(SourceText::read(
                input.clone(),
                text.into(),
                read_text_again,
            )),
            Err(not_utf8) => binary(not_utf8.as_bytes()),
        };
    }
    binary(&bytes)
}

/// The text of `contents` when it was read from a file (and is released after its build).
fn read_text(contents: &FileContents) -> Option<&SourceText> {
    match contents {
        FileContents::Text(text) if text.is_read() => Some(text),
        _ => None,
    }
}

/// [`read_contents`]'s text, for a [`SourceText`] whose text was released.
fn read_text_again(input: &Arc<Path>) -> Option<SourceText> {
    match read_contents(input) {
        FileContents::Text(text) => Some(text),
        _ => None,
    }
}

/// The file on disk a module's contents are read from: the path itself, or for a module with a
/// query (`a.md?raw`, `App.vue?vue&type=style...`) its file; `None` for a module with no file
/// (virtual, a glob module, a worker variant).
pub fn file_on_disk(path: &Path) -> Option<std::borrow::Cow<'_, Path>> {
    real_file(path, FileClass::of(path))
}

/// [`file_on_disk`] for a path whose class is known.
fn real_file(path: &Path, class: FileClass) -> Option<std::borrow::Cow<'_, Path>> {
    if class.is_virtual() {
        return None;
    }
    let real = match class {
        FileClass::SubModule => split_query(path).map(|(real, _)| real),
        _ => ImportQuery::of_path(path).map(|(real, _)| real),
    };
    Some(match real {
        Some(real) => std::borrow::Cow::Owned(real),
        None => std::borrow::Cow::Borrowed(path),
    })
}

/// `data:<type>;base64,<bytes>`, what Vite's `?inline` gives for a file that is not CSS.
fn data_url(path: &Path, bytes: &[u8]) -> String {
    use base64::Engine as _;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut url = format!("data:{mime};base64,");
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut url);
    url
}

fn binary(bytes: &[u8]) -> FileContents {
    FileContents::Binary {
        hash: content_hash(bytes),
        len: bytes.len() as u64,
    }
}

/// A file's durability, which lets salsa skip re-validating what depends on no input that
/// changed since:
/// - `node_modules` files change rarely (`HIGH`): an edit to the app's own files re-validates
///   nothing that only packages feed;
/// - the app's files are `MEDIUM`, one above what a page's requests set (`Project::lazy_roots`,
///   `pages`, `workers`, `url_scripts`, all `LOW`): a request for a lazy chunk re-validates the
///   graph, not the compiles of the modules the background warm-up finished.
pub fn durability_for(path: &Path) -> Durability {
    if in_node_modules(path) {
        Durability::HIGH
    } else {
        Durability::MEDIUM
    }
}

/// The module id of `path`: relative to `root` with a leading `/`, `/`-separated; files outside
/// the root are `/@fs/<absolute path>`. Computed several times per module and query.
pub fn module_id(root: &Path, path: &Path) -> Arc<str> {
    match plain_module_id(root, path) {
        Some(id) => id.into(),
        None => walked_module_id(root, path),
    }
}

/// [`module_id`] by the path's components.
fn walked_module_id(root: &Path, path: &Path) -> Arc<str> {
    let mut id = String::with_capacity(path.as_os_str().len());
    match path.strip_prefix(root) {
        Ok(rel) => {
            for part in rel.components() {
                id.push('/');
                id.push_str(&part.as_os_str().to_string_lossy());
            }
            if id.is_empty() {
                id.push('/');
            }
        }
        Err(_) => {
            id.push_str(FS_PREFIX);
            for part in path.components() {
                let part = part.as_os_str().to_string_lossy();
                if part == "/" {
                    continue;
                }
                id.push('/');
                id.push_str(&part);
            }
        }
    }
    id.into()
}

/// [`module_id`] of the usual path, read off its text: a UTF-8 path under `root` whose rest has
/// no empty or `.` segment and no trailing `/` is its own id (what the component walk makes
/// of it). `None` sends any other path the long way.
fn plain_module_id<'a>(root: &Path, path: &'a Path) -> Option<&'a str> {
    if !cfg!(unix) {
        return None;
    }
    let root = root.to_str()?.trim_end_matches('/');
    let rest = path.to_str()?.strip_prefix(root)?;
    let normal = rest.len() > 1
        && rest.starts_with('/')
        && !rest.ends_with('/')
        && !rest.ends_with("/.")
        && !rest.contains("//")
        && !rest.contains("/./");
    normal.then_some(rest)
}

/// The side-table. Shared by every handle on one database.
pub struct Files {
    root: PathBuf,
    inner: Mutex<Inner>,
    tsconfigs: Tsconfigs,
    package_types: PackageTypes,
}

#[derive(Default)]
struct Inner {
    /// Keys shared with `by_id` (one allocation per path here; the input holds its own).
    by_path: FxHashMap<Arc<Path>, SourceFile>,
    /// The reverse of `by_path`, by salsa id: names the keys of recorded query events.
    by_id: FxHashMap<salsa::Id, Arc<Path>>,
    /// Every ancestor directory of a known file (up to the file system root): a watcher event
    /// for one of these (a directory moved or deleted) refreshes the files below it.
    dirs: FxHashSet<PathBuf>,
    /// The modules whose path is a file's path with a query (`a.md?raw`, `App.vue?vue&...`),
    /// by that file's path: they are re-read when the file changes.
    variants: FxHashMap<PathBuf, Vec<SourceFile>>,
    /// The texts read from files since the last [`Files::release_texts`].
    held_texts: Vec<SourceText>,
}

impl Inner {
    /// Lists `contents`' text, when it was read from a file, to be released with the others
    /// (`Files::release_texts`).
    fn hold(&mut self, contents: &FileContents) {
        if let Some(text) = read_text(contents) {
            self.held_texts.push(text.clone());
        }
    }
}

impl Files {
    pub fn new(root: PathBuf, tsconfigs: Tsconfigs) -> Files {
        Files {
            root,
            inner: Mutex::new(Inner::default()),
            tsconfigs,
            package_types: PackageTypes::default(),
        }
    }

    /// The canonical project root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The module id of a path (see [`module_id`]).
    pub fn module_id(&self, path: &Path) -> Arc<str> {
        module_id(&self.root, path)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map inconsistent (single inserts).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, path: &Path) -> Option<SourceFile> {
        self.lock().by_path.get(path).copied()
    }

    /// Lists a text the host read from a file for an input, to be released with the others.
    pub fn hold(&self, contents: &FileContents) {
        self.lock().hold(contents);
    }

    /// Drops the texts read from files since the last call (the build that needed them is
    /// over; see [`SourceText`]); returns how many bytes were dropped.
    pub fn release_texts(&self) -> usize {
        let texts = std::mem::take(&mut self.lock().held_texts);
        texts
            .iter()
            .filter(|text| text.release())
            .map(SourceText::len)
            .sum()
    }

    /// The tsconfig reader the inputs' `tsconfig` facts come from (the host clears its cache
    /// and re-computes the facts when a tsconfig changes).
    pub fn tsconfigs(&self) -> &Tsconfigs {
        &self.tsconfigs
    }

    /// The nearest `package.json`s' `type`s read so far (the host clears them when one
    /// changes, and computes the facts again).
    pub fn package_types(&self) -> &PackageTypes {
        &self.package_types
    }

    /// The compile facts of a file: those of the tsconfig that applies to a script (else the
    /// default), and its module format by Node's rules (a plugin's module too: a `.vue` file's).
    pub fn tsconfig_facts(&self, path: &Path) -> TsconfigFacts {
        let mut facts = match FileClass::of(path) {
            FileClass::Script(_) => self.tsconfigs.facts(path)?,
            FileClass::Unknown
            | FileClass::Foreign
            | FileClass::SubModule
            | FileClass::HtmlScript
            | FileClass::Glob
            | FileClass::Virtual => ScriptConfig::default(),
            _ => return Ok(ScriptConfig::default()),
        };
        facts.node_interop = self.node_interop(path);
        Ok(facts)
    }

    /// A module's format by Node's rules (see `NodeInterop`): its file's, for a query
    /// sub-module; a virtual module is an ES module when its id starts with `\0`
    /// (`virtual:x` is not Node's at all), as Vite's `isFilePathESM` has it.
    fn node_interop(&self, path: &Path) -> transform::NodeInterop {
        let file = split_query(path).map_or_else(|| path.to_path_buf(), |(file, _)| file);
        if FileClass::of(&file) == FileClass::Virtual {
            let zero = file
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("__x00__"));
            return transform::NodeInterop {
                static_imports: zero,
                dynamic_imports: zero,
            };
        }
        self.package_types.node_interop(&file)
    }

    /// The input for `path`, creating it (with the contents and tsconfig facts read from disk
    /// now) on first use. Callable from inside queries.
    pub fn get_or_read(&self, db: &dyn salsa::Database, path: &Path) -> SourceFile {
        if let Some(file) = self.get(path) {
            return file;
        }
        // One allocation of the path: the input's, the maps' keys and its text's.
        let shared: Arc<Path> = Arc::from(path);
        // Read without the lock (parallel builds create many files at once); the race loser's
        // read is dropped.
        let contents = read_contents(&shared);
        let tsconfig = self.tsconfig_facts(path);
        let id = self.module_id(&shared);
        let mut inner = self.lock();
        if let Some(file) = inner.by_path.get(path) {
            return *file;
        }
        inner.hold(&contents);
        let file = SourceFile::builder(shared.clone(), id, contents, tsconfig)
            .durability(durability_for(path))
            .new(db);
        inner.by_path.insert(shared.clone(), file);
        inner
            .by_id
            .insert(salsa::plumbing::AsId::as_id(&file), shared);
        if let Some((base, _)) = split_query(path) {
            inner.variants.entry(base).or_default().push(file);
        }
        let mut dir = path.parent();
        while let Some(d) = dir {
            if !inner.dirs.insert(d.to_path_buf()) {
                break;
            }
            dir = d.parent();
        }
        file
    }

    /// Every file the engine read (or found missing), as the files on disk its inputs come
    /// from (see [`file_on_disk`]), each once, sorted.
    pub fn files_on_disk(&self) -> Vec<PathBuf> {
        let inner = self.lock();
        let mut out: Vec<PathBuf> = inner
            .by_path
            .keys()
            .filter_map(|p| file_on_disk(p).map(|p| p.into_owned()))
            .collect();
        drop(inner);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The modules made from `path`'s contents under a query (see [`split_query`]).
    pub fn variants_of(&self, path: &Path) -> Vec<SourceFile> {
        self.lock().variants.get(path).cloned().unwrap_or_default()
    }

    /// The path of the file input with salsa id `id` (for naming query keys in profiles).
    pub fn path_of(&self, id: salsa::Id) -> Option<PathBuf> {
        self.lock().by_id.get(&id).map(|p| p.to_path_buf())
    }

    /// True when `path` is a directory above some known file.
    pub fn is_known_dir(&self, path: &Path) -> bool {
        self.lock().dirs.contains(path)
    }

    /// Every known file below `dir` (O(known files): only for directory events and rescans).
    pub fn under(&self, dir: &Path) -> Vec<(PathBuf, SourceFile)> {
        let inner = self.lock();
        let mut out: Vec<_> = inner
            .by_path
            .iter()
            .filter(|(p, _)| p.starts_with(dir))
            .map(|(p, f)| (p.to_path_buf(), *f))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module's Node format: its file's for a query sub-module (a `.vue` file's blocks), an ES
    /// module for a `\0` virtual module, none for a `virtual:` one; not asked for a stylesheet.
    #[test]
    fn the_node_format_of_sub_modules_and_virtual_modules() {
        let p = crate::testing::TempProject::from_files(&[
            ("package.json", r#"{ "type": "module" }"#),
            ("src/App.vue", ""),
        ]);
        let files = Files::new(p.root().to_path_buf(), Tsconfigs::new());
        let flags = |path: &str| {
            files
                .tsconfig_facts(&p.path(path))
                .unwrap()
                .node_interop
                .flags()
        };
        assert_eq!(flags("src/App.vue"), 3);
        assert_eq!(flags("src/App.vue?vue&type=script&setup=true&lang.ts"), 3);
        assert_eq!(flags("@id/__x00__plugin-vue:export-helper"), 3);
        assert_eq!(flags("@id/virtual:routes"), 0);
        assert_eq!(flags("src/style.css"), 0);
    }

    #[test]
    fn module_ids_are_root_relative_urls() {
        let root = Path::new("/p");
        assert_eq!(&*module_id(root, Path::new("/p/src/a.js")), "/src/a.js");
        assert_eq!(
            &*module_id(root, Path::new("/p/node_modules/r/index.js")),
            "/node_modules/r/index.js"
        );
        assert_eq!(&*module_id(root, Path::new("/q/x.js")), "/@fs/q/x.js");
    }

    #[test]
    fn a_module_id_read_off_the_text_is_the_one_the_components_make() {
        let cases = [
            ("/p", "/p/src/a.js"),
            ("/p/", "/p/src/a.js"),
            ("/p", "/p"),
            ("/p", "/p/"),
            ("/p", "/pq/x.js"),
            ("/p", "/p//src/a.js"),
            ("/p", "/p/./a.js"),
            ("/p", "/p/src/."),
            ("/p", "/p/../x.js"),
            ("/p", "/p/src/App.vue?vue&type=style&index=0&lang.css"),
            ("/", "/a/b.js"),
            ("/p", "/q/x.js"),
        ];
        for (root, path) in cases {
            let (root, path) = (Path::new(root), Path::new(path));
            assert_eq!(
                module_id(root, path),
                walked_module_id(root, path),
                "{root:?} {path:?}"
            );
        }
    }

    #[test]
    fn classes_by_extension() {
        assert_eq!(
            FileClass::of(Path::new("a.tsx")),
            FileClass::Script(SourceKind::Tsx)
        );
        assert_eq!(FileClass::of(Path::new("a.CSS")), FileClass::Css);
        assert_eq!(FileClass::of(Path::new("a.png")), FileClass::Asset);
        assert_eq!(FileClass::of(Path::new("Makefile")), FileClass::Asset);
        assert_eq!(FileClass::of(Path::new("a.woff2")), FileClass::Asset);
        // A type Vite does not know either: the plugins' first (unplugin-vue-markdown's pages).
        assert_eq!(FileClass::of(Path::new("a.md")), FileClass::Unknown);
        assert_eq!(FileClass::of(Path::new("a.glsl")), FileClass::Unknown);
        assert_eq!(FileClass::of(Path::new("a.svg?raw")), FileClass::Raw);
        assert_eq!(FileClass::of(Path::new("a.ts?url")), FileClass::Url);
        assert_eq!(FileClass::of(Path::new("/p/a.ts?glob=2")), FileClass::Glob);
        // A query nothing of hotloop's own knows is a plugin's sub-module.
        assert_eq!(
            FileClass::of(Path::new("/p/a.ts?glob=x")),
            FileClass::SubModule
        );
        assert_eq!(
            FileClass::of(Path::new("/p/App.vue?vue&type=style&index=0&lang.css")),
            FileClass::SubModule
        );
        assert_eq!(FileClass::of(Path::new("/p/App.vue")), FileClass::Foreign);
        // A page's inline module script and inline style, at Vite's ids.
        let page = Path::new("/p/nested/index.html");
        assert_eq!(
            FileClass::of(&html_script_path(page, 2)),
            FileClass::HtmlScript
        );
        let style = html_style_path(page, 1);
        assert_eq!(
            style,
            Path::new("/p/nested/index.html?html-proxy&direct&index=1.css")
        );
        assert_eq!(FileClass::of(&style), FileClass::HtmlStyle);
        assert_eq!(html_style_of_path(&style), Some((page.to_path_buf(), 1)));
        assert_eq!(
            &*module_id(Path::new("/p"), &style),
            html_style_id("/nested/index.html", 1)
        );
        assert_eq!(
            FileClass::of(Path::new("/p/index.html?html-proxy&direct&index=x.css")),
            FileClass::SubModule
        );
        assert_eq!(
            FileClass::of(Path::new("/p/@id/__x00__virtual:a")),
            FileClass::Virtual
        );
        assert_eq!(
            FileClass::of(Path::new("/p/node_modules/@id/x.js")),
            FileClass::Script(SourceKind::Js)
        );
    }

    #[test]
    fn virtual_modules_live_under_the_root_with_vite_ids() {
        let root = Path::new("/p");
        let path = virtual_path(root, "\0plugin-vue:export-helper");
        assert_eq!(path, Path::new("/p/@id/__x00__plugin-vue:export-helper"));
        assert_eq!(
            &*module_id(root, &path),
            "/@id/__x00__plugin-vue:export-helper"
        );
        assert_eq!(plugin_id(root, &path), "\0plugin-vue:export-helper");
        assert_eq!(
            plugin_id(root, Path::new("/p/src/a.vue?x")),
            "/p/src/a.vue?x"
        );
        assert_eq!(
            read_contents(&Arc::from(path)),
            FileContents::Text("".into())
        );
    }

    #[test]
    fn glob_modules_are_paths_next_to_their_importer() {
        let path = glob_module_path(Path::new("/p/src/main.ts"), 3);
        assert_eq!(path, Path::new("/p/src/main.ts?glob=3"));
        assert_eq!(
            glob_module_of_path(&path),
            Some((PathBuf::from("/p/src/main.ts"), 3))
        );
        assert_eq!(glob_module_of_path(Path::new("/p/src/main.ts")), None);
        assert_eq!(glob_module_of_path(Path::new("/p/src/?glob=1")), None);
        assert_eq!(&*module_id(Path::new("/p"), &path), "/src/main.ts?glob=3");
        assert_eq!(
            read_contents(&Arc::from(path)),
            FileContents::Text("".into())
        );
    }

    #[test]
    fn import_query_variants_are_paths_next_to_their_file() {
        assert_eq!(
            ImportQuery::split("./notes.md?raw"),
            Some(("./notes.md", ImportQuery::Raw))
        );
        assert_eq!(ImportQuery::split("?url"), None);
        assert_eq!(ImportQuery::split("./a.svg?react"), None);
        // Vite inlines workers only in a build: in development they are the plain ones.
        assert_eq!(
            ImportQuery::split("./w.js?worker&inline"),
            Some(("./w.js", ImportQuery::Worker(WorkerQuery::Dedicated)))
        );
        assert_eq!(
            ImportQuery::split("./w.js?sharedworker&inline"),
            Some(("./w.js", ImportQuery::Worker(WorkerQuery::Shared)))
        );
        let variant = ImportQuery::Url.path_of(Path::new("/p/src/logo.png"));
        assert_eq!(variant, Path::new("/p/src/logo.png?url"));
        assert_eq!(
            ImportQuery::of_path(&variant),
            Some((PathBuf::from("/p/src/logo.png"), ImportQuery::Url))
        );
        assert_eq!(ImportQuery::of_path(Path::new("/p/src/logo.png")), None);
        assert_eq!(&*module_id(Path::new("/p"), &variant), "/src/logo.png?url");
    }
}
