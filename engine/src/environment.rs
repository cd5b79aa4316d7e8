//! Environments: where a module runs. Each is a graph of its own over the one set of modules
//! (roots, the modules they reach, their own chunk) with its own rules: resolve conditions,
//! what the start call says, and how an update that reaches it applies. The page is the
//! environment every project has; each web worker is one more; the server graph of server-side
//! HMR will be another kind, an addition here rather than a special case elsewhere.
//!
//! A module reached by several environments is still one module: one input, one parse, one
//! entry in the graph, with the set of environments it runs in ([`EnvSet`]).
//!
//! Plain data, no salsa; the graph holds the environments themselves (`graph::Environment`).
//!
//! An `EnvironmentKind` (page, worker, server) carries its rules: its resolve conditions and
//! `package.json` main fields, what its start call says, and its `UpdateRule` (the running code
//! takes an update in place, or, in a worker, the page reloads).

/// What kind of runtime an environment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnvironmentKind {
    /// The page: the runtime's page host, a WebSocket, `import.meta.hot`.
    Page,
    /// A web worker (`new Worker(new URL(...))`, `?worker`, `?sharedworker`): the runtime's
    /// worker host, no socket, no `import.meta.hot`.
    Worker,
    /// The app's server (`--server FILE`, server-side HMR): a Node.js process on the runtime's
    /// Node host, fed update frames over a pipe. It resolves with Node's conditions, and npm
    /// packages are Node's own to load (externalized, as Vite's SSR does): only the project's
    /// sources and linked workspace packages are modules of its graph.
    Server,
}

/// How an update that reaches one of an environment's modules applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateRule {
    /// The running code takes the new modules in place (accept, dispose, re-evaluate).
    Hot,
    /// The running code cannot take new code: the page reloads, which restarts it.
    ReloadPage,
}

impl EnvironmentKind {
    pub fn update_rule(self) -> UpdateRule {
        match self {
            EnvironmentKind::Page | EnvironmentKind::Server => UpdateRule::Hot,
            EnvironmentKind::Worker => UpdateRule::ReloadPage,
        }
    }

    /// `exports`/`imports` conditions for `import` (the first list) and `require` (the
    /// second). Browsers, workers included, resolve the same way (Vite's default client
    /// conditions); the server as Node does.
    pub fn resolve_conditions(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            EnvironmentKind::Page | EnvironmentKind::Worker => (
                &["module", "browser", "import", "development", "default"],
                &["module", "browser", "require", "development", "default"],
            ),
            EnvironmentKind::Server => (
                &["node", "import", "development", "default"],
                &["node", "require", "development", "default"],
            ),
        }
    }

    /// `package.json` fields tried, in order, for a package without `exports`.
    pub fn main_fields(self) -> &'static [&'static str] {
        match self {
            EnvironmentKind::Page | EnvironmentKind::Worker => &["browser", "module", "main"],
            EnvironmentKind::Server => &["main"],
        }
    }

    /// Whether the environment runs in a browser (the `browser` field's remaps apply).
    pub fn is_browser(self) -> bool {
        !matches!(self, EnvironmentKind::Server)
    }

    /// What the environment's start call adds to its options object (`__hotloop.start([...],
    /// {<this>...})`): how the runtime picks its host.
    pub fn start_option(self) -> Option<&'static str> {
        match self {
            EnvironmentKind::Page => None,
            EnvironmentKind::Worker => Some("\"worker\":true"),
            EnvironmentKind::Server => Some("\"server\":true"),
        }
    }
}

/// The index of an environment in `ModuleGraph::environments`; the page is always 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvIndex(pub u8);

impl EnvIndex {
    pub const PAGE: EnvIndex = EnvIndex(0);
}

/// The environments a module runs in, as a bit set (at most 128 environments; more workers
/// than that share the last bit's fate: they are all treated as one for planning).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EnvSet(u128);

impl EnvSet {
    pub const EMPTY: EnvSet = EnvSet(0);
    pub const PAGE: EnvSet = EnvSet(1);

    fn bit(env: EnvIndex) -> u128 {
        1u128 << env.0.min(127)
    }

    /// Adds `env`; returns whether it was new.
    pub fn insert(&mut self, env: EnvIndex) -> bool {
        let bit = EnvSet::bit(env);
        let new = self.0 & bit == 0;
        self.0 |= bit;
        new
    }

    pub fn contains(self, env: EnvIndex) -> bool {
        self.0 & EnvSet::bit(env) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The environments in the set, lowest first.
    pub fn iter(self) -> impl Iterator<Item = EnvIndex> {
        (0u8..128)
            .filter(move |&i| self.0 & (1u128 << i) != 0)
            .map(EnvIndex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_lists_what_was_inserted_once() {
        let mut set = EnvSet::EMPTY;
        assert!(set.is_empty());
        assert!(set.insert(EnvIndex(3)));
        assert!(!set.insert(EnvIndex(3)));
        assert!(set.insert(EnvIndex::PAGE));
        assert_eq!(set.iter().collect::<Vec<_>>(), [EnvIndex(0), EnvIndex(3)]);
        assert!(set.contains(EnvIndex(3)) && !set.contains(EnvIndex(2)));
        assert_eq!(EnvSet::PAGE.iter().collect::<Vec<_>>(), [EnvIndex::PAGE]);
    }

    #[test]
    fn only_the_page_and_the_server_take_updates_in_place() {
        assert_eq!(EnvironmentKind::Page.update_rule(), UpdateRule::Hot);
        assert_eq!(EnvironmentKind::Server.update_rule(), UpdateRule::Hot);
        assert_eq!(
            EnvironmentKind::Worker.update_rule(),
            UpdateRule::ReloadPage
        );
    }
}
