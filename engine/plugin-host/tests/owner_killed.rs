//! No orphan after hotloop is killed: this binary re-runs itself as an owner process that
//! starts a plugin host and prints the node pid; the test SIGKILLs the owner (no destructor
//! runs) and waits for the node process to be gone (`PR_SET_PDEATHSIG`), while a hook spins
//! in one of the host's worker threads, and for a subprocess the config started to be gone
//! (the group's guardian, `hotloop-process-guard`). `harness = false`: the same binary is the owner and
//! the test.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use support::{Project, options, start_with, wait_gone};

const OWNER: &str = "HOTLOOP_PLUGIN_HOST_OWNER";

fn owner() {
    let root = std::env::var("HOTLOOP_PLUGIN_HOST_ROOT").expect("root");
    let project = Project {
        dir: tempfile::TempDir::new_in(&root).expect("dir"),
    };
    project.write(
        "vite.config.mjs",
        "import { threadId } from 'node:worker_threads'\n\
         import { spawn } from 'node:child_process'\n\
         import { writeFileSync } from 'node:fs'\n\
         if (threadId === 0) writeFileSync('sleep.pid', String(spawn('sleep', ['1000'], { stdio: 'ignore' }).pid))\n\
         export default { plugins: [{ name: 'x', load(id) {\n\
           if (id === '/spin') { this.warn('spinning on ' + threadId); for (;;) {} }\n\
           return null\n\
         } }] }\n",
    );
    // Workers from the first file on: `/spin`, a file seen after they started, spins in one.
    let mut o = options(&project, "vite.config.mjs");
    o.workers = hotloop_plugin_host::Workers { count: 2, after: 1 };
    let (host, _) = start_with(&project, "vite.config.mjs", o);
    println!("{}", host.pid().expect("a running host"));
    // Restart the host from a short-lived thread: the new child must not die with the thread
    // (it is forked by the spawner thread), and must still die with this process.
    std::thread::scope(|s| {
        s.spawn(|| {
            let pid = host.pid().expect("pid");
            // SAFETY: kill(2) on our child.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            support::wait_gone(pid);
            let _ = hotloop_protocol::plugin::Plugins::load(&host, "/nothing");
        });
    });
    // Keep the host busy in a plugin (so it does not notice its stdin closing either): only
    // the parent-death signal can end it now.
    let events = host.events();
    // A file for the new host (the request above may have met the old one's closed pipe,
    // which restarts the host without sending it): the workers start with it.
    let _ = hotloop_protocol::plugin::Plugins::load(&host, "/first");
    support::wait_workers(&events);
    std::thread::scope(|s| {
        s.spawn(|| {
            let _ = hotloop_protocol::plugin::Plugins::load(&host, "/spin");
        });
        support::wait_event(&events, |e| {
            matches!(e, hotloop_plugin_host::HostEvent::Warning { message, .. }
                if message.starts_with("spinning on ") && message != "spinning on 0")
        });
        println!("{}", host.pid().expect("a restarted host"));
        // The restarted host's config started this one (the first host's went with its group).
        println!(
            "{}",
            std::fs::read_to_string(project.dir.path().join("sleep.pid")).expect("sleep.pid")
        );
        // Block until killed.
        let _ = std::io::stdin().read(&mut [0u8; 1]);
    });
}

fn main() {
    if std::env::var_os(OWNER).is_some() {
        owner();
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(std::env::current_exe().expect("own exe"))
        .env(OWNER, "1")
        .env("HOTLOOP_PLUGIN_HOST_ROOT", root.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("owner starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first: u32 = lines
        .next()
        .expect("first pid")
        .expect("line")
        .parse()
        .expect("pid");
    let second: u32 = lines
        .next()
        .expect("second pid")
        .expect("line")
        .parse()
        .expect("pid");
    assert_ne!(first, second, "the host was restarted");
    assert!(
        support::running(second),
        "the restarted host runs after its restarting thread ended"
    );
    let sleep: u32 = lines
        .next()
        .expect("the plugin's subprocess")
        .expect("line")
        .trim()
        .parse()
        .expect("pid");
    assert!(support::running(sleep), "the plugin's subprocess runs");
    child.kill().expect("SIGKILL the owner");
    child.wait().expect("reap the owner");
    wait_gone(second);
    // What a plugin started, in the host's group: its guardian stops the group.
    wait_gone(sleep);
    println!("owner_killed: the node process and its plugin's subprocess died with their owner");
    println!("1 passed, 0 failed");
}
