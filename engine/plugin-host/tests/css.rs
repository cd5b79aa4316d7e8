//! Vite's CSS pipeline in the host (`js/css.js`), run by the project's own `vite` with the
//! project's own `sass` (real packages, from `tests/npm`): `css.preprocessorOptions`
//! (`additionalData`), `@use` of a partial reported as a watch file, a Sass error with its
//! file and line under the `hotloop:css` plugin's name, and a missing compiler named.

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
