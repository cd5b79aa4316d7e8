//! `PhaseClock`: where a build's time goes, by phase (parse, resolve, emit, graph), measured
//! inside the queries themselves.
//!
//! Salsa reports when a query starts executing but not when it ends, so its events cannot time
//! anything. Instead every query (and every step of `EngineHost::build`) opens a frame with
//! [`PhaseClock::enter`]; frames nest like the calls do (`module_graph` → `resolved_imports` →
//! `parsed_module`), and each frame is charged its *exclusive* time: its duration minus its
//! children's. The phases of one build therefore add up to the build's wall time, and work
//! salsa does on behalf of a frame (validating memos, comparing a result for backdating) is
//! charged to the frame that asked for it.
//!
//! Frames nest per thread. The cold build's warm-up runs queries on several threads at once;
//! their frames are charged as well, so a cold build's phases add up the threads' times (CPU
//! time, more than the wall time). Updates run on the engine thread alone.
//!
//! Cost: two `Instant::now()` per executed query and no lock: frames live on a per-thread
//! stack and each phase's total is an atomic counter, so the cold build's warm-up threads,
//! which run ten queries per module, never wait on each other here (one shared stack behind a
//! mutex, before, made them queue on it twice per query). With recording on (`hotloop profile
//! --trace`) every frame is also kept as a span, behind a lock.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use salsa::plumbing::AsId;

use crate::telemetry::Phase;

/// One closed frame, kept while recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub phase: Phase,
    /// The query or build step (`parsed_module`, `build.structure`).
    pub name: &'static str,
    /// The query's key (a `SourceFile`, the `Project`), if any.
    pub key: Option<salsa::Id>,
    /// The thread that ran it (a cold build warms up on several).
    pub thread: ThreadId,
    pub start: Instant,
    pub end: Instant,
}

/// Exclusive time per phase since the last [`PhaseClock::take`]. Only phases that had a frame
/// are listed, in `Phase` order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhaseTimes(pub Vec<(Phase, Duration)>);

impl PhaseTimes {
    pub fn get(&self, phase: Phase) -> Option<Duration> {
        self.0.iter().find(|(p, _)| *p == phase).map(|(_, d)| *d)
    }

    pub fn total(&self) -> Duration {
        self.0.iter().map(|(_, d)| *d).sum()
    }
}

/// How many phases there are (`Phase` is fieldless: `phase as usize` indexes the totals).
const PHASE_COUNT: usize = Phase::ClientApply as usize + 1;

/// Every phase: an update's, and the lazy compile's.
fn every_phase() -> impl Iterator<Item = Phase> {
    Phase::ALL.into_iter().chain([Phase::Lazy])
}

/// Per-database phase timer (shared by the database's handles; frames are kept per thread).
pub struct PhaseClock {
    /// Exclusive nanoseconds per phase since the last `take`. Each closed frame adds one
    /// nanosecond more than its time, so that a phase whose frames took no measurable time is
    /// still listed (a tenth of a millisecond per hundred thousand frames).
    totals: [AtomicU64; PHASE_COUNT],
    recording: AtomicBool,
    spans: Mutex<Vec<Span>>,
}

impl Default for PhaseClock {
    fn default() -> PhaseClock {
        PhaseClock {
            totals: std::array::from_fn(|_| AtomicU64::new(0)),
            recording: AtomicBool::new(false),
            spans: Mutex::default(),
        }
    }
}

/// An open frame on this thread's stack.
struct Frame {
    /// The clock it belongs to (its address: a thread may hold frames of two databases).
    clock: usize,
    phase: Phase,
    name: &'static str,
    key: Option<salsa::Id>,
    start: Instant,
    children: Duration,
}

thread_local! {
    static FRAMES: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
}

impl PhaseClock {
    fn spans(&self) -> MutexGuard<'_, Vec<Span>> {
        self.spans.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Opens a frame; it closes when the guard drops (also while unwinding).
    pub fn enter(&self, phase: Phase, name: &'static str) -> PhaseGuard<'_> {
        self.open(phase, name, None)
    }

    /// Opens a frame for a query's key (a `SourceFile`, the `Project`).
    pub fn enter_key(&self, phase: Phase, name: &'static str, key: impl AsId) -> PhaseGuard<'_> {
        self.open(phase, name, Some(key.as_id()))
    }

    fn open(&self, phase: Phase, name: &'static str, key: Option<salsa::Id>) -> PhaseGuard<'_> {
        let clock = self.id();
        FRAMES.with_borrow_mut(|frames| {
            frames.push(Frame {
                clock,
                phase,
                name,
                key,
                start: Instant::now(),
                children: Duration::ZERO,
            });
        });
        PhaseGuard {
            clock: self,
            _thread: std::marker::PhantomData,
        }
    }

    fn exit(&self) {
        let end = Instant::now();
        let clock = self.id();
        let Some((frame, elapsed)) = FRAMES.with_borrow_mut(|frames| {
            // Guards drop in the reverse order of their frames, so this clock's last frame on
            // this thread is the one closing.
            let at = frames.iter().rposition(|f| f.clock == clock)?;
            let frame = frames.remove(at);
            let elapsed = end.saturating_duration_since(frame.start);
            if let Some(parent) = frames[..at].iter_mut().rev().find(|f| f.clock == clock) {
                parent.children += elapsed;
            }
            Some((frame, elapsed))
        }) else {
            return;
        };
        let own = elapsed.saturating_sub(frame.children);
        let nanos = u64::try_from(own.as_nanos()).unwrap_or(u64::MAX / 2);
        self.totals[frame.phase as usize].fetch_add(nanos + 1, Relaxed);
        if self.recording.load(Relaxed) {
            self.spans().push(Span {
                phase: frame.phase,
                name: frame.name,
                key: frame.key,
                thread: std::thread::current().id(),
                start: frame.start,
                end,
            });
        }
    }

    /// Exclusive time per phase since the last call, and resets it.
    pub fn take(&self) -> PhaseTimes {
        let mut times: Vec<(Phase, Duration)> = every_phase()
            .filter_map(|phase| {
                let total = self.totals[phase as usize].swap(0, Relaxed);
                (total > 0).then(|| (phase, Duration::from_nanos(total)))
            })
            .collect();
        times.sort_by_key(|(phase, _)| *phase);
        PhaseTimes(times)
    }

    /// Keep every closed frame as a [`Span`] (for traces) or not (the default: no growth).
    pub fn set_recording(&self, on: bool) {
        let mut spans = self.spans();
        self.recording.store(on, Relaxed);
        if !on {
            *spans = Vec::new();
        }
    }

    /// The spans closed since the last call, in closing order.
    pub fn take_spans(&self) -> Vec<Span> {
        std::mem::take(&mut *self.spans())
    }
}

/// Closes its frame on drop.
#[must_use = "the frame closes when the guard drops"]
pub struct PhaseGuard<'a> {
    clock: &'a PhaseClock,
    /// Not `Send`: the frame is on the stack of the thread that opened it.
    _thread: std::marker::PhantomData<*const ()>,
}

impl Drop for PhaseGuard<'_> {
    fn drop(&mut self) {
        self.clock.exit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spin(d: Duration) {
        let start = Instant::now();
        while start.elapsed() < d {
            std::hint::spin_loop();
        }
    }

    #[test]
    fn nested_frames_are_charged_their_exclusive_time() {
        let clock = PhaseClock::default();
        clock.set_recording(true);
        let started = Instant::now();
        {
            let _graph = clock.enter(Phase::Graph, "module_graph");
            spin(Duration::from_millis(2));
            {
                let _resolve = clock.enter(Phase::Resolve, "resolved_imports");
                let _parse = clock.enter(Phase::Parse, "parsed_module");
                spin(Duration::from_millis(10));
            }
        }
        let wall = started.elapsed();
        let times = clock.take();
        let phases: Vec<Phase> = times.0.iter().map(|(p, _)| *p).collect();
        assert_eq!(phases, vec![Phase::Parse, Phase::Resolve, Phase::Graph]);
        let parse = times.get(Phase::Parse).unwrap();
        let graph = times.get(Phase::Graph).unwrap();
        assert!(parse >= Duration::from_millis(10), "parse {parse:?}");
        // Exclusive: the graph's frame is not charged the 10 ms its children spun (a bound on
        // the wall clock, not on the scheduler: a loaded machine may stretch any spin).
        assert!(
            graph >= Duration::from_millis(2) && graph + parse <= wall,
            "graph excludes its children: {graph:?} + {parse:?} > {wall:?}"
        );
        assert!(times.total() <= wall, "{:?} > {wall:?}", times.total());
        let spans: Vec<&str> = clock.take_spans().iter().map(|s| s.name).collect();
        assert_eq!(spans, ["parsed_module", "resolved_imports", "module_graph"]);
        assert_eq!(clock.take(), PhaseTimes::default(), "take resets");
    }

    #[test]
    fn every_phase_has_its_own_total() {
        let mut indices: Vec<usize> = every_phase().map(|p| p as usize).collect();
        indices.sort_unstable();
        assert_eq!(indices, (0..PHASE_COUNT).collect::<Vec<_>>());
    }

    #[test]
    fn frames_of_other_threads_do_not_nest() {
        let clock = PhaseClock::default();
        let outer = clock.enter(Phase::Graph, "outer");
        std::thread::scope(|s| {
            s.spawn(|| {
                let _other = clock.enter(Phase::Parse, "other");
                spin(Duration::from_millis(5));
            });
        });
        drop(outer);
        let times = clock.take();
        assert!(times.get(Phase::Parse).unwrap() >= Duration::from_millis(5));
        assert!(
            times.get(Phase::Graph).unwrap() >= Duration::from_millis(5),
            "another thread's frame is not this frame's child: {times:?}"
        );
    }
}
