// The plugin host's own CPU profile, a developer's tool (never on by default): with
// `HOTLOOP_PLUGIN_HOST_PROFILE=DIR` in hotloop's environment, the host profiles itself with
// `node:inspector` from its start, and once no request has come for `idleMs` (a cold build is
// over) writes `DIR/host-<pid>-<n>.cpuprofile` (Chrome DevTools' Performance panel, or
// speedscope) and a line of its frame counts on stderr (hotloop's log, target
// `hotloop::plugin_host`: frames out, pipe writes, milliseconds spent writing), then profiles
// the next burst of requests the same way. Node's own `--cpu-prof` writes only at a clean
// exit, which a host hotloop kills never has. Workers are not profiled.

import fs from 'node:fs';
import path from 'node:path';
import inspector from 'node:inspector';

/**
 * Starts profiling; `activity()` on every request postpones the write, `stats()` gives the
 * line printed beside each profile.
 * @param {string} dir
 * @param {{ idleMs?: number, stats?: () => string }} [options]
 */
export function startProfile(dir, { idleMs = 2000, stats = () => '' } = {}) {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  let running = false;
  let timer = null;
  let n = 0;
  const begin = () => {
    running = true;
    post('Profiler.enable')
      .then(() => post('Profiler.setSamplingInterval', { interval: 200 }))
      .then(() => post('Profiler.start'))
      .catch((e) => process.stderr.write(`hotloop plugin host: profiling failed: ${e.message}\n`));
  };
  const write = () => {
    running = false;
    post('Profiler.stop').then(({ profile }) => {
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `host-${process.pid}-${++n}.cpuprofile`);
      fs.writeFileSync(file, JSON.stringify(profile));
      process.stderr.write(`hotloop plugin host: wrote ${file}; ${stats()}\n`);
    }, (e) => process.stderr.write(`hotloop plugin host: profiling failed: ${e.message}\n`));
  };
  begin();
  return {
    activity() {
      if (!running) begin();
      clearTimeout(timer);
      timer = setTimeout(write, idleMs);
      timer.unref();
    },
  };
}
