//! The real `vite`, `vue` and `@vitejs/plugin-vue` that `engine/plugin-host/tests/npm` installs
//! (its own tests run `npm ci` there; a test here does too when they are missing or older than
//! the lock file). Shared by the suites that load a project's `vite.config` (`#[path]`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// `node_modules` with the packages, installed first when needed; `repo` is the repository root.
pub fn plugin_packages(repo: &Path) -> PathBuf {
    let dir = repo.join("engine/plugin-host/tests/npm");
    let stamp = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (stamp.metadata(), lock.metadata()) {
        (Ok(s), Ok(l)) => s.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if !fresh {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("failed to run npm: is Node.js installed?");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    dir.join("node_modules")
}
