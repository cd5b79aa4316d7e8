//! The `tsconfig.json` that applies to a script, and what it says about compiling it, found as
//! Vite's transform finds it (tsconfck): the nearest `tsconfig.json` above the file; for a
//! solution-style config (`"files": []` plus `"references"`, as in every create-vite TS starter)
//! the referenced config whose `files`/`include`/`exclude` covers the file; `extends` followed
//! (relative paths, packages, arrays). `oxc_resolver` does the finding and the JSONC parsing;
//! [`script_config`] turns the compiler options into a [`ScriptConfig`] with Vite's defaults:
//! the JSX runtime and factories, decorators (legacy or standard), class fields
//! (`useDefineForClassFields`) and import elision (`verbatimModuleSyntax`).
//!
//! Contract with salsa: the result is a field of the file's `SourceFile` input, computed when
//! `Files` creates the input and re-computed by the host for every known script when a
//! tsconfig file changes ([`is_tsconfig_file`]); queries never look at tsconfigs themselves.
//! Files inside `node_modules` get the default (tsconfck and `oxc_resolver` ignore them).
//!
//! Differences from tsconfck, on purpose or inherited from `oxc_resolver`: a file that no
//! tsconfig on its way up covers (`include` does not match it) gets the default rather than the
//! nearest config's options; only files named `tsconfig.json` / `tsconfig.*.json` count as
//! tsconfig files for change detection (a base config under another name that is edited takes
//! effect at the next change of a tsconfig file or at restart).

use std::path::Path;
use std::sync::Arc;

use oxc_resolver::{CompilerOptions, ResolveError, ResolveOptions, Resolver, TsconfigDiscovery};

use crate::inputs::{TsconfigFacts, in_node_modules};
use crate::resolver::Resolvers;
use crate::transform::{Decorators, ImportElision, Jsx, ScriptConfig};

/// Finds and reads tsconfigs, with `oxc_resolver`'s cache (clear it when a tsconfig changes).
pub struct Tsconfigs {
    resolver: Resolver,
}

impl Default for Tsconfigs {
    fn default() -> Self {
        Tsconfigs::new()
    }
}

impl Tsconfigs {
    pub fn new() -> Tsconfigs {
        Tsconfigs {
            resolver: Resolver::new(Tsconfigs::options()),
        }
    }

    /// A finder on the resolvers' cache: a script's tsconfig is then found through the entry
    /// that resolving its import made (the resolvers discover tsconfigs the same way, for
    /// `paths`), not a second cached entry for every file (~5.8 MB at 10k modules). Clearing
    /// either cache clears both.
    pub fn sharing_cache_of(resolvers: &Resolvers) -> Tsconfigs {
        Tsconfigs {
            resolver: resolvers.sharing_cache(Tsconfigs::options()),
        }
    }

    fn options() -> ResolveOptions {
        ResolveOptions {
            tsconfig: Some(TsconfigDiscovery::Auto),
            ..ResolveOptions::default()
        }
    }

    /// Forgets every tsconfig read so far.
    pub fn clear_cache(&self) {
        self.resolver.clear_cache();
    }

    /// The settings for the script at `path` (canonical, absolute).
    pub fn facts(&self, path: &Path) -> TsconfigFacts {
        if in_node_modules(path) {
            return Ok(ScriptConfig::default());
        }
        match self.resolver.find_tsconfig(path) {
            Ok(Some(tsconfig)) => Ok(script_config(&tsconfig.compiler_options)),
            Ok(None) => Ok(ScriptConfig::default()),
            Err(e) => Err(format!(
                "cannot read the tsconfig that applies to this file: {}; fix it (or the configs \
                 it extends or references)",
                describe(&e)
            )
            .into()),
        }
    }
}

/// A tsconfig error with the file, line and column where there are some.
fn describe(e: &ResolveError) -> String {
    match e {
        ResolveError::TsconfigLoadFailed { path, source } => match &**source {
            ResolveError::Json(json) => format!(
                "{}:{}:{}: {}",
                json.path.display(),
                json.line,
                json.column,
                json.message
            ),
            ResolveError::TsconfigLoadFailed { .. } => describe(source),
            other => format!("{}: {other}", path.display()),
        },
        ResolveError::Json(json) => format!(
            "{}:{}:{}: {}",
            json.path.display(),
            json.line,
            json.column,
            json.message
        ),
        other => other.to_string(),
    }
}

/// `tsconfig.json`, `tsconfig.<name>.json` (`tsconfig.app.json`, `tsconfig.node.json`,
/// `tsconfig.base.json`): a change can change how scripts compile.
pub fn is_tsconfig_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("tsconfig.") && n.ends_with(".json"))
}

/// Vite's reading of the compiler options (its esbuild/oxc transform):
/// - `jsx`: `react-jsx`/`react-jsxdev` → the automatic runtime from `jsxImportSource` (default
///   `react`); `react` → the classic runtime with `jsxFactory`/`jsxFragmentFactory` (default
///   `React.createElement`/`React.Fragment`). `preserve` and `react-native` leave JSX to a
///   plugin under Vite: for React (no `jsxImportSource`, or `react`), `@vitejs/plugin-react`,
///   which hotloop's own React transform stands for, so React's automatic runtime; for another
///   framework (`solid-js`) its own plugin, so [`Jsx::Preserve`] (JSX is reported, not
///   guessed at). Without `jsx`: the automatic runtime from `jsxImportSource` (hotloop's
///   default, React's), unless only a `jsxFactory` is given (classic, as esbuild).
/// - `experimentalDecorators` → legacy decorators (with `emitDecoratorMetadata`), otherwise TC39
///   standard decorators.
/// - `useDefineForClassFields`, else TypeScript's default from `target`: true from `ES2022` and
///   for `ESNext`; false for older targets and when `target` is absent (Vite sets it so
///   explicitly, to match `tsc`).
pub fn script_config(options: &CompilerOptions) -> ScriptConfig {
    let import_source = || -> Arc<str> {
        options
            .jsx_import_source
            .as_deref()
            .unwrap_or("react")
            .into()
    };
    let classic = || Jsx::Classic {
        factory: options
            .jsx_factory
            .as_deref()
            .unwrap_or("React.createElement")
            .into(),
        fragment_factory: options
            .jsx_fragment_factory
            .as_deref()
            .unwrap_or("React.Fragment")
            .into(),
    };
    let jsx = match options
        .jsx
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("react") => classic(),
        Some("preserve" | "react-native")
            if options
                .jsx_import_source
                .as_deref()
                .is_some_and(|source| source != "react") =>
        {
            Jsx::Preserve {
                import_source: import_source(),
            }
        }
        None if options.jsx_factory.is_some() && options.jsx_import_source.is_none() => classic(),
        _ => Jsx::Automatic {
            import_source: import_source(),
        },
    };
    let decorators = if options.experimental_decorators == Some(true) {
        Decorators::Legacy {
            emit_metadata: options.emit_decorator_metadata == Some(true),
        }
    } else {
        Decorators::Standard
    };
    let use_define_for_class_fields = options
        .use_define_for_class_fields
        .unwrap_or_else(|| options.target.as_deref().is_some_and(target_defines_fields));
    let imports = if options.verbatim_module_syntax == Some(true)
        || options.preserve_value_imports == Some(true)
    {
        ImportElision::Verbatim
    } else if options
        .imports_not_used_as_values
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("preserve") || v.eq_ignore_ascii_case("error"))
    {
        ImportElision::UnusedBindings
    } else {
        ImportElision::Unused
    };
    ScriptConfig {
        jsx,
        decorators,
        use_define_for_class_fields,
        imports,
        ..ScriptConfig::default()
    }
}

/// `ES2022` and later, and `ESNext`, define class fields.
fn target_defines_fields(target: &str) -> bool {
    let target = target.to_ascii_lowercase();
    if target == "esnext" {
        return true;
    }
    target
        .strip_prefix("es")
        .and_then(|year| year.parse::<u32>().ok())
        .is_some_and(|year| year >= 2022)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(json: &str) -> CompilerOptions {
        serde_json::from_str(json).expect("compiler options")
    }

    #[test]
    fn jsx_modes_map_to_runtimes() {
        let automatic = |source: &str| Jsx::Automatic {
            import_source: source.into(),
        };
        assert_eq!(script_config(&options("{}")).jsx, automatic("react"));
        assert_eq!(
            script_config(&options(
                r#"{"jsx":"react-jsx","jsxImportSource":"preact"}"#
            ))
            .jsx,
            automatic("preact")
        );
        assert_eq!(
            script_config(&options(r#"{"jsx":"react-jsxdev"}"#)).jsx,
            automatic("react")
        );
        assert_eq!(
            script_config(&options(
                r#"{"jsx":"preserve","jsxImportSource":"solid-js"}"#
            ))
            .jsx,
            Jsx::Preserve {
                import_source: "solid-js".into()
            }
        );
        // A Next.js-style React tsconfig: `@vitejs/plugin-react`'s job, hotloop's own.
        assert_eq!(
            script_config(&options(r#"{"jsx":"preserve"}"#)).jsx,
            automatic("react")
        );
        assert_eq!(
            script_config(&options(r#"{"jsx":"react"}"#)).jsx,
            Jsx::Classic {
                factory: "React.createElement".into(),
                fragment_factory: "React.Fragment".into()
            }
        );
        assert_eq!(
            script_config(&options(
                r#"{"jsxFactory":"h","jsxFragmentFactory":"Fragment"}"#
            ))
            .jsx,
            Jsx::Classic {
                factory: "h".into(),
                fragment_factory: "Fragment".into()
            }
        );
    }

    #[test]
    fn unused_imports_go_unless_the_tsconfig_keeps_them() {
        let imports = |json: &str| script_config(&options(json)).imports;
        assert_eq!(imports("{}"), ImportElision::Unused);
        assert_eq!(
            imports(r#"{"verbatimModuleSyntax":true}"#),
            ImportElision::Verbatim
        );
        assert_eq!(
            imports(r#"{"preserveValueImports":true}"#),
            ImportElision::Verbatim
        );
        assert_eq!(
            imports(r#"{"importsNotUsedAsValues":"preserve"}"#),
            ImportElision::UnusedBindings
        );
        assert_eq!(
            imports(r#"{"verbatimModuleSyntax":false,"importsNotUsedAsValues":"remove"}"#),
            ImportElision::Unused
        );
    }

    #[test]
    fn class_fields_follow_the_target_unless_set() {
        let define = |json: &str| script_config(&options(json)).use_define_for_class_fields;
        assert!(!define("{}"));
        assert!(!define(r#"{"target":"ES2021"}"#));
        assert!(define(r#"{"target":"ES2022"}"#));
        assert!(define(r#"{"target":"es2023"}"#));
        assert!(define(r#"{"target":"ESNext"}"#));
        assert!(!define(
            r#"{"target":"esnext","useDefineForClassFields":false}"#
        ));
        assert!(define(r#"{"target":"es5","useDefineForClassFields":true}"#));
        // No tsconfig at all: esbuild's and Vite's `esnext`.
        assert!(ScriptConfig::default().use_define_for_class_fields);
    }

    #[test]
    fn experimental_decorators_are_legacy() {
        let decorators = |json: &str| script_config(&options(json)).decorators;
        assert_eq!(decorators("{}"), Decorators::Standard);
        assert_eq!(
            decorators(r#"{"experimentalDecorators":true}"#),
            Decorators::Legacy {
                emit_metadata: false
            }
        );
        assert_eq!(
            decorators(r#"{"experimentalDecorators":true,"emitDecoratorMetadata":true}"#),
            Decorators::Legacy {
                emit_metadata: true
            }
        );
    }

    #[test]
    fn tsconfig_files_by_name() {
        for name in ["tsconfig.json", "tsconfig.app.json", "tsconfig.node.json"] {
            assert!(is_tsconfig_file(Path::new(name)), "{name}");
        }
        for name in [
            "jsconfig.json",
            "tsconfig.json.bak",
            "package.json",
            "tsconfig",
        ] {
            assert!(!is_tsconfig_file(Path::new(name)), "{name}");
        }
    }
}
