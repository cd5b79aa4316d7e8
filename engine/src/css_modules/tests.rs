use expect_test::{Expect, expect};

use super::*;

/// Renders the factory body, the link stylesheet, the imports and the diagnostics.
#[track_caller]
fn check(id: &str, text: &str, expect: Expect) {
    let out = compile_css_module(id, text, &CssModulesOptions::default(), None, "", &|_| None);
    let mut actual = String::new();
    match (&out.code, &out.stylesheet) {
        (Some(code), Some(stylesheet)) => {
            let body = code
                .strip_prefix(crate::transform::PLAIN_FACTORY_HEADER)
                .and_then(|c| c.strip_suffix("\n})"))
                .unwrap_or(code);
            actual.push_str(&format!("code:{body}\nstylesheet:\n{stylesheet}"));
        }
        (None, None) => actual.push_str("no code\n"),
        _ => panic!("code and stylesheet disagree"),
    }
    for i in &out.imports {
        actual.push_str(&format!("import {} {}:{}\n", i.specifier, i.line, i.column));
    }
    for d in &out.diagnostics {
        actual.push_str(&format!("error {}:{} {}\n", d.line, d.column, d.message));
    }
    expect.assert_eq(&actual);
}

#[test]
fn classes_ids_and_keyframes_are_scoped_and_exported() {
    check(
        "/src/App.module.css",
        r#".button { color: red; animation: spin 1s linear }
.button:hover > .icon, #main { color: blue }
:global(.theme-dark) .button { color: white }
div p { margin: 0 }
@keyframes spin { to { rotate: 360deg } }
"#,
        expect![[r#"
            code:
            module.exports = $meta.cssModule(".App-module_rJKX5q_button {\n  color: red;\n  animation: 1s linear App-module_rJKX5q_spin;\n}\n\n.App-module_rJKX5q_button:hover > .App-module_rJKX5q_icon, #App-module_rJKX5q_main {\n  color: #00f;\n}\n\n.theme-dark .App-module_rJKX5q_button {\n  color: #fff;\n}\n\ndiv p {\n  margin: 0;\n}\n\n@keyframes App-module_rJKX5q_spin {\n  to {\n    rotate: 360deg;\n  }\n}\n", {"button": "App-module_rJKX5q_button", "icon": "App-module_rJKX5q_icon", "main": "App-module_rJKX5q_main", "spin": "App-module_rJKX5q_spin"});
            stylesheet:
            .App-module_rJKX5q_button {
              color: red;
              animation: 1s linear App-module_rJKX5q_spin;
            }

            .App-module_rJKX5q_button:hover > .App-module_rJKX5q_icon, #App-module_rJKX5q_main {
              color: #00f;
            }

            .theme-dark .App-module_rJKX5q_button {
              color: #fff;
            }

            div p {
              margin: 0;
            }

            @keyframes App-module_rJKX5q_spin {
              to {
                rotate: 360deg;
              }
            }
        "#]],
    );
}

#[test]
fn composes_from_the_same_file_global_and_another_file() {
    check(
        "/src/card.module.css",
        r#".base { padding: 4px }
.card {
  composes: base;
  composes: reset from global;
  composes: shadow rounded from "./shared.module.css";
  color: red;
}
"#,
        expect![[r#"
            code:
            module.exports = $meta.cssModule(".card-module_q70Lpa_base {\n  padding: 4px;\n}\n\n.card-module_q70Lpa_card {\n  color: red;\n}\n", {"base": "card-module_q70Lpa_base", "card": "card-module_q70Lpa_card card-module_q70Lpa_base reset"}, [["card", require("./shared.module.css"), "shadow"], ["card", require("./shared.module.css"), "rounded"]]);
            stylesheet:
            .card-module_q70Lpa_base {
              padding: 4px;
            }

            .card-module_q70Lpa_card {
              color: red;
            }
            import ./shared.module.css 5:34
        "#]],
    );
}

#[test]
fn imports_and_urls_are_handled_like_plain_css() {
    check(
        "/src/ui/icon.module.css",
        "/* icons */\n@import './tokens.css';\n.icon { background: url(../img/i.svg) }\n",
        expect![[r#"
            code:
            require("./tokens.css");
            module.exports = $meta.cssModule("\n\n.icon-module_mI2XhW_icon {\n  background: url(\"/src/img/i.svg\");\n}\n", {"icon": "icon-module_mI2XhW_icon"});
            stylesheet:
            @import "/src/ui/tokens.css";

            .icon-module_mI2XhW_icon {
              background: url("/src/img/i.svg");
            }
            import ./tokens.css 2:10
        "#]],
    );
}

#[test]
fn names_depend_on_the_file_not_on_its_text() {
    let names = |id: &str, text: &str| {
        let code = compile_css_module(id, text, &CssModulesOptions::default(), None, "", &|_| None)
            .code
            .unwrap();
        code[code.find("{\"").unwrap()..].to_string()
    };
    let a = names("/src/a.module.css", ".x { color: red }");
    assert_eq!(a, names("/src/a.module.css", ".x { color: blue }"));
    assert_ne!(a, names("/src/b/a.module.css", ".x { color: red }"));
}

#[test]
fn media_queries_keep_their_min_and_max_form() {
    let out = compile_css_module(
        "/src/box.module.css",
        "@media (max-width: 600px) { .box { color: red } }\n@media (400px <= width <= 700px) { .box { color: blue } }\n",
        &CssModulesOptions::default(),
        None,
        "",
        &|_| None,
    );
    assert_eq!(out.diagnostics, []);
    let sheet = out.stylesheet.unwrap();
    assert!(sheet.contains("@media (max-width: 600px)"), "{sheet}");
    assert!(
        sheet.contains("@media (min-width: 400px) and (max-width: 700px)"),
        "{sheet}"
    );
}

#[test]
fn grid_lines_and_areas_are_scoped_too() {
    let out = compile_css_module(
        "/src/grid.module.css",
        ".page { grid-template-areas: \"head\"; grid-column: main-start / main-end }\n.top { grid-area: head }\n",
        &CssModulesOptions::default(),
        None,
        "",
        &|_| None,
    );
    assert_eq!(out.diagnostics, []);
    let code = out.code.unwrap();
    assert!(code.contains("grid-area: grid-module_"), "{code}");
    assert!(code.contains("_main-start /"), "{code}");
}

/// The exports are listed as postcss-modules (Vite's default) lists them for
/// `Object.keys(styles)`: the names selectors use, by their first rule, then keyframes; a
/// convention's alias right after its name. Alphabetical order said `alpha` first.
#[test]
fn names_are_listed_in_the_order_the_stylesheet_uses_them() {
    let out = compile_css_module(
        "/src/List.module.css",
        ".zeta { animation: fade 1s }\n.alpha-one { color: red }\n.zeta .mid, #root { color: blue }\n\
         @keyframes fade { to { opacity: 0 } }\n.zeta-two { color: green }\n",
        &CssModulesOptions {
            pattern: Some(scoped_name_pattern("[local]_x").unwrap()),
            locals_convention: LocalsConvention::CamelCase,
            ..CssModulesOptions::default()
        },
        None,
        "",
        &|_| None,
    );
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let code = out.code.unwrap();
    assert!(
        code.contains(
            r#"{"zeta": "zeta_x", "alpha-one": "alpha-one_x", "alphaOne": "alpha-one_x", "mid": "mid_x", "root": "root_x", "zeta-two": "zeta-two_x", "zetaTwo": "zeta-two_x", "fade": "fade_x"}"#
        ),
        "{code}"
    );
}

#[test]
fn errors_name_the_line() {
    // A rule lightningcss cannot keep: reported, the rest still compiles.
    check(
        "/src/a.module.css",
        ".ok { color: red }\n.bad:hoverr { color: blue }\n.fine { color: green }\n",
        expect![[r#"
            code:
            module.exports = $meta.cssModule(".a-module_sJZfGG_ok {\n  color: red;\n}\n\n.a-module_sJZfGG_bad:hoverr {\n  color: #00f;\n}\n\n.a-module_sJZfGG_fine {\n  color: green;\n}\n", {"ok": "a-module_sJZfGG_ok", "bad": "a-module_sJZfGG_bad", "fine": "a-module_sJZfGG_fine"});
            stylesheet:
            .a-module_sJZfGG_ok {
              color: red;
            }

            .a-module_sJZfGG_bad:hoverr {
              color: #00f;
            }

            .a-module_sJZfGG_fine {
              color: green;
            }
            error 2:6 'hoverr' is not recognized as a valid pseudo-class. Did you mean '::hoverr' (pseudo-element) or is this a typo?
        "#]],
    );
    // `composes` where it cannot apply: no code, the page keeps the last good version.
    check(
        "/src/a.module.css",
        ".ok { color: red }\n.a .b { composes: ok; }\n",
        expect![[r#"
            no code
            error 2:18 `composes` only works in a rule whose selector is a single class: move it into a `.name { composes: other; }` rule
        "#]],
    );
    check(
        "/src/a.module.css",
        ".ok { color: red }\n.a { &:hover { composes: ok; } }\n",
        expect![[r#"
            no code
            error 2:25 `composes` cannot be used inside a nested rule: move it into a top-level `.name { composes: other; }` rule
        "#]],
    );
}

#[test]
fn only_module_stylesheets_are_css_modules() {
    for (name, is) in [
        ("App.module.css", true),
        ("a.b.MODULE.CSS", true),
        (".module.css", false),
        ("App.css", false),
        ("module.css", false),
        ("App.module.scss", true),
        ("App.module.less", true),
        ("App.scss", false),
        ("App.module.js", false),
        (".module.scss", false),
    ] {
        assert_eq!(is_css_module(Path::new(name)), is, "{name}");
    }
}

/// A `*.module.scss` as the plugin host hands it over: Sass's CSS ending with Sass's map.
fn sass_output_with_map() -> String {
    use base64::Engine as _;
    let scss =
        "$green: rgb(0, 128, 0);\n\n.title {\n  color: $green;\n  &.big { font-size: 40px; }\n}\n";
    let css = ".title {\n  color: rgb(0, 128, 0);\n}\n.title.big {\n  font-size: 40px;\n}\n";
    let mut builder = swc_sourcemap::SourceMapBuilder::new(None);
    let source = builder.add_source("/src/Card.module.scss".into());
    builder.set_source_contents(source, Some(scss.into()));
    // `.title {` (css line 0) ← scss line 2; `.title.big {` (css line 3) ← `&.big` (scss line 4).
    builder.add_raw(0, 0, 2, 0, Some(source), None, false);
    builder.add_raw(1, 2, 3, 2, Some(source), None, false);
    builder.add_raw(3, 0, 4, 2, Some(source), None, false);
    builder.add_raw(4, 2, 4, 10, Some(source), None, false);
    let mut json = Vec::new();
    builder.into_sourcemap().to_writer(&mut json).unwrap();
    format!(
        "{css}/*# sourceMappingURL=data:application/json;base64,{} */\n",
        base64::engine::general_purpose::STANDARD.encode(json)
    )
}

/// The map a served text ends with, decoded.
fn trailing_map(text: &str) -> swc_sourcemap::SourceMap {
    use base64::Engine as _;
    let at = text
        .rfind("/*# sourceMappingURL=data:application/json;base64,")
        .expect("a map comment");
    let b64 = text[at..]
        .trim_start_matches("/*# sourceMappingURL=data:application/json;base64,")
        .trim_end()
        .trim_end_matches("*/")
        .trim_end();
    let json = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    swc_sourcemap::SourceMap::from_slice(&json).unwrap()
}

#[test]
fn a_compiled_module_keeps_its_map_to_the_original_through_the_pass() {
    let out = compile_css_module(
        "/src/Card.module.scss",
        &sass_output_with_map(),
        &CssModulesOptions::default(),
        None,
        "",
        &|_| None,
    );
    for text in [
        out.stylesheet.as_deref().unwrap(),
        out.style.as_deref().unwrap(),
    ] {
        let map = trailing_map(text);
        let line = text
            .lines()
            .position(|l| l.contains("_big {"))
            .expect("the scoped `.big` rule") as u32;
        let token = map
            .lookup_token(line, 0)
            .expect("a mapping on the rule's line");
        assert_eq!(token.get_src_line(), 4, "the `&.big` line of the .scss");
        assert_eq!(
            token.get_source().map(|s| s.to_string()).as_deref(),
            Some("/src/Card.module.scss")
        );
        assert_eq!(
            map.get_source_contents(0).map(|c| c.to_string()),
            Some("$green: rgb(0, 128, 0);\n\n.title {\n  color: $green;\n  &.big { font-size: 40px; }\n}\n".to_string())
        );
    }
}

#[test]
fn a_plain_module_has_no_map() {
    let out = compile_css_module(
        "/src/App.module.css",
        ".a { color: red }\n",
        &CssModulesOptions::default(),
        None,
        "",
        &|_| None,
    );
    assert!(!out.stylesheet.unwrap().contains("sourceMappingURL"));
}

#[test]
fn locals_conventions_as_postcss_modules_names_them() {
    for (name, camel, dashes) in [
        ("foo-bar", "fooBar", "fooBar"),
        ("foo_bar-baz", "fooBarBaz", "foo_barBaz"),
        ("FooBar", "fooBar", "FooBar"),
        ("XMLHttp", "xmlHttp", "XMLHttp"),
        ("btn--primary", "btnPrimary", "btnPrimary"),
        ("a2b", "a2B", "a2b"),
        ("plain", "plain", "plain"),
    ] {
        assert_eq!(camel_case(name), camel, "{name}");
        assert_eq!(dashes_camel_case(name), dashes, "{name}");
    }
}

#[test]
fn generate_scoped_name_strings_become_lightningcss_patterns() {
    assert_eq!(
        scoped_name_pattern("[name]__[local]___[hash:base64:5]").unwrap(),
        "[name]__[local]___[hash]"
    );
    assert_eq!(scoped_name_pattern("my-[local]").unwrap(), "my-[local]");
    let error = scoped_name_pattern("[path][name]__[local]").unwrap_err();
    assert!(error.contains("[path]"), "{error}");
}

/// A pattern without `[local]` (`[hash:base64:6]`) names each class by a hash of the file and
/// the class, of the pattern's length, as postcss-modules does: lightningcss's `[hash]` is the
/// file's alone, and every class of a file had one name (`.title` styled by `.box`'s rules).
#[test]
fn a_pattern_without_local_hashes_each_name_apart() {
    let compile = |pattern: &str, id: &str| {
        let options = CssModulesOptions {
            pattern: Some(scoped_name_pattern(pattern).unwrap()),
            ..CssModulesOptions::default()
        };
        let out = compile_css_module(
            id,
            ".title { color: red }\n.box { composes: title; color: blue }\n@keyframes spin { to { opacity: 0 } }\n",
            &options,
            None,
            "",
            &|_| None,
        );
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        (
            out.code.unwrap().to_string(),
            out.stylesheet.unwrap().to_string(),
        )
    };
    let names = |code: &str| -> Vec<String> {
        let call = &code[code.find("$meta.cssModule(").unwrap()..];
        let object = &call[call.find("\", {").unwrap() + 3..];
        let object = &object[..object.find('}').unwrap() + 1];
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(object).unwrap();
        ["box", "title", "spin"]
            .iter()
            .map(|k| map[*k].as_str().unwrap().to_string())
            .collect()
    };
    let (code, sheet) = compile("[hash:base64:6]", "/src/a.module.css");
    let [boxed, title, spin] = <[String; 3]>::try_from(names(&code)).unwrap();
    assert_ne!(title, spin);
    assert!(boxed.starts_with(&format!("{} ", boxed.split(' ').next().unwrap())));
    let own = boxed.split(' ').next().unwrap();
    assert_ne!(own, title, "each class a name of its own: {code}");
    assert!(
        boxed.ends_with(&format!(" {title}")),
        "composes keeps the title's name: {boxed}"
    );
    // (`_` goes in front of a hash that starts with a digit or `-`.)
    let of_length =
        |name: &str, n: usize| name.len() == n || (name.len() == n + 1 && name.starts_with('_'));
    for name in [own, title.as_str(), spin.as_str()] {
        assert!(of_length(name, 6), "{name}");
        assert!(sheet.contains(name), "{name} in {sheet}");
    }
    assert!(!sheet.contains("hlq7H"), "{sheet}");
    // The same file and names give the same names; another file others.
    assert_eq!(
        names(&compile("[hash:base64:6]", "/src/a.module.css").0),
        names(&code)
    );
    assert_ne!(
        names(&compile("[hash:base64:6]", "/src/b.module.css").0),
        names(&code)
    );
    // Its length, and text around it.
    let (code, _) = compile("[name]-[hash:base64:4]", "/src/a.module.css");
    let title = &names(&code)[1];
    let hash = title.strip_prefix("a-module-").unwrap();
    assert!(of_length(hash, 4), "{title}");
}

/// `css.modules`: the config's pattern (grid names left alone when `[local]` does not end
/// it), its `localsConvention` (a composed name looked up as the other module exports it),
/// `globalModulePaths` and `false`.
#[test]
fn css_modules_options_from_the_config() {
    let options = CssModulesOptions {
        pattern: Some(scoped_name_pattern("[local]__[name]").unwrap()),
        locals_convention: LocalsConvention::CamelCaseOnly,
        ..CssModulesOptions::default()
    };
    let out = compile_css_module(
        "/src/App.module.css",
        ".top-bar { composes: big-text from './type.module.css'; grid-area: head }\n\
         .page { grid-template-areas: \"head\" }\n",
        &options,
        None,
        "",
        &|_| None,
    );
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let code = out.code.unwrap();
    assert!(
        code.contains(r#"{"topBar": "top-bar__App-module", "page": "page__App-module"}"#),
        "{code}"
    );
    assert!(
        code.contains(r#"[["topBar", require("./type.module.css"), "bigText"]]"#),
        "{code}"
    );
    assert!(out.stylesheet.unwrap().contains("grid-area: head"));

    let both = CssModulesOptions {
        locals_convention: LocalsConvention::Dashes,
        ..CssModulesOptions::default()
    };
    let code = compile_css_module(
        "/src/A.module.css",
        ".a-b { color: red }",
        &both,
        None,
        "",
        &|_| None,
    )
    .code
    .unwrap();
    assert!(code.contains(r#""a-b": "A-module_"#), "{code}");
    assert!(code.contains(r#""aB": "A-module_"#), "{code}");

    let path = std::path::Path::new("/p/src/vendor/x.module.css");
    assert!(CssModulesOptions::default().applies_to(path));
    let global = CssModulesOptions {
        global_module_paths: ["/vendor/".to_string()].into(),
        ..CssModulesOptions::default()
    };
    assert!(!global.applies_to(path));
    assert!(global.applies_to(std::path::Path::new("/p/src/x.module.css")));
    let off = CssModulesOptions {
        enabled: false,
        ..CssModulesOptions::default()
    };
    assert!(!off.applies_to(std::path::Path::new("/p/src/x.module.css")));
}

/// A plugin's sub-module (a `.vue` file's `<style module>`) is named after its file, not its
/// query: the names are valid in a selector (`querySelector('.' + styles.title)`).
#[test]
fn a_style_blocks_names_come_from_its_file_without_the_query() {
    let out = compile_css_module(
        "/src/App.vue?vue&type=style&index=0&lang.module.css",
        ".title { color: red }\n",
        &CssModulesOptions::default(),
        None,
        "",
        &|_| None,
    );
    let code = out.code.expect("compiles");
    let start = code.find("\"title\":").expect("exports title") + "\"title\":".len();
    let name = code[start..].trim_start_matches([' ', '"']);
    let name = &name[..name.find('"').expect("a string")];
    assert!(
        name.starts_with("App_") && name.ends_with("_title"),
        "{name}"
    );
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "{name}"
    );
}

/// A file being typed: a stray `{` in a value, a declaration without its colon, a block left
/// open. lightningcss would drop what it cannot read (and with it the names of the rules it
/// drops, so the page's elements lose their classes); the page keeps the last good version and
/// the overlay says what is wrong, as under Vite's PostCSS.
#[test]
fn broken_syntax_keeps_the_last_good_version() {
    check(
        "/src/a.module.css",
        ".btn {\n  padding: 8px;\n  color: {{ broken\n}\n.box { border: 1px solid blue }\n",
        expect![[r#"
            no code
            error 3:10 Unclosed block: a `{` without its `}`
        "#]],
    );
    check(
        "/src/a.module.css",
        ".btn {\n  padding 8px;\n}\n",
        expect![[r#"
            no code
            error 2:10 Unexpected `8px`
        "#]],
    );
    check(
        "/src/a.module.css",
        ".btn {\n  padding: 8px;\n  .inner {\n}\n.box { border: 1px solid blue }\n",
        expect![[r#"
            no code
            error 1:6 Unclosed block: a `{` without its `}`
        "#]],
    );
    check(
        "/src/a.module.css",
        ".btn { color: red }\n}\n",
        expect![[r#"
            no code
            error 2:1 Unexpected `}`: it closes no block
        "#]],
    );
    check(
        "/src/a.module.css",
        ".btn { content: \"open }\n",
        expect![[r#"
            no code
            error 1:17 Unclosed string: a quote without its pair
        "#]],
    );
    check(
        "/src/a.module.css",
        ".btn { color: red }\n/* a note\n",
        expect![[r#"
            no code
            error 2:1 Unclosed comment: a `/*` without its `*/`
        "#]],
    );
    // Braces, quotes and brackets inside strings, comments and escapes are text.
    check(
        "/src/a.module.css",
        ".a\\{b { content: \"}{\" } /* } { */\n.c[title='x]'] { color: red }\n",
        expect![[r#"
            code:
            module.exports = $meta.cssModule(".a-module_sJZfGG_a\\{b {\n  content: \"}{\";\n}\n\n.a-module_sJZfGG_c[title=\"x]\"] {\n  color: red;\n}\n", {"a{b": "a-module_sJZfGG_a{b", "c": "a-module_sJZfGG_c"});
            stylesheet:
            .a-module_sJZfGG_a\{b {
              content: "}{";
            }

            .a-module_sJZfGG_c[title="x]"] {
              color: red;
            }
        "#]],
    );
}
