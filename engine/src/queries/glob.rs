//! `module_globs` and `glob_matches`: the `import.meta.glob(...)` calls of a module and the files
//! each one matches, and the code of the glob module a call becomes (see `transform::glob`).
//!
//! Listing files reads the file system, so `glob_matches` depends on
//! `Project::resolution_epoch`, like resolution: the host moves the epoch whenever a file
//! or directory appears or disappears, the listing re-runs, and when the matches are the same
//! it backdates and nothing downstream re-runs.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use globset::{GlobBuilder, GlobMatcher};

use crate::db::Db;
use crate::files::{glob_module_of_path, module_id};
use crate::inputs::{Project, SourceFile};
use crate::queries::parsed::parsed_module;
use crate::telemetry::Phase;
use crate::transform::{
    CompiledModule, GlobImport, GlobMatch, glob_module, is_rooted_pattern, unrooted_pattern_message,
};

/// The module's `import.meta.glob(...)` calls, in source order (an `Eq` projection of
/// `parsed_module`: editing the module elsewhere does not re-list its globs).
#[salsa::tracked(returns(clone))]
pub fn module_globs(db: &dyn Db, file: SourceFile) -> Arc<[GlobImport]> {
    let _clock = db.clock().enter_key(Phase::Parse, "module_globs", file);
    parsed_module(db, file).globs.clone()
}

/// The files a glob module's call matches, sorted by key. `file` is the glob module
/// (`<importer>?glob=<n>`).
#[salsa::tracked(returns(clone))]
pub fn glob_matches(db: &dyn Db, file: SourceFile) -> Arc<[GlobMatch]> {
    let _clock = db.clock().enter_key(Phase::Resolve, "glob_matches", file);
    let path = file.path(db);
    let _span = tracing::trace_span!("glob_matches", file = %path.display()).entered();
    // The dependency that re-lists when files appear or disappear.
    let _epoch = Project::try_get(db).map(|p| p.resolution_epoch(db));
    let Some((glob, importer)) = glob_call(db, file) else {
        return Arc::new([]);
    };
    let Ok(glob) = with_aliases(db, glob) else {
        return Arc::new([]);
    };
    list_matches(db.files().root(), &importer, &glob).into()
}

/// The glob module's code and imports, or why there is none.
pub fn compile_glob_module(db: &dyn Db, file: SourceFile) -> Result<CompiledModule, String> {
    let (glob, _) = glob_call(db, file).ok_or_else(|| {
        format!(
            "{} is the module of an import.meta.glob() call that no longer exists",
            file.id(db)
        )
    })?;
    let glob = with_aliases(db, glob)?;
    Ok(glob_module(&glob, &glob_matches(db, file)))
}

/// The call a glob module stands for, and its importer's path.
fn glob_call(db: &dyn Db, file: SourceFile) -> Option<(GlobImport, PathBuf)> {
    let (importer, index) = glob_module_of_path(file.path(db))?;
    let globs = module_globs(db, db.files().get_or_read(db, &importer));
    Some((globs.get(index)?.clone(), importer))
}

/// `glob` with each pattern that starts with a `resolve.alias` (`@/pages/*.ts`) as the alias
/// makes it, from the project root when it lands inside it (`/src/pages/*.ts`: its keys are
/// then root paths, as Vite's), as Vite resolves such a pattern; the message for one no alias
/// makes rooted.
fn with_aliases(db: &dyn Db, mut glob: GlobImport) -> Result<GlobImport, String> {
    if glob
        .patterns
        .iter()
        .all(|p| is_rooted_pattern(p.strip_prefix('!').unwrap_or(p)))
    {
        return Ok(glob);
    }
    let root = db.files().root();
    let aliases = Project::try_get(db).map(|p| p.options(db).aliases.clone());
    for pattern in &mut glob.patterns {
        let (negated, bare) = match pattern.strip_prefix('!') {
            Some(rest) => ("!", rest),
            None => ("", pattern.as_str()),
        };
        if is_rooted_pattern(bare) {
            continue;
        }
        let aliased = aliases
            .as_deref()
            .and_then(|aliases| crate::queries::resolve::apply_alias(aliases, bare))
            .map(|replaced| match Path::new(&replaced).strip_prefix(root) {
                Ok(inside) => format!("/{}", inside.to_string_lossy()),
                Err(_) => replaced,
            })
            .filter(|replaced| is_rooted_pattern(replaced))
            .ok_or_else(|| unrooted_pattern_message(bare, "pattern"))?;
        *pattern = format!("{negated}{aliased}");
    }
    Ok(glob)
}

/// One pattern of a call, ready to match absolute paths.
struct Pattern {
    matcher: GlobMatcher,
    /// The directory above everything the pattern can match (its literal leading part).
    walk_root: PathBuf,
    /// Keys are module ids (`/src/a.ts`, from the project root) rather than relative to the
    /// base directory.
    root_keys: bool,
}

/// Lists the files under `root` that `glob` matches for a module at `importer`: every file some
/// positive pattern matches and no `!` pattern does, except the importer itself; without
/// `exhaustive`, nothing inside `node_modules` or dot directories (below where the pattern's
/// literal part ends).
pub fn list_matches(root: &Path, importer: &Path, glob: &GlobImport) -> Vec<GlobMatch> {
    let importer_dir = importer.parent().unwrap_or(root);
    let from = |spec: &str| match spec.strip_prefix('/') {
        Some(rest) => root.join(rest),
        None => importer_dir.join(spec),
    };
    let base_dir = normalize(
        &glob
            .base
            .as_deref()
            .map_or(importer_dir.to_path_buf(), from),
    );
    let mut positive = Vec::new();
    let mut negative = Vec::new();
    for pattern in &glob.patterns {
        let (list, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (&mut negative, p),
            None => (&mut positive, pattern.as_str()),
        };
        let (dir, rest, root_keys) = match pattern.strip_prefix('/') {
            Some(rest) => (root, rest, glob.base.is_none()),
            None => (base_dir.as_path(), pattern, false),
        };
        if let Some(p) = compile(dir, rest, root_keys) {
            list.push(p);
        }
    }

    let mut found: BTreeMap<PathBuf, bool> = BTreeMap::new();
    for pattern in &positive {
        let walk = walkdir::WalkDir::new(&pattern.walk_root)
            .into_iter()
            .filter_entry(|entry| {
                entry.depth() == 0 || glob.exhaustive || {
                    let name = entry.file_name().to_string_lossy();
                    !(name.starts_with('.') || name == "node_modules")
                }
            });
        for entry in walk.flatten() {
            if !entry.file_type().is_file() || found.contains_key(entry.path()) {
                continue;
            }
            let path = entry.path();
            if path == importer
                || !pattern.matcher.is_match(path)
                || negative.iter().any(|n| n.matcher.is_match(path))
            {
                continue;
            }
            found.insert(path.to_path_buf(), pattern.root_keys);
        }
    }

    let query = glob.query.as_deref().unwrap_or("");
    let mut matches: Vec<GlobMatch> = found
        .into_iter()
        .map(|(path, root_keys)| {
            let key = if root_keys {
                module_id(root, &path).to_string()
            } else {
                relative_specifier(&base_dir, &path)
            };
            GlobMatch {
                key: key.into(),
                specifier: format!("{}{query}", relative_specifier(importer_dir, &path)).into(),
            }
        })
        .collect();
    matches.sort_by(|a, b| a.key.cmp(&b.key));
    matches
}

/// `rest` (a pattern without its `/`) from `dir`: leading `./` and `../` go into the directory,
/// the literal leading components into the walk root, the whole into one absolute glob.
fn compile(dir: &Path, rest: &str, root_keys: bool) -> Option<Pattern> {
    let mut dir = dir.to_path_buf();
    let mut parts = rest.split('/').filter(|p| !p.is_empty()).peekable();
    while let Some(part) = parts.peek() {
        match *part {
            "." => {}
            ".." => {
                dir.pop();
            }
            _ => break,
        }
        parts.next();
    }
    let parts: Vec<&str> = parts.collect();
    let literal = parts
        .iter()
        .take(parts.len().saturating_sub(1))
        .take_while(|p| !p.contains(['*', '?', '[', '{', '\\']))
        .count();
    let walk_root = parts[..literal].iter().fold(dir.clone(), |d, p| d.join(p));
    let absolute = format!(
        "{}/{}",
        globset::escape(&dir.to_string_lossy()).trim_end_matches('/'),
        parts.join("/")
    );
    let matcher = GlobBuilder::new(&absolute)
        .literal_separator(true)
        .build()
        .ok()?
        .compile_matcher();
    Some(Pattern {
        matcher,
        walk_root,
        root_keys,
    })
}

/// `..` and `.` removed lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `./a/b.ts` or `../x/b.ts`: `to` relative to the directory `from`.
fn relative_specifier(from: &Path, to: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = if common == from.len() {
        "./".to_string()
    } else {
        "../".repeat(from.len() - common)
    };
    let rest: Vec<_> = to[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    out.push_str(&rest.join("/"));
    out
}

#[cfg(test)]
mod tests;
