// One place that undoes what the benchmark did, however it ends: servers stopped (their process
// groups), edited fixture files restored, temp directories removed, the browser closed. Each
// resource registers an undo step; `runCleanups` runs them newest first. Ctrl-C, SIGTERM and
// uncaught errors run them too before the process exits (130 / 143 / 1).

const steps = new Map(); // id -> { name, run: async () => void, now: () => void }
let nextId = 0;

/**
 * Registers an undo step and returns a function that unregisters it. `run` may be async; `now`
 * (optional) is a synchronous version for the 'exit' event, when nothing can be awaited.
 */
export function onCleanup(name, run, now) {
  const id = nextId++;
  steps.set(id, { name, run, now });
  return () => steps.delete(id);
}

/** Runs and forgets every registered step, newest first; errors are reported, not thrown. */
export async function runCleanups() {
  const list = [...steps.entries()].reverse();
  steps.clear();
  for (const [, s] of list) {
    try {
      await s.run();
    } catch (e) {
      process.stderr.write(`cleanup (${s.name}) failed: ${e && e.message}\n`);
    }
  }
}

/** Whether Ctrl-C or SIGTERM stopped the run. */
export let interrupted = false;

let installed = false;
/** Makes Ctrl-C, SIGTERM and the final 'exit' run the cleanups. */
export function installSignalHandlers() {
  if (installed) return;
  installed = true;
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.on(sig, () => {
      interrupted = true;
      process.stderr.write(`\n${sig}: stopping servers, restoring files...\n`);
      const hard = setTimeout(() => process.exit(code), 10_000);
      runCleanups().finally(() => { clearTimeout(hard); process.exit(code); });
    });
  }
  // Whatever is still registered at exit (an unexpected path): do the synchronous part.
  process.on('exit', () => {
    for (const [, s] of [...steps.entries()].reverse()) {
      try { if (s.now) s.now(); } catch { /* best effort */ }
    }
  });
}
