//! Query sub-modules answered ahead of their own request: a module's `resolveIds` request
//! carries the module's text when its transform just ran here (`subModules: { code }`), and
//! the host answers each specifier that resolves to a query sub-module of that same file
//! (`App.vue?vue&type=style&index=0&lang.css`) with the sub-module's `load` and `transform`
//! chains already run (`preload`; `js/host.js`, `preloadSubModules`: Vite's
//! `preTransformRequests` at the same point). The sub-module's own `loadTransform` then takes
//! that answer from here instead of making a round trip: one fewer per `.vue` or `.svelte`
//! file with a `<style>` block.
//!
//! An answer is only ever what the request would have got: it is taken once, only for the
//! same environment, id and text (a hash of the file's text, which is the sub-module's), and
//! only while nothing the plugins could have seen since changed. [`Preloads::invalidate`]
//! drops everything when the host restarts or loads a config, and when hotloop reports
//! changed files or runs a hot update (the plugins' state of a file, or a file a hook read,
//! may be new); an answer that arrives after that is not kept. Both tables are bounded: what
//! nobody takes (a build cancelled, the sub-module's compile found in the compile cache) is
//! dropped wholesale past [`MAX_ENTRIES`].

use std::collections::HashMap;
use std::sync::Mutex;

use hotloop_protocol::plugin::{LoadTransform, PluginEnv, PluginError};

/// Past this many entries a table is emptied (an answer not kept costs one round trip): a
/// module's imports are resolved right after its transform, and a sub-module is compiled
/// soon after it was found, so a build keeps far fewer waiting at once.
pub(crate) const MAX_ENTRIES: usize = 1024;

type Key = (PluginEnv, String);

/// What `load_and_transform_in` would have answered.
pub(crate) type Answer = Result<LoadTransform, PluginError>;

#[derive(Default)]
pub(crate) struct Preloads {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Bumped by every [`Preloads::invalidate`].
    generation: u64,
    /// The text of each module whose transform ran here, until its imports are resolved.
    transformed: HashMap<Key, String>,
    /// Sub-modules' answers, with the hash of the text they were made from.
    answers: HashMap<Key, (u64, Answer)>,
}

impl Preloads {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets everything; answers of requests already in flight will not be kept.
    pub(crate) fn invalidate(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.transformed.clear();
        inner.answers.clear();
    }

    /// The transform of `id` (text `code`) ran, and its output (`output`) may import query
    /// sub-modules of the file (it names the file's id with a query).
    pub(crate) fn transformed(&self, env: PluginEnv, id: &str, code: &str, output: &str) {
        if !names_sub_module(output, id) {
            return;
        }
        let mut inner = self.lock();
        if inner.transformed.len() >= MAX_ENTRIES {
            inner.transformed.clear();
        }
        inner
            .transformed
            .insert((env, id.to_string()), code.to_string());
    }

    /// The text to send with `importer`'s `resolveIds` (its transform ran here since the last
    /// invalidation), and the generation to hand back to [`Preloads::keep`].
    pub(crate) fn text_of(&self, env: PluginEnv, importer: &str) -> Option<(String, u64)> {
        let mut inner = self.lock();
        let code = inner.transformed.remove(&(env, importer.to_string()))?;
        Some((code, inner.generation))
    }

    /// Keeps a sub-module's answer made from `code`, unless something was invalidated since
    /// `generation`.
    pub(crate) fn keep(
        &self,
        env: PluginEnv,
        id: &str,
        code: &str,
        generation: u64,
        answer: Answer,
    ) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.answers.len() >= MAX_ENTRIES {
            inner.answers.clear();
        }
        inner
            .answers
            .insert((env, id.to_string()), (hash(code), answer));
    }

    /// The answer kept for `id` made from this `code`, taken (a second request asks the host).
    pub(crate) fn take(&self, env: PluginEnv, id: &str, code: &str) -> Option<Answer> {
        let mut inner = self.lock();
        let (made_from, answer) = inner.answers.remove(&(env, id.to_string()))?;
        (made_from == hash(code)).then_some(answer)
    }

    #[cfg(test)]
    fn len(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.transformed.len(), inner.answers.len())
    }
}

fn hash(code: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(code.as_bytes())
}

/// Whether `output` names `id` followed by a query (`"/p/App.vue?vue&type=style..."`): the
/// only outputs whose resolved imports can be the file's own sub-modules worth asking for.
fn names_sub_module(output: &str, id: &str) -> bool {
    !id.contains('?')
        && output
            .match_indices(id)
            .any(|(at, _)| output[at + id.len()..].starts_with('?'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(code: &str) -> Answer {
        Ok(LoadTransform {
            loaded: Some(hotloop_protocol::plugin::Output {
                code: code.to_string(),
                ..Default::default()
            }),
            transformed: Ok(None),
        })
    }

    const ENV: PluginEnv = PluginEnv::Client;

    #[test]
    fn only_a_transform_that_imports_its_own_sub_module_is_remembered() {
        let p = Preloads::default();
        p.transformed(ENV, "/p/A.vue", "text", "import '/p/B.vue?vue'");
        p.transformed(
            ENV,
            "/p/A.vue?vue&type=script",
            "text",
            "import '/p/A.vue?x'",
        );
        assert_eq!(p.len(), (0, 0));
        p.transformed(
            ENV,
            "/p/A.vue",
            "text",
            "import \"/p/A.vue?vue&type=style\"",
        );
        assert_eq!(p.text_of(PluginEnv::Ssr, "/p/A.vue"), None);
        assert_eq!(p.text_of(ENV, "/p/A.vue"), Some(("text".to_string(), 0)));
        assert_eq!(p.text_of(ENV, "/p/A.vue"), None, "taken once");
    }

    #[test]
    fn an_answer_is_taken_once_for_the_same_text_and_not_kept_across_an_invalidation() {
        let p = Preloads::default();
        let id = "/p/A.vue?vue&type=style&index=0&lang.css";
        p.keep(ENV, id, "text", 0, answer("css"));
        assert_eq!(p.take(ENV, id, "other text"), None, "made from other text");
        assert_eq!(p.take(ENV, id, "text"), None, "a mismatch drops it");

        p.keep(ENV, id, "text", 0, answer("css"));
        assert_eq!(p.take(PluginEnv::Ssr, id, "text"), None);
        assert_eq!(p.take(ENV, id, "text"), Some(answer("css")));
        assert_eq!(p.take(ENV, id, "text"), None, "taken once");

        p.keep(ENV, id, "text", 0, answer("css"));
        p.invalidate();
        assert_eq!(p.take(ENV, id, "text"), None, "dropped");
        p.keep(ENV, id, "text", 0, answer("css"));
        assert_eq!(
            p.take(ENV, id, "text"),
            None,
            "an answer older than the invalidation"
        );
        p.keep(ENV, id, "text", 1, answer("css"));
        assert_eq!(p.take(ENV, id, "text"), Some(answer("css")));
    }

    #[test]
    fn the_tables_are_bounded() {
        let p = Preloads::default();
        for i in 0..MAX_ENTRIES + 10 {
            let id = format!("/p/{i}.vue");
            p.transformed(ENV, &id, "t", &format!("import '{id}?vue'"));
            p.keep(ENV, &format!("{id}?vue"), "t", 0, answer(""));
        }
        let (transformed, answers) = p.len();
        assert!(transformed <= MAX_ENTRIES && answers <= MAX_ENTRIES);
    }
}
