//! The persistent compile cache across restarts of the real binary: a restart takes every
//! script from the cache and serves the same page; damaged entries are recompiled. And the page
//! of the last session (`engine/src/last_page.rs`), kept beside it: served while a restart
//! builds, confirmed by the build or reloaded when stale.

use crate::support::{Client, Project, Server, WAIT, revision_of};

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
    assert!(
        first.log().contains("react/jsx-dev-runtime"),
        "{}",
        first.log()
    );
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

    // `<cache>/<project>/<binary>/`: one directory each (`engine/src/cache.rs`).
    let dirs = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        let entries = std::fs::read_dir(dir).expect("cache dir");
        entries.map(|entry| entry.expect("entry").path()).collect()
    };
    let [project_dir] = &dirs(cache.path())[..] else {
        panic!("one project directory in {}", cache.path().display());
    };
    let [binary_dir] = &dirs(project_dir)[..] else {
        panic!("one binary's directory in {}", project_dir.display());
    };
    let mut damaged = Vec::new();
    for path in dirs(binary_dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "last-used" {
            continue;
        }
        std::fs::write(&path, b"HLPACK01 not a record").expect("damage the file");
        damaged.push(name);
    }
    // Three entries in one segment file, and no page record: b.jsx's JSX runtime (react) is
    // not installed, so the page does not compile, and such a page is never kept
    // (`engine/src/host/last_session.rs`).
    assert_eq!(damaged.len(), 1, "{damaged:?}");
    assert!(damaged[0].ends_with(".pack"), "{damaged:?}");
    let third = Server::start_cached(p.root(), cache.path()).await;
    let ready = ready_line(&third);
    assert!(!ready.contains("compile cache"), "{}", third.log());
    assert!(!ready.contains("last session"), "{}", third.log());
    assert_eq!(modules_of(&chunk(&third).await), modules_of(&cold));
}

const LAST_PAGE: &[(&str, &str)] = &[
    (
        "index.html",
        "<!doctype html><div id=app></div><script type=module src=/src/main.js></script>\n",
    ),
    (
        "src/main.js",
        "import { v } from './v';\ndocument.querySelector('#app').textContent = v;\n",
    ),
    ("src/v.ts", "export const v: string = 'ts';\n"),
];

/// The text of the page's pieces, as a page that loads `/` runs them.
async fn page_scripts(server: &Server) -> String {
    let page = server.get("/").await;
    assert_eq!(page.status, 200, "{}", server.log());
    let mut scripts = String::new();
    for part in page.text().split("<script defer src=\"").skip(1) {
        let url = &part[..part.find('"').expect("src")];
        let piece = server.get(url).await;
        assert_eq!(piece.status, 200, "{url}");
        scripts.push_str(&piece.text());
    }
    scripts
}

#[tokio::test]
async fn a_restart_serves_the_page_the_last_session_ended_with_and_a_stale_one_makes_its_pages_reload()
 {
    let p = Project::from_files(LAST_PAGE);
    let cache = tempfile::tempdir().expect("cache dir");

    // A session with an edit in it, stopped as Ctrl-C stops it.
    let first = Server::start_cached(p.root(), cache.path()).await;
    assert!(!ready_line(&first).contains("last session"));
    let mut client = Client::connect(first.addr).await;
    p.write("src/v.ts", "export const v: string = 'edited';\n");
    // main.js does not accept it: revision 1 reloads the page.
    client.until(WAIT, |m| revision_of(m) == 1).await;
    drop(client);
    assert!(first.stop().await.success());

    // The next one serves that page while it builds; the build confirms it: its hello names
    // the revision the page's start statement names (0), so a page that loaded it stays.
    let second = Server::start_cached(p.root(), cache.path()).await;
    let ready = ready_line(&second);
    assert!(
        ready.contains("the page of the last session was served meanwhile"),
        "{}",
        second.log()
    );
    let client = Client::connect(second.addr).await;
    assert_eq!(revision_of(&client.messages[0]), 0);
    let scripts = page_scripts(&second).await;
    assert!(scripts.contains("edited"), "{scripts}");
    assert!(scripts.contains(r#""revision":0"#), "{scripts}");
    drop(client);
    assert!(second.stop().await.success());

    // `./v` now finds v.js (before .ts): no file the record lists changed, so its page is
    // served, and the build finds it stale: its first revision is 1, which tells the pages
    // that loaded the record (revision 0) to reload.
    p.write("src/v.js", "export const v = 'js';\n");
    let third = Server::start_cached(p.root(), cache.path()).await;
    third
        .wait_line(0, WAIT, |l| {
            l.contains("the page of the last session, served meanwhile, was out of date (/src/v.ts changed)")
        })
        .await;
    let client = Client::connect(third.addr).await;
    assert_eq!(revision_of(&client.messages[0]), 1);
    let scripts = page_scripts(&third).await;
    assert!(
        scripts.contains("\"js\"") && !scripts.contains("edited"),
        "{scripts}"
    );
}
