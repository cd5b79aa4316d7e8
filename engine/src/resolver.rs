//! The configured `oxc_resolver`s, per environment kind (browser or Node conditions, see
//! `EnvironmentKind::resolve_conditions`): TS extension aliases, tsconfig paths.
//! Owned by the database (their caches live as long as it does; the host clears them when the
//! resolution epoch moves); used by `queries::resolve` and the `import.meta.glob` listing.

use std::path::{Path, PathBuf};

use oxc_resolver::{ResolveError, ResolveOptions, Resolver, TsconfigDiscovery};

use crate::environment::EnvironmentKind;
use crate::transform::ImportKind;

/// The resolvers (ESM `import` conditions, CommonJS `require` conditions) of the browser
/// environments (the page and its workers resolve alike) and of the server's, all sharing one
/// cache.
pub struct Resolvers {
    esm: Resolver,
    cjs: Resolver,
    server_esm: Resolver,
    server_cjs: Resolver,
}

impl Resolvers {
    pub fn new(root: &Path) -> Resolvers {
        let esm = Resolver::new(options(root, EnvironmentKind::Page, ImportKind::Static));
        let cjs = esm.clone_with_options(options(root, EnvironmentKind::Page, ImportKind::Require));
        let server_esm =
            esm.clone_with_options(options(root, EnvironmentKind::Server, ImportKind::Static));
        let server_cjs =
            esm.clone_with_options(options(root, EnvironmentKind::Server, ImportKind::Require));
        Resolvers {
            esm,
            cjs,
            server_esm,
            server_cjs,
        }
    }

    /// A resolver with `options` on the same cache (see `Tsconfigs::sharing_cache_of`).
    pub fn sharing_cache(&self, options: ResolveOptions) -> Resolver {
        self.esm.clone_with_options(options)
    }

    /// Forgets every cached file-system fact (call when the resolution epoch moves).
    pub fn clear_cache(&self) {
        for resolver in [&self.esm, &self.cjs, &self.server_esm, &self.server_cjs] {
            resolver.clear_cache();
        }
    }

    /// Resolves `specifier` from `importer` as the browser does.
    pub fn resolve(
        &self,
        importer: &Path,
        specifier: &str,
        kind: ImportKind,
    ) -> Result<PathBuf, ResolveError> {
        self.resolve_in(EnvironmentKind::Page, importer, specifier, kind)
    }

    /// Resolves `specifier` from `importer` as an environment of `env` does.
    pub fn resolve_in(
        &self,
        env: EnvironmentKind,
        importer: &Path,
        specifier: &str,
        kind: ImportKind,
    ) -> Result<PathBuf, ResolveError> {
        let resolver = match (env.is_browser(), kind) {
            (true, ImportKind::Require) => &self.cjs,
            (true, _) => &self.esm,
            (false, ImportKind::Require) => &self.server_cjs,
            (false, _) => &self.server_esm,
        };
        resolver
            .resolve_file(importer, specifier)
            .map(|resolution| resolution.into_path_buf())
    }
}

/// The options of the resolver for `import`s (or `require`s) in an environment of `env`.
fn options(root: &Path, env: EnvironmentKind, kind: ImportKind) -> ResolveOptions {
    let (esm_conditions, cjs_conditions) = env.resolve_conditions();
    let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    ResolveOptions {
        extensions: strings(&[".mjs", ".js", ".mts", ".ts", ".jsx", ".tsx", ".json"]),
        extension_alias: vec![
            (".js".into(), strings(&[".js", ".ts", ".tsx"])),
            (".jsx".into(), strings(&[".jsx", ".tsx"])),
            (".mjs".into(), strings(&[".mjs", ".mts"])),
            (".cjs".into(), strings(&[".cjs", ".cts"])),
        ],
        main_fields: strings(env.main_fields()),
        alias_fields: if env.is_browser() {
            vec![strings(&["browser"])]
        } else {
            Vec::new()
        },
        condition_names: strings(match kind {
            ImportKind::Require => cjs_conditions,
            _ => esm_conditions,
        }),
        tsconfig: Some(TsconfigDiscovery::Auto),
        roots: vec![root.to_path_buf()],
        // Node built-ins go through `node_modules` (browser polyfills such as `events`
        // or `buffer`) and `browser` remaps like any package; see `reason` for the rest.
        // The server's are Node's own (`queries::resolve` externalizes them first).
        builtin_modules: false,
        node_path: false,
        ..ResolveOptions::default()
    }
}
