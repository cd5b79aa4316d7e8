//! [`InertPlugins`]: a project's plugins as far as the engine can tell when none of them takes
//! a module, for tests of what plugins do besides compiling.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use hotloop_protocol::plugin::{CustomEvent, Output, PluginError, Plugins, Resolved};

/// Plugins that answer no `resolveId`, `load` or `transform`; what they report otherwise is
/// the test's to set: the custom events they sent on their own (a middleware's, a timer's),
/// whether a hook has answered anything (`Plugins::hooks_answered`), and the files whose hot
/// update they do themselves (their `hotUpdate` answers `[]`; any other file's, nothing).
#[derive(Default)]
pub struct InertPlugins {
    pub events: Mutex<Vec<CustomEvent>>,
    pub answered: AtomicBool,
    /// Path suffixes (`/src/view.js`) of the files whose hot update the plugins handle.
    pub handles: Mutex<Vec<String>>,
    /// While set, each hot update sends the custom event `hot` with the file (i18next-hmr's
    /// `handleHotUpdate` forwarding a locale file's edit).
    pub announce_hot_updates: AtomicBool,
    /// How many times the engine said a page rendered (`Plugins::page_rendered`).
    pub rendered: std::sync::atomic::AtomicUsize,
}

impl InertPlugins {
    /// Says a hook answered (or not, again).
    pub fn set_answered(&self, answered: bool) {
        self.answered.store(answered, Ordering::Relaxed);
    }
}

// The trait's own shape (see `Plugins`: a large but rare error).
#[allow(clippy::result_large_err)]
impl Plugins for InertPlugins {
    fn fingerprint(&self) -> u64 {
        1
    }
    fn hooks_answered(&self) -> bool {
        self.answered.load(Ordering::Relaxed)
    }
    fn page_rendered(&self) {
        self.rendered.fetch_add(1, Ordering::Relaxed);
    }
    fn wants_resolve(&self, _: &str) -> bool {
        false
    }
    fn resolve_id(&self, _: &str, _: Option<&str>) -> Result<Option<Resolved>, PluginError> {
        Ok(None)
    }
    fn wants_load(&self, _: &str) -> bool {
        false
    }
    fn load(&self, _: &str) -> Result<Option<Output>, PluginError> {
        Ok(None)
    }
    fn wants_transform(&self, _: &str, _: &str) -> bool {
        false
    }
    fn transform(&self, _: &str, _: &str) -> Result<Option<Output>, PluginError> {
        Ok(None)
    }
    fn hot_update(
        &self,
        file: &str,
        _: &[String],
        _: &[String],
        _text: Option<&str>,
    ) -> Result<Option<Vec<String>>, PluginError> {
        if self.announce_hot_updates.load(Ordering::Relaxed) {
            self.events
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(CustomEvent {
                    event: "hot".into(),
                    data: serde_json::to_string(file).unwrap_or_default(),
                    client: None,
                });
        }
        let handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        Ok(handles
            .iter()
            .any(|suffix| file.ends_with(suffix.as_str()))
            .then(Vec::new))
    }
    fn take_custom_events(&self) -> Vec<CustomEvent> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// What [`TransformPlugins`]' `transform` does: `(plugins, id, code)` → the hook's answer (the
/// error boxed: `PluginError` is large).
type TransformFn =
    dyn Fn(&TransformPlugins, &str, &str) -> Result<Option<Output>, Box<PluginError>> + Send + Sync;

/// Plugins whose one hook is `transform`, for the modules whose ids end with one of `ids`; what
/// it answers is the test's function, which may mark modules stale (`stale`, as a plugin's
/// `server.ws.send({ type: 'update' })` or `invalidateModule` does) or stop the host
/// (`stopped`, a plugin host shutting down).
pub struct TransformPlugins {
    ids: Vec<&'static str>,
    transform: Box<TransformFn>,
    /// The module ids the plugins marked stale, taken by the engine (`take_invalidated`).
    pub stale: Mutex<Vec<String>>,
    pub stopped: AtomicBool,
}

impl TransformPlugins {
    /// `ids`: suffixes (`/src/main.js`) of the module ids the `transform` hook takes.
    pub fn new(
        ids: &[&'static str],
        transform: impl Fn(&TransformPlugins, &str, &str) -> Result<Option<Output>, Box<PluginError>>
        + Send
        + Sync
        + 'static,
    ) -> TransformPlugins {
        TransformPlugins {
            ids: ids.to_vec(),
            transform: Box::new(transform),
            stale: Mutex::default(),
            stopped: AtomicBool::new(false),
        }
    }

    /// Marks the module `id` stale.
    pub fn mark_stale(&self, id: impl Into<String>) {
        self.stale
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(id.into());
    }
}

#[allow(clippy::result_large_err)]
impl Plugins for TransformPlugins {
    fn fingerprint(&self) -> u64 {
        2
    }
    fn wants_resolve(&self, _: &str) -> bool {
        false
    }
    fn resolve_id(&self, _: &str, _: Option<&str>) -> Result<Option<Resolved>, PluginError> {
        Ok(None)
    }
    fn wants_load(&self, _: &str) -> bool {
        false
    }
    fn load(&self, _: &str) -> Result<Option<Output>, PluginError> {
        Ok(None)
    }
    fn wants_transform(&self, id: &str, _: &str) -> bool {
        self.ids.iter().any(|suffix| id.ends_with(suffix))
    }
    fn transform(&self, id: &str, code: &str) -> Result<Option<Output>, PluginError> {
        (self.transform)(self, id, code).map_err(|e| *e)
    }
    fn hot_update(
        &self,
        _: &str,
        _: &[String],
        _: &[String],
        _text: Option<&str>,
    ) -> Result<Option<Vec<String>>, PluginError> {
        Ok(None)
    }
    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
    fn take_invalidated(&self) -> Vec<String> {
        std::mem::take(&mut *self.stale.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
