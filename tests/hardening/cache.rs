//! The persistent compile cache across restarts of the real binary: a restart takes every
//! script from the cache and serves the same page; damaged entries are recompiled.

use crate::support::{Project, Server};

const FILES: &[(&str, &str)] = &[
    (
        "index.html",
        "<!doctype html><div id=app></div><script type=module src=/src/main.js></script>\n",
    ),
    (
        "src/main.js",
        "import { a } from './a.js';\nimport { B } from './b.jsx';\nconsole.log(a, B);\n",
    ),
    ("src/a.js", "export const a = 'a';\n"),
    (
        "src/b.jsx",
        "export function B() {\n  return <p>b</p>;\n}\n",
    ),
    ("src/style.css", "p { color: red; }\n"),
];

/// The chunk without its last statement (`__hotloop.start(...)` names the process's server id).
fn modules_of(chunk: &str) -> &str {
    &chunk[..chunk.rfind("__hotloop.start(").expect("start call")]
}

async fn chunk(server: &Server) -> String {
    let reply = server.get("/_hotloop/chunk.js").await;
    assert_eq!(reply.status, 200, "{}", server.log());
    reply.text()
}

fn ready_line(server: &Server) -> String {
    server
        .lines()
        .into_iter()
        .find(|l| l.contains("ready at"))
        .expect("ready line")
}

#[tokio::test]
async fn a_restart_takes_every_script_from_the_cache_and_damaged_entries_are_recompiled() {
    let p = Project::from_files(FILES);
    let cache = tempfile::tempdir().expect("cache dir");

    let first = Server::start_cached(p.root(), cache.path()).await;
    assert!(!ready_line(&first).contains("compile cache"));
    let cold = chunk(&first).await;
    // SIGTERM, as Ctrl-C: the cache's pending writes reach the disk on the way out.
    assert!(first.stop().await.success());

    let second = Server::start_cached(p.root(), cache.path()).await;
    let ready = ready_line(&second);
    assert!(
        ready.contains("3 from the compile cache"),
        "main.js, a.js and b.jsx should come from the cache: {ready}"
    );
    assert_eq!(modules_of(&chunk(&second).await), modules_of(&cold));
    assert!(second.stop().await.success());

    let mut damaged = 0;
    for entry in std::fs::read_dir(cache.path()).expect("cache dir") {
        let project_dir = entry.expect("entry").path();
        for entry in std::fs::read_dir(&project_dir).expect("project cache dir") {
            std::fs::write(entry.expect("entry").path(), b"HLPACK01 not a record")
                .expect("damage the segment");
            damaged += 1;
        }
    }
    assert_eq!(damaged, 1, "three entries in one segment file");
    let third = Server::start_cached(p.root(), cache.path()).await;
    assert!(
        !ready_line(&third).contains("compile cache"),
        "{}",
        third.log()
    );
    assert_eq!(modules_of(&chunk(&third).await), modules_of(&cold));
}
