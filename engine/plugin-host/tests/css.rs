//! Vite's CSS pipeline in the host (`js/css.js`), run by the project's own `vite` with the
//! project's own `sass` (real packages, from `tests/npm`): `css.preprocessorOptions`
//! (`additionalData`), `@use` of a partial reported as a watch file, a Sass error with its
//! file and line under the `hotloop:css` plugin's name (a partial's error naming the partial), a
//! `*.module.scss` left for hotloop's CSS Modules pass, the map with its sources' text, a
//! missing compiler named, and a plugin's own `preprocessCSS` resolving Sass partials.

mod support;

use hotloop_protocol::plugin::Plugins;
use support::{Project, ensure_npm_packages, start};

const CONFIG: &str = r#"
export default {
  css: { preprocessorOptions: { scss: { additionalData: '$accent: #00ff00;' } } },
}
"#;

fn project() -> Project {
    let modules = ensure_npm_packages();
    let p = Project::new(&[
        ("vite.config.js", CONFIG),
        ("package.json", r#"{"type":"module"}"#),
        ("src/_vars.scss", "$size: 20px;\n"),
        (
            "src/style.scss",
            "@use 'vars';\n.card { color: $accent; padding: vars.$size; }\n",
        ),
        ("src/theme.less", "@c: red;\n.a { color: @c; }\n"),
    ]);
    std::os::unix::fs::symlink(&modules, p.root().join("node_modules")).expect("link node_modules");
    p
}

#[test]
fn scss_compiles_with_the_projects_sass_and_options_and_reports_its_partials() {
    let p = project();
    let (host, config) = start(&p, "vite.config.js");
    assert!(
        config.unsupported.is_empty(),
        "css.preprocessorOptions is honoured: {:?}",
        config.unsupported
    );
    let style = p.path("src/style.scss");
    let text = std::fs::read_to_string(&style).unwrap();
    // Decided in Rust: a `.scss` file is the CSS pipeline's, a `.css` one (no PostCSS
    // config) and a script are not.
    assert!(host.wants_transform(&style, &text));
    assert!(!host.wants_transform(&p.path("src/a.css"), ".a{}"));
    assert!(!host.wants_transform(&p.path("src/main.ts"), "export {}"));
    let out = host.transform(&style, &text).unwrap().expect("compiled");
    assert!(out.code.contains("color: #00ff00"), "{}", out.code);
    assert!(out.code.contains("padding: 20px"), "{}", out.code);
    let partial = std::fs::canonicalize(p.root().join("src/_vars.scss")).unwrap();
    assert!(
        out.watch_files
            .iter()
            .any(|f| std::fs::canonicalize(f).ok().as_ref() == Some(&partial)),
        "the partial is watched: {:?}",
        out.watch_files
    );

    let broken = ".card { color: $accent; }}\n";
    let error = host.transform(&style, broken).unwrap_err();
    assert_eq!(error.plugin, "hotloop:css");
    assert!(error.message.contains("unmatched"), "{error}");
    assert_eq!(error.loc.map(|(line, _)| line), Some(1), "{error}");
}

#[test]
fn a_missing_preprocessor_is_named() {
    let p = project();
    let (host, _) = start(&p, "vite.config.js");
    let less = p.path("src/theme.less");
    let error = host
        .transform(&less, "@c: red;\n.a { color: @c; }\n")
        .unwrap_err();
    assert_eq!(error.plugin, "hotloop:css");
    assert!(error.message.contains("less"), "{error}");
}

#[test]
fn a_module_scss_is_left_unscoped_and_a_partials_error_names_the_partial() {
    let p = project();
    let (host, _) = start(&p, "vite.config.js");
    // hotloop's own CSS Modules pass scopes the names after this one, as for a `.module.css`.
    let module = p.path("src/card.module.scss");
    let out = host
        .transform(&module, ".title { color: $accent; }\n")
        .unwrap()
        .expect("compiled");
    assert!(out.code.contains(".title {"), "{}", out.code);
    // The map back to the source, with the source's text for devtools.
    let map: serde_json::Value =
        serde_json::from_str(out.map.as_deref().expect("a map")).expect("json");
    let sources = map["sources"].as_array().expect("sources");
    let contents = map["sourcesContent"].as_array().expect("sourcesContent");
    assert_eq!(sources.len(), contents.len(), "{map}");
    assert!(
        contents
            .iter()
            .any(|c| c.as_str() == Some(".title { color: $accent; }\n")),
        "{map}"
    );

    // An error in a partial: its id is the partial, its line the partial's.
    std::fs::write(p.root().join("src/_vars.scss"), "$size: 20px;\n$x: (1px;\n").unwrap();
    let style = p.path("src/style.scss");
    let text = std::fs::read_to_string(&style).unwrap();
    let error = host.transform(&style, &text).unwrap_err();
    let partial = std::fs::canonicalize(p.root().join("src/_vars.scss")).unwrap();
    let id = error.id.as_deref().map(std::path::Path::new);
    assert_eq!(
        id.and_then(|id| std::fs::canonicalize(id).ok()),
        Some(partial),
        "{error}"
    );
    assert_eq!(error.loc.map(|(line, _)| line), Some(2), "{error}");
}

/// A plugin that compiles stylesheets with Vite's exported `preprocessCSS` and the config its
/// environment gives it (@analogjs/vite-plugin-angular's component styles): Vite 8 reads
/// `config.environments.client` there, which the environment's config lacked (it threw, and
/// analog served components without their styles).
#[test]
fn vites_preprocess_css_takes_the_environments_config() {
    let modules = ensure_npm_packages();
    let p = Project::new(&[
        (
            "vite.config.js",
            r#"import { preprocessCSS } from 'vite'
export default {
  plugins: [{
    name: 'component-styles',
    resolveId(id) { if (id === 'virtual:styles') return '\0virtual:styles' },
    async load(id) {
      if (id !== '\0virtual:styles') return
      const { code } = await preprocessCSS('.a { color: red; }', '/src/x.css', this.environment.config)
      return `export default ${JSON.stringify(code)}`
    },
  }],
}
"#,
        ),
        ("package.json", r#"{"type":"module"}"#),
    ]);
    std::os::unix::fs::symlink(&modules, p.root().join("node_modules")).expect("link node_modules");
    let (host, _) = start(&p, "vite.config.js");
    let loaded = host
        .load("\0virtual:styles")
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("loaded");
    assert!(loaded.code.contains("color: red"), "{}", loaded.code);
}

/// A component's `<style lang="scss">` compiled by Vite's exported `preprocessCSS` with the
/// config the plugins were given (vite-plugin-svelte's `vitePreprocess`), before any `.scss`
/// file went through `hotloop:css`: its `@use` of a partial (`_theme.scss` for `'theme'`)
/// resolves with Vite's Sass resolver (its `createResolver` options), and so does a `.scss`
/// file's after it. Vite's in-process Sass compiler keeps the resolvers of the first config that
/// compiled Sass, so the shim's, which resolved as a script (no `_` prefix, no `.scss`), made
/// that `@use` and every later one fail with "Can't find stylesheet to import".
#[test]
fn a_components_sass_compiled_first_with_the_plugins_config_resolves_partials() {
    let modules = ensure_npm_packages();
    let p = Project::new(&[
        (
            "vite.config.js",
            r#"import { preprocessCSS } from 'vite'
let config
export default {
  plugins: [{
    name: 'component-styles',
    configResolved(c) { config = c },
    async transform(code, id) {
      if (!id.endsWith('.comp')) return
      const { code: css } = await preprocessCSS(code, `${id}.scss`, config)
      return `export default ${JSON.stringify(css)}`
    },
  }],
}
"#,
        ),
        ("package.json", r#"{"type":"module"}"#),
        ("src/styles/_theme.scss", "$brand: rgb(255, 62, 0);\n"),
        (
            "src/lib/Card.comp",
            "@use '../styles/theme' as t;\n.card { color: t.$brand; }\n",
        ),
        (
            "src/main.scss",
            "@use 'styles/theme';\nbody { color: theme.$brand; }\n",
        ),
    ]);
    std::os::unix::fs::symlink(&modules, p.root().join("node_modules")).expect("link node_modules");
    let (host, _) = start(&p, "vite.config.js");
    let card = p.path("src/lib/Card.comp");
    let text = std::fs::read_to_string(&card).unwrap();
    let out = host
        .transform(&card, &text)
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("compiled");
    assert!(out.code.contains("color: rgb(255, 62, 0)"), "{}", out.code);
    let main = p.path("src/main.scss");
    let text = std::fs::read_to_string(&main).unwrap();
    let out = host
        .transform(&main, &text)
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("compiled");
    assert!(out.code.contains("color: rgb(255, 62, 0)"), "{}", out.code);
}

/// With a PostCSS config, PostCSS's `@import` inlines a plain stylesheet's imports; a relative
/// `url()` of an imported file is made relative to the importing one, as Vite's pipeline
/// rewrites it from the declaration's own file (hotloop resolves the stylesheet's URLs from the
/// importing file afterwards: `../../assets/hero.png` of `styles/partials/card.css` pointed two
/// directories too high, a silent 404). The importing file's own URLs, absolute ones and
/// `data:` stay as written.
#[test]
fn postcss_imports_keep_their_relative_urls_pointing_at_the_same_files() {
    let modules = ensure_npm_packages();
    let p = Project::new(&[
        ("vite.config.js", "export default {}\n"),
        ("package.json", r#"{"type":"module"}"#),
        ("postcss.config.js", "export default { plugins: [] }\n"),
        (
            "src/styles/main.css",
            "@import './partials/card.css';\n.own { background: url('../assets/own.png'); }\n",
        ),
        (
            "src/styles/partials/card.css",
            ".card { background-image: url('../../assets/hero.png'); }\n\
             .abs { background: url(/logo.svg); }\n\
             .data { background: url(\"data:image/png;base64,AA==\"); }\n",
        ),
    ]);
    std::os::unix::fs::symlink(&modules, p.root().join("node_modules")).expect("link node_modules");
    let (host, _) = start(&p, "vite.config.js");
    let main = p.path("src/styles/main.css");
    let text = std::fs::read_to_string(&main).unwrap();
    assert!(
        host.wants_transform(&main, &text),
        "PostCSS takes plain CSS"
    );
    let out = host.transform(&main, &text).unwrap().expect("processed");
    assert!(
        out.code.contains("url('../assets/hero.png')"),
        "{}",
        out.code
    );
    assert!(
        out.code.contains("url('../assets/own.png')"),
        "{}",
        out.code
    );
    assert!(out.code.contains("url(/logo.svg)"), "{}", out.code);
    assert!(
        out.code.contains("url(\"data:image/png;base64,AA==\")"),
        "{}",
        out.code
    );
}

/// An `@use` of a partial that is not there yet compiles once the partial is created: Vite's
/// CSS resolvers (Sass's `@use`, CSS `@import`) are Rolldown's, which keep what they found on
/// disk unless the dev server's watcher clears it; hotloop's config for them has no watcher, so
/// the error stayed after the file came, and after every save of the stylesheet, until a
/// restart (the overlay saying "no such file" of a file that is there).
#[test]
fn a_partial_created_after_a_failed_use_is_found() {
    let p = project();
    let (host, _) = start(&p, "vite.config.js");
    let style = p.path("src/later.scss");
    let text = "@use 'later' as l;\n.x { width: l.$w; }\n";
    let error = host.transform(&style, text).unwrap_err();
    assert_eq!(error.plugin, "hotloop:css");
    assert!(error.message.contains("find stylesheet"), "{error}");
    std::fs::write(p.root().join("src/_later.scss"), "$w: 3px;\n").unwrap();
    let out = host.transform(&style, text).unwrap().expect("compiled");
    assert!(out.code.contains("width: 3px"), "{}", out.code);
}

/// A PostCSS error (`hotloop:css` with a PostCSS config: Tailwind CSS v3's, a `.vue` style
/// block's syntax error) says PostCSS's reason; its place is the error's `loc`. Vite's message
/// also starts with `<id>:<line>:<column>: `, the block's (a query id, a line in the block,
/// not the file's: "GenericList.vue?vue&type=style&index=0&scoped=…&lang.css:2:1: Unclosed
/// block" under an error placed at the file's line 11).
#[test]
fn a_postcss_error_says_its_reason_at_its_place() {
    let modules = ensure_npm_packages();
    let p = Project::new(&[
        ("vite.config.js", "export default {}\n"),
        ("package.json", r#"{"type":"module"}"#),
        // (A plugin, or Vite's pipeline leaves the text to the browser unparsed.)
        (
            "postcss.config.cjs",
            "module.exports = { plugins: [{ postcssPlugin: 'noop', Once() {} }] };\n",
        ),
    ]);
    std::os::unix::fs::symlink(&modules, p.root().join("node_modules")).expect("link node_modules");
    let (host, _) = start(&p, "vite.config.js");
    let style = p.path("src/a.css");
    let error = host
        .transform(&style, ".a { color: red; }\n.b { color: blue;\n")
        .unwrap_err();
    assert_eq!(error.plugin, "hotloop:css");
    assert_eq!(error.message, "[postcss] Unclosed block", "{error}");
    assert_eq!(error.loc, Some((2, 1)), "{error}");
}
