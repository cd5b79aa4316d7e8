//! The dashboard's event loop: one `select!` over engine events, terminal input and a 1 s
//! tick; at most 30 frames a second, and only after something changed. Terminal set-up and
//! restore (also on panic) come from `ratatui::try_init`/`restore`.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossbeam_channel::{Receiver, Sender, after, never, select, tick};
use crossterm::event::{self, Event, KeyEventKind};
use engine::EngineEvent;
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::app::{App, Effect, Msg};

/// Shortest time between two frames (30 fps).
pub const FRAME: Duration = Duration::from_millis(33);
/// How often the clocks (connected since, memory age) advance.
pub const TICK: Duration = Duration::from_secs(1);
/// How often the input thread checks whether it should stop.
const INPUT_POLL: Duration = Duration::from_millis(250);

/// Runs the dashboard until the user quits, or `stop` says to (a signal: the terminal's own
/// Ctrl-C is a key here), then leaves the session's summary on stdout (`App::session_summary`).
/// `hint`: what to try first, on the Overview until the first update. Every `Effect` is passed to `commands` (`Quit` last, just before
/// returning). When `events` closes the dashboard stays up and says the engine stopped. The
/// terminal is restored on return and on panic.
pub fn run(
    events: Receiver<EngineEvent>,
    listening: String,
    hint: Option<String>,
    stop: Receiver<()>,
    mut commands: impl FnMut(Effect),
) -> anyhow::Result<()> {
    let mut terminal = match ratatui::try_init() {
        Ok(terminal) => terminal,
        Err(err) => {
            ratatui::restore();
            return Err(err).context("failed to set up the terminal");
        }
    };
    let input = InputThread::spawn();
    let quit = input.sender.clone();
    std::thread::spawn(move || {
        if stop.recv().is_ok() {
            let _ = quit.send(Msg::Quit);
        }
    });
    let mut app = App {
        listening: Some(listening),
        hint,
        ..App::default()
    };
    let result = event_loop(
        &mut terminal,
        &mut app,
        &events,
        &input.messages,
        &mut commands,
    );
    input.stop();
    ratatui::restore();
    // Left in the scrollback: the dashboard's screen went with the alternate screen.
    let mut out = std::io::stdout().lock();
    for line in app.session_summary() {
        let _ = writeln!(out, "{line}");
    }
    result.map(|_| ())
}

/// What the loop did, for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoopStats {
    pub messages: usize,
    pub frames: usize,
}

/// The loop itself, from `app`, over any backend and any source of input `Msg`s.
pub fn event_loop<B>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    events: &Receiver<EngineEvent>,
    input: &Receiver<Msg>,
    commands: &mut impl FnMut(Effect),
) -> anyhow::Result<LoopStats>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    let started = Instant::now();
    let ticker = tick(TICK);
    let mut events = events.clone();
    let size = terminal
        .size()
        .context("failed to read the terminal size")?;
    app.update(Msg::Resize {
        width: size.width,
        height: size.height,
    });
    let mut stats = LoopStats::default();
    let mut dirty = true;
    let mut last_frame: Option<Instant> = None;
    loop {
        let mut redraw_at = None;
        if dirty {
            let due = last_frame.map_or_else(Instant::now, |at| at + FRAME);
            if Instant::now() >= due {
                terminal
                    .draw(|frame| app.render(frame))
                    .context("failed to draw the dashboard")?;
                stats.frames += 1;
                last_frame = Some(Instant::now());
                dirty = false;
            } else {
                redraw_at = Some(due);
            }
        }
        let redraw = match redraw_at {
            Some(due) => after(due.saturating_duration_since(Instant::now())),
            None => never(),
        };
        let msg = select! {
            recv(events) -> event => match event {
                Ok(event) => Msg::Engine(event),
                Err(_) => {
                    events = never();
                    Msg::EngineStopped
                }
            },
            recv(input) -> msg => match msg {
                Ok(msg) => msg,
                Err(_) => anyhow::bail!("the terminal input thread stopped"),
            },
            recv(ticker) -> _ => Msg::Tick(started.elapsed()),
            recv(redraw) -> _ => continue,
        };
        stats.messages += 1;
        let is_tick = matches!(msg, Msg::Tick(_));
        if !is_tick {
            app.update(Msg::Tick(started.elapsed()));
        }
        // A tick only changes what is on screen when a clock is shown.
        dirty |= !is_tick || app.shows_clock();
        if let Some(effect) = app.update(msg) {
            if effect == Effect::Suspend {
                suspend(terminal)?;
                dirty = true;
                continue;
            }
            let quit = effect == Effect::Quit;
            commands(effect);
            if quit {
                return Ok(stats);
            }
        }
    }
}

/// Ctrl-Z: restores the terminal, stops the process (SIGTSTP: the shell says it stopped, and
/// its `fg` continues it), then takes the terminal again and redraws it whole. The server and
/// the engine stop with it, as any stopped process does; the Node children, in process groups
/// of their own, wait for them.
fn suspend<B>(terminal: &mut Terminal<B>) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    #[cfg(unix)]
    {
        ratatui::restore();
        // SAFETY: raise() takes a signal number and touches no memory of ours; SIGTSTP's
        // default action stops the process until SIGCONT, then raise returns.
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
        crossterm::terminal::enable_raw_mode().context("failed to set up the terminal again")?;
        crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)
            .context("failed to set up the terminal again")?;
        terminal.clear().context("failed to clear the terminal")?;
    }
    #[cfg(not(unix))]
    let _ = terminal;
    Ok(())
}

/// Reads crossterm events on its own thread and forwards keys and resizes as `Msg`s.
struct InputThread {
    messages: Receiver<Msg>,
    /// Another way in: what is not the terminal's (`Msg::Quit` at a signal).
    sender: Sender<Msg>,
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl InputThread {
    fn spawn() -> InputThread {
        let (sender, messages) = crossbeam_channel::unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let handle = std::thread::spawn({
            let stop = stop.clone();
            let sender = sender.clone();
            move || read_input(&sender, &stop)
        });
        InputThread {
            messages,
            sender,
            stop,
            handle,
        }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        if self.handle.join().is_err() {
            tracing::warn!("the terminal input thread panicked");
        }
    }
}

fn read_input(sender: &Sender<Msg>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match event::poll(INPUT_POLL) {
            Ok(false) => continue,
            Ok(true) => {}
            Err(err) => {
                tracing::error!("failed to poll terminal input: {err}");
                return;
            }
        }
        let msg = match event::read() {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Msg::Key(key),
            Ok(Event::Resize(width, height)) => Msg::Resize { width, height },
            Ok(_) => continue,
            Err(err) => {
                tracing::error!("failed to read terminal input: {err}");
                return;
            }
        };
        if sender.send(msg).is_err() {
            return;
        }
    }
}
