//! `new URL('./tex.png', import.meta.url)` of an asset file (Vite's `assetImportMetaUrl`): the
//! literal becomes `require.u("./tex.png?url", "./tex.png")`, the runtime's asset URL helper,
//! which gives the file's `?url` module (its URL with a version from its bytes) or, when the
//! file is not there, the specifier as written, which the browser resolves as before (Vite
//! leaves it too, with a warning). The `?url` module is an import of kind
//! [`ImportKind::AssetUrl`](super::ImportKind::AssetUrl): a replaced texture or font updates
//! the page like an edited import does, and the new URL misses the browser's cache.
//!
//! Of relative URLs, only asset files' (Vite's `KNOWN_ASSET_TYPES`) are rewritten: a script's
//! URL (`audioWorklet.addModule(new URL('./p.ts', import.meta.url))`) and a worker's
//! (`super::worker`) are not assets, and the browser resolves them as written. A package's file
//! (`new URL('pdfjs-dist/build/pdf.worker.min.mjs', import.meta.url)`) is rewritten whatever its
//! type: the browser would resolve it beside the module, where it is not.

use std::path::Path;

use swc_core::common::{Span, SyntaxContext};
use swc_core::ecma::ast::NewExpr;

use super::worker::module_url_literal;

/// `new URL('./tex.png', import.meta.url)` of an asset file, or `new URL('pkg/file',
/// import.meta.url)` of a package's file of any type (react-pdf's documented
/// `new URL('pdfjs-dist/build/pdf.worker.min.mjs', import.meta.url)`, which Vite resolves as a
/// module specifier and the browser would take as a path beside the module): the literal's span
/// and text.
pub(crate) fn asset_url_argument(n: &NewExpr, unresolved: SyntaxContext) -> Option<(Span, &str)> {
    let (span, spec) = module_url_literal(n, unresolved)?;
    if is_bare(spec) {
        return Some((span, spec));
    }
    if !(spec.starts_with("./") || spec.starts_with("../")) {
        return None;
    }
    let ext = Path::new(spec).extension()?.to_str()?.to_ascii_lowercase();
    VITE_ASSET_TYPES
        .contains(&ext.as_str())
        .then_some((span, spec))
}

/// A package specifier (`pkg/file`, `@scope/pkg/file`): not relative, not a path from the
/// root, not a URL with a scheme.
fn is_bare(spec: &str) -> bool {
    let first = spec.bytes().next();
    first.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'@')
        && !spec.contains(':')
        && spec.contains('/')
}

/// The module the literal's URL comes from: the file's `?url` variant.
pub(crate) fn asset_url_specifier(spec: &str) -> String {
    format!("{spec}?url")
}

/// Vite's `KNOWN_ASSET_TYPES` (`packages/vite/src/node/constants.ts`): imported, a file of one
/// of these is its URL whatever the plugins do; any other unknown type is theirs first.
pub const VITE_ASSET_TYPES: &[&str] = &[
    "apng",
    "bmp",
    "png",
    "jpg",
    "jpeg",
    "jfif",
    "pjpeg",
    "pjp",
    "gif",
    "svg",
    "ico",
    "webp",
    "avif",
    "cur",
    "jxl",
    "mp4",
    "webm",
    "ogg",
    "mp3",
    "wav",
    "flac",
    "aac",
    "opus",
    "mov",
    "m4a",
    "vtt",
    "woff",
    "woff2",
    "eot",
    "ttf",
    "otf",
    "webmanifest",
    "pdf",
    "txt",
    "wasm",
];
