//! A watcher that cannot watch everything: run in a user namespace whose inotify watch limit
//! (`/proc/sys/user/max_inotify_watches`, per user namespace, so nothing outside the test is
//! affected) is too small for the project. The log must say hot reloading is degraded, and
//! edits in unwatched directories must still arrive (by polling). Needs `unshare -U -r`;
//! without user namespaces the test says so and checks nothing.

use std::process::Command;

use crate::support::{Project, Server, WAIT, version_in, versioned_module};

fn user_namespaces_work() -> bool {
    Command::new("unshare")
        .args([
            "-U",
            "-r",
            "sh",
            "-c",
            "echo 2 > /proc/sys/user/max_inotify_watches",
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_arrive_when_the_inotify_watch_limit_is_reached() {
    if !user_namespaces_work() {
        eprintln!("SKIPPED: `unshare -U -r` is not available here (no user namespaces)");
        return;
    }
    let dirs = ["a", "b", "c", "d", "e", "f"];
    let mut main = String::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for d in dirs {
        main.push_str(&format!("import './{d}/deep/m.js';\n"));
        files.push((format!("src/{d}/deep/m.js"), versioned_module(d, 0)));
    }
    files.push(("src/main.js".into(), main));
    files.push((
        "index.html".into(),
        "<!doctype html><script type=module src=/src/main.js></script>".into(),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let p = Project::from_files(&refs);

    // Four watches: the root, `src` and a couple of its subdirectories; the rest fail.
    let mut command = Command::new("unshare");
    command.args([
        "-U",
        "-r",
        "sh",
        "-c",
        "echo 4 > /proc/sys/user/max_inotify_watches && exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_hotloop"),
    ]);
    let mut server = Server::start_with(command, p.root(), &[]).await;
    let degraded = server
        .wait_line(0, WAIT, |l| {
            l.contains("hot reloading degraded") && l.contains("cannot be watched")
        })
        .await;
    assert!(degraded.contains("every 500 ms"), "{degraded}");
    assert!(
        server
            .lines()
            .iter()
            .any(|l| l.contains("hot reloading degraded") && l.contains("watch limit")),
        "the failing watch is named:\n{}",
        server.log()
    );

    let mut client = server.client().await;
    for (v, d) in dirs.iter().enumerate() {
        let version = v + 1;
        p.write(&format!("src/{d}/deep/m.js"), versioned_module(d, version));
        client
            .until_module(&format!("/src/{d}/deep/m.js"), WAIT, |c| {
                version_in(c, d) == Some(version)
            })
            .await;
    }
    // A file created in an unwatched directory is found too.
    p.write("src/f/deep/new.js", "export const fresh = 'new:v1';\n");
    p.write(
        "src/f/deep/m.js",
        "import { fresh } from './new.js';\nexport const value = \"f:v9\" + fresh;\nif (import.meta.hot) import.meta.hot.accept();\n",
    );
    client
        .until_module("/src/f/deep/new.js", WAIT, |c| c.contains("new:v1"))
        .await;
    server.assert_serving().await;
}
