use super::*;
use crate::testing::TempProject;
use crate::transform::{Decorators, ImportElision, Jsx, ScriptConfig, compile_module};

const APP: &str = "import { useState } from 'react';\n\
                   export default function App() {\n  const [n] = useState(0);\n  return <p>{n}</p>;\n}\n";

fn options() -> TransformOptions {
    TransformOptions::default()
}

/// Compiles `text` as `/src/App.jsx` through `cache`, counting real compiles in `compiled`.
fn compile(cache: &CompileCache, id: &str, text: &str, compiled: &mut usize) -> CompiledModule {
    cache.compile_script(id, SourceKind::Jsx, &text.into(), &options(), |text| {
        *compiled += 1;
        compile_module(id, SourceKind::Jsx, text, &options())
    })
}

/// `module` with its map read: a hit's stays in its entry (`ModuleMap::Stored`) until asked
/// for.
fn map_read(mut module: CompiledModule) -> CompiledModule {
    module.map = module.map.and_then(|map| map.text()).map(ModuleMap::Text);
    module
}

/// The files in `dir`.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The entries stored in `dir`, one per record (a key stored twice counts twice).
fn entries(dir: &Path) -> usize {
    pack::stored_keys(dir).len()
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
    // The map stays in the entry until it is asked for, and reads as it was written.
    assert!(
        matches!(again.map, Some(ModuleMap::Stored(_))),
        "{:?}",
        again.map
    );
    assert_eq!(map_read(again), map_read(first));
    assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 0 });
}

#[test]
fn a_fresh_compiles_map_is_read_from_memory_until_its_entry_is_written_then_from_disk() {
    let dir = TempProject::empty();
    let cache = CompileCache::open(dir.root()).unwrap();
    let map_of = |module: &CompiledModule| module.map.as_ref().and_then(ModuleMap::text);
    let mut compiled = 0;
    let module = compile(&cache, "/src/App.jsx", APP, &mut compiled);
    assert!(
        matches!(module.map, Some(ModuleMap::Stored(_))),
        "a fresh compile's map is held in memory only until it is stored: {:?}",
        module.map
    );
    let direct = compile_module("/src/App.jsx", SourceKind::Jsx, APP, &options());
    let expected = direct
        .map
        .as_ref()
        .and_then(ModuleMap::text)
        .expect("a map");
    // Before or after the writer got to it: the same map.
    assert_eq!(map_of(&module).as_deref(), Some(&*expected));
    cache.flush();
    let inner = cache.inner.as_ref().unwrap();
    assert!(
        lock(&inner.maps.pending).is_empty(),
        "written maps leave memory"
    );
    assert_eq!(
        map_of(&module).as_deref(),
        Some(&*expected),
        "read from its entry"
    );
    // Once the writer is gone, a compile keeps its map in memory (nothing would store it).
    let late = compile(&cache, "/src/Late.jsx", APP, &mut compiled);
    assert!(
        matches!(late.map, Some(ModuleMap::Text(_))),
        "{:?}",
        late.map
    );
    assert!(lock(&inner.maps.pending).is_empty());
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
        &APP.into(),
        &TransformOptions {
            react_refresh: false,
            ..TransformOptions::default()
        },
        |_| {
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
        ScriptConfig {
            imports: ImportElision::Verbatim,
            ..ScriptConfig::default()
        },
    ];
    for script in tsconfigs {
        let options = TransformOptions {
            script,
            ..TransformOptions::default()
        };
        cache.compile_script(
            "/src/App.jsx",
            SourceKind::Jsx,
            &APP.into(),
            &options,
            |_| {
                compiled += 1;
                CompiledModule::default()
            },
        );
    }
    assert_eq!(compiled, 9);
    assert_eq!(cache.stats(), CacheStats { hits: 0, misses: 9 });
}

#[test]
fn a_damaged_entry_is_a_miss_and_is_rewritten() {
    let dir = TempProject::empty();
    let mut compiled = 0;
    let good = {
        let cache = CompileCache::open(dir.root()).unwrap();
        let module = map_read(compile(&cache, "/src/App.jsx", APP, &mut compiled));
        cache.flush();
        module
    };
    let [name] = files(dir.root()).try_into().unwrap();
    let path = dir.root().join(&name);
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&path, &bytes).unwrap();

    let cache = CompileCache::open(dir.root()).unwrap();
    assert_eq!(
        map_read(compile(&cache, "/src/App.jsx", APP, &mut compiled)),
        good
    );
    assert_eq!(compiled, 2, "the damaged entry was used");
    cache.flush();
    let cache = CompileCache::open(dir.root()).unwrap();
    assert_eq!(
        map_read(compile(&cache, "/src/App.jsx", APP, &mut compiled)),
        good
    );
    assert_eq!(compiled, 2, "the rewritten entry was not read");
    cache.flush();

    // A torn record (a process killed mid-append) ends its segment: a miss, not an error.
    for name in files(dir.root()) {
        let path = dir.root().join(name);
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    }
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
    assert_eq!(files(dir.root()), Vec::<String>::new());
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
    assert_eq!(entries(dir.root()), 2);
    let cache = CompileCache::open(dir.root()).unwrap();
    compile(&cache, "/src/App.jsx", APP, &mut compiled);
    compile(&cache, "/src/New.jsx", APP, &mut compiled);
    cache.prune_unused();
    cache.flush();
    assert_eq!(compiled, 3);
    assert_eq!(entries(dir.root()), 2, "{:?}", files(dir.root()));
    assert_eq!(files(dir.root()).len(), 1, "the segments were not merged");

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

#[test]
fn a_first_start_writes_one_file_not_one_per_module() {
    let dir = TempProject::empty();
    let mut compiled = 0;
    let cache = CompileCache::open(dir.root()).unwrap();
    for i in 0..50 {
        compile(&cache, &format!("/src/M{i}.jsx"), APP, &mut compiled);
    }
    cache.prune_unused();
    cache.flush();
    assert_eq!(files(dir.root()).len(), 1, "{:?}", files(dir.root()));
    assert_eq!(entries(dir.root()), 50);

    let cache = CompileCache::open(dir.root()).unwrap();
    for i in 0..50 {
        compile(&cache, &format!("/src/M{i}.jsx"), APP, &mut compiled);
    }
    assert_eq!(compiled, 50, "a restart compiled again");
    assert_eq!(
        cache.stats(),
        CacheStats {
            hits: 50,
            misses: 0
        }
    );
}

#[test]
fn sessions_append_segments_that_a_compaction_merges() {
    let dir = TempProject::empty();
    let mut compiled = 0;
    // Each session adds one module and reads the others: a segment each, nothing dead.
    for session in 0..=pack::MAX_SEGMENTS {
        let cache = CompileCache::open(dir.root()).unwrap();
        for i in 0..=session {
            compile(&cache, &format!("/src/M{i}.jsx"), APP, &mut compiled);
        }
        cache.prune_unused();
        cache.flush();
    }
    assert_eq!(
        compiled,
        pack::MAX_SEGMENTS + 1,
        "each module compiled once"
    );
    // The last prune saw MAX_SEGMENTS + 1 segments and merged them.
    assert_eq!(files(dir.root()).len(), 1, "{:?}", files(dir.root()));
    assert_eq!(entries(dir.root()), pack::MAX_SEGMENTS + 1);

    // Files of the old one-file-per-entry layout go at the next prune.
    let legacy = dir.root().join(format!("{:032x}", 7u128));
    fs::write(&legacy, b"HLCACHE1 old").unwrap();
    let cache = CompileCache::open(dir.root()).unwrap();
    compile(&cache, "/src/M0.jsx", APP, &mut compiled);
    cache.prune_unused();
    cache.flush();
    assert!(!legacy.exists());
    assert_eq!(compiled, pack::MAX_SEGMENTS + 1);
}

/// A file read again after its text was released, that holds other bytes now (an edit the
/// watcher has not reported yet), compiles those bytes, but not into the entry of the text its
/// input names: that text compiles afresh when it is asked for.
#[test]
fn a_file_changed_since_its_read_is_compiled_but_not_stored_under_its_old_text() {
    let project = TempProject::from_files(&[("src/App.jsx", APP)]);
    let dir = TempProject::empty();
    let cache = CompileCache::open(dir.root()).unwrap();
    let path: Arc<Path> = Arc::from(project.path("src/App.jsx"));
    let crate::inputs::FileContents::Text(text) = crate::files::read_contents(&path) else {
        panic!("text");
    };
    assert!(text.release());
    let edited = format!("{APP}export const edited = 1;\n");
    std::fs::write(&path, &edited).unwrap();
    let mut seen = Vec::new();
    let module = cache.compile_script("/src/App.jsx", SourceKind::Jsx, &text, &options(), |now| {
        seen.push(now.to_owned());
        compile_module("/src/App.jsx", SourceKind::Jsx, now, &options())
    });
    assert!(module.code.is_some_and(|code| code.contains("edited")));
    assert_eq!(seen, [edited]);
    cache.flush();
    let mut compiled = 0;
    compile(&cache, "/src/App.jsx", APP, &mut compiled);
    assert_eq!(compiled, 1, "nothing stored under the old text's key");
    assert_eq!(cache.stats(), CacheStats { hits: 0, misses: 2 });
}

#[test]
fn another_binary_on_the_same_project_keeps_its_own_entries() {
    let project = TempProject::empty();
    let (global, local) = (0x1111_u128, 0x2222_u128);
    let mut compiled = 0;
    let session = |salt: u128, id: &str, compiled: &mut usize| {
        let cache = CompileCache::open_for_binary(project.root(), salt).unwrap();
        compile(&cache, id, APP, compiled);
        cache.prune_unused();
        cache.flush();
    };
    session(global, "/src/App.jsx", &mut compiled);
    session(local, "/src/Other.jsx", &mut compiled);
    assert_eq!(compiled, 2);
    // The other binary's session pruned what it did not use, in its own directory only.
    session(global, "/src/App.jsx", &mut compiled);
    assert_eq!(
        compiled, 2,
        "the first binary's entry was gone after the second's session"
    );
    assert_eq!(
        files(project.root()),
        [format!("{:016x}", global), format!("{:016x}", local)]
    );
}

#[test]
fn a_start_keeps_the_last_used_binaries_and_drops_the_rest() {
    let project = TempProject::empty();
    let root = project.root();
    let day = std::time::Duration::from_secs(86_400);
    let now = std::time::SystemTime::now();
    // Four other binaries, last used 4, 3, 2 and 1 days ago, one never marked; and what the
    // cache kept in the project's directory before it had one per binary.
    for (name, days_ago) in [
        ("a", Some(4)),
        ("b", Some(3)),
        ("c", Some(2)),
        ("d", Some(1)),
        ("e", None),
    ] {
        let dir = root.join(name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("x.pack"), b"HLPACK01").unwrap();
        if let Some(days) = days_ago {
            let marker = fs::File::create(dir.join(LAST_USED)).unwrap();
            marker.set_modified(now - day * days).unwrap();
        }
    }
    fs::write(root.join("0-1.pack"), b"HLPACK01").unwrap();
    fs::write(root.join("page.bin"), b"old").unwrap();

    let cache = CompileCache::open_for_binary(root, 0x3333).unwrap();
    let current = format!("{:016x}", 0x3333);
    assert_eq!(cache.dir(), Some(root.join(&current).as_path()));
    let mut kept = vec!["c".to_string(), "d".to_string(), current.clone()];
    kept.sort();
    assert_eq!(files(root), kept);
    assert!(root.join(&current).join(LAST_USED).is_file());
}
