//! The configured `oxc_resolver`s, per environment kind (browser or Node conditions, see
//! `EnvironmentKind::resolve_conditions`, or the config's `resolve.conditions` for the
//! browser's): TS extension aliases, tsconfig paths, the config's `resolve.extensions`.
//! Owned by the database (their caches live as long as it does; the host clears them when the
//! resolution epoch moves); used by `queries::resolve` and the `import.meta.glob` listing.
//!
//! Stylesheets get one of their own, as Vite's CSS resolver: the `style` condition and
//! `package.json` field, `.css`, so a bare `@import "pkg"` finds a package's stylesheet. The
//! config's `ResolveSettings` (`resolve.conditions`, `resolve.extensions`, `resolve.dedupe`)
//! configure the browser's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxc_resolver::{ResolveError, ResolveOptions, Resolver, TsconfigDiscovery};

use crate::environment::EnvironmentKind;
use crate::transform::ImportKind;

/// What a project's Vite config says about resolution (`resolve.*`); the default is
/// hotloop's own (Vite's defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResolveSettings {
    /// The browser environments' `exports` conditions (Vite's client environment's
    /// `resolve.conditions`, after the plugins' `configEnvironment` hooks: vite-plugin-svelte's
    /// `svelte`, vite-plugin-solid's `solid`), `development|production` read as `development`;
    /// `import` or `require`, and `default`, always apply. `None`: hotloop's
    /// (`EnvironmentKind::resolve_conditions`, which are Vite's defaults). The server's stay
    /// Node's: it loads npm packages itself.
    pub conditions: Option<Arc<[String]>>,
    /// The extensions an extensionless import tries, in order (`resolve.extensions`); `None`:
    /// Vite's default list.
    pub extensions: Option<Arc<[String]>>,
    /// Packages every bare import of resolves from the project root (`resolve.dedupe`): one
    /// copy of `vue` or `solid-js` even where a dependency nests its own.
    pub dedupe: Arc<[String]>,
}

impl ResolveSettings {
    /// Whether a bare `specifier` names a package of `dedupe`.
    pub fn dedupes(&self, specifier: &str) -> bool {
        !self.dedupe.is_empty()
            && package_name(specifier).is_some_and(|name| self.dedupe.iter().any(|d| d == name))
    }
}

/// The package a bare specifier names (`react/jsx-runtime` → `react`, `@scope/name/sub` →
/// `@scope/name`); `None` for a path, a URL (`node:fs`) or a `#` import.
pub fn package_name(specifier: &str) -> Option<&str> {
    if specifier.is_empty()
        || specifier.starts_with(['.', '/', '#', '\\'])
        || specifier.contains(':')
    {
        return None;
    }
    let mut parts = specifier.splitn(3, '/');
    let first = parts.next()?;
    if first.starts_with('@') {
        let second = parts.next()?;
        Some(&specifier[..first.len() + 1 + second.len()])
    } else {
        Some(first)
    }
}

/// The resolvers (ESM `import` conditions, CommonJS `require` conditions) of the browser
/// environments (the page and its workers resolve alike) and of the server's, all sharing one
/// cache.
pub struct Resolvers {
    esm: Resolver,
    cjs: Resolver,
    server_esm: Resolver,
    server_cjs: Resolver,
    /// A stylesheet's bare `@import "pkg"`: Vite's CSS resolver (the `style` condition and
    /// field, `.css`), which finds `tw-animate-css`'s and Bootstrap's stylesheets.
    css: Resolver,
}

impl Resolvers {
    pub fn new(root: &Path, settings: &ResolveSettings) -> Resolvers {
        let esm = Resolver::new(options(
            root,
            settings,
            EnvironmentKind::Page,
            ImportKind::Static,
        ));
        Resolvers::from_first(esm, root, settings)
    }

    /// Resolvers with other `settings` on the same cache.
    pub fn reconfigured(&self, root: &Path, settings: &ResolveSettings) -> Resolvers {
        let esm = self.esm.clone_with_options(options(
            root,
            settings,
            EnvironmentKind::Page,
            ImportKind::Static,
        ));
        Resolvers::from_first(esm, root, settings)
    }

    fn from_first(esm: Resolver, root: &Path, settings: &ResolveSettings) -> Resolvers {
        let with = |env, kind| esm.clone_with_options(options(root, settings, env, kind));
        let cjs = with(EnvironmentKind::Page, ImportKind::Require);
        let server_esm = with(EnvironmentKind::Server, ImportKind::Static);
        let server_cjs = with(EnvironmentKind::Server, ImportKind::Require);
        let css = esm.clone_with_options(css_options(root));
        Resolvers {
            esm,
            cjs,
            server_esm,
            server_cjs,
            css,
        }
    }

    /// A resolver with `options` on the same cache (see `Tsconfigs::sharing_cache_of`).
    pub fn sharing_cache(&self, options: ResolveOptions) -> Resolver {
        self.esm.clone_with_options(options)
    }

    /// Forgets every cached file-system fact (call when the resolution epoch moves).
    pub fn clear_cache(&self) {
        for resolver in [
            &self.esm,
            &self.cjs,
            &self.server_esm,
            &self.server_cjs,
            &self.css,
        ] {
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

    /// Resolves a stylesheet's bare `@import` of a package as Vite's CSS resolver does.
    pub fn resolve_css(&self, importer: &Path, specifier: &str) -> Result<PathBuf, ResolveError> {
        self.css
            .resolve_file(importer, specifier)
            .map(|resolution| resolution.into_path_buf())
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
fn options(
    root: &Path,
    settings: &ResolveSettings,
    env: EnvironmentKind,
    kind: ImportKind,
) -> ResolveOptions {
    let (esm_conditions, cjs_conditions) = env.resolve_conditions();
    let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let condition_names = match (&settings.conditions, env.is_browser()) {
        (Some(conditions), true) => {
            let mut names: Vec<String> = conditions
                .iter()
                .map(|c| match c.as_str() {
                    "development|production" => "development".to_string(),
                    c => c.to_string(),
                })
                .collect();
            names.push(match kind {
                ImportKind::Require => "require".into(),
                _ => "import".into(),
            });
            names.push("default".into());
            names
        }
        _ => strings(match kind {
            ImportKind::Require => cjs_conditions,
            _ => esm_conditions,
        }),
    };
    ResolveOptions {
        extensions: match &settings.extensions {
            Some(extensions) => extensions.to_vec(),
            None => strings(&[".mjs", ".js", ".mts", ".ts", ".jsx", ".tsx", ".json"]),
        },
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
        condition_names,
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

/// Vite's CSS resolver's options: `.css`, the `style` field and condition (then
/// `development` and `default`), no index files.
fn css_options(root: &Path) -> ResolveOptions {
    let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    ResolveOptions {
        extensions: strings(&[".css"]),
        main_fields: strings(&["style"]),
        main_files: Vec::new(),
        condition_names: strings(&["style", "development", "default"]),
        roots: vec![root.to_path_buf()],
        builtin_modules: false,
        node_path: false,
        ..ResolveOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::package_name;

    #[test]
    fn package_names_of_bare_specifiers() {
        assert_eq!(package_name("vue"), Some("vue"));
        assert_eq!(package_name("vue/dist/vue.esm.js"), Some("vue"));
        assert_eq!(package_name("@vue/runtime-dom"), Some("@vue/runtime-dom"));
        assert_eq!(package_name("@vue/runtime-dom/x"), Some("@vue/runtime-dom"));
        assert_eq!(package_name("./vue"), None);
        assert_eq!(package_name("/src/vue"), None);
        assert_eq!(package_name("#internal"), None);
        assert_eq!(package_name("node:fs"), None);
        assert_eq!(package_name("@scope"), None);
        assert_eq!(package_name("react/jsx-runtime"), Some("react"));
    }
}
