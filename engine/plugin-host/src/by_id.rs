//! A module by its plugin id, as Vite's transform middleware answers `/@id/<id>`: the
//! plugins' `resolveId` (from `index.html`), then their `load` (or the file) and `transform`
//! chains, for the page. Only a script or a stylesheet that needs nothing of hotloop's own
//! compile is answered (a `.js`/`.mjs`/`.cjs` file, a `.css` one, a virtual id): what a plugin
//! makes the page fetch at run time (vite-plugin-vue-devtools' overlay bundle and its sheet).
//! Modules the app imports never come here; they are in the engine's chunks.

use std::path::{Path, PathBuf};

use hotloop_protocol::plugin::{PluginEnv, Plugins as _};

use crate::PluginHost;

/// What `/@id/<id>` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ById {
    /// `text/javascript` or `text/css`.
    pub content_type: &'static str,
    pub code: String,
    /// The file the id resolved to, when it is one.
    pub file: Option<PathBuf>,
    /// The id resolved to a script file hotloop compiles itself (TypeScript, JSX): `code` is
    /// empty; the dev server answers a worker's request with the file's worker script
    /// (vite-plugin-pwa's `injectManifest` service worker, `/dev-sw.js?dev-sw` → `src/sw.ts`).
    pub compiled_file: bool,
}

/// What an id (or the file it resolved to) is served as, by its extension; `None` for what
/// hotloop would have to compile (TypeScript, JSX, `.vue`, ...). `is_file`: the id names a file.
fn content_type(id: &str, is_file: bool) -> Option<&'static str> {
    let clean = id.split(['?', '#']).next().unwrap_or(id);
    let name = clean.rsplit('/').next().unwrap_or(clean);
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js" | "mjs" | "cjs") => Some("text/javascript"),
        Some("css") => Some("text/css"),
        // A virtual id without an extension (`\0virtual:x`, `/@plugin-runtime`) is a script.
        None if !is_file => Some("text/javascript"),
        _ => None,
    }
}

/// A TypeScript or JSX file: a script hotloop compiles, which no browser runs as written.
fn compiled_script(file: &Path) -> bool {
    file.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|ext| matches!(ext, "ts" | "mts" | "cts" | "tsx" | "jsx"))
}

impl PluginHost {
    /// `/@id/<id>` for the project at `root`; `None` when no plugin resolves or loads it, or
    /// it is not a plain script or stylesheet (a failing hook is logged).
    pub fn module_by_id(&self, root: &Path, id: &str) -> Option<ById> {
        let env = PluginEnv::Client;
        let importer = root.join("index.html").to_string_lossy().into_owned();
        let resolved = match self.resolve_id_in(env, id, Some(&importer)) {
            Ok(Some(resolved)) if resolved.external => return None,
            Ok(Some(resolved)) => resolved.id,
            Ok(None) => id.to_string(),
            Err(error) => {
                tracing::warn!("/@id/{id}: {error}");
                return None;
            }
        };
        let clean = resolved.split('?').next().unwrap_or(&resolved);
        let file =
            (clean.starts_with('/') && Path::new(clean).is_file()).then(|| PathBuf::from(clean));
        let Some(content_type) = content_type(&resolved, file.is_some()) else {
            let file = file.filter(|f| compiled_script(f))?;
            tracing::debug!("/@id/{id}: {resolved}, a script hotloop compiles");
            return Some(ById {
                content_type: "text/javascript",
                code: String::new(),
                file: Some(file),
                compiled_file: true,
            });
        };
        let text = match &file {
            Some(file) => std::fs::read_to_string(file).ok()?,
            None => String::new(),
        };
        let answer = match self.load_and_transform_in(env, &resolved, &text, true) {
            Ok(answer) => answer,
            Err(error) => {
                tracing::warn!("/@id/{id}: {error}");
                return None;
            }
        };
        let loaded = answer.loaded.is_some();
        let code = match answer.transformed {
            Ok(Some(output)) => output.code,
            Ok(None) => match answer.loaded {
                Some(output) => output.code,
                None if file.is_some() => text,
                None => return None,
            },
            Err(error) => {
                tracing::warn!("/@id/{id}: {error}");
                return None;
            }
        };
        tracing::debug!(
            "/@id/{id}: {resolved} ({}), served as {content_type}",
            if loaded {
                "a plugin loaded it"
            } else {
                "the file"
            }
        );
        Some(ById {
            content_type,
            code,
            file,
            compiled_file: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn what_is_served_by_id() {
        assert_eq!(
            content_type("/p/overlay.mjs?__x", true),
            Some("text/javascript")
        );
        assert_eq!(content_type("/p/a.css", true), Some("text/css"));
        assert_eq!(
            content_type("\0virtual:options", false),
            Some("text/javascript")
        );
        assert_eq!(
            content_type("/@plugin-runtime", false),
            Some("text/javascript")
        );
        assert_eq!(content_type("/p/App.vue", true), None);
        assert_eq!(content_type("/p/main.ts", true), None);
        assert_eq!(content_type("/p/no-extension", true), None);
    }
}
