//! Memory over a long session: edit cycles on a generated 1000-module project (a tree like
//! hmrbench's plain fixture: node i imports nodes 10i+1..10i+10, leaves self-accept), with the
//! server's RSS read from `/proc` every 100 edits. Most edits change a leaf's body (a hot
//! update); every tenth changes a middle module (a full reload: new chunk) and every tenth
//! adds or drops an import in a leaf (the graph is rebuilt). CI runs 300 edits and bounds the growth
//! after warm-up; `HOTLOOP_LONG_TESTS=1` runs 1000 and prints the growth per 100 edits.

use engine::testing::tree::{self, file_of, relative};
use hotloop_protocol::wire::ServerMessage;

use crate::support::{Project, Server, WAIT, long_tests, rss_report, version_in};

const MODULES: usize = 1000;

fn children(i: usize) -> Vec<usize> {
    tree::children(i, MODULES)
}

fn module(i: usize, version: usize) -> String {
    module_importing(i, version, None)
}

/// `extra`: one more module to import (a structural edit).
fn module_importing(i: usize, version: usize, extra: Option<usize>) -> String {
    let file = file_of(i);
    let kids = children(i);
    let mut text = String::new();
    if let Some(extra) = extra {
        text.push_str(&format!("import '{}';\n", relative(&file, &file_of(extra))));
    }
    for (n, k) in kids.iter().enumerate() {
        text.push_str(&format!(
            "import {{ v as c{n} }} from '{}';\n",
            relative(&file, &file_of(*k))
        ));
    }
    let sum: Vec<String> = (0..kids.len()).map(|n| format!("c{n}")).collect();
    text.push_str(&format!("export const value = \"m{i}:v{version}\";\n"));
    if kids.is_empty() {
        text.push_str(&format!(
            "const TEXT = \"leaf {i} v{version}\";\nlet el = document.getElementById(\"leaf-{i}\");\nif (el) el.textContent = TEXT;\nexport const v = 1;\nif (import.meta.hot) import.meta.hot.accept();\n"
        ));
    } else {
        text.push_str(&format!("export const v = {};\n", sum.join(" + ")));
    }
    text
}

fn leaves() -> Vec<usize> {
    (1..MODULES).filter(|&i| children(i).is_empty()).collect()
}

fn generate() -> Project {
    let p = Project::from_files(&[(
        "index.html",
        "<!doctype html><div id=app></div><script type=module src=/src/main.js></script>",
    )]);
    for i in 0..MODULES {
        p.write(&file_of(i), module(i, 0));
    }
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_stays_flat_over_many_edits() {
    let p = generate();
    let mut server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;
    let edits = if long_tests() { 1000 } else { 300 };
    let leaves = leaves();
    let mids: Vec<usize> = (1..MODULES).filter(|&i| !children(i).is_empty()).collect();
    let mut samples = vec![(0, server.rss_kib())];
    for n in 1..=edits {
        let leaf = leaves[(n * 37) % leaves.len()];
        let id = format!("/{}", file_of(leaf));
        let name = format!("m{leaf}");
        match n % 10 {
            0 => {
                let mid = mids[(n / 10) % mids.len()];
                p.write(&file_of(mid), module(mid, n));
                client
                    .until(WAIT, |m| matches!(m, ServerMessage::FullReload { .. }))
                    .await;
            }
            5 => {
                let other = leaves[(n * 11) % leaves.len()];
                let extra = (other != leaf && (n / 10) % 2 == 0).then_some(other);
                p.write(&file_of(leaf), module_importing(leaf, n, extra));
                client
                    .until_module(&id, WAIT, |c| version_in(c, &name) == Some(n))
                    .await;
            }
            _ => {
                p.write(&file_of(leaf), module(leaf, n));
                client
                    .until_module(&id, WAIT, |c| version_in(c, &name) == Some(n))
                    .await;
            }
        }
        // The test keeps what it receives; the server must not.
        client.messages.clear();
        if n % 100 == 0 {
            samples.push((n, server.rss_kib()));
        }
    }
    server.assert_serving().await;
    let chunk = server.get("/_hotloop/chunk.js").await;
    assert_eq!(chunk.status, 200);
    let report = rss_report(&samples);
    eprintln!(
        "memory: {MODULES} modules, {edits} edits; RSS at start {} MiB; per 100 edits: {report}",
        samples[0].1 / 1024
    );
    // After the first 100 edits (warm-up) RSS moves with the allocator's caches, a few MB up
    // and down, but must not trend: a leak of every revision's chunk (~1 MB here) or of
    // its emitted code and maps would add tens of MB.
    let warm = samples[1].1;
    let last = samples.last().expect("samples").1;
    let growth = last as i64 - warm as i64;
    assert!(
        growth < 10 * 1024,
        "RSS grew {growth} KiB after warm-up: {report}"
    );
}
