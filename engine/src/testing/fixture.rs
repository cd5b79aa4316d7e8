//! Multi-file fixtures in rust-analyzer's style, and the temp project they are written to.
//!
//! ```text
//! //- /index.html
//! <script type="module" src="/src/main.js"></script>
//! //- /src/main.js
//! import './a.js';
//! ```
//!
//! A line `//- /path` starts a file; the lines up to the next such line are its text (each
//! ending with `\n`; none at all is an empty file). Lines before the first header are ignored,
//! so a fixture can start with a blank line.

use std::path::{Path, PathBuf};

/// One file of a fixture: its path from the project root (`/src/a.js`) and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureFile {
    pub path: String,
    pub text: String,
}

/// The files of `fixture`, in order. The header's words after `//- ` are the path as written
/// (callers with directives of their own, like the incremental suite's `rm`, read them).
pub fn parse_fixture(fixture: &str) -> Vec<FixtureFile> {
    let mut files: Vec<FixtureFile> = Vec::new();
    for line in fixture.lines() {
        if let Some(path) = line.strip_prefix("//- ") {
            files.push(FixtureFile {
                path: path.trim().to_string(),
                text: String::new(),
            });
        } else if let Some(file) = files.last_mut() {
            file.text.push_str(line);
            file.text.push('\n');
        }
    }
    files
}

/// A project on disk: a fresh temp dir (canonicalized, so paths compare equal to what the
/// watcher and the engine report), removed when dropped.
pub struct TempProject {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl TempProject {
    /// Writes every file of `fixture` (see [`parse_fixture`]).
    pub fn new(fixture: &str) -> TempProject {
        let project = TempProject::empty();
        for file in parse_fixture(fixture) {
            project.write(&file.path, &file.text);
        }
        project
    }

    /// Writes `(path, contents)` pairs, for tests that generate their files.
    pub fn from_files<T: AsRef<[u8]>>(files: &[(&str, T)]) -> TempProject {
        let project = TempProject::empty();
        for (path, contents) in files {
            project.write(path, contents);
        }
        project
    }

    /// An empty temp dir.
    pub fn empty() -> TempProject {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        TempProject { _dir: dir, root }
    }

    /// The project's root (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of `path` (`/src/a.js` or `src/a.js`, from the root).
    pub fn path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    /// A plain save (truncate and write, so size and mtime change), creating parent dirs.
    pub fn write(&self, path: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let full = self.path(path);
        std::fs::create_dir_all(full.parent().expect("a parent dir")).expect("mkdir");
        std::fs::write(&full, contents).unwrap_or_else(|e| panic!("write {}: {e}", full.display()));
        full
    }

    /// An atomic save: a temp file beside it (`<name>.tmp`), renamed over the target.
    pub fn write_atomic(&self, path: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let full = self.path(path);
        let tmp = PathBuf::from(format!("{}.tmp", full.display()));
        std::fs::write(&tmp, contents).expect("write temp");
        std::fs::rename(&tmp, &full).expect("rename over");
        full
    }

    /// The text of `path`.
    pub fn read(&self, path: &str) -> String {
        let full = self.path(path);
        std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {}: {e}", full.display()))
    }

    /// Removes a file, or a directory with everything in it.
    pub fn remove(&self, path: &str) -> PathBuf {
        let full = self.path(path);
        if full.is_dir() {
            std::fs::remove_dir_all(&full).expect("rm -r");
        } else {
            std::fs::remove_file(&full).unwrap_or_else(|e| panic!("rm {}: {e}", full.display()));
        }
        full
    }

    /// The path's module id: `/` and its path from the root.
    pub fn id(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        format!("/{}", relative.to_string_lossy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixture_is_files_in_order_with_their_text() {
        let files = parse_fixture("\n//- /a.js\none\ntwo\n//- /empty.txt\n//- /b/c.css\n.c {}\n");
        let got: Vec<(&str, &str)> = files
            .iter()
            .map(|f| (f.path.as_str(), f.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("/a.js", "one\ntwo\n"),
                ("/empty.txt", ""),
                ("/b/c.css", ".c {}\n")
            ]
        );
    }

    #[test]
    fn a_temp_project_holds_the_fixture_on_disk() {
        let p = TempProject::new("//- /src/a.js\nexport {};\n");
        assert_eq!(p.read("/src/a.js"), "export {};\n");
        p.write("src/b/c.js", "x");
        assert_eq!(p.read("/src/b/c.js"), "x");
        p.remove("/src/b");
        assert!(!p.path("/src/b").exists());
        assert_eq!(p.id(&p.path("src/a.js")), "/src/a.js");
    }
}
