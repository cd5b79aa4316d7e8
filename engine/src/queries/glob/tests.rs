use super::*;
use crate::testing::TempProject;

fn glob(patterns: &[&str]) -> GlobImport {
    GlobImport {
        patterns: patterns.iter().map(|p| p.to_string()).collect(),
        eager: false,
        import: None,
        query: None,
        base: None,
        exhaustive: false,
        line: 1,
        column: 1,
    }
}

/// A temp project with `files`, each holding `x`.
fn project(files: &[&str]) -> TempProject {
    let files: Vec<(&str, &str)> = files.iter().map(|f| (*f, "x")).collect();
    TempProject::from_files(&files)
}

fn listed(root: &Path, importer: &str, glob: &GlobImport) -> Vec<(String, String)> {
    list_matches(root, &root.join(importer), glob)
        .into_iter()
        .map(|m| (m.key.to_string(), m.specifier.to_string()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, s)| (k.to_string(), s.to_string()))
        .collect()
}

#[test]
fn relative_patterns_key_files_from_the_importer_sorted() {
    let dir = project(&[
        "src/main.ts",
        "src/pages/b.tsx",
        "src/pages/a.tsx",
        "src/pages/nested/c.tsx",
        "src/pages/notes.md",
        "src/pages/.hidden/d.tsx",
        "src/pages/node_modules/e.tsx",
        "lib/shared.ts",
    ]);
    let root = dir.root();
    assert_eq!(
        listed(root, "src/main.ts", &glob(&["./pages/*.tsx"])),
        pairs(&[
            ("./pages/a.tsx", "./pages/a.tsx"),
            ("./pages/b.tsx", "./pages/b.tsx"),
        ])
    );
    assert_eq!(
        listed(
            root,
            "src/main.ts",
            &glob(&["./pages/**/*.tsx", "!./pages/b.tsx"])
        ),
        pairs(&[
            ("./pages/a.tsx", "./pages/a.tsx"),
            ("./pages/nested/c.tsx", "./pages/nested/c.tsx"),
        ])
    );
    assert_eq!(
        listed(root, "src/main.ts", &glob(&["../lib/*.ts"])),
        pairs(&[("../lib/shared.ts", "../lib/shared.ts")])
    );
    // Braces, and the importer itself is never its own match.
    assert_eq!(
        listed(
            root,
            "src/main.ts",
            &glob(&["./*.ts", "./pages/*.{md,txt}"])
        ),
        pairs(&[("./pages/notes.md", "./pages/notes.md")])
    );
}

#[test]
fn dot_directories_and_node_modules_need_exhaustive() {
    let dir = project(&[
        "src/main.ts",
        "src/pages/a.tsx",
        "src/pages/.hidden/d.tsx",
        "src/pages/node_modules/e.tsx",
    ]);
    let root = dir.root();
    let keys = |g: &GlobImport| -> Vec<String> {
        listed(root, "src/main.ts", g)
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(keys(&glob(&["./pages/**/*.tsx"])), ["./pages/a.tsx"]);
    let exhaustive = GlobImport {
        exhaustive: true,
        ..glob(&["./pages/**/*.tsx"])
    };
    assert_eq!(
        keys(&exhaustive),
        [
            "./pages/.hidden/d.tsx",
            "./pages/a.tsx",
            "./pages/node_modules/e.tsx"
        ]
    );
    // Named explicitly, a dot directory is searched.
    assert_eq!(
        keys(&glob(&["./pages/.hidden/*.tsx"])),
        ["./pages/.hidden/d.tsx"]
    );
}

#[test]
fn root_patterns_key_from_the_root_and_base_rebases_keys() {
    let dir = project(&["src/main.ts", "src/pages/a.tsx", "docs/intro.md"]);
    let root = dir.root();
    assert_eq!(
        listed(root, "src/main.ts", &glob(&["/docs/*.md"])),
        pairs(&[("/docs/intro.md", "../docs/intro.md")])
    );
    let based = GlobImport {
        base: Some("./pages".into()),
        ..glob(&["./*.tsx"])
    };
    assert_eq!(
        listed(root, "src/main.ts", &based),
        pairs(&[("./a.tsx", "./pages/a.tsx")])
    );
    let raw = GlobImport {
        query: Some("?raw".into()),
        ..glob(&["/docs/*.md"])
    };
    assert_eq!(
        listed(root, "src/main.ts", &raw),
        pairs(&[("/docs/intro.md", "../docs/intro.md?raw")])
    );
    // A directory that does not exist matches nothing.
    assert_eq!(listed(root, "src/main.ts", &glob(&["./nope/*.ts"])), []);
}
