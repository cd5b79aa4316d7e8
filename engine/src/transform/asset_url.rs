//! `new URL('./tex.png', import.meta.url)` of an asset file (Vite's `assetImportMetaUrl`): the
//! literal becomes `require.u("./tex.png?url", "./tex.png")`, the runtime's asset URL helper,
//! which gives the file's `?url` module (its URL with a version from its bytes) or, when the
//! file is not there, the specifier as written, which the browser resolves as before (Vite
//! leaves it too, with a warning). The `?url` module is an import of kind
//! [`ImportKind::AssetUrl`](super::ImportKind::AssetUrl): a replaced texture or font updates
//! the page like an edited import does, and the new URL misses the browser's cache.
//!
//! Only asset files (Vite's `KNOWN_ASSET_TYPES`) are rewritten: a script's URL
//! (`audioWorklet.addModule(new URL('./p.ts', import.meta.url))`) and a worker's
//! (`super::worker`) are not assets.

use std::path::Path;

use swc_core::common::{Span, SyntaxContext};
use swc_core::ecma::ast::NewExpr;

use super::worker::module_relative_url;

/// `new URL('./tex.png', import.meta.url)` of an asset file: the literal's span and text.
pub(crate) fn asset_url_argument(n: &NewExpr, unresolved: SyntaxContext) -> Option<(Span, &str)> {
    let (span, spec) = module_relative_url(n, unresolved)?;
    let ext = Path::new(spec).extension()?.to_str()?.to_ascii_lowercase();
    VITE_ASSET_TYPES
        .contains(&ext.as_str())
        .then_some((span, spec))
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
