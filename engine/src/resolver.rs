//! The configured `oxc_resolver`s: browser conditions, TS extension aliases, tsconfig paths.
//! Owned by the database (their caches live as long as it does; the host clears them when the
//! resolution epoch moves); used by `queries::resolve` and the `import.meta.glob` listing.

use std::path::{Path, PathBuf};

use oxc_resolver::{ResolveError, ResolveOptions, Resolver, TsconfigDiscovery};

use crate::environment::EnvironmentKind;
use crate::transform::ImportKind;

/// The two resolvers (ESM `import` conditions, CommonJS `require` conditions), sharing a cache.
pub struct Resolvers {
    esm: Resolver,
    cjs: Resolver,
}

impl Resolvers {
    /// The resolvers of the project's browser environments (the page and its workers resolve
    /// alike). Resolution is per project today; an environment kind that resolves otherwise
    /// (the server's `node` conditions) gets resolvers of its own.
    pub fn new(root: &Path) -> Resolvers {
        let kind = EnvironmentKind::Page;
        let (esm_conditions, cjs_conditions) = kind.resolve_conditions();
        let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let options = ResolveOptions {
            extensions: strings(&[".mjs", ".js", ".mts", ".ts", ".jsx", ".tsx", ".json"]),
            extension_alias: vec![
                (".js".into(), strings(&[".js", ".ts", ".tsx"])),
                (".jsx".into(), strings(&[".jsx", ".tsx"])),
                (".mjs".into(), strings(&[".mjs", ".mts"])),
                (".cjs".into(), strings(&[".cjs", ".cts"])),
            ],
            main_fields: strings(kind.main_fields()),
            alias_fields: vec![strings(&["browser"])],
            condition_names: strings(esm_conditions),
            tsconfig: Some(TsconfigDiscovery::Auto),
            roots: vec![root.to_path_buf()],
            // Node built-ins go through `node_modules` (browser polyfills such as `events`
            // or `buffer`) and `browser` remaps like any package; see `reason` for the rest.
            builtin_modules: false,
            node_path: false,
            ..ResolveOptions::default()
        };
        let cjs_options = ResolveOptions {
            condition_names: strings(cjs_conditions),
            ..options.clone()
        };
        let esm = Resolver::new(options);
        let cjs = esm.clone_with_options(cjs_options);
        Resolvers { esm, cjs }
    }

    /// Forgets every cached file-system fact (call when the resolution epoch moves).
    pub fn clear_cache(&self) {
        self.esm.clear_cache();
        self.cjs.clear_cache();
    }

    pub fn resolve(
        &self,
        importer: &Path,
        specifier: &str,
        kind: ImportKind,
    ) -> Result<PathBuf, ResolveError> {
        let resolver = match kind {
            ImportKind::Require => &self.cjs,
            _ => &self.esm,
        };
        resolver
            .resolve_file(importer, specifier)
            .map(|resolution| resolution.into_path_buf())
    }
}
