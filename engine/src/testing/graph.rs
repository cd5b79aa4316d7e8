//! The graph DSL: a `ModuleGraph` written as text, for the planner's tables, the dashboard's
//! explanations and the incremental suite's snapshots (which print graphs in it).
//!
//! One statement per line (or separated by `;`): `NAME [: FLAGS] [-> IMPORTS]`.
//! - `main -> a b` : `main` imports `a` and `b` (in that order);
//! - `a: self, accept b c, unloaded, worker, entry` : flags of `a`, comma-separated:
//!   `self` accepts itself, `accept ..` accepts those deps, `unloaded` (only
//!   reached through `import()`, never evaluated on page load), `worker` (the root of a web
//!   worker's environment), `entry` (an entry of the page), and a kind (`js`, `css`, `json`,
//!   `asset`) where the name's extension does not say it;
//! - `app: self -> util` : both at once.
//!
//! Modules are numbered in the order they are first named; the first is an entry. The kind
//! comes from the name: `*.css` is CSS, `*.json` JSON, `*.svg`/`*.png`/`*.gif` an asset,
//! anything else JS. Ids are the names.

use crate::environment::{EnvSet, EnvironmentKind};
use crate::graph::{Environment, GraphBuilder, GraphModule, ModuleGraph, ModuleIndex, ModuleKind};
use crate::plan::UpdatePlan;

#[derive(Default)]
struct Flags {
    self_accepts: bool,
    unloaded: bool,
    worker: bool,
    entry: bool,
    kind: Option<ModuleKind>,
    accepts: Vec<String>,
}

/// The kind a module's name implies.
fn kind_of(name: &str) -> ModuleKind {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => ModuleKind::Css,
        Some("json") => ModuleKind::Json,
        Some("svg" | "png" | "gif") => ModuleKind::Asset,
        _ => ModuleKind::Js,
    }
}

fn kind_name(kind: ModuleKind) -> &'static str {
    match kind {
        ModuleKind::Js => "js",
        ModuleKind::Css => "css",
        ModuleKind::Json => "json",
        ModuleKind::Asset => "asset",
    }
}

/// Builds the graph `dsl` describes (see the module docs).
#[track_caller]
pub fn graph(dsl: &str) -> ModuleGraph {
    let mut names: Vec<String> = Vec::new();
    let mut flags: Vec<Flags> = Vec::new();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut index = |name: &str, flags: &mut Vec<Flags>| -> usize {
        assert!(
            !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == ','),
            "bad module name {name:?} in {dsl:?}"
        );
        match names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                names.push(name.to_string());
                flags.push(Flags::default());
                names.len() - 1
            }
        }
    };
    let statements = dsl
        .lines()
        .flat_map(|line| line.split(';'))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    for statement in statements {
        let (head, imports) = match statement.split_once("->") {
            Some((head, imports)) => (head, Some(imports)),
            None => (statement, None),
        };
        let (name, list) = match head.split_once(':') {
            Some((name, list)) => (name.trim(), Some(list)),
            None => (head.trim(), None),
        };
        let module = index(name, &mut flags);
        for flag in list.into_iter().flat_map(|l| l.split(',')).map(str::trim) {
            let mut words = flag.split_whitespace();
            let f = &mut flags[module];
            match words.next() {
                Some("self") => f.self_accepts = true,
                Some("unloaded") => f.unloaded = true,
                Some("worker") => f.worker = true,
                Some("entry") => f.entry = true,
                Some("accept") => f.accepts.extend(words.map(str::to_string)),
                Some("js") => f.kind = Some(ModuleKind::Js),
                Some("css") => f.kind = Some(ModuleKind::Css),
                Some("json") => f.kind = Some(ModuleKind::Json),
                Some("asset") => f.kind = Some(ModuleKind::Asset),
                other => panic!("unknown flag {other:?} in {dsl:?}"),
            }
        }
        for import in imports.into_iter().flat_map(str::split_whitespace) {
            let to = index(import, &mut flags);
            edges.push((module, to));
        }
    }
    let mut b = GraphBuilder::default();
    for (name, f) in names.iter().zip(&flags) {
        b.add(GraphModule {
            id: name.as_str().into(),
            kind: f.kind.unwrap_or_else(|| kind_of(name)),
            self_accepts: f.self_accepts,
            accepted_deps: Box::new([]),
            loaded: !f.unloaded,
            environments: EnvSet::EMPTY,
            refresh_refused: None,
        });
    }
    for (i, f) in flags.iter().enumerate() {
        let accepted: Vec<ModuleIndex> = f
            .accepts
            .iter()
            .map(|dep| {
                let d = names.iter().position(|n| n == dep);
                ModuleIndex(d.unwrap_or_else(|| panic!("unknown dep {dep} in {dsl:?}")) as u32)
            })
            .collect();
        b.module_mut(ModuleIndex(i as u32)).accepted_deps = accepted.into();
    }
    let entries: Vec<ModuleIndex> = (0..names.len())
        .filter(|&i| flags[i].entry || i == 0)
        .map(|i| ModuleIndex(i as u32))
        .collect();
    for &entry in &entries {
        b.add_entry(entry);
    }
    for (from, to) in edges {
        b.add_import(ModuleIndex(from as u32), ModuleIndex(to as u32));
    }
    if flags.iter().any(|f| f.worker) {
        b.add_environment(Environment {
            kind: EnvironmentKind::Page,
            name: "client".into(),
            roots: entries.into(),
        });
        for (i, _) in flags.iter().enumerate().filter(|(_, f)| f.worker) {
            b.add_environment(Environment {
                kind: EnvironmentKind::Worker,
                name: names[i].as_str().into(),
                roots: Box::new([ModuleIndex(i as u32)]),
            });
        }
    }
    b.finish()
}

/// The indices of the modules named in `names` (whitespace- or comma-separated).
#[track_caller]
pub fn indices(graph: &ModuleGraph, names: &str) -> Vec<ModuleIndex> {
    names
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .map(|n| {
            graph
                .index_of(n)
                .unwrap_or_else(|| panic!("no module {n} in the graph"))
        })
        .collect()
}

/// `graph` in the DSL, one line per module in graph order (what [`graph()`] reads back,
/// except that a worker's environment is the one its `worker` module roots).
pub fn render_graph(graph: &ModuleGraph) -> String {
    let name = |i: &ModuleIndex| graph.module(*i).id.to_string();
    let workers: Vec<&str> = graph
        .environments
        .iter()
        .filter(|e| e.kind == EnvironmentKind::Worker)
        .map(|e| &*e.name)
        .collect();
    let mut out = String::new();
    for index in graph.indices() {
        let m = graph.module(index);
        let mut flags: Vec<String> = Vec::new();
        if m.kind != kind_of(&m.id) {
            flags.push(kind_name(m.kind).to_string());
        }
        if graph.entries.contains(&index) && index.0 != 0 {
            flags.push("entry".to_string());
        }
        if m.self_accepts {
            flags.push("self".to_string());
        }
        if !m.accepted_deps.is_empty() {
            let deps: Vec<String> = m.accepted_deps.iter().map(name).collect();
            flags.push(format!("accept {}", deps.join(" ")));
        }
        if !m.loaded {
            flags.push("unloaded".to_string());
        }
        if workers.contains(&&*m.id) {
            flags.push("worker".to_string());
        }
        out.push_str(&m.id);
        if !flags.is_empty() {
            out.push_str(": ");
            out.push_str(&flags.join(", "));
        }
        let imports = graph.imports(index);
        if !imports.is_empty() {
            let imports: Vec<String> = imports.iter().map(name).collect();
            out.push_str(" -> ");
            out.push_str(&imports.join(" "));
        }
        out.push('\n');
    }
    out
}

/// An update plan in one line: `nothing`, `reload: <reason>`, or
/// `hot send=[..] invalidate=[..] boundaries=[a self, b accepts c] [css_only]`.
pub fn render_plan(graph: &ModuleGraph, plan: &UpdatePlan) -> String {
    let name = |m: &ModuleIndex| graph.module(*m).id.to_string();
    let list = |ms: &[ModuleIndex]| ms.iter().map(name).collect::<Vec<_>>().join(", ");
    match plan {
        UpdatePlan::Nothing => "nothing".to_string(),
        UpdatePlan::FullReload(reason) => format!("reload: {reason}"),
        UpdatePlan::Hot(hot) => {
            let boundaries = hot
                .boundaries
                .iter()
                .map(|b| match b.accepted_dep {
                    None => format!("{} self", name(&b.module)),
                    Some(dep) => format!("{} accepts {}", name(&b.module), name(&dep)),
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "hot send=[{}] invalidate=[{}] boundaries=[{}]{}",
                list(&hot.send),
                list(&hot.invalidate),
                boundaries,
                if hot.css_only { " css_only" } else { "" }
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dsl_builds_the_graph_it_describes() {
        let g = graph("main -> a b.css; a: self, accept b.css -> b.css\nb.css: unloaded");
        let [main, a, b] = [0, 1, 2].map(ModuleIndex);
        assert_eq!(g.entries, vec![main]);
        assert_eq!(g.imports(main), &[a, b]);
        assert_eq!(g.importers(b), &[main, a]);
        assert!(g.module(a).self_accepts);
        assert_eq!(&*g.module(a).accepted_deps, &[b]);
        assert_eq!(g.module(b).kind, ModuleKind::Css);
        assert!(!g.module(b).loaded);
        assert!(g.module(main).loaded);
    }

    #[test]
    fn workers_and_entries_make_environments() {
        let g = graph("main -> w shared; w: worker -> shared; other: entry, json");
        let envs: Vec<&str> = g.environments.iter().map(|e| &*e.name).collect();
        assert_eq!(envs, ["client", "w"]);
        assert_eq!(g.entries, [ModuleIndex(0), ModuleIndex(3)]);
        let shared = g.module(indices(&g, "shared")[0]);
        assert_eq!(shared.environments.iter().count(), 2);
        assert_eq!(g.module(ModuleIndex(3)).kind, ModuleKind::Json);
    }

    #[test]
    fn a_rendered_graph_reads_back_as_the_same_graph() {
        let dsl = "main -> a style.css\na: self, accept b -> b\nb: unloaded\n\
                   style.css\nw.js: worker -> b\nx.png: js, entry\n";
        let g = graph(dsl);
        let rendered = render_graph(&g);
        assert_eq!(
            rendered,
            "main -> a style.css\na: self, accept b -> b\nstyle.css\nb: unloaded\n\
             w.js: worker -> b\nx.png: js, entry\n"
        );
        assert_eq!(graph(&rendered), g);
    }
}
