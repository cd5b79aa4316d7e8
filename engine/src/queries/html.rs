//! `html_entries` and `entry_html`: what `index.html` loads, and the page as served.
//!
//! Entries are the local `<script type="module" src>` elements (the chunk starts them in
//! document order) and the local `<link rel="stylesheet" href>` elements (kept in the page; the
//! server serves their CSS). The served page gets `<script src="/_hotloop/runtime.js">` (then
//! `<script src="/_hotloop/react-refresh.js">` when the project uses the embedded React Refresh
//! runtime) as the first child of `<head>` (or before the first script when there is no `<head>`), the first
//! entry script becomes `<script defer src="/_hotloop/chunk.js">` and the other entry scripts
//! are removed.
//!
//! `%NAME%` placeholders of exposed `.env` variables and of `MODE`/`BASE_URL`/`DEV`/`PROD`/`SSR`
//! are replaced by their values first, as Vite does.
//!
//! With a nonce (Vite's `html.cspNonce`), as Vite does: every script, style and stylesheet or
//! preload link without one gets it, hotloop's own tags carry it, and
//! `<meta property="csp-nonce" nonce>` opens the `<head>` for the styles the runtime adds.
//!
//! The text both read is `index_text`: `index.html` after the config's plugins'
//! `transformIndexHtml` hooks (the host leaves out `@vitejs/plugin-react`'s preamble: hotloop
//! serves React Refresh itself), so a tag a plugin injects is in the page and an entry it adds
//! is an entry.
//!
//! An inline module script (`<script type="module">` without `src`) that imports what the
//! browser could not load as written is an entry too, compiled as Vite compiles it
//! (`html/inline_scripts.rs`); one that does not runs natively. So is an inline `<style>`
//! that needs the CSS pipeline (an `@import`, a Tailwind CSS directive): a linked stylesheet of
//! its own in its place (`html/inline_styles.rs`). External scripts and stylesheets
//! (`https://…`, `//…`) are left alone.

use std::cell::{Cell, RefCell};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{RewriteStrSettings, element, end, rewrite_str};

mod inline_scripts;
mod inline_styles;

use crate::db::Db;
use crate::files::{
    deps_banner_path, html_script_of_path, html_script_path, html_style_id, html_style_of_path,
    html_style_path,
};
use crate::inputs::{Project, SourceFile};
use crate::queries::env::{public_env, replace_in_html, undefined_in_html};
use crate::queries::parsed::file_id;
use crate::queries::resolve::{RefreshRuntime, html_entry, public_dir, refresh_runtime};
use crate::telemetry::Phase;
use hotloop_protocol::{Diagnostic, DiagnosticKind, PageInjection, code_frame};
use inline_scripts::{at_its_place, inline_module_scripts, needs_compiling};
use inline_styles::{FOREIGN_STYLE, inline_styles, needs_processing};

/// The `<meta name>` whose `content` (a JSON array) names another page's entries (`page.js`).
pub const PAGE_ENTRIES_META: &str = "hotloop-page-entries";

/// The tags of the client scripts: the runtime, and the embedded React Refresh runtime (right
/// after it, see `RefreshRuntime::Embedded`), and the chunk; with `version`
/// (`ProjectOptions::client_version`) the first two's URLs name it (`?v=`), so the server
/// answers them `immutable`; with a nonce (`ProjectOptions::csp_nonce`, Vite's
/// `html.cspNonce`) all three carry it and `nonce_meta` names it for the runtime's styles.
pub struct ClientTags {
    pub runtime: String,
    pub react_refresh: String,
    pub chunk: String,
    /// `<meta property="csp-nonce" nonce="…">` (Vite's tag, read by the runtime and by plugins'
    /// client code) before the runtime's tag; empty without a nonce.
    pub nonce_meta: String,
    /// The nonce, escaped for an attribute value.
    pub nonce: Option<String>,
}

impl ClientTags {
    /// `prefix`: `ProjectOptions::url_prefix`, before each script's path.
    pub fn new(version: Option<&str>, nonce: Option<&str>, prefix: &str) -> ClientTags {
        let query = version.map(|v| format!("?v={v}")).unwrap_or_default();
        let nonce = nonce.map(escape_html);
        let attr = nonce
            .as_ref()
            .map(|n| format!(r#" nonce="{n}""#))
            .unwrap_or_default();
        ClientTags {
            runtime: format!(
                r#"<script{attr} src="{prefix}/_hotloop/runtime.js{query}"></script>"#
            ),
            react_refresh: format!(
                r#"<script{attr} src="{prefix}/_hotloop/react-refresh.js{query}"></script>"#
            ),
            chunk: format!(r#"<script defer{attr} src="{prefix}/_hotloop/chunk.js"></script>"#),
            nonce_meta: nonce
                .as_ref()
                .map(|n| format!(r#"<meta property="csp-nonce" nonce="{n}">"#))
                .unwrap_or_default(),
            nonce,
        }
    }

    /// With the project's `client_version` and `csp_nonce`.
    pub fn of(db: &dyn Db, project: Project) -> ClientTags {
        let options = project.options(db);
        ClientTags::new(
            options.client_version.as_deref(),
            options.csp_nonce.as_deref(),
            options.url_prefix(),
        )
    }

    /// The tags that open the page's `<head>`: the nonce's meta, the runtime's tag.
    fn head_start(&self) -> String {
        format!("{}{}", self.nonce_meta, self.runtime)
    }
}

/// The module id of the entry HTML (diagnostics point at it).
pub const INDEX_HTML_ID: &str = "/index.html";

/// One entry found in `index.html`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HtmlEntry {
    /// The `src`/`href` as written.
    pub url: String,
    pub file: SourceFile,
    pub line: u32,
    pub column: u32,
}

/// What `index.html` loads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HtmlEntries {
    /// `index.html` exists.
    pub exists: bool,
    /// Module entry scripts whose file exists, in document order.
    pub scripts: Vec<HtmlEntry>,
    /// Linked local stylesheets whose file exists, in document order.
    pub stylesheets: Vec<HtmlEntry>,
    /// Local module scripts with a `src` in the page, found or not, and the inline ones that
    /// are entries (the first is replaced by the chunk tag).
    pub module_script_tags: usize,
    /// The indices (among the page's inline module scripts) of those that are entries.
    pub inline_entries: Vec<usize>,
    /// The indices (among the page's inline styles) of those that need the CSS pipeline: each
    /// is a stylesheet of `stylesheets`, linked in its place (`html/inline_styles.rs`).
    pub inline_styles: Vec<usize>,
    /// The `src`s (as written) of module scripts the server answers as they are (a `public/`
    /// file, a plugin middleware's), which stay in the page.
    pub native_scripts: Vec<String>,
    pub has_head: bool,
    /// Missing index.html, entries that do not exist, unparseable HTML.
    pub diagnostics: Vec<Diagnostic>,
}

/// True when the file exists. Its own query so that readers depend on existence only, not on
/// every edit of the file.
#[salsa::tracked]
pub fn file_exists(db: &dyn Db, file: SourceFile) -> bool {
    let _clock = db.clock().enter_key(Phase::Resolve, "file_exists", file);
    file.contents(db).exists()
}

/// `index.html`'s text after the plugins' `transformIndexHtml` hooks (Vite runs them on each
/// request of the page; here once per edit of `index.html` or of the config). A failing hook
/// is logged with the plugin's name and the page is served as written. `None`: no `index.html`.
#[salsa::tracked(returns(clone))]
pub fn index_text(db: &dyn Db, project: Project) -> Option<Arc<str>> {
    let text = project.index_html(db).contents(db).text()?;
    let filename = project.root(db).join("index.html");
    Some(transformed_html(
        db,
        project,
        text,
        INDEX_HTML_ID,
        &filename,
    ))
}

/// An HTML page's `text` after the config's plugins' `transformIndexHtml` hooks, given the
/// page's `url` as Vite gives it (`/`, `/about.html`, `/nested/`).
fn transformed_html(
    db: &dyn Db,
    project: Project,
    text: Arc<str>,
    url: &str,
    filename: &Path,
) -> Arc<str> {
    let Some(plugins) = db.plugins() else {
        return text;
    };
    // The hooks' answer depends on this besides the text.
    let _fingerprint = project.options(db).plugins_fingerprint;
    match plugins.transform_index_html(url, &filename.to_string_lossy(), &text) {
        Ok(Some(html)) => html.into(),
        Ok(None) => text,
        Err(error) => {
            tracing::error!(
                "{}: [plugin {}] {} (in its `transformIndexHtml` hook); the page is served as \
                 written: fix the plugin or its options in the vite.config",
                filename.display(),
                error.plugin,
                error.message
            );
            text
        }
    }
}

#[salsa::tracked(returns(clone))]
pub fn html_entries(db: &dyn Db, project: Project) -> Arc<HtmlEntries> {
    let _clock = db.clock().enter_key(Phase::Graph, "html_entries", project);
    let _span = tracing::trace_span!("html_entries").entered();
    let Some(text) = index_text(db, project) else {
        // With the project's plugins the page may well be theirs: vite-plugin-html's template
        // (`template: 'public/index.html'`), which its middleware serves at `/`. As under Vite,
        // no index.html is then no error (a `/` nothing answers is the page that says it).
        let diagnostics = if db.plugins().is_some() {
            Vec::new()
        } else {
            vec![missing_index_diagnostic(project.root(db))]
        };
        return Arc::new(HtmlEntries {
            diagnostics,
            ..HtmlEntries::default()
        });
    };
    let root = project.root(db);
    Arc::new(read_entries(
        db,
        root,
        &text,
        INDEX_HTML_ID,
        &root.join("index.html"),
    ))
}

/// What a page refers to, in document order.
enum Found {
    Script(String),
    Stylesheet(String),
    /// An inline module script that is an entry, by its index.
    Inline(usize),
    /// An inline style that needs the CSS pipeline, by its index.
    InlineStyle(usize),
}

/// The entries of the page `page_id` (at `page_path`) whose (transformed) text is `text`; a
/// relative URL in it is relative to the page's directory.
fn read_entries(
    db: &dyn Db,
    root: &Path,
    text: &str,
    page_id: &str,
    page_path: &Path,
) -> HtmlEntries {
    let page_dir = page_path.parent().unwrap_or(root);
    let found = RefCell::new(Vec::<(Found, usize)>::new());
    let has_head = Cell::new(false);
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("head", |_el| {
            has_head.set(true);
            Ok(())
        }))
        .append_element_content_handler(element!("script[src]", |el| {
            if is_module_script(el)
                && let Some(src) = el.get_attribute("src")
                && page_local_path(root, page_dir, &src).is_some()
            {
                found
                    .borrow_mut()
                    .push((Found::Script(src), el.source_location().bytes().start));
            }
            Ok(())
        }))
        .append_element_content_handler(element!("link[href]", |el| {
            if is_stylesheet_link(el)
                && let Some(href) = el.get_attribute("href")
                && page_local_path(root, page_dir, &href).is_some()
            {
                found
                    .borrow_mut()
                    .push((Found::Stylesheet(href), el.source_location().bytes().start));
            }
            Ok(())
        }));
    let mut entries = HtmlEntries {
        exists: true,
        ..HtmlEntries::default()
    };
    if let Err(error) = rewrite_str(text, settings.with_strict(false)) {
        entries.diagnostics.push(Diagnostic {
            kind: DiagnosticKind::Syntax,
            file: page_id.into(),
            line: 1,
            column: 1,
            message: format!("Cannot read {page_id}: {error}"),
            code_frame: String::new(),
        });
    }
    entries.has_head = has_head.get();
    // `optimizeDeps`' banner runs before everything else, as it heads every pre-bundled chunk
    // under Vite (vite-plugin-node-polyfills' `globalThis.Buffer = …`).
    let banner = Project::try_get(db).is_some_and(|p| p.options(db).deps_banner.is_some());
    if banner {
        let file = db.files().get_or_read(db, &deps_banner_path(page_path));
        entries.scripts.push(HtmlEntry {
            url: file.id(db).to_string(),
            file,
            line: 1,
            column: 1,
        });
    }
    let mut found = found.into_inner();
    for script in inline_module_scripts(text) {
        if needs_compiling(&script.text) {
            found.push((Found::Inline(script.index), script.offset));
        }
    }
    for style in inline_styles(text) {
        if needs_processing(&style.text) {
            found.push((Found::InlineStyle(style.index), style.offset));
        }
    }
    found.sort_by_key(|(_, offset)| *offset);
    for (what, offset) in found {
        let (line, column) = line_column(text, offset);
        // The entry of an inline script's or style's module (at `path`).
        let inline_entry = |path: PathBuf| {
            let file = db.files().get_or_read(db, &path);
            HtmlEntry {
                url: file.id(db).to_string(),
                file,
                line,
                column,
            }
        };
        let (is_script, url) = match what {
            Found::Script(url) => (true, url),
            Found::Stylesheet(url) => (false, url),
            Found::Inline(index) => {
                entries.module_script_tags += 1;
                entries.inline_entries.push(index);
                entries
                    .scripts
                    .push(inline_entry(html_script_path(page_path, index)));
                continue;
            }
            Found::InlineStyle(index) => {
                entries.inline_styles.push(index);
                entries
                    .stylesheets
                    .push(inline_entry(html_style_path(page_path, index)));
                continue;
            }
        };
        let Some(mut path) = page_local_path(root, page_dir, &url) else {
            continue;
        };
        // What the plugins resolve a script's URL, or `/@id/<id>`, to, as under Vite.
        let mut file = html_entry(db, &path, page_path, is_script)
            .unwrap_or_else(|| db.files().get_or_read(db, &path));
        // A relative URL resolves against the page's address, which for a template below the
        // root is usually the root's: a middleware's history rewrite serves it at `/`
        // (vite-plugin-html's `template: 'public/index.html'` with `entry: 'src/main.ts'`).
        // Where no file is beside the template, the root's is the one the browser asks for.
        if !file_exists(db, file)
            && page_dir != root
            && let Some(at_root) = page_local_path(root, root, &url)
            && at_root != path
        {
            let root_file = db.files().get_or_read(db, &at_root);
            if *file_exists(db, root_file) {
                (path, file) = (at_root, root_file);
            }
        }
        // What no file of the project holds but the server answers as it is (a `public/` file,
        // one a plugin's middleware serves: StyleX's stylesheet, vite-plugin-static-copy's
        // copies) is the page's to fetch, as under Vite: a script stays in the page, native.
        if !file_exists(db, file) && served_as_is(db, &url) {
            if is_script {
                entries.native_scripts.push(url);
            }
            continue;
        }
        if is_script {
            entries.module_script_tags += 1;
        }
        if !file_exists(db, file) {
            let what = if is_script {
                "entry script"
            } else {
                "stylesheet"
            };
            entries.diagnostics.push(Diagnostic {
                kind: DiagnosticKind::Resolve,
                file: page_id.into(),
                line,
                column,
                message: format!(
                    "Cannot find {} ({what} in {page_id})",
                    db.files().module_id(&path)
                ),
                code_frame: code_frame(text, line, column),
            });
            continue;
        }
        let entry = HtmlEntry {
            url,
            file,
            line,
            column,
        };
        if is_script {
            entries.scripts.push(entry);
        } else {
            entries.stylesheets.push(entry);
        }
    }
    entries
}

/// The page as served (see the module docs). Without an `index.html`: a minimal page that says
/// so (and still loads the runtime, so the overlay shows the diagnostic and the page reloads
/// once the file exists).
#[salsa::tracked(returns(clone))]
pub fn entry_html(db: &dyn Db, project: Project) -> Arc<str> {
    let _clock = db.clock().enter_key(Phase::Graph, "entry_html", project);
    let _span = tracing::trace_span!("entry_html").entered();
    let entries = html_entries(db, project);
    let tags = ClientTags::of(db, project);
    let Some(text) = index_text(db, project) else {
        return generated_page(
            &tags,
            &format!(
                "hotloop: there is no index.html in {}. Create one with an entry such as \
             <script type=\"module\" src=\"/src/main.js\"></script>.",
                project.root(db).display()
            ),
        )
        .into();
    };
    let root = project.root(db);
    match rewrite_page(db, project, "/index.html", &text, &entries, root, None) {
        Ok(html) => html.into(),
        Err(error) => {
            generated_page(&tags, &format!("hotloop: cannot read index.html: {error}")).into()
        }
    }
}

/// A page's text as served: `%NAME%` placeholders replaced, the client's tags in, the entry
/// scripts out (see the module docs). For another page than `index.html`, `page_entries` are
/// the module ids of its entry scripts: the chunk's tag is preceded by the `<meta>` that names
/// them ([`PAGE_ENTRIES_META`]), which the runtime starts instead of the chunk's.
fn rewrite_page(
    db: &dyn Db,
    project: Project,
    page_id: &str,
    text: &str,
    entries: &HtmlEntries,
    page_dir: &Path,
    page_entries: Option<&[Arc<str>]>,
) -> Result<String, lol_html::errors::RewritingError> {
    let tags = ClientTags::of(db, project);
    let env = public_env(db, project);
    let options = project.options(db);
    for name in undefined_in_html(text, &env, &options.env_prefixes) {
        tracing::warn!(
            "%{name}% is not defined in env variables found in {page_id}: is the variable \
             mistyped? (it is left as it is)"
        );
    }
    let text = replace_in_html(text, &env, &options.mode, &options.base);
    let root = project.root(db);
    let has_head = entries.has_head;
    let with_chunk = entries.module_script_tags == 0;
    let mut chunk_tag = String::new();
    if let Some(ids) = page_entries {
        // A `<meta>`, not an inline script: a page whose CSP forbids inline scripts would run
        // `index.html`'s entries instead.
        let mut json = String::from("[");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            crate::js_literal::push_json_string(&mut json, id);
        }
        json.push(']');
        chunk_tag.push_str(&format!(
            "<meta name=\"{PAGE_ENTRIES_META}\" content=\"{}\">",
            escape_html(&json)
        ));
    }
    chunk_tag.push_str(&tags.chunk);
    let mut first_tags = tags.head_start();
    if refresh_runtime(db, project) == RefreshRuntime::Embedded {
        first_tags.push_str(&tags.react_refresh);
    }
    if with_chunk {
        first_tags.push_str(&chunk_tag);
    }
    let runtime_done = Cell::new(false);
    let chunk_done = Cell::new(with_chunk);
    // Inline module scripts seen so far (their index is their place among them).
    let inline_seen = Cell::new(0usize);
    // The page's own inline styles seen so far, and whether the one being read is not one.
    let styles_seen = Cell::new(0usize);
    let foreign_style = Cell::new(false);
    let prefix = options.url_prefix();
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("head", |el| {
            if !runtime_done.replace(true) {
                el.prepend(&first_tags, ContentType::Html);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("script, style, link", |el| {
            // Vite's `html.cspNonce`: every script, style and stylesheet or preload link.
            if let Some(nonce) = &tags.nonce
                && el.get_attribute("nonce").is_none()
                && (el.tag_name() != "link" || is_nonce_link(el))
            {
                el.set_attribute("nonce", nonce)?;
            }
            Ok(())
        }))
        .append_element_content_handler(element!(FOREIGN_STYLE, |_el| {
            foreign_style.set(true);
            Ok(())
        }))
        .append_element_content_handler(element!("style", |el| {
            if foreign_style.replace(false) {
                return Ok(());
            }
            let index = styles_seen.get();
            styles_seen.set(index + 1);
            if entries.inline_styles.contains(&index) {
                el.replace(&linked_style(el, prefix, page_id, index), ContentType::Html);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("script", |el| {
            let inline_entry = is_module_script(el) && el.get_attribute("src").is_none() && {
                let index = inline_seen.get();
                inline_seen.set(index + 1);
                entries.inline_entries.contains(&index)
            };
            let entry = inline_entry
                || is_module_script(el)
                    && el.get_attribute("src").is_some_and(|src| {
                        page_local_path(root, page_dir, &src).is_some()
                            && !entries.native_scripts.contains(&src)
                    });
            let mut replacement = String::new();
            if !has_head && !runtime_done.replace(true) {
                replacement.push_str(&first_tags);
            }
            if entry {
                if !chunk_done.replace(true) {
                    replacement.push_str(&chunk_tag);
                }
                if !inline_entry {
                    replacement.push_str(&attributes_kept(el));
                }
                el.replace(&replacement, ContentType::Html);
            } else if !replacement.is_empty() {
                el.before(&replacement, ContentType::Html);
            }
            Ok(())
        }))
        // Last: the handlers above read the URLs as written (an entry script's `src`).
        .append_element_content_handler(element!(URL_ELEMENTS, |el| {
            if !prefix.is_empty() && !el.removed() {
                prefix_urls(el, prefix)?;
            }
            Ok(())
        }))
        .append_document_content_handler(end!(|end| {
            if !runtime_done.get() {
                end.append(&first_tags, ContentType::Html);
            }
            Ok(())
        }));
    rewrite_str(&text, settings.with_strict(false))
}

/// Another HTML page of the project than `index.html` (`Project::pages`): its text after the
/// plugins' `transformIndexHtml` hooks, which get its path (`/about.html`,
/// `/nested/index.html`, as Vite's HTML fallback makes it of the URL); `None`
/// when the file does not exist (any more).
#[salsa::tracked(returns(clone))]
pub fn page_text(db: &dyn Db, page: SourceFile) -> Option<Arc<str>> {
    let text = page.contents(db).text()?;
    let project = Project::get(db);
    Some(transformed_html(
        db,
        project,
        text,
        &file_id(db, page),
        page.path(db),
    ))
}

/// What another page loads (see [`page_text`]): its module scripts are lazy targets of the
/// page's graph, started by the runtime on that page; its linked stylesheets are modules of the
/// graph, as `index.html`'s.
#[salsa::tracked(returns(clone))]
pub fn page_entries(db: &dyn Db, page: SourceFile) -> Arc<HtmlEntries> {
    let _clock = db.clock().enter_key(Phase::Graph, "page_entries", page);
    let project = Project::get(db);
    let id = file_id(db, page);
    let Some(text) = page_text(db, page) else {
        return Arc::new(HtmlEntries {
            diagnostics: vec![Diagnostic {
                kind: DiagnosticKind::Io,
                file: id.to_string(),
                line: 1,
                column: 1,
                message: format!("The page {id} no longer exists: open another page"),
                code_frame: String::new(),
            }],
            ..HtmlEntries::default()
        });
    };
    let root = project.root(db);
    Arc::new(read_entries(db, root, &text, &id, page.path(db)))
}

/// Whether the server answers `url` (a page's `src`/`href`, no file of the project) as it is:
/// a file of `publicDir`, or a path a plugin's middleware takes. Read as it is now: the page is
/// read again when it changes, or the config does.
fn served_as_is(db: &dyn Db, url: &str) -> bool {
    let path_part = url.split(['?', '#']).next().unwrap_or(url);
    let public = path_part.starts_with('/')
        && public_dir(db).is_some_and(|dir| dir.join(path_part.trim_start_matches('/')).is_file());
    public
        || db
            .plugins()
            .is_some_and(|plugins| plugins.middleware_takes(path_part))
}

/// The code of an inline module script's module (`files::html_script_path`): the script's text
/// in its page as served (after the plugins' `transformIndexHtml` hooks), at its place in the
/// page; `None` when the page has no such script (any more).
pub fn inline_script_code(db: &dyn Db, path: &Path) -> Option<InlineScriptCode> {
    let (page, index) = html_script_of_path(path)?;
    let page_text = served_text(db, &page)?;
    let script = inline_module_scripts(&page_text)
        .into_iter()
        .find(|s| s.index == index)?;
    Some(InlineScriptCode {
        code: at_its_place(&page_text, script.offset, &script.text),
        page_id: db.files().module_id(&page).to_string(),
        page_text,
    })
}

/// The text of an inline style's module (`files::html_style_path`), as
/// [`inline_script_code`] answers for a script.
pub fn inline_style_code(db: &dyn Db, path: &Path) -> Option<InlineScriptCode> {
    let (page, index) = html_style_of_path(path)?;
    let page_text = served_text(db, &page)?;
    let style = inline_styles(&page_text)
        .into_iter()
        .find(|s| s.index == index)?;
    Some(InlineScriptCode {
        code: at_its_place(&page_text, style.offset, &style.text),
        page_id: db.files().module_id(&page).to_string(),
        page_text,
    })
}

/// The text of the page at `page` after the plugins' `transformIndexHtml` hooks.
fn served_text(db: &dyn Db, page: &Path) -> Option<Arc<str>> {
    let project = Project::get(db);
    if page == project.root(db).join("index.html") {
        index_text(db, project)
    } else {
        page_text(db, db.files().get_or_read(db, page))
    }
}

/// [`inline_script_code`]'s and [`inline_style_code`]'s answer: the code, and the page it is
/// in (a diagnostic of the code is the page's, at its line).
pub struct InlineScriptCode {
    pub code: String,
    pub page_id: String,
    pub page_text: Arc<str>,
}

/// Another page as served: as `index.html` is (`entry_html`), the same chunk (its modules are
/// defined, not run) and the runtime's tags, with its own entry scripts named for the runtime
/// to start (each one's lazy chunk loaded first).
#[salsa::tracked(returns(clone))]
pub fn page_html(db: &dyn Db, page: SourceFile) -> Arc<str> {
    let _clock = db.clock().enter_key(Phase::Graph, "page_html", page);
    let project = Project::get(db);
    let tags = ClientTags::of(db, project);
    let id = file_id(db, page);
    let entries = page_entries(db, page);
    let Some(text) = page_text(db, page) else {
        return generated_page(&tags, &format!("hotloop: {id} no longer exists.")).into();
    };
    let root = project.root(db);
    let dir = page.path(db).parent().unwrap_or(root);
    let ids: Vec<Arc<str>> = entries
        .scripts
        .iter()
        .map(|entry| file_id(db, entry.file))
        .collect();
    match rewrite_page(db, project, &id, &text, &entries, dir, Some(&ids)) {
        Ok(html) => html.into(),
        Err(error) => generated_page(&tags, &format!("hotloop: cannot read {id}: {error}")).into(),
    }
}

/// How the server injects the client into HTML the app's server returns (server-side HMR): the
/// tags `entry_html` puts in (runtime, React Refresh when `html`, the served page, has it; the
/// chunk) and the entry scripts it takes out, as root-absolute paths (see `PageInjection`).
/// Plain function over memoized results: O(entries), no query of its own.
pub fn page_injection(
    root: &Path,
    entries: &HtmlEntries,
    html: &str,
    tags: &ClientTags,
) -> PageInjection {
    let mut head_tags = tags.head_start();
    if html.contains(&tags.react_refresh) {
        head_tags.push_str(&tags.react_refresh);
    }
    let entries = entries
        .scripts
        .iter()
        .filter_map(|entry| local_path(root, &entry.url))
        .map(|path| crate::files::module_id(root, &path))
        .collect();
    PageInjection {
        head_tags: head_tags.into(),
        chunk_tag: tags.chunk.as_str().into(),
        entries,
    }
}

fn generated_page(tags: &ClientTags, message: &str) -> String {
    format!(
        "<!doctype html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>hotloop</title>\n\
         {}{}\n</head>\n<body>\n<pre id=\"hotloop-message\">{}</pre>\n\
         </body>\n</html>\n",
        tags.head_start(),
        tags.chunk,
        escape_html(message)
    )
}

fn missing_index_diagnostic(root: &Path) -> Diagnostic {
    Diagnostic {
        kind: DiagnosticKind::Io,
        file: INDEX_HTML_ID.into(),
        line: 1,
        column: 1,
        message: format!(
            "There is no index.html in {}: create one with an entry such as \
             <script type=\"module\" src=\"/src/main.js\"></script>",
            root.display()
        ),
        code_frame: String::new(),
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// What an entry script's tag says besides loading its module (`id`, `data-*`: what the app
/// reads with `document.querySelector('script[data-config]')`), kept in the page on an empty
/// module script in its place; `""` for a tag with nothing else (most).
fn attributes_kept(el: &Element<'_, '_>) -> String {
    const LOADING: [&str; 6] = ["type", "src", "async", "defer", "crossorigin", "nonce"];
    let mut kept = String::new();
    for attr in el.attributes() {
        let name = attr.name();
        if LOADING.contains(&name.as_str()) {
            continue;
        }
        // (The value as written: its entities stay; a `"` of a single-quoted one is escaped.)
        kept.push_str(&format!(
            " {name}=\"{}\"",
            attr.value().replace('"', "&quot;")
        ));
    }
    if kept.is_empty() {
        return kept;
    }
    let nonce = el
        .get_attribute("nonce")
        .map(|n| format!(" nonce=\"{}\"", n.replace('"', "&quot;")))
        .unwrap_or_default();
    format!("<script type=\"module\"{nonce}{kept}></script>")
}

/// The `<link>` that stands for the `index`th inline style of the page `page_id`, which the
/// CSS pipeline serves at its module id (`files::html_style_path`), with the style's attributes.
fn linked_style(el: &Element<'_, '_>, prefix: &str, page_id: &str, index: usize) -> String {
    let mut link = String::from(r#"<link rel="stylesheet" href=""#);
    link.push_str(&escape_html(&format!(
        "{prefix}{}",
        html_style_id(page_id, index)
    )));
    link.push('"');
    for attr in el.attributes() {
        let name = attr.name();
        if name == "rel" || name == "href" || name == "type" {
            continue;
        }
        // (The value as written, as `attributes_kept` keeps it.)
        link.push_str(&format!(
            " {name}=\"{}\"",
            attr.value().replace('"', "&quot;")
        ));
    }
    link.push('>');
    link
}

/// The elements whose URL attributes Vite's dev server puts under its `base` (its
/// `assetAttrsConfig`, and scripts).
const URL_ELEMENTS: &str = "link, script, img, source, video, audio, image, use";

/// Puts each root-absolute URL of `el`'s URL attributes (each candidate of a `srcset`) under
/// `prefix` (`/app`: Vite's `base`), as Vite's dev server does, so that a proxy that forwards
/// the base's path alone serves them; relative URLs already resolve under it.
fn prefix_urls(
    el: &mut Element<'_, '_>,
    prefix: &str,
) -> Result<(), lol_html::errors::AttributeNameError> {
    let based = |url: &str| -> Option<String> {
        let trimmed = url.trim_start();
        (trimmed.starts_with('/')
            && !trimmed.starts_with("//")
            && trimmed != prefix
            && !trimmed.starts_with(&format!("{prefix}/")))
        .then(|| format!("{prefix}{trimmed}"))
    };
    for name in ["href", "src", "poster", "xlink:href"] {
        if let Some(url) = el.get_attribute(name)
            && let Some(new) = based(&url)
        {
            el.set_attribute(name, &new)?;
        }
    }
    if let Some(srcset) = el.get_attribute("srcset") {
        let candidates: Vec<String> = srcset
            .split(',')
            .map(|candidate| {
                let trimmed = candidate.trim_start();
                let (url, rest) =
                    trimmed.split_at(trimmed.find(char::is_whitespace).unwrap_or(trimmed.len()));
                match based(url) {
                    Some(new) => format!("{new}{rest}"),
                    None => trimmed.to_string(),
                }
            })
            .collect();
        el.set_attribute("srcset", &candidates.join(", "))?;
    }
    Ok(())
}

fn is_module_script(el: &Element<'_, '_>) -> bool {
    el.get_attribute("type")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("module"))
}

/// A `<link>` Vite's `html.cspNonce` gives the nonce: `rel` stylesheet, modulepreload or
/// preload.
fn is_nonce_link(el: &Element<'_, '_>) -> bool {
    has_rel(el, &["stylesheet", "modulepreload", "preload"])
}

fn is_stylesheet_link(el: &Element<'_, '_>) -> bool {
    has_rel(el, &["stylesheet"])
}

/// Whether the element's `rel` holds one of `tokens` (ASCII case-insensitive).
fn has_rel(el: &Element<'_, '_>, tokens: &[&str]) -> bool {
    el.get_attribute("rel").is_some_and(|rel| {
        rel.split_ascii_whitespace()
            .any(|token| tokens.iter().any(|t| token.eq_ignore_ascii_case(t)))
    })
}

/// The file a URL of `index.html` refers to, or `None` for external URLs (see
/// [`page_local_path`]; `index.html` sits at the root).
pub fn local_path(root: &Path, url: &str) -> Option<PathBuf> {
    page_local_path(root, root, url)
}

/// The file a URL of a page in `page_dir` refers to, or `None` for external URLs. `/x` is
/// relative to the root, `x` and `./x` to the page's directory, never above the root; query
/// and fragment are dropped.
pub fn page_local_path(root: &Path, page_dir: &Path, url: &str) -> Option<PathBuf> {
    let url = url.trim();
    if url.is_empty() || url.starts_with("//") || has_scheme(url) {
        return None;
    }
    let url = url.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(url)
        .decode_utf8()
        .ok()?;
    let mut path = if decoded.starts_with('/') || !page_dir.starts_with(root) {
        root.to_path_buf()
    } else {
        page_dir.to_path_buf()
    };
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => path.push(part),
            // Never above the root.
            Component::ParentDir if path != root => {
                path.pop();
            }
            _ => {}
        }
    }
    (path != root).then_some(path)
}

fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(colon) => url[..colon]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')),
        None => false,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths() {
        let root = Path::new("/p");
        assert_eq!(
            local_path(root, "/src/main.js?x=1"),
            Some(PathBuf::from("/p/src/main.js"))
        );
        assert_eq!(
            local_path(root, "./src/a%20b.js"),
            Some(PathBuf::from("/p/src/a b.js"))
        );
        assert_eq!(
            local_path(root, "../../etc/passwd"),
            Some(PathBuf::from("/p/etc/passwd"))
        );
        assert_eq!(local_path(root, "https://cdn.example/x.js"), None);
        assert_eq!(local_path(root, "//cdn.example/x.js"), None);
        let nested = Path::new("/p/nested");
        assert_eq!(
            page_local_path(root, nested, "./main.js"),
            Some(PathBuf::from("/p/nested/main.js"))
        );
        assert_eq!(
            page_local_path(root, nested, "/src/a.js"),
            Some(PathBuf::from("/p/src/a.js"))
        );
        assert_eq!(
            page_local_path(root, nested, "../../../x.js"),
            Some(PathBuf::from("/p/x.js"))
        );
    }

    #[test]
    fn line_columns() {
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("x", 0), (1, 1));
    }
}
