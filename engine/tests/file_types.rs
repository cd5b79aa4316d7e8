//! A file of a type hotloop does not compile (`.vue`, `.scss`, ...) imported as a module is a
//! build error at the import, naming the importer, the line and what would handle it; its
//! `?raw`/`?url` imports keep working. Through the engine's façade on a real temp project.

use hotloop_engine::{EngineHost, ProjectOptions};

fn write(root: &std::path::Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn an_unhandled_file_type_is_an_error_at_its_import_that_says_what_handles_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "index.html",
        "<!doctype html><script type=module src=/src/main.js></script>",
    );
    write(
        root,
        "src/main.js",
        "import './ok.css';\nimport App from './App.vue';\nimport styles from './theme.scss';\nimport text from './App.vue?raw';\nimport url from './theme.scss?url';\nconsole.log(App, styles, text, url);\n",
    );
    write(root, "src/ok.css", "p { color: red }\n");
    write(root, "src/App.vue", "<template><p>hi</p></template>\n");
    write(root, "src/theme.scss", "$c: red;\np { color: $c }\n");
    let mut host = EngineHost::new(root, ProjectOptions::default()).expect("host");
    let build = host.build();
    let errors: Vec<String> = build
        .diagnostics
        .iter()
        .map(|d| format!("{}:{} {}", d.file, d.line, d.message))
        .collect();
    assert_eq!(
        errors,
        [
            "/src/main.js:2 Cannot resolve './App.vue' from /src/main.js: `.vue` files need \
             `@vitejs/plugin-vue` in vite.config; without it, hotloop compiles JS, TS, JSX, CSS, \
             CSS Modules and JSON (`?raw` and `?url` imports of any file work)",
            "/src/main.js:3 Cannot resolve './theme.scss' from /src/main.js: `.scss` files need \
             the `sass` package (npm install -D sass vite: hotloop runs it through Vite's CSS \
             pipeline); without it, hotloop compiles JS, TS, JSX, CSS, CSS Modules and JSON \
             (`?raw` and `?url` imports of any file work)",
        ]
    );
    // The `?raw` and `?url` variants are modules of their own.
    let ids: Vec<&str> = build.graph().modules.iter().map(|m| &*m.id).collect();
    assert!(ids.contains(&"/src/App.vue?raw"), "{ids:?}");
    assert!(ids.contains(&"/src/theme.scss?url"), "{ids:?}");
    assert!(!ids.contains(&"/src/App.vue"), "{ids:?}");
}
