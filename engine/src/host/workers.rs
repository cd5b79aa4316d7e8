//! Scripts a browser asked for by their URL. To run as a worker (`Project::workers`): a service
//! worker registered at a source file's URL (`navigator.serviceWorker.register('/src/sw.ts')`,
//! vite-plugin-pwa's `injectManifest` service worker in development) or a worker started from a
//! string URL (`new Worker('/src/w.ts', { type: 'module' })`). Under Vite the file is served as
//! a module; hotloop serves its worker script (the runtime and the worker's chunk, as for a
//! `new Worker(new URL(...))`), so each becomes a worker root of the graph when first asked
//! for, compiled in the build that follows. At run time in the page (`Project::url_scripts`,
//! [`EngineHost::url_script`]): an `import()` of a path only known then, a module script added
//! by code; each a lazy target of the page's graph, as another page's scripts are.

use std::sync::Arc;

use salsa::{Durability, Setter as _};

use crate::db::Db as _;
use crate::files::FileClass;

use super::EngineHost;

impl EngineHost {
    /// A browser asked for module `id` (`/src/sw.ts`) as a worker. True when it was taken in:
    /// the next `build` compiles it and the snapshot after it serves its worker script; false
    /// for what is no script of the project, or one taken in already. Call between builds.
    pub fn open_worker(&mut self, id: &str) -> bool {
        let Some(file) = self.script_at(id) else {
            return false;
        };
        let workers = self.project.workers(&self.db);
        if workers.contains(&file) {
            return false;
        }
        let workers: Arc<[_]> = workers.iter().copied().chain([file]).collect();
        self.project
            .set_workers(&mut self.db)
            .with_durability(Durability::LOW)
            .to(workers);
        self.pending.pages_changed = true;
        tracing::debug!("{id}: asked for as a worker");
        true
    }

    /// The script of the project at module id `id` (`/src/sw.ts`): a file under the root that
    /// hotloop compiles as a script; `None` for anything else.
    fn script_at(&self, id: &str) -> Option<crate::inputs::SourceFile> {
        let relative = id.trim_start_matches('/');
        if relative.is_empty() || relative.split('/').any(|s| s == ".." || s.is_empty()) {
            return None;
        }
        let path = self.root.join(relative);
        if !matches!(FileClass::of(&path), FileClass::Script(_)) || !path.is_file() {
            return None;
        }
        Some(self.db.files().get_or_read(&self.db, &path))
    }

    /// A page asked for the lazy chunk of module `id`, which no `import()` of its graph names:
    /// a script of the project asked for by its URL at run time (`import(url)` of a path only
    /// known then, a `<script type="module" src>` added by code) becomes a lazy target
    /// (`Project::url_scripts`), its file returned; `None` for anything else.
    pub(super) fn url_script(&mut self, id: &str) -> Option<crate::inputs::SourceFile> {
        let file = self.script_at(id)?;
        let scripts = self.project.url_scripts(&self.db);
        if !scripts.contains(&file) {
            let scripts: Arc<[_]> = scripts.iter().copied().chain([file]).collect();
            self.project
                .set_url_scripts(&mut self.db)
                .with_durability(Durability::LOW)
                .to(scripts);
            self.pending.pages_changed = true;
            tracing::debug!("{id}: asked for by its URL at run time");
        }
        Some(file)
    }
}
