//! The demo app embedded in the binary (`tui/demo/`), and `write_demo`, which writes it to a
//! directory for `hotloop demo`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The demo's files: path relative to the demo directory, contents.
pub const DEMO_FILES: &[(&str, &[u8])] = &[
    ("index.html", include_bytes!("../demo/index.html")),
    ("README.md", include_bytes!("../demo/README.md")),
    ("src/main.js", include_bytes!("../demo/src/main.js")),
    ("src/counter.js", include_bytes!("../demo/src/counter.js")),
    ("src/banner.js", include_bytes!("../demo/src/banner.js")),
    ("src/greeting.js", include_bytes!("../demo/src/greeting.js")),
    ("src/style.css", include_bytes!("../demo/src/style.css")),
    ("src/base.css", include_bytes!("../demo/src/base.css")),
    (
        "public/favicon.svg",
        include_bytes!("../demo/public/favicon.svg"),
    ),
];

/// Writes the demo app into `dir` (created if missing) and returns the files written.
///
/// A `dir` that exists and is not empty is refused unless `force`; with `force`, files with
/// the demo's names are overwritten and other files are left alone.
pub fn write_demo(dir: &Path, force: bool) -> anyhow::Result<Vec<PathBuf>> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a directory", dir.display());
        }
        let mut entries =
            fs::read_dir(dir).with_context(|| format!("failed to read {}", dir.display()))?;
        if !force && entries.next().is_some() {
            bail!(
                "{} is not empty: refusing to write the demo into it (pass --force to write it \
                 anyway; files with the demo's names are overwritten, others are left alone)",
                dir.display()
            );
        }
    }
    let mut written = Vec::with_capacity(DEMO_FILES.len());
    for (relative, contents) in DEMO_FILES {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
        fs::write(&path, contents)
            .with_context(|| format!("failed to write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// The line printed after writing the demo: which file to edit first.
pub fn edit_hint(dir: &Path) -> String {
    format!("{}.", capitalized(&dashboard_hint(dir)))
}

/// Which file to edit first, as the dashboard's Overview says it until the first update.
pub fn dashboard_hint(dir: &Path) -> String {
    format!(
        "edit {} and save: the page updates without losing the count",
        dir.join("src").join("counter.js").display()
    )
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
