//! Runs the end-to-end suite in `tests/e2e/` (node:test + playwright-core driving real headless
//! Chromium) against the real `hotloop` binary. Declared as a test of the `hotloop` package
//! (tui/Cargo.toml) so that cargo builds the binary and hands us its path.
//!
//! npm packages are installed into `tests/e2e/node_modules` on first use and reused. Without
//! Chromium the JS suites skip themselves, unless `HOTLOOP_REQUIRE_BROWSER=1` (set by CI), which
//! turns a missing browser into a failure.
//!
//! One `#[test]` per suite file (`tests/e2e/*.test.mjs`), whose header says what it covers. The
//! suites share `tests/e2e/lib/`: `harness.mjs` (a served project open in a browser:
//! `serveAndOpen`), `starters.mjs` and `css-tools.mjs` (the real create-vite starters and the CSS
//! tools, installed from the npm registry and cached in `tests/e2e/.starters/`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e")
}

/// The suites run on parallel test threads: one `npm ci` at a time (two in one directory
/// remove each other's files), and the others then find the packages installed.
static NPM_CI: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn ensure_npm_packages(dir: &Path) {
    let _one_at_a_time = NPM_CI.lock().unwrap_or_else(|p| p.into_inner());
    let stamp = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (stamp.metadata(), lock.metadata()) {
        (Ok(s), Ok(l)) => s.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if fresh {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status()
        .expect("failed to run npm: is Node.js installed?");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

fn run_suite(pattern: &str) {
    let dir = e2e_dir();
    ensure_npm_packages(&dir);
    // The servers the suite starts keep their compile cache here, not in the user's.
    let cache = tempfile::tempdir().expect("cache dir");
    let output = Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            pattern,
        ])
        .current_dir(&dir)
        .env("HOTLOOP_BIN", env!("CARGO_BIN_EXE_hotloop"))
        .env("HOTLOOP_CACHE_DIR", cache.path())
        .output()
        .expect("failed to run node: is Node.js installed?");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "end-to-end suite {pattern} failed:\n{stdout}\n{stderr}"
    );
    // node:test prints "# skipped N": make skips visible in cargo's output.
    if let Some(line) = stdout
        .lines()
        .find(|l| l.contains("skipped") && !l.contains("skipped 0"))
    {
        eprintln!("{pattern}: {line}");
    }
}

#[test]
fn hmr_in_chromium() {
    run_suite("hmr.test.mjs");
}

#[test]
fn css_patches_in_chromium() {
    run_suite("css.test.mjs");
}

#[test]
fn react_in_chromium() {
    run_suite("react.test.mjs");
}

#[test]
fn server_side_hmr_in_chromium() {
    run_suite("ssr.test.mjs");
}

#[test]
fn top_level_await_in_chromium() {
    run_suite("tla.test.mjs");
}

/// A multi-page app: each page runs its own entries, hot updates reach the tabs that run the
/// edited module, a page's linked sheet swaps in place, its errors and its HTML's edits.
#[test]
fn multi_page_app_in_chromium() {
    run_suite("pages.test.mjs");
}

/// Lazy chunks: `React.lazy(() => import(...))` routes compiled and fetched on first navigation,
/// hot updates to loaded routes only, a shared module evaluated once, nested `import()`, lazy
/// `import.meta.glob` and a variable `import()`, a route that does not compile and its fix, a
/// missing `import()` target, the background warm-up.
#[test]
fn lazy_chunks_in_chromium() {
    run_suite("lazy.test.mjs");
}

/// A restart: the page of the last session served while the build runs, hot updates to it, and
/// a stale one (a change no recorded file shows) reloading by itself into the current code.
#[test]
fn restart_in_chromium() {
    run_suite("restart.test.mjs");
}

#[test]
fn workspace_packages_in_chromium() {
    run_suite("workspace.test.mjs");
}

/// A project's own `vite.config.ts` (alias, define, inline plugins with a virtual module, a
/// transform, a custom event, a throwing plugin) in the plugin host, the host SIGKILLed
/// mid-session; a project without a config starts no Node process, nor does a plain-data one
/// until an edit makes it code (then the host runs, parks when nothing needs it, and runs again
/// for a plugin with a transform).
#[test]
fn vite_config_plugins_in_chromium() {
    run_suite("plugins.test.mjs");
}

/// The create-vite framework starters (vue-ts, vue, svelte-ts, solid-ts, preact-ts, react-ts,
/// and react-ts with `@vitejs/plugin-react-swc` in a computed config): their `vite.config.ts`
/// plugins in the Node plugin host, installed like the ones below.
#[test]
fn framework_starters_in_chromium() {
    run_suite("frameworks.test.mjs");
}

/// The real create-vite starters (lit-ts, preact-ts), installed from the npm registry into
/// `tests/e2e/.starters/` on first use (see `tests/e2e/lib/starters.mjs`).
#[test]
fn create_vite_starters_in_chromium() {
    run_suite("starters.test.mjs");
}

/// The CSS tools of issue #16 in the react-ts starter, each set up as its docs say for Vite
/// (Tailwind CSS v4 through `@tailwindcss/vite` and `@tailwindcss/postcss`, Tailwind v3 with
/// PostCSS, Sass with a partial, a `*.module.scss`, Less, autoprefixer), installed from the npm
/// registry once into `tests/e2e/.starters/` (see `tests/e2e/lib/css-tools.mjs`).
#[test]
fn css_tools_in_chromium() {
    run_suite("css-tools.test.mjs");
}
