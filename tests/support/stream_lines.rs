//! The lines of a child process' output stream as they come, waited for with a time-out:
//! what the tests that read hotloop's terminal output (`tests/server_output.rs`,
//! `tests/terminal_output.rs`) share through `#[path]`.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// How long a line is waited for.
pub const WAIT: Duration = Duration::from_secs(20);

/// The lines of one of hotloop's streams, as they come.
pub struct Lines {
    rx: Receiver<String>,
    pub seen: Vec<String>,
}

impl Lines {
    pub fn of(stream: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                let text = String::from_utf8_lossy(&line);
                let _ = tx.send(text.trim_end_matches('\n').to_owned());
                line.clear();
            }
        });
        Lines {
            rx,
            seen: Vec::new(),
        }
    }

    /// Waits for the first line `pick` accepts (lines before it are kept in `seen`).
    pub fn wait_for<T>(&mut self, what: &str, mut pick: impl FnMut(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    let found = pick(&line);
                    self.seen.push(line);
                    if let Some(found) = found {
                        return found;
                    }
                }
                Err(_) => panic!("no {what} within {WAIT:?}; seen:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Every line up to the end of the stream.
    pub fn rest(mut self) -> Vec<String> {
        self.seen.extend(self.rx.iter());
        self.seen
    }
}
