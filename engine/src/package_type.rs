//! The module format Node gives a file (its extension, else the `type` of the nearest
//! `package.json` above it): what decides how its imports read a CommonJS module's default
//! ([`crate::transform::NodeInterop`]). The nearest `package.json`'s `type` is cached per
//! directory; the host clears the cache when a `package.json` changes and computes the facts of
//! the known files again (as for tsconfigs: `host/change.rs`), and those of the files in
//! `node_modules` after an install (whose `package.json`s the watcher does not see).
//!
//! Node's rules are what Vite 8 applies to the project's own files; the result is a fact of the
//! file's input, beside its tsconfig's (`ScriptConfig::node_interop`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustc_hash::FxHashMap;

use crate::transform::NodeInterop;

/// A `package.json`'s `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PackageType {
    Module,
    CommonJs,
    /// No `type` (or another value): CommonJS by default, not explicitly.
    Unset,
}

/// The nearest `package.json`'s `type`, by directory.
#[derive(Default)]
pub struct PackageTypes {
    by_dir: Mutex<FxHashMap<PathBuf, PackageType>>,
}

impl PackageTypes {
    /// Forgets every `package.json` read so far.
    pub fn clear_cache(&self) {
        self.lock().clear();
    }

    /// How the file at `file` (a path on disk, without a query) reads a CommonJS default, by
    /// Node's rules as Vite applies them.
    pub fn node_interop(&self, file: &Path) -> NodeInterop {
        let both = |yes| NodeInterop {
            static_imports: yes,
            dynamic_imports: yes,
        };
        let explicit_commonjs = NodeInterop {
            static_imports: false,
            dynamic_imports: true,
        };
        match file.extension().and_then(|e| e.to_str()) {
            Some("mjs" | "mts") => return both(true),
            Some("cjs" | "cts") => return explicit_commonjs,
            _ => {}
        }
        let Some(dir) = file.parent() else {
            return NodeInterop::default();
        };
        match self.nearest(dir) {
            PackageType::Module => both(true),
            PackageType::CommonJs => explicit_commonjs,
            PackageType::Unset => NodeInterop::default(),
        }
    }

    fn nearest(&self, dir: &Path) -> PackageType {
        if let Some(&found) = self.lock().get(dir) {
            return found;
        }
        let found = match read_type(&dir.join("package.json")) {
            Some(found) => found,
            None => match dir.parent() {
                Some(parent) => self.nearest(parent),
                None => PackageType::Unset,
            },
        };
        self.lock().insert(dir.to_path_buf(), found);
        found
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<PathBuf, PackageType>> {
        self.by_dir.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The `type` of the `package.json` at `path`; `None` when there is none (or it does not parse:
/// Node then fails, Vite looks further up).
fn read_type(path: &Path) -> Option<PackageType> {
    let text = std::fs::read(path).ok()?;
    #[derive(serde::Deserialize)]
    struct Manifest {
        #[serde(rename = "type")]
        kind: Option<serde_json::Value>,
    }
    let manifest: Manifest = serde_json::from_slice(&text).ok()?;
    Some(match manifest.kind.as_ref().and_then(|k| k.as_str()) {
        Some("module") => PackageType::Module,
        Some("commonjs") => PackageType::CommonJs,
        _ => PackageType::Unset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TempProject;

    #[test]
    fn a_files_format_comes_from_its_extension_else_the_nearest_package_json() {
        let p = TempProject::from_files(&[
            ("package.json", r#"{ "type": "module" }"#),
            ("src/a.js", ""),
            ("legacy/package.json", r#"{ "type": "commonjs" }"#),
            ("legacy/b.js", ""),
            ("node_modules/lib/package.json", r#"{ "name": "lib" }"#),
            ("node_modules/lib/index.js", ""),
            ("node_modules/lib/esm/index.mjs", ""),
        ]);
        let types = PackageTypes::default();
        let flags = |path: &str| types.node_interop(&p.path(path)).flags();
        assert_eq!(flags("src/a.js"), 3, "type: module");
        assert_eq!(
            flags("src/App.vue?vue&type=script&lang.ts"),
            3,
            "a sub-module"
        );
        assert_eq!(flags("legacy/b.js"), 2, "type: commonjs is explicit");
        assert_eq!(flags("src/c.cjs"), 2);
        assert_eq!(flags("node_modules/lib/index.js"), 0, "no type");
        assert_eq!(flags("node_modules/lib/esm/index.mjs"), 3);
        // A changed package.json counts once the cache is cleared.
        p.write("package.json", "{}");
        assert_eq!(flags("src/a.js"), 3);
        types.clear_cache();
        assert_eq!(flags("src/a.js"), 0);
    }
}
