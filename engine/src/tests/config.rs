//! What a `vite.config` says that the engine honours itself: `define` and `resolve.alias`
//! (through `ProjectOptions`, which the binary fills from the evaluated config).

use std::sync::Arc;

use crate::inputs::{Alias, AliasFind, ProjectOptions};
use crate::testing::Incremental;

const PROJECT: &str = r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import { label } from '@/lib/label.js';
import pad from '~pad';
const __LOCAL__ = 'mine';
console.log(label, pad, __APP_VERSION__, process.env.API_URL, import.meta.env.FLAG, __LOCAL__);
if (typeof __APP_VERSION__ !== 'string') throw new Error('not defined');
//- /src/lib/label.js
export const label = 'aliased';
//- /node_modules/pad/index.js
export default __APP_VERSION__;
"#;

fn options() -> ProjectOptions {
    ProjectOptions {
        define: Arc::new([
            ("__APP_VERSION__".into(), "\"1.2.3\"".into()),
            ("process.env.API_URL".into(), "\"https://api\"".into()),
            ("import.meta.env.FLAG".into(), "true".into()),
            ("__LOCAL__".into(), "\"replaced\"".into()),
        ]),
        aliases: Arc::new([
            Alias {
                find: AliasFind::Exact("@".into()),
                // Root-relative, as Vite's docs write it (`'@': '/src'`).
                replacement: "/src".into(),
            },
            Alias {
                find: AliasFind::Pattern("^~(.*)$".into()),
                replacement: "$1".into(),
            },
        ]),
        ..ProjectOptions::default()
    }
}

#[test]
fn define_replaces_unbound_names_everywhere_and_aliases_rewrite_specifiers() {
    let mut p = Incremental::with_options(PROJECT, options());
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(
        p.imports_of("/src/main.js"),
        ["/src/lib/label.js", "/node_modules/pad/index.js"]
    );
    let chunk = p.chunk();
    assert!(
        chunk.contains(
            r#"console.log(_label.label, _pad.default, "1.2.3", "https://api", true, __LOCAL__)"#
        ),
        "{chunk}"
    );
    assert!(chunk.contains(r#"typeof "1.2.3""#), "{chunk}");
    // `node_modules` too, as Vite's pre-bundling applies `define`.
    assert!(chunk.contains(r#"_default = "1.2.3""#), "{chunk}");
}

#[test]
fn define_replaces_a_name_the_module_only_declares_for_typescript() {
    // `declare const` binds no value (Vite's transform replaces the name); a real binding of
    // the same name in a function still shadows it.
    let project = r#"
//- /index.html
<script type="module" src="/src/main.ts"></script>
//- /src/main.ts
declare const __APP_VERSION__: string;
export declare function __LOCAL__(): string;
function shadow(__APP_VERSION__: string) { return __APP_VERSION__; }
console.log(__APP_VERSION__, __LOCAL__, shadow('x'));
"#;
    let mut p = Incremental::with_options(project, options());
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let chunk = p.chunk();
    assert!(
        chunk.contains(r#"console.log("1.2.3", "replaced", shadow('x'))"#),
        "{chunk}"
    );
    assert!(chunk.contains("return __APP_VERSION__;"), "{chunk}");
}
