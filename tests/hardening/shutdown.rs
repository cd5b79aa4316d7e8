//! Stopping: Ctrl-C (SIGTERM here) ends hotloop at once, also while a project's plugin works
//! on an edit, says nothing of the work it cut short, and leaves no process behind.

use std::time::{Duration, Instant};

use crate::support::{Project, Server, WAIT};

/// A plugin that takes two minutes on a module that says `SLOW` (a long Sass rebuild).
const CONFIG: &str = r#"
export default { plugins: [{ name: 'slow', async transform(code, id) {
  if (!code.includes('SLOW')) return null
  console.log('slow transform started')
  await new Promise((done) => setTimeout(done, 120000))
  return null
} }] }
"#;

/// The live child processes of `pid`.
fn children(pid: u32) -> Vec<u32> {
    let out = std::process::Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .expect("run pgrep");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

#[tokio::test]
async fn a_stop_while_a_plugin_works_on_an_edit_ends_at_once_and_leaves_no_process() {
    let p = Project::from_files(&[
        (
            "index.html",
            "<!doctype html><script type=module src=/src/main.js></script>",
        ),
        ("src/main.js", "console.log('main');\n"),
        ("vite.config.mjs", CONFIG),
    ]);
    let server = Server::start(p.root(), &[]).await;
    let node = children(server.pid());
    assert!(!node.is_empty(), "the plugin host runs: {}", server.log());
    let from = server.lines().len();
    p.write("src/main.js", "console.log('main'); // SLOW\n");
    server
        .wait_line(from, WAIT, |l| l.contains("slow transform started"))
        .await;
    let stopping = server.lines().len();
    // Long before the plugin's two minutes: `stop` gives up after `WAIT`.
    let (status, log) = server.stop_with_log().await;
    assert!(status.success(), "{log}");
    let after: Vec<&str> = log.lines().skip(stopping).collect();
    assert!(
        !after.iter().any(|l| l.starts_with("error")),
        "the cut-short request is no error: {after:?}"
    );
    let deadline = Instant::now() + WAIT;
    while node.iter().any(|&pid| running(pid)) {
        assert!(
            Instant::now() < deadline,
            "the plugin host outlived hotloop"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
