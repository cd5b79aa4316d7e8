//! The planner's tables: each row a graph in the DSL of `crate::testing`, the changed (or
//! invalidating) modules, and the plan rendered in one line.

use super::*;
use crate::testing::{graph, indices, render_plan};

/// Each row: (what it shows, graph, changed modules (`html` = the HTML), expected plan).
#[test]
fn plan_update_table() {
    let table: &[(&str, &str, &str, &str)] = &[
        (
            "self-accepting leaf",
            "main -> leaf; leaf: self",
            "leaf",
            "hot send=[leaf] invalidate=[leaf] boundaries=[leaf self]",
        ),
        (
            "boundary two importers up: the module in between is re-evaluated too",
            "main -> top; top -> mid; mid -> leaf; top: self",
            "leaf",
            "hot send=[leaf] invalidate=[leaf, mid, top] boundaries=[top self]",
        ),
        (
            "accepted dep: the accepting importer is not re-evaluated",
            "main -> app; app -> leaf; app: accept leaf",
            "leaf",
            "hot send=[leaf] invalidate=[leaf] boundaries=[app accepts leaf]",
        ),
        (
            "accepted dep two levels up: the path up to the boundary is re-evaluated",
            "main -> app; app -> mid; mid -> leaf; app: accept mid",
            "leaf",
            "hot send=[leaf] invalidate=[leaf, mid] boundaries=[app accepts mid]",
        ),
        (
            "multiple boundaries",
            "main -> a b; a -> leaf; b -> leaf; a: self; b: accept leaf",
            "leaf",
            "hot send=[leaf] invalidate=[leaf, a] boundaries=[a self, b accepts leaf]",
        ),
        (
            "one path with a boundary and one without: full reload",
            "main -> a b; a -> leaf; b -> leaf; a: self",
            "leaf",
            "reload: leaf changed and no module accepts it (via leaf <- b <- main)",
        ),
        (
            "no boundary up to the entry: the chain is reported",
            "main -> a; a -> leaf",
            "leaf",
            "reload: leaf changed and no module accepts it (via leaf <- a <- main)",
        ),
        (
            "the changed module is the entry",
            "main -> a",
            "main",
            "reload: main changed and no module accepts it",
        ),
        (
            "an orphan (nobody imports it) reached without a boundary",
            "main -> a; orphan -> leaf; a -> leaf; a: self",
            "leaf",
            "reload: leaf changed and no module accepts it (via leaf <- orphan)",
        ),
        (
            "cycle without a boundary terminates with a reload",
            "main -> a; a -> b; b -> a",
            "b",
            "reload: b changed and no module accepts it (via b <- a <- main)",
        ),
        (
            "cycle with only the entry in it terminates with a reload",
            "main -> a; a -> main",
            "a",
            "reload: a changed and no module accepts it (via a <- main)",
        ),
        (
            "cycle with a boundary",
            "main -> a; a -> b; b -> a; a: self",
            "b",
            "hot send=[b] invalidate=[a, b] boundaries=[a self]",
        ),
        (
            "a module reached only from a worker reloads the page",
            "main -> w; w: worker -> leaf",
            "leaf",
            "reload: leaf runs in a web worker, which restarts with the page",
        ),
        (
            "a lazily imported module that accepts itself is its own boundary",
            "main -> lazy; lazy: unloaded, self",
            "lazy",
            "hot send=[lazy] invalidate=[lazy] boundaries=[lazy self]",
        ),
        (
            "a lazily imported module propagates like any other: up to a boundary",
            "main -> a lazy; a -> leaf; lazy -> leaf; a: self; lazy: unloaded, self",
            "leaf",
            "hot send=[leaf] invalidate=[leaf, a, lazy] boundaries=[a self, lazy self]",
        ),
        (
            "a lazily imported module without a boundary up to the entry reloads",
            "main -> lazy; lazy: unloaded",
            "lazy",
            "reload: lazy changed and no module accepts it (via lazy <- main)",
        ),
        (
            "a lazily imported importer that accepts the dep is a boundary",
            "main -> a lazy; a -> leaf; lazy -> leaf; a: self; lazy: unloaded, accept leaf",
            "leaf",
            "hot send=[leaf] invalidate=[leaf, a] boundaries=[a self, lazy accepts leaf]",
        ),
        (
            "CSS only: each CSS module is its own boundary, no JS re-evaluated",
            "main -> app style.css; app -> theme.css; style.css -> base.css",
            "base.css, theme.css",
            "hot send=[theme.css, base.css] invalidate=[theme.css, base.css] \
             boundaries=[theme.css self, base.css self] css_only",
        ),
        (
            "CSS and JS together",
            "main -> app style.css; app -> leaf; app: self",
            "style.css, leaf",
            "hot send=[style.css, leaf] invalidate=[style.css, leaf, app] \
             boundaries=[app self, style.css self]",
        ),
        (
            "JSON is not self-accepting: it propagates to its importers",
            "main -> app; app -> data.json; app: self",
            "data.json",
            "hot send=[data.json] invalidate=[data.json, app] boundaries=[app self]",
        ),
        (
            "an asset without an accepting importer reloads",
            "main -> logo.svg",
            "logo.svg",
            "reload: logo.svg changed and no module accepts it (via logo.svg <- main)",
        ),
        (
            "HTML changed",
            "main -> a; a: self",
            "html, a",
            "reload: index.html changed",
        ),
        ("nothing changed", "main -> a", "", "nothing"),
        (
            "self-import of a self-accepting module",
            "main -> a; a -> a; a: self",
            "a",
            "hot send=[a] invalidate=[a] boundaries=[a self]",
        ),
        (
            "self-import without a boundary terminates with a reload",
            "main -> a; a -> a",
            "a",
            "reload: a changed and no module accepts it (via a <- main)",
        ),
        (
            "two changed modules sharing a boundary, duplicates in the input",
            "main -> app; app -> x y; app: self",
            "y, x, y",
            "hot send=[x, y] invalidate=[x, y, app] boundaries=[app self]",
        ),
        (
            "a changed module that imports another changed one",
            "main -> a; a -> b; a: self",
            "b, a",
            "hot send=[a, b] invalidate=[b, a] boundaries=[a self]",
        ),
        (
            "an importer that accepts a changed dep and changed itself",
            "main -> app; app -> leaf; app: accept leaf; main: self",
            "leaf, app",
            "hot send=[app, leaf] invalidate=[leaf, app, main] \
             boundaries=[main self, app accepts leaf]",
        ),
        (
            "diamond: the shared importer is re-evaluated once, after both",
            "main -> top; top -> l r; l -> leaf; r -> leaf; top: self",
            "leaf",
            "hot send=[leaf] invalidate=[leaf, l, r, top] boundaries=[top self]",
        ),
    ];
    let mut failures = Vec::new();
    for &(what, dsl, changed, expected) in table {
        let g = graph(dsl);
        let html_changed = changed.split(',').any(|n| n.trim() == "html");
        let names: Vec<&str> = changed
            .split(',')
            .map(str::trim)
            .filter(|n| *n != "html")
            .collect();
        let changed = indices(&g, &names.join(","));
        let plan = plan_update(
            &g,
            &Changes {
                changed: &changed,
                html_changed,
                changed_pages: &[],
                config_changed: None,
                first_compiled: &[],
                not_running: Default::default(),
            },
        );
        let actual = render_plan(&g, &plan);
        if actual != expected {
            failures.push(format!(
                "{what}\n  graph:    {dsl}\n  expected: {expected}\n  actual:   {actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Each row: (what it shows, graph, invalidating module, already invalidated, expected).
#[test]
fn plan_invalidate_table() {
    let table: &[(&str, &str, &str, &str, &str)] = &[
        (
            "the importers update as if the module changed; no code is sent",
            "main -> app; app -> comp; app: self; comp: self",
            "comp",
            "",
            "hot send=[] invalidate=[app] boundaries=[app self]",
        ),
        (
            "an importer accepting the module is the boundary",
            "main -> app; app -> comp; app: accept comp; comp: self",
            "comp",
            "",
            "hot send=[] invalidate=[] boundaries=[app accepts comp]",
        ),
        (
            "no boundary above: full reload",
            "main -> comp; comp: self",
            "comp",
            "",
            "reload: comp changed and no module accepts it (via comp <- main)",
        ),
        (
            "reaching a module already invalidated in this chain: circular",
            "main -> a; a -> b; b -> a; a: self; b: self",
            "b",
            "a",
            "reload: a invalidated itself in a loop",
        ),
        (
            "the module invalidating again in the same chain: circular",
            "main -> app; app -> comp; app: self; comp: self",
            "comp",
            "comp",
            "reload: comp invalidated itself in a loop",
        ),
        (
            "earlier invalidations off the path do not matter",
            "main -> app other; app -> comp; app: self; comp: self; other: self",
            "comp",
            "other",
            "hot send=[] invalidate=[app] boundaries=[app self]",
        ),
    ];
    let mut failures = Vec::new();
    for &(what, dsl, module, already, expected) in table {
        let g = graph(dsl);
        let module = indices(&g, module)[0];
        let already = indices(&g, already);
        let actual = render_plan(&g, &plan_invalidate(&g, module, &already));
        if actual != expected {
            failures.push(format!(
                "{what}\n  graph:    {dsl}\n  expected: {expected}\n  actual:   {actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A module no open page runs (another page's entry that accepts nothing, a route not
/// visited): the walk does not go up through it, so its dead end reloads no tab.
#[test]
fn a_module_no_open_page_runs_is_not_walked_through() {
    let g = graph("main -> shared; strict -> shared; main: self");
    let changed = indices(&g, "shared");
    let strict = indices(&g, "strict")[0];
    let plan = |not_running: NotRunning<'_>| {
        let changes = Changes {
            changed: &changed,
            not_running,
            ..Changes::default()
        };
        render_plan(&g, &plan_update(&g, &changes))
    };
    assert_eq!(
        plan(NotRunning::default()),
        "reload: shared changed and no module accepts it (via shared <- strict)"
    );
    let closed = |m: ModuleIndex| m == strict;
    assert_eq!(
        plan(NotRunning(Some(&closed))),
        "hot send=[shared] invalidate=[shared, main] boundaries=[main self]"
    );
}
