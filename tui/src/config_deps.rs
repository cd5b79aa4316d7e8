//! The local modules a `vite.config.*` imports (`./build/plugins.ts`, a monorepo's
//! `../../vite.shared.ts`, `./package.json`), compiled for Node as the config is. Vite bundles
//! them into the config; hotloop compiles each with swc (types stripped, its own `__dirname`,
//! `__filename` and `import.meta.url`), names a copy beside it (`<file>.timestamp-<stamp>.mjs`,
//! as Vite names the config's; the plugin host writes them, imports the config and removes them)
//! and points the importer's specifier at that copy. npm packages, and a JavaScript file that is
//! CommonJS, are left to Node. The files read are the config's too: an edit of one evaluates
//! the config again.

use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;
use rustc_hash::FxHashMap;

/// The config compiled, with the local modules it imports.
#[derive(Debug, Default)]
pub struct CompiledConfig {
    /// The config's own code.
    pub code: String,
    /// Each local module's compiled copy: where the host writes it, and its code.
    pub modules: Vec<(PathBuf, String)>,
    /// The local files read (the config's dependencies), in the order first imported.
    pub files: Vec<PathBuf>,
    /// The hash in the copies' names (see `ConfigInput::stamp`).
    pub stamp: String,
}

/// Compiles the config at `path` (its text `text`) and every local module it reaches. The
/// copies are named by a hash of all the code: Node keeps a module per URL, so a changed
/// module (or one whose imports changed) gets a new one, and the same code the same names
/// (the config's code is part of the plugins' fingerprint, which keys their cached outputs).
pub fn compile(path: &Path, text: &str) -> anyhow::Result<CompiledConfig> {
    let mut out = compile_with_stamp(path, text, STAMP)?;
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    hash.update(out.code.as_bytes());
    for (_, code) in &out.modules {
        hash.update(code.as_bytes());
    }
    let stamp = format!("{:016x}", hash.digest());
    out.code = out.code.replace(STAMP, &stamp);
    for (copy, code) in &mut out.modules {
        *copy = PathBuf::from(copy.to_string_lossy().replace(STAMP, &stamp));
        *code = code.replace(STAMP, &stamp);
    }
    out.stamp = stamp;
    Ok(out)
}

/// Where the hash goes in the copies' names, until it is known.
const STAMP: &str = "hotloopstamp0000";

fn compile_with_stamp(path: &Path, text: &str, stamp: &str) -> anyhow::Result<CompiledConfig> {
    let mut walk = Walk {
        stamp,
        copies: FxHashMap::default(),
        out: CompiledConfig::default(),
        error: None,
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let config = engine::strip_config_module(&path.to_string_lossy(), text, &mut |spec| {
        walk.rewrite(&dir, spec)
    })
    .map_err(|diagnostic| anyhow::anyhow!("{diagnostic}"))?;
    if let Some(error) = walk.error {
        return Err(error);
    }
    walk.out.code = config.code;
    Ok(walk.out)
}

struct Walk<'a> {
    stamp: &'a str,
    /// Each local file seen: its copy, or `None` when Node loads the file itself.
    copies: FxHashMap<PathBuf, Option<PathBuf>>,
    out: CompiledConfig,
    error: Option<anyhow::Error>,
}

impl Walk<'_> {
    /// The URL a specifier of a module in `dir` is imported from instead, if a local module.
    fn rewrite(&mut self, dir: &Path, spec: &str) -> Option<String> {
        let file = resolve_local(dir, spec)?;
        let copy = self.module(&file)?;
        Some(engine::file_url(&copy.to_string_lossy()))
    }

    /// Compiles `file` (once) and returns its copy's path, or `None` for Node to load it.
    fn module(&mut self, file: &Path) -> Option<PathBuf> {
        if let Some(copy) = self.copies.get(file) {
            return copy.clone();
        }
        let copy = copy_path(file, self.stamp);
        // Seen before it is compiled: an import cycle comes back to the same copy.
        self.copies.insert(file.to_path_buf(), Some(copy.clone()));
        self.out.files.push(file.to_path_buf());
        let text = match std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {} (imported by the config)", file.display()))
        {
            Ok(text) => text,
            Err(e) => {
                self.error.get_or_insert(e);
                return None;
            }
        };
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let code = if ext == "json" {
            match json_module(&text) {
                Some(code) => code,
                None => {
                    self.error.get_or_insert(anyhow::anyhow!(
                        "{}: not valid JSON (imported by the config)",
                        file.display()
                    ));
                    return None;
                }
            }
        } else if ext == "cjs" {
            self.copies.insert(file.to_path_buf(), None);
            return None;
        } else {
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            match engine::strip_config_module(&file.to_string_lossy(), &text, &mut |spec| {
                self.rewrite(&dir, spec)
            }) {
                Ok(m) if m.is_esm || !matches!(ext, "js" | "jsx") => m.code,
                Ok(_) => {
                    // CommonJS: Node's own loader, `require` and `__dirname` included.
                    self.copies.insert(file.to_path_buf(), None);
                    return None;
                }
                Err(diagnostic) => {
                    self.error.get_or_insert(anyhow::anyhow!("{diagnostic}"));
                    return None;
                }
            }
        };
        self.out.modules.push((copy.clone(), code));
        Some(copy)
    }
}

/// Extensions a local module of the config may have, in the order an extensionless specifier
/// tries them (Vite's config bundling resolves them the same way).
const EXTENSIONS: [&str; 9] = ["ts", "mts", "cts", "tsx", "js", "mjs", "cjs", "jsx", "json"];

/// The file a relative (or absolute) specifier names from `dir`: as written, with an
/// extension added, TypeScript's `./a.js` for `./a.ts`, or a directory's `index`. `None` for a
/// package, a query, or a file under `node_modules`.
fn resolve_local(dir: &Path, spec: &str) -> Option<PathBuf> {
    let relative = spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == "..";
    if !(relative || spec.starts_with('/')) || spec.contains('?') {
        return None;
    }
    let base = normalize(&dir.join(spec));
    let with_ext = |ext: &str| {
        let mut p = base.clone().into_os_string();
        p.push(".");
        p.push(ext);
        PathBuf::from(p)
    };
    let mut candidates = vec![base.clone()];
    candidates.extend(EXTENSIONS.iter().map(|ext| with_ext(ext)));
    let swapped: &[&str] = match base.extension().and_then(|e| e.to_str()) {
        Some("js") => &["ts", "tsx"],
        Some("mjs") => &["mts"],
        Some("cjs") => &["cts"],
        Some("jsx") => &["tsx"],
        _ => &[],
    };
    candidates.extend(swapped.iter().map(|ext| base.with_extension(ext)));
    candidates.extend(
        EXTENSIONS
            .iter()
            .map(|ext| base.join(format!("index.{ext}"))),
    );
    let file = candidates.into_iter().find(|p| p.is_file())?;
    let known = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e));
    let in_node_modules = file.components().any(|c| c.as_os_str() == "node_modules");
    (known && !in_node_modules).then_some(file)
}

/// `a/./b/../c` → `a/c`, without touching the disk (symlinks stay as written).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn copy_path(file: &Path, stamp: &str) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".timestamp-{stamp}.mjs"));
    file.with_file_name(name)
}

/// A JSON file as an ES module: its value as the default export, and its top-level keys that
/// are plain identifiers as named exports, as Vite's JSON plugin makes them.
fn json_module(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut code = format!("const json = {value};\nexport default json;\n");
    if let Some(object) = value.as_object() {
        for key in object.keys().filter(|k| is_plain_identifier(k)) {
            code.push_str(&format!("export const {key} = json.{key};\n"));
        }
    }
    Some(code)
}

fn is_plain_identifier(key: &str) -> bool {
    // Reserved words, strict mode's (a module is strict) and the names it cannot bind.
    const RESERVED: [&str; 47] = [
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "let",
        "new",
        "null",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "implements",
        "interface",
        "package",
        "private",
        "protected",
        "public",
        "arguments",
    ];
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !RESERVED.contains(&key)
        && key != "json"
        && key != "eval"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn local_modules_are_compiled_beside_their_files_and_packages_left_to_node() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("app");
        let config = write(
            &root,
            "vite.config.ts",
            "import { defineConfig } from 'vite'\n\
             import { aliases } from './build/alias'\n\
             import shared from '../shared/vite.base.js'\n\
             import pkg, { version } from './package.json'\n\
             import helper from './build/helper.js'\n\
             export default defineConfig({ ...shared, resolve: { alias: aliases }, define: { v: version, n: pkg.name, h: helper } })\n",
        );
        let alias = write(
            &root,
            "build/alias.ts",
            "import path from 'node:path'\nimport { dir } from './dir'\n\
             export const aliases: Record<string, string> = { '@': path.resolve(__dirname, dir) }\n",
        );
        let dir_ts = write(&root, "build/dir.ts", "export const dir = '../src'\n");
        let shared = write(
            dir.path(),
            "shared/vite.base.ts",
            "export default { base: '/' }\n",
        );
        let pkg = write(
            &root,
            "package.json",
            r#"{ "name": "app", "version": "1.2.3", "default": 1, "private": true, "eval": 1 }"#,
        );
        let helper = write(&root, "build/helper.js", "module.exports = __dirname\n");
        let text = std::fs::read_to_string(&config).unwrap();
        let compiled = compile_with_stamp(&config, &text, "7").unwrap();
        assert_eq!(
            compiled.files,
            [
                alias.clone(),
                dir_ts.clone(),
                shared.clone(),
                pkg.clone(),
                helper.clone()
            ]
        );
        let copy = |p: &Path| copy_path(p, "7");
        let copies: Vec<&PathBuf> = compiled.modules.iter().map(|(p, _)| p).collect();
        assert_eq!(
            copies,
            [&copy(&dir_ts), &copy(&alias), &copy(&shared), &copy(&pkg)]
        );
        let url = |p: &Path| engine::file_url(&copy(p).to_string_lossy());
        assert!(compiled.code.contains(&url(&alias)), "{}", compiled.code);
        assert!(compiled.code.contains(&url(&shared)), "{}", compiled.code);
        assert!(compiled.code.contains("from 'vite'"), "{}", compiled.code);
        assert!(
            compiled.code.contains("from './build/helper.js'"),
            "CommonJS left to Node: {}",
            compiled.code
        );
        let alias_code = &compiled.modules[1].1;
        assert!(alias_code.contains(&url(&dir_ts)), "{alias_code}");
        let build_dir = root.join("build").to_string_lossy().into_owned();
        assert!(
            alias_code.contains(&format!("path.resolve(\"{build_dir}\", dir)")),
            "{alias_code}"
        );
        let json = &compiled.modules[3].1;
        assert!(
            json.contains("export default json;")
                && json.contains("export const version = json.version;"),
            "{json}"
        );
        assert!(
            !json.contains("export const default") && !json.contains("export const private"),
            "{json}"
        );
    }

    #[test]
    fn the_copies_are_named_by_what_they_hold() {
        let dir = tempfile::tempdir().unwrap();
        let config = write(
            dir.path(),
            "vite.config.ts",
            "import x from './x'\nexport default x\n",
        );
        let text = std::fs::read_to_string(&config).unwrap();
        write(dir.path(), "x.ts", "export default { a: 1 }\n");
        let first = compile(&config, &text).unwrap();
        assert_eq!(
            compile(&config, &text).unwrap().code,
            first.code,
            "the same code, the same names"
        );
        assert!(
            !first.code.contains(STAMP) && !first.modules[0].0.to_string_lossy().contains(STAMP)
        );
        assert!(
            first
                .code
                .contains(&engine::file_url(&first.modules[0].0.to_string_lossy()))
        );
        write(dir.path(), "x.ts", "export default { a: 2 }\n");
        let second = compile(&config, &text).unwrap();
        assert_ne!(
            second.modules[0].0, first.modules[0].0,
            "a changed module, a new copy"
        );
    }

    #[test]
    fn a_broken_local_module_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let config = write(
            dir.path(),
            "vite.config.ts",
            "import x from './x'\nexport default x\n",
        );
        write(dir.path(), "x.ts", "export default {\n  a: ,\n}\n");
        let text = std::fs::read_to_string(&config).unwrap();
        let error = compile(&config, &text).unwrap_err().to_string();
        assert!(error.contains("x.ts") && error.contains(":2:"), "{error}");
    }
}
