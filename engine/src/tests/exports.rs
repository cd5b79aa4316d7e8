//! Names imported that their module does not export (`queries::exports`): reported at the
//! import as the browser would refuse them, never `undefined` in silence; and what an edit of
//! the exporting module costs its importers.

use expect_test::expect;

use crate::testing::{check, sent_modules as sent};

const HTML: &str = "//- /index.html\n<!doctype html>\n<html>\n<head>\n<title>t</title>\n</head>\n<body>\n<script type=\"module\" src=\"/src/main.ts\"></script>\n</body>\n</html>\n";

fn project(files: &str) -> String {
    [HTML, files].concat()
}

#[test]
fn each_name_a_module_does_not_export_is_an_error_at_its_import() {
    check(
        &project(
            r#"
//- /src/main.ts
import { a, nope } from './a';
import B from './b';
import { Card } from './card';
import { fromStar, alsoMissing } from './barrel';
import { version } from './data.json';
import { anything } from './legacy.js';
import type { Shape } from './types';
import { type Other, a as again } from './a';
export { gone } from './a';
console.log(a, nope, B, Card, fromStar, alsoMissing, version, anything, again);
//- /src/a.ts
export function a() { return 1; }
export const label = 'a';
export interface Shape { x: number }
//- /src/b.ts
export const b = 1;
//- /src/card.ts
export default function Card() {}
//- /src/barrel.ts
export * from './inner';
export * from './barrel';
export * from './b';
export * from './card';
export { label as renamed } from './a';
//- /src/inner.ts
export const fromStar = 1;
export default 'never through *';
//- /src/data.json
{ "version": "1.0.0" }
//- /src/legacy.js
module.exports = { anything: 1 };
//- /src/types.ts
export type Shape = { x: number };
export type Other = string;
"#,
        ),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.ts -> /src/a.ts /src/b.ts /src/card.ts /src/barrel.ts /src/data.json /src/legacy.js
                /src/a.ts
                /src/b.ts
                /src/card.ts: self
                /src/barrel.ts -> /src/inner.ts /src/barrel.ts /src/b.ts /src/card.ts /src/a.ts
                /src/data.json
                /src/legacy.js
                /src/inner.ts
              diagnostics:
                Resolve /src/main.ts:1:25: The requested module './a' does not provide an export named 'nope': it exports 'a', 'label'
                Resolve /src/main.ts:2:15: The requested module './b' does not provide an export named 'default': it has no default export; did you mean `import { b } from './b'`?
                Resolve /src/main.ts:3:22: The requested module './card' does not provide an export named 'Card': it has only a default export; did you mean `import Card from './card'`?
                Resolve /src/main.ts:4:39: The requested module './barrel' does not provide an export named 'alsoMissing': it exports 'renamed', and what `export * from './inner', './barrel', './b' and 1 more` brings
                Resolve /src/main.ts:9:22: The requested module './a' does not provide an export named 'gone': it exports 'a', 'label'
        "#]],
    );
}

#[test]
fn an_export_removed_is_an_error_in_its_importers_and_putting_it_back_clears_it() {
    let mut p = check(
        &project(
            r#"
//- /src/main.ts
import { shout } from './barrel';
import { a } from './a';
console.log(a(), shout('x'));
//- /src/a.ts
export function a() { return 1; }
//- /src/barrel.ts
export * from './text';
//- /src/text.ts
export function shout(s: string) { return s.toUpperCase(); }
"#,
        ),
        &[
            // A body edit leaves the exports alone: no importer is looked at.
            "//- /src/a.ts\nexport function a() { return 2; }\n",
            // Renamed behind a barrel: the importer of the barrel hears of it.
            "//- /src/text.ts\nexport function yell(s: string) { return s.toUpperCase(); }\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.ts -> /src/barrel.ts /src/a.ts
                /src/barrel.ts -> /src/text.ts
                /src/a.ts
                /src/text.ts
            edit /src/a.ts
              applied: files [/src/a.ts]
              queries:
                chunk_entry: ran /src/a.ts
                emitted_module: ran /src/a.ts
                hot_meta: ran /src/a.ts
                import_specifiers: reused /src/a.ts
                module_deps: reused /src/a.ts
                module_diagnostics: ran /src/a.ts
                module_imports: ran /src/a.ts
                parsed_module: ran /src/a.ts
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/a.ts
              changed: /src/a.ts
              plan: reload: /src/a.ts changed and no module accepts it (via /src/a.ts <- /src/main.ts)
            edit /src/text.ts
              applied: files [/src/text.ts]
              queries:
                chunk_entry: ran /src/text.ts
                emitted_module: ran /src/text.ts
                hot_meta: ran /src/text.ts
                import_specifiers: reused /src/barrel.ts /src/main.ts /src/text.ts
                module_deps: reused /src/text.ts
                module_diagnostics: ran /src/text.ts; reused /src/barrel.ts /src/main.ts
                module_imports: ran /src/text.ts; reused /src/barrel.ts /src/main.ts
                parsed_module: ran /src/text.ts; reused /src/a.ts /src/barrel.ts /src/main.ts
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/barrel.ts /src/main.ts /src/text.ts
              changed: /src/text.ts
              diagnostics:
                Resolve /src/main.ts:1:23: The requested module './barrel' does not provide an export named 'shout': it exports only what `export * from './text'` brings
              plan: reload: /src/text.ts changed and no module accepts it (via /src/text.ts <- /src/barrel.ts <- /src/main.ts)
        "#]],
    );
    p.check(
        &["//- /src/text.ts\nexport function shout(s: string) { return s.toUpperCase(); }\n"],
        expect![[r#"
            edit /src/text.ts
              applied: files [/src/text.ts]
              queries:
                chunk_entry: ran /src/text.ts
                emitted_module: ran /src/text.ts
                hot_meta: ran /src/text.ts
                import_specifiers: reused /src/barrel.ts /src/main.ts /src/text.ts
                module_deps: reused /src/text.ts
                module_diagnostics: ran /src/text.ts; reused /src/barrel.ts /src/main.ts
                module_imports: ran /src/text.ts; reused /src/barrel.ts /src/main.ts
                parsed_module: ran /src/text.ts; reused /src/a.ts /src/barrel.ts /src/main.ts
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/barrel.ts /src/main.ts /src/text.ts
              changed: /src/text.ts
              diagnostics: none
              plan: reload: /src/text.ts changed and no module accepts it (via /src/text.ts <- /src/barrel.ts <- /src/main.ts)
        "#]],
    );
}

#[test]
fn a_package_importing_a_name_its_dependency_lacks_is_not_reported() {
    check(
        &project(
            r#"
//- /src/main.ts
import { ok } from 'pkg';
console.log(ok);
//- /node_modules/pkg/package.json
{ "name": "pkg", "version": "1.0.0", "module": "index.js" }
//- /node_modules/pkg/index.js
import { missing } from './other.js';
export const ok = missing;
//- /node_modules/pkg/other.js
export const present = 1;
"#,
        ),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.ts -> /node_modules/pkg/index.js
                /node_modules/pkg/index.js -> /node_modules/pkg/other.js
                /node_modules/pkg/other.js
        "#]],
    );
}

#[test]
fn an_edit_that_leaves_an_import_without_its_export_is_withheld_until_either_side_is_fixed() {
    use crate::testing::Incremental;
    use crate::update::{Cause, prepare};

    let mut p = Incremental::new(&project(
        r#"
//- /src/main.ts
import { wrapped } from './middle';
import './other';
import.meta.hot?.accept(['./middle', './other'], () => {});
console.log(wrapped);
//- /src/middle.ts
import { message } from './child';
export const wrapped = `[${message}]`;
//- /src/child.ts
export const message = 'v1';
//- /src/other.ts
export const other = 1;
"#,
    ));
    p.build();
    let edit = |p: &mut Incremental, path: &str, text: &str| {
        p.project.write(path, text);
        p.host.apply_changes(&[p.path(path)]);
        prepare(&mut p.host, Cause::Edit { files: &[] }, 1)
    };

    // The export renamed: the child waits, the page keeps `message`.
    let update = edit(&mut p, "src/child.ts", "export const messge = 'v2';\n");
    assert_eq!(sent(&update), Vec::<String>::new());
    assert_eq!(
        update.build.diagnostics.len(),
        1,
        "{:?}",
        update.build.diagnostics
    );
    // An unrelated edit meanwhile is sent alone.
    let update = edit(&mut p, "src/other.ts", "export const other = 2;\n");
    assert_eq!(sent(&update), ["/src/other.ts"]);
    // Fixed in the importer: the child that waited goes with it.
    let update = edit(
        &mut p,
        "src/middle.ts",
        "import { messge } from './child';\nexport const wrapped = `[${messge}]`;\n",
    );
    assert_eq!(sent(&update), ["/src/middle.ts", "/src/child.ts"]);
    assert!(update.build.diagnostics.is_empty());

    // The importer asks for a name that is not there: it waits; the export added sends both.
    let update = edit(
        &mut p,
        "src/middle.ts",
        "import { messge, extra } from './child';\nexport const wrapped = `[${messge}${extra}]`;\n",
    );
    assert_eq!(sent(&update), Vec::<String>::new());
    let update = edit(
        &mut p,
        "src/child.ts",
        "export const messge = 'v2';\nexport const extra = '!';\n",
    );
    assert_eq!(sent(&update), ["/src/middle.ts", "/src/child.ts"]);

    // Withheld, then a full reload (the HTML edited) loads every module as it is now: nothing
    // waits any more, and the fix sends itself alone.
    let update = edit(&mut p, "src/child.ts", "export const renamed = 'v3';\n");
    assert_eq!(sent(&update), Vec::<String>::new());
    let update = edit(
        &mut p,
        "index.html",
        &HTML.replace("<title>t</title>", "<title>u</title>")["//- /index.html\n".len()..],
    );
    assert_eq!(sent(&update), ["full reload"]);
    let update = edit(
        &mut p,
        "src/middle.ts",
        "import { renamed } from './child';\nexport const wrapped = `[${renamed}]`;\n",
    );
    assert_eq!(sent(&update), ["/src/middle.ts"]);
}
