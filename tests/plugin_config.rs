//! A project's `vite.config.ts` end to end, without the binary: compiled by the engine's
//! `strip_types_to_esm` and loaded by the plugin host with the real `vite`, `vue` and
//! `@vitejs/plugin-vue` (the packages `engine/plugin-host/tests/npm` installs; its own tests
//! run `npm ci` there, and so does this one when they are missing).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use hotloop_plugin_host::{ConfigInput, HostOptions, Pattern, PluginHost};

fn node_modules() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("engine/plugin-host/tests/npm");
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

/// create-vue's config shape: `defineConfig`, a plugin, an alias from `import.meta.url`, types.
const CONFIG: &str = r#"import { fileURLToPath, URL } from 'node:url'
import { defineConfig, type UserConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

const port: number = 5174

export default defineConfig(({ mode }): UserConfig => ({
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  define: { __APP_MODE__: JSON.stringify(mode) },
  server: { port },
  // hotloop's own key: the app's server entry (server-side HMR).
  hotloop: { server: 'src/server.ts' },
} as UserConfig))
"#;

#[test]
fn a_typescript_vite_config_loads_through_the_engines_strip() {
    let modules = node_modules();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::os::unix::fs::symlink(&modules, root.join("node_modules")).unwrap();
    let config = root.join("vite.config.ts");
    std::fs::write(&config, CONFIG).unwrap();

    let code = engine::strip_types_to_esm(&config.display().to_string(), CONFIG)
        .unwrap_or_else(|d| panic!("{d:?}"));
    let resolver: hotloop_plugin_host::Resolver = Arc::new(|_: &str, _: Option<&str>| None);
    let host = PluginHost::start(HostOptions::new(&root, &config, resolver)).expect("starts");
    let resolved = host
        .load_config(ConfigInput {
            path: config.clone(),
            code,
            mode: Some("staging".into()),
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved.mode, "staging");
    assert_eq!(resolved.define["__APP_MODE__"], "\"staging\"");
    assert_eq!(resolved.server.port, Some(5174));
    assert_eq!(resolved.hotloop_server.as_deref(), Some("src/server.ts"));
    assert!(
        resolved.unsupported.is_empty(),
        "{:?}",
        resolved.unsupported
    );
    let names: Vec<_> = resolved.plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["hotloop:css", "vite:vue"]);
    let alias = &resolved.resolve.alias[0];
    assert_eq!(alias.find, Pattern::String("@".into()));
    assert_eq!(alias.replacement, root.join("src").display().to_string());
    // The timestamped copy next to the config is gone.
    let mut left: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["node_modules", "vite.config.ts"]);
}
