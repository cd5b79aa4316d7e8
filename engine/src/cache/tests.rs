use super::*;
use crate::testing::TempProject;
use crate::transform::{Decorators, Jsx, ScriptConfig, compile_module};

const APP: &str = "import { useState } from 'react';\n\
                   export default function App() {\n  const [n] = useState(0);\n  return <p>{n}</p>;\n}\n";

fn options() -> TransformOptions {
    TransformOptions::default()
}

/// Compiles `text` as `/src/App.jsx` through `cache`, counting real compiles in `compiled`.
fn compile(cache: &CompileCache, id: &str, text: &str, compiled: &mut usize) -> CompiledModule {
    cache.compile_script(id, SourceKind::Jsx, text, &options(), || {
        *compiled += 1;
        compile_module(id, SourceKind::Jsx, text, &options())
    })
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_restart_reuses_the_stored_output_exactly() {
    let dir = TempProject::empty();
    let mut compiled = 0;
    let first = {
        let cache = CompileCache::open(dir.root()).unwrap();
        let module = compile(&cache, "/src/App.jsx", APP, &mut compiled);
        cache.flush();
        module
    };
    assert_eq!(compiled, 1);
    assert!(first.code.is_some() && first.map.is_some());
    assert!(!first.imports.is_empty() && first.hot.refresh_boundary);

    let cache = CompileCache::open(dir.root()).unwrap();
    let again = compile(&cache, "/src/App.jsx", APP, &mut compiled);
    assert_eq!(compiled, 1, "the second run compiled again");
    assert_eq!(again, first);
    assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 0 });
}

#[test]
fn any_change_of_text_id_or_options_is_a_miss() {
    let dir = TempProject::empty();
    let mut compiled = 0;
    let cache = CompileCache::open(dir.root()).unwrap();
    compile(&cache, "/src/App.jsx", APP, &mut compiled);
    cache.flush();
    compile(
        &cache,
        "/src/App.jsx",
        &format!("{APP}// edited\n"),
        &mut compiled,
    );
    // The id is inside the output (source map, jsxDEV file names).
    compile(&cache, "/src/Other.jsx", APP, &mut compiled);
    cache.compile_script(
        "/src/App.jsx",
        SourceKind::Jsx,
        APP,
        &TransformOptions {
            react_refresh: false,
            ..TransformOptions::default()
        },
        || {
            compiled += 1;
            CompiledModule::default()
        },
    );
    // What the file's tsconfig says is part of the options.
    let tsconfigs = [
        ScriptConfig {
            jsx: Jsx::Automatic {
                import_source: "preact".into(),
            },
            ..ScriptConfig::default()
        },
        ScriptConfig {
            jsx: Jsx::Classic {
                factory: "h".into(),
                fragment_factory: "Fragment".into(),
            },
            ..ScriptConfig::default()
        },
        ScriptConfig {
            decorators: Decorators::Legacy {
                emit_metadata: false,
            },
            ..ScriptConfig::default()
        },
        ScriptConfig {
            use_define_for_class_fields: false,
            ..ScriptConfig::default()
        },
    ];
    for script in tsconfigs {
        let options = TransformOptions {
            script,
            ..TransformOptions::default()
        };
        cache.compile_script("/src/App.jsx", SourceKind::Jsx, APP, &options, || {
            compiled += 1;
            CompiledModule::default()
        });
    }
    assert_eq!(compiled, 8);
    assert_eq!(cache.stats(), CacheStats { hits: 0, misses: 8 });
}

#[test]
fn a_damaged_entry_is_a_miss_and_is_rewritten() {
    let dir = TempProject::empty();
    let mut compiled = 0;
    let good = {
        let cache = CompileCache::open(dir.root()).unwrap();
        let module = compile(&cache, "/src/App.jsx", APP, &mut compiled);
        cache.flush();
        module
    };
    let [name] = entries(dir.root()).try_into().unwrap();
    let path = dir.root().join(&name);
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&path, &bytes).unwrap();

    let cache = CompileCache::open(dir.root()).unwrap();
    assert_eq!(compile(&cache, "/src/App.jsx", APP, &mut compiled), good);
    assert_eq!(compiled, 2, "the damaged entry was used");
    cache.flush();
    assert_eq!(decode(&fs::read(&path).unwrap()), Some(good));

    fs::write(&path, b"HLCACHE1 truncated").unwrap();
    let cache = CompileCache::open(dir.root()).unwrap();
    compile(&cache, "/src/App.jsx", APP, &mut compiled);
    assert_eq!(compiled, 3);
}

#[test]
fn modules_with_diagnostics_are_not_stored() {
    let dir = TempProject::empty();
    let mut compiled = 0;
    let cache = CompileCache::open(dir.root()).unwrap();
    let broken = compile(&cache, "/src/App.jsx", "export const = ;\n", &mut compiled);
    assert!(!broken.diagnostics.is_empty());
    cache.flush();
    assert_eq!(entries(dir.root()), Vec::<String>::new());
}

#[test]
fn pruning_keeps_what_this_session_used_and_drops_the_rest() {
    let dir = TempProject::empty();
    let mut compiled = 0;
    {
        let cache = CompileCache::open(dir.root()).unwrap();
        compile(&cache, "/src/App.jsx", APP, &mut compiled);
        compile(&cache, "/src/Old.jsx", APP, &mut compiled);
        cache.flush();
    }
    assert_eq!(entries(dir.root()).len(), 2);
    let cache = CompileCache::open(dir.root()).unwrap();
    compile(&cache, "/src/App.jsx", APP, &mut compiled);
    compile(&cache, "/src/New.jsx", APP, &mut compiled);
    cache.prune_unused();
    cache.flush();
    assert_eq!(compiled, 3);
    let kept = entries(dir.root());
    assert_eq!(kept.len(), 2, "{kept:?}");

    let cache = CompileCache::open(dir.root()).unwrap();
    compile(&cache, "/src/App.jsx", APP, &mut compiled);
    compile(&cache, "/src/New.jsx", APP, &mut compiled);
    compile(&cache, "/src/Old.jsx", APP, &mut compiled);
    assert_eq!(compiled, 4, "only /src/Old.jsx compiles again");
}

#[test]
fn a_disabled_cache_always_compiles() {
    let mut compiled = 0;
    let cache = CompileCache::disabled();
    compile(&cache, "/src/App.jsx", APP, &mut compiled);
    compile(&cache, "/src/App.jsx", APP, &mut compiled);
    assert_eq!(compiled, 2);
    assert_eq!(cache.dir(), None);
}
