//! The guardian of a child's process group (the plugin host's, the app's server process'):
//! when hotloop dies of SIGKILL, its Node children die of `PR_SET_PDEATHSIG`, but what *they*
//! started (a `tsc --watch` a plugin runs, the app's database or `vite build --watch`) is
//! nobody's child of hotloop and would live on. The guardian is a `/bin/sh` in the group whose
//! stdin is a pipe only hotloop holds: the pipe ends when hotloop dies (the kernel closes its
//! end, whatever killed it), and then the guardian stops the group as hotloop itself would:
//! SIGTERM (the processes' handlers run), the owner's grace, SIGKILL (itself included; it
//! ignores the SIGTERM it sends). Dropping the [`Guardian`] ends the guardian first (SIGKILL,
//! before its stdin closes), so while hotloop lives it never touches the group: its owner
//! stops the group its own way.
//!
//! Linux and other Unix only; no C of our own: `sh`'s `read`, `kill` and `sleep` are enough.

use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

/// The grace between SIGTERM and SIGKILL for a group whose owner has none of its own (the
/// plugin host, which hotloop kills at once: its plugins' subprocesses get this much).
pub const GRACE: Duration = Duration::from_millis(1500);

/// `sh -c SCRIPT hotloop-guardian PGID GRACE_SECONDS`.
const SCRIPT: &str = "trap '' TERM INT HUP; read _ignored; \
     kill -s TERM -- -\"$1\" 2>/dev/null && sleep \"$2\"; kill -s KILL -- -\"$1\"";

/// A running guardian of one process group. Dropping it (or [`Guardian::stop`]) ends the
/// guardian itself without touching the group: the owner stops its group its own way.
pub struct Guardian {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Guardian {
    /// Starts the guardian of process group `pgid` (the group of a child spawned with
    /// `process_group(0)`: its pid), which waits `grace` between its SIGTERM and its
    /// SIGKILL. `None`, with a debug line, when it cannot start: the group is gone already,
    /// or there is no `/bin/sh`.
    pub fn start(pgid: u32, grace: Duration) -> Option<Guardian> {
        let grace = format!("{:.3}", grace.as_secs_f64());
        let spawned = Command::new("/bin/sh")
            .args(["-c", SCRIPT, "hotloop-guardian", &pgid.to_string(), &grace])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(pgid as i32)
            .spawn();
        match spawned {
            Ok(mut child) => {
                let stdin = child.stdin.take();
                Some(Guardian { child, stdin })
            }
            Err(error) => {
                tracing::debug!("no guardian for process group {pgid}: {error}");
                None
            }
        }
    }

    /// Ends the guardian (SIGKILL, which it cannot ignore, before its stdin closes, so it
    /// never signals the group) and reaps it.
    pub fn stop(mut self) {
        self.end();
    }

    fn end(&mut self) {
        let _ = self.child.kill();
        self.stdin.take();
        let _ = self.child.wait();
    }
}

impl Drop for Guardian {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            self.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn alive(pid: u32) -> bool {
        // /proc/PID/stat's state: a zombie (Z) has exited.
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| {
                let state = stat.rsplit_once(") ").map(|(_, rest)| rest.as_bytes()[0]);
                state != Some(b'Z')
            })
            .unwrap_or(false)
    }

    fn wait_gone(child: &mut Child, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return true;
            }
            std::thread::park_timeout(Duration::from_millis(10));
        }
        false
    }

    #[test]
    fn stopping_the_guardian_leaves_the_group_alone() {
        let mut leader = Command::new("sleep")
            .arg("1000")
            .process_group(0)
            .spawn()
            .unwrap();
        let guardian = Guardian::start(leader.id(), GRACE).expect("sh");
        guardian.stop();
        assert!(alive(leader.id()));
        leader.kill().unwrap();
        leader.wait().unwrap();
    }

    #[test]
    fn the_end_of_its_stdin_stops_the_group() {
        let mut leader = Command::new("sleep")
            .arg("1000")
            .process_group(0)
            .spawn()
            .unwrap();
        let mut guardian = Guardian::start(leader.id(), GRACE).expect("sh");
        // What the kernel does when hotloop dies: the pipe's only writer is gone.
        guardian.stdin.take();
        let stopped = wait_gone(&mut leader, Duration::from_secs(10));
        if !stopped {
            let _ = leader.kill();
        }
        assert!(stopped, "the group's leader outlived its guardian's stdin");
        assert!(wait_gone(&mut guardian.child, Duration::from_secs(10)));
    }
}
