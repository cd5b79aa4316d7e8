// Processes and ports: a free loopback port, polling a server until it answers HTTP, the
// resident memory of a process tree read from /proc, and killing a process group by its id.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Node's clock as epoch milliseconds (sub-ms resolution), comparable with a page's `performance.timeOrigin + performance.now()`. */
export const nowMs = () => performance.timeOrigin + performance.now();

/** `promise`, or `onTimeout()`'s value once `ms` passed first (a page that never answers). */
export function within(promise, ms, onTimeout) {
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve(onTimeout()), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The machine's busy and total CPU time so far (`/proc/stat`, ms summed over cores); null off Linux. */
function cpuTimes() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = f[3] + (f[4] ?? 0);
    return { busy: (total - idle) * 10, total: total * 10 };
  } catch {
    return null;
  }
}

/**
 * Waits until the machine is quiet: `windows` consecutive `windowMs` windows in which the
 * cores were busy less than `busyBelow` of the time, or `maxMs` passed. Called before a timed
 * server start: opening a tab (a new browser context and page) keeps Chromium's browser
 * process busy for ~0.5–0.8 s of CPU after `newPage()` resolves, which on 2 cores stretched a
 * CPU-bound cold build 2–3× — a cost a developer's already-open browser does not have, and
 * one that landed on each tool differently. Returns how long it waited.
 */
export async function untilQuiet({ maxMs = 5000, windowMs = 100, windows = 2, busyBelow = 0.15 } = {}) {
  const t0 = performance.now();
  let quiet = 0;
  let last = cpuTimes();
  if (!last) return 0;
  while (performance.now() - t0 < maxMs && quiet < windows) {
    await sleep(windowMs);
    const now = cpuTimes();
    const total = now.total - last.total;
    quiet = total > 0 && (now.busy - last.busy) / total < busyBelow ? quiet + 1 : 0;
    last = now;
  }
  return performance.now() - t0;
}

/** A port that was free on 127.0.0.1 a moment ago (the kernel picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * One `GET path` with a short time-out: resolves to the status code once the response's head
 * arrived (hotloop streams its page during the cold build: the body ends with the build), or
 * null when nothing answered.
 */
export function httpStatus(port, path = '/', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: timeoutMs, headers: { accept: 'text/html' } }, (res) => {
      resolve(res.statusCode);
      res.on('error', () => {});
      req.destroy();
    });
    req.on('timeout', () => { req.destroy(); resolve(null); });
    req.on('error', () => resolve(null));
  });
}

/** The body of `GET path` as text, or null (for failure diagnostics: what the server hands out now). */
export function httpText(port, path, timeoutMs = 3000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => { req.destroy(); resolve(null); });
    req.on('error', () => resolve(null));
  });
}

/**
 * Polls `GET /` every `everyMs` until the server answers below 500; resolves to Node's epoch time
 * of the answer. `alive()` returning false (the process exited) or the deadline passing throws.
 */
export async function untilAnswers(port, { deadline, alive = () => true, everyMs = 5, what = 'server' }) {
  for (;;) {
    const st = await httpStatus(port, '/', 2000);
    if (st !== null && st < 500) return nowMs();
    if (!alive()) throw new Error(`${what} exited before it answered on port ${port}`);
    if (nowMs() > deadline) throw new Error(`${what} did not answer on port ${port} in time (last status: ${st})`);
    await sleep(everyMs);
  }
}

function ppidOf(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** The pid and every descendant of it, from /proc. */
export function processTree(root) {
  const children = new Map();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pp = ppidOf(e);
    if (pp === null) continue;
    if (!children.has(pp)) children.set(pp, []);
    children.get(pp).push(Number(e));
  }
  const out = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift();
    out.push(p);
    queue.push(...(children.get(p) || []));
  }
  return out;
}

/** Sum of VmRSS over the process tree rooted at pid, in MiB (null when the process is gone). */
export function treeRssMb(pid) {
  let kib = 0;
  let found = false;
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) { kib += Number(m[1]); found = true; }
    } catch { /* exited meanwhile */ }
  }
  return found ? kib / 1024 : null;
}

/**
 * Stops a child spawned with `detached: true` (so it leads its own process group): SIGTERM to
 * the group, SIGKILL after `graceMs`, then SIGKILL to anything left in the group.
 */
export async function killGroup(child, graceMs = 3000) {
  if (!child || child.pid === undefined) return;
  const signal = (s) => { try { process.kill(-child.pid, s); return true; } catch { return false; } };
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    signal('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) { signal('SIGKILL'); await Promise.race([exited, sleep(2000)]); }
  }
  signal('SIGKILL'); // stragglers in the group; fails harmlessly when it is empty
}

/** Synchronous last resort for exit paths that cannot wait: SIGKILL to the group. */
export function killGroupNow(child) {
  if (!child || child.pid === undefined) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
}
