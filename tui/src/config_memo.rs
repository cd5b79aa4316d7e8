//! The last session's answer of a project's `vite.config`: what Node evaluated it to, kept
//! beside the compile cache (`engine::CompileCache::dir_for_project`) under a key of what the
//! evaluation reads that hotloop sees without running it: the compiled config and the local
//! modules it imports, the mode, the plugins hotloop does natively, the packages' install
//! state (`package.json`, the lockfiles and the install markers of the root and the
//! directories above), the Node that runs it, and the environment. A start whose key and env
//! files match takes the answer at once and serves with it while Node evaluates the config
//! again (`PluginHost::ahead`): a restart waits for the config no more (Node's start, `vite`,
//! the plugins' packages: ~0.3–0.5 s). Only for a config whose pages build without Node
//! (`hotloop_plugin_host::idle_after_load`: a React app's config that must run for an alias):
//! with plugins that answer hooks the build waits for Node's plugins anyway.
//!
//! An answer is trusted while two evaluations in a row agree (or there was one): a config
//! that evaluates differently each time (a build time in its `define`) is taken ahead once,
//! found different, applied as a change of the file (`Control::ConfigEvaluatedAnew`: the
//! pages reload), and from then on evaluated before the start as without a memo. A failed
//! evaluation forgets the answer.

use std::path::{Path, PathBuf};

use hotloop_plugin_host::{ConfigInput, ResolvedConfig};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

/// What one memo file holds.
#[derive(Serialize, Deserialize)]
struct Entry {
    /// The hash of the env files the answer's mode reads from its `envDir`.
    env: u64,
    /// Two evaluations in a row agreed on `config` (or there was one).
    trusted: bool,
    config: ResolvedConfig,
}

/// The memo of one config input (its file: `config-<key>.json`).
pub struct ConfigMemo {
    file: PathBuf,
}

/// How many answers a project keeps (of other config texts, modes, environments).
const KEPT: usize = 8;

/// Environment variables that differ from one shell to the next without a config reading
/// them: left out of the key.
const VOLATILE_ENV: [&str; 10] = [
    "_",
    "OLDPWD",
    "SHLVL",
    "TERM_SESSION_ID",
    "WINDOWID",
    "TMUX_PANE",
    "SECURITYSESSIONID",
    "STY",
    "COLUMNS",
    "LINES",
];

/// The lockfiles of npm, pnpm, Yarn and Bun.
const LOCKFILES: [&str; 5] = [
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "bun.lockb",
];

impl ConfigMemo {
    /// The memo of `input` (the config of the project at `root`, run by `node`, `None`: the
    /// one on `PATH`), in the directory beside the project's compile cache. `None` when there
    /// is no cache directory.
    pub fn open(root: &Path, input: &ConfigInput, node: Option<&Path>) -> Option<ConfigMemo> {
        let dir = engine::CompileCache::dir_for_project(root)?.join("config");
        Some(ConfigMemo::in_dir(&dir, root, input, node))
    }

    fn in_dir(dir: &Path, root: &Path, input: &ConfigInput, node: Option<&Path>) -> ConfigMemo {
        let mut key = Xxh3::new();
        key.update(b"hotloop config memo 1\0");
        let mut text = |s: &str| {
            key.update(s.as_bytes());
            key.update(&[0]);
        };
        text(&input.path.to_string_lossy());
        text(&input.code);
        text(input.mode.as_deref().unwrap_or(""));
        for plugin in &input.native_plugins {
            text(plugin);
        }
        for (path, code) in &input.modules {
            text(&path.to_string_lossy());
            text(code);
        }
        text(&std::fs::read_to_string(root.join("package.json")).unwrap_or_default());
        for dir in root.ancestors() {
            for name in LOCKFILES {
                stamp(&mut key, &dir.join(name));
            }
            for name in engine::watcher::INSTALL_MARKERS {
                stamp(&mut key, &dir.join("node_modules").join(name));
            }
        }
        let node = node.map(Path::to_path_buf).or_else(|| on_path("node"));
        if let Some(node) = node {
            key.update(node.as_os_str().as_encoded_bytes());
            stamp(&mut key, &node);
        }
        let mut vars: Vec<_> = std::env::vars_os()
            .filter(|(name, _)| !VOLATILE_ENV.iter().any(|v| name == v))
            .collect();
        vars.sort();
        for (name, value) in vars {
            key.update(name.as_encoded_bytes());
            key.update(b"=");
            key.update(value.as_encoded_bytes());
            key.update(&[0]);
        }
        ConfigMemo {
            file: dir.join(format!("config-{:016x}.json", key.digest())),
        }
    }

    /// The last session's answer, when it is to be trusted and the env files it read are as
    /// they were.
    pub fn answer(&self) -> Option<ResolvedConfig> {
        let entry = self.read()?;
        (entry.trusted && entry.env == env_hash(&entry.config)).then_some(entry.config)
    }

    /// Records what Node evaluated the config to: trusted when the last answer (under the
    /// same env files) was the same, or there was none.
    pub fn record(&self, config: &ResolvedConfig) {
        let env = env_hash(config);
        let trusted = self
            .read()
            .is_none_or(|last| last.env != env || last.config == *config);
        let entry = Entry {
            env,
            trusted,
            config: config.clone(),
        };
        let Some(dir) = self.file.parent() else {
            return;
        };
        let written = std::fs::create_dir_all(dir).and_then(|()| {
            let json = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
            // Written whole, then renamed: another hotloop never reads half of it.
            let temp = self
                .file
                .with_extension(format!("{}.tmp", std::process::id()));
            std::fs::write(&temp, json)?;
            std::fs::rename(&temp, &self.file)
        });
        match written {
            Ok(()) => prune(dir),
            Err(e) => tracing::debug!("config memo not written ({}): {e}", self.file.display()),
        }
    }

    /// Forgets the answer (its evaluation failed).
    pub fn forget(&self) {
        let _ = std::fs::remove_file(&self.file);
    }

    fn read(&self) -> Option<Entry> {
        let bytes = std::fs::read(&self.file).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// A file's size and modification time into `key` (nothing for a file that is not there).
fn stamp(key: &mut Xxh3, path: &Path) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    key.update(path.as_os_str().as_encoded_bytes());
    key.update(&meta.len().to_le_bytes());
    if let Ok(modified) = meta.modified()
        && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
    {
        key.update(&since.as_nanos().to_le_bytes());
    }
}

/// The hash of the env files `config`'s mode reads from its `envDir`.
fn env_hash(config: &ResolvedConfig) -> u64 {
    let mut hash = Xxh3::new();
    for text in hotloop_plugin_host::env_texts(Path::new(&config.env_dir), &config.mode) {
        hash.update(text.as_deref().unwrap_or("\0none").as_bytes());
        hash.update(&[0]);
    }
    hash.digest()
}

/// Where `program` is on `PATH`.
fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// Keeps the [`KEPT`] answers written last.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<_> = entries
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if files.len() <= KEPT {
        return;
    }
    files.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    for (_, path) in files.into_iter().skip(KEPT) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(code: &str) -> ConfigInput {
        ConfigInput {
            path: PathBuf::from("/p/vite.config.ts"),
            code: code.into(),
            ..Default::default()
        }
    }

    fn config(root: &Path, define: &str) -> ResolvedConfig {
        let mut config = ResolvedConfig::from_literal(root, None, &serde_json::Map::new())
            .expect("an empty config");
        config.define.insert("__X__".into(), define.into());
        config
    }

    #[test]
    fn an_answer_is_taken_while_two_evaluations_agree() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("memo");
        let memo = ConfigMemo::in_dir(&dir, root.path(), &input("export default {}"), None);
        assert!(
            memo.answer().is_none(),
            "no answer before the first evaluation"
        );
        memo.record(&config(root.path(), "1"));
        assert_eq!(memo.answer(), Some(config(root.path(), "1")));
        // Evaluated to something else (a build time in `define`): not taken ahead again...
        memo.record(&config(root.path(), "2"));
        assert!(memo.answer().is_none());
        memo.record(&config(root.path(), "3"));
        assert!(memo.answer().is_none());
        // ... until two evaluations agree.
        memo.record(&config(root.path(), "3"));
        assert_eq!(memo.answer(), Some(config(root.path(), "3")));
        memo.forget();
        assert!(memo.answer().is_none());
    }

    #[test]
    fn the_key_covers_the_config_and_the_install() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("memo");
        let file = |code: &str| {
            ConfigMemo::in_dir(&dir, root.path(), &input(code), None)
                .file
                .clone()
        };
        let before = file("export default {}");
        assert_eq!(before, file("export default {}"));
        assert_ne!(before, file("export default { base: '/app/' }"));
        std::fs::create_dir_all(root.path().join("node_modules")).unwrap();
        std::fs::write(root.path().join("node_modules/.package-lock.json"), "{}").unwrap();
        assert_ne!(before, file("export default {}"), "an install");
    }

    #[test]
    fn an_env_file_edit_leaves_the_answer_out() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("memo");
        let memo = ConfigMemo::in_dir(&dir, root.path(), &input("export default {}"), None);
        memo.record(&config(root.path(), "1"));
        assert!(memo.answer().is_some());
        std::fs::write(root.path().join(".env"), "VITE_X=1\n").unwrap();
        assert!(memo.answer().is_none());
        // Evaluated under it: taken again (a new env is no disagreement).
        memo.record(&config(root.path(), "2"));
        assert_eq!(memo.answer(), Some(config(root.path(), "2")));
    }
}
