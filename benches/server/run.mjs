#!/usr/bin/env node
// The server-side HMR benchmark (issue 17): `hotloop dev --server` against `bun --hot` and Vite's
// SSR module loader on a generated server graph, in one interleaved run. Run `--help` for the
// options; README.md says what each column means.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureFixture, textLine } from './gen.mjs';
import { installSignalHandlers, onCleanup, runCleanups } from '../browser/lib/cleanup.mjs';
import { freePort, killGroup, killGroupNow, nowMs, sleep, treeRssMb } from '../browser/lib/proc.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const TOOLS = ['hotloop', 'bun', 'vite'];
const SAVE_TIMEOUT_MS = 10_000;

const HELP = `usage: node benches/server/run.mjs [options]

  --sizes LIST      module counts, comma-separated (default 1000,10000)
  --reps N          rounds per size; each round starts every tool once, in rotating order (default 2)
  --edits N         leaf saves per session (default 10; p50/p95 are over reps x edits saves)
  --tools LIST      which of ${TOOLS.join(',')} (default all)
  --bin PATH        the hotloop binary (default target/release/hotloop)
  --bun PATH        the bun binary (default: ../shared/hmrbench's, else benches/server/node_modules')
  --json FILE       also write every sample and the summary as JSON
  --keep-logs       keep the servers' logs (printed at the end); always kept when a run fails
  -h, --help        this text

Needs Node >= 20 and npm; the first run installs bun 1.4.4 and vite into benches/server/node_modules
(npm ci). Fixtures go to benches/server/.fixtures/ and are reused while intact.`;

function options() {
  const { values: a } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,10000' },
      reps: { type: 'string', default: '2' },
      edits: { type: 'string', default: '10' },
      tools: { type: 'string', default: TOOLS.join(',') },
      bin: { type: 'string', default: path.join(REPO, 'target/release/hotloop') },
      bun: { type: 'string' },
      json: { type: 'string' },
      'keep-logs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (a.help) { console.log(HELP); process.exit(0); }
  const ints = (s, what) => s.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) { console.error(`--${what}: '${x}' is not a positive integer`); process.exit(2); }
    return n;
  });
  const tools = a.tools.split(',');
  for (const t of tools) if (!TOOLS.includes(t)) { console.error(`--tools: unknown tool '${t}' (known: ${TOOLS.join(', ')})`); process.exit(2); }
  return { sizes: ints(a.sizes, 'sizes'), reps: ints(a.reps, 'reps')[0], edits: ints(a.edits, 'edits')[0], tools, bin: path.resolve(a.bin), bun: a.bun, json: a.json, keepLogs: a['keep-logs'] };
}

function npmInstall() {
  const want = JSON.parse(fs.readFileSync(path.join(HERE, 'package.json'), 'utf8')).dependencies;
  const ok = Object.entries(want).every(([n, v]) => {
    try { return JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', n, 'package.json'), 'utf8')).version === v; } catch { return false; }
  });
  if (ok) return;
  console.error('installing bun and vite into benches/server/node_modules (npm ci)...');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: HERE, stdio: 'inherit' });
}

function bunBinary(given) {
  const candidates = given ? [given] : [
    path.resolve(REPO, '../shared/hmrbench/node_modules/.bin/bun'),
    path.join(HERE, 'node_modules/.bin/bun'),
  ];
  for (const c of candidates) {
    try {
      const v = execFileSync(c, ['--version'], { encoding: 'utf8', timeout: 20_000 }).trim();
      return { bin: c, version: v };
    } catch { /* next */ }
  }
  throw new Error(`no working bun among ${candidates.join(', ')}: run \`npm ci\` in ${HERE} (bun's postinstall must run) or pass --bun PATH`);
}

// One keep-alive connection for the polls, as a browser or client would hold.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** `GET path` → { status, text }, or null when nothing answered (refused, reset, time-out). */
function get(port, p, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => { req.destroy(); resolve(null); });
    req.on('error', () => resolve(null));
  });
}

/** How each tool is started on a fixture; all serve the same entry on `port`. */
function commands(o, bun, tmp) {
  return {
    hotloop: (root, port) => ({
      cmd: o.bin,
      args: ['dev', root, '--server', 'src/server.ts', '--no-tui', '--port', String(port)],
      env: { HOTLOOP_CACHE_DIR: path.join(tmp, 'hotloop-cache') },
    }),
    bun: (root, port) => ({
      cmd: bun.bin,
      args: ['--hot', 'src/server.ts'],
      env: { PORT: String(port), BUN_RUNTIME_TRANSPILER_CACHE_PATH: path.join(tmp, 'bun-cache') },
    }),
    vite: (root, port) => ({
      cmd: process.execPath,
      args: [path.join(HERE, 'lib/vite-ssr.mjs'), root, String(port)],
      env: { VITE_CACHE_DIR: path.join(tmp, 'vite-cache') },
    }),
  };
}

class Session {
  constructor(tool, spec, root, logFile) {
    this.tool = tool;
    this.root = root;
    this.logFile = logFile;
    const log = fs.openSync(logFile, 'a');
    fs.writeSync(log, `\n=== ${tool}: ${spec.cmd} ${spec.args.join(' ')}\n`);
    this.child = spawn(spec.cmd, spec.args, {
      cwd: root, detached: true, stdio: ['ignore', log, log],
      env: { ...process.env, NO_COLOR: '1', ...spec.env },
    });
    fs.closeSync(log);
    this.exit = null;
    this.child.on('exit', (code, sig) => { this.exit = code ?? sig; });
    this.undo = onCleanup(`${tool} server`, () => killGroup(this.child), () => killGroupNow(this.child));
  }

  alive() { return this.exit === null; }

  async stop() { await killGroup(this.child); this.undo(); }

  logTail(n = 40) {
    try { return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; }
  }
}

/** Polls `GET path` in a tight loop until `accept(response)`; the time it did, or throws. */
async function until(session, port, p, accept, deadline, what) {
  let last = null;
  for (;;) {
    const r = await get(port, p);
    if (r) last = r;
    if (r && accept(r)) return nowMs();
    if (!session.alive()) throw new Error(`${session.tool} exited (${session.exit}) while waiting for ${what}; its log:\n${session.logTail()}`);
    if (nowMs() > deadline) throw new Error(`${session.tool}: ${what} did not happen in time; GET ${p} last answered ${last ? `${last.status} ${JSON.stringify(last.text.slice(0, 200))}` : 'nothing'}; its log:\n${session.logTail()}`);
    if (!r) await sleep(2); // nothing listens yet: do not spin on refused connections
  }
}

function quantile(xs, q) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

const setText = (src, i, value) => src.replace(/^const TEXT: string = .*\/\/ @bench-text$/m, textLine(i, value));

/** One session: spawn → first 200 on /r/0, `edits` leaf saves, RSS; the files restored after. */
async function session(tool, spec, fixture, manifest, { edits, round, logFile, stride }) {
  const port = await freePort();
  const t0 = nowMs();
  const s = new Session(tool, spec(fixture, port), fixture, logFile);
  const out = { tool, modules: manifest.modules, round, cold: null, saves: [], missed: [], rss: null };
  const restore = new Map();
  try {
    out.cold = (await until(s, port, '/r/0', (r) => r.status === 200, t0 + 180_000, 'the first 200 on /r/0')) - t0;
    const L = manifest.leaves.length;
    for (let k = 0; k < edits; k++) {
      const leaf = manifest.leaves[(round * 7919 + k * stride) % L];
      const file = path.join(fixture, leaf.file);
      if (!restore.has(file)) restore.set(file, fs.readFileSync(file, 'utf8'));
      const token = `${tool}-r${round}-e${k}`;
      const text = setText(restore.get(file), leaf.id, token);
      const tw = nowMs();
      fs.writeFileSync(file, text); // open(O_TRUNC) + write + close, as an editor's plain save
      try {
        const seen = await until(s, port, `/r/${leaf.id}`, (r) => r.status === 200 && r.text.includes(token), tw + SAVE_TIMEOUT_MS, `the save of ${leaf.file} (token ${token})`);
        out.saves.push(seen - tw);
      } catch (e) {
        if (!s.alive()) throw e;
        // A peer that never shows a save is a result, not the end of the run.
        out.missed.push({ file: leaf.file, token, error: String(e.message).split('\n')[0] });
        console.error(`  ${tool}: MISSED ${e.message.split('\n')[0]}`);
      }
      await sleep(100); // let the tool finish what follows the update (acks, logs) before the next save
    }
    out.rss = treeRssMb(s.child.pid);
  } finally {
    await s.stop();
    for (const [file, text] of restore) fs.writeFileSync(file, text);
  }
  return out;
}

function median(xs) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summarize(samples, sizes, tools) {
  const rows = [];
  for (const n of sizes) {
    for (const tool of tools) {
      const mine = samples.filter((x) => x.tool === tool && x.modules === n);
      if (!mine.length) continue;
      const saves = mine.flatMap((x) => x.saves);
      rows.push({
        tool, modules: n, sessions: mine.length, saves: saves.length,
        missed: mine.reduce((a, x) => a + x.missed.length, 0),
        cold: median(mine.map((x) => x.cold)),
        p50: quantile(saves, 0.5), p95: quantile(saves, 0.95),
        rss: median(mine.map((x) => x.rss).filter((x) => x !== null)),
      });
    }
  }
  return rows;
}

function table(rows) {
  const f = (x, d = 0) => (x === null || x === undefined ? '–' : x.toFixed(d));
  const lines = [
    '| tool | modules | cold start (ms) | save → response p50 (ms) | p95 (ms) | saves (missed) | RSS end (MiB) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) lines.push(`| ${r.tool} | ${r.modules} | ${f(r.cold)} | ${f(r.p50, 1)} | ${f(r.p95, 1)} | ${r.saves}${r.missed ? ` (${r.missed})` : ''} | ${f(r.rss)} |`);
  return lines.join('\n');
}

async function main() {
  const o = options();
  installSignalHandlers();
  npmInstall();
  const bun = o.tools.includes('bun') ? bunBinary(o.bun) : null;
  let hotloopVersion = null;
  if (o.tools.includes('hotloop')) {
    if (!fs.existsSync(o.bin)) throw new Error(`no hotloop binary at ${o.bin}: build it (cargo build --release -p hotloop) or pass --bin PATH`);
    hotloopVersion = execFileSync(o.bin, ['--version'], { encoding: 'utf8' }).trim();
  }
  const viteVersion = JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules/vite/package.json'), 'utf8')).version;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-server-bench-'));
  const logFile = path.join(tmp, 'servers.log');
  let failed = false;
  const removeTmp = onCleanup('temp dir', () => {
    if (failed || o.keepLogs) console.error(`servers' log kept: ${logFile}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  });
  console.error(`hotloop: ${hotloopVersion ?? '–'} · bun: ${bun ? bun.version : '–'} · vite: ${viteVersion} · node ${process.version} · ${os.cpus().length} cores`);
  const specs = commands(o, bun, tmp);
  const samples = [];
  try {
    for (const n of o.sizes) {
      const dir = path.join(HERE, '.fixtures', `server-${n}`);
      const { manifest, reused } = ensureFixture(n, dir);
      console.error(`${reused ? 'reused' : 'wrote'} ${dir}: ${n} modules, ${manifest.leaves.length} leaves`);
      const stride = Math.max(1, Math.floor(manifest.leaves.length / o.edits) - 1);
      if (o.tools.includes('hotloop')) {
        // untimed: fills hotloop's compile cache and warms the OS file cache for everyone
        const w = await session('hotloop', specs.hotloop, dir, manifest, { edits: 0, round: 0, logFile, stride });
        console.error(`  warm-up hotloop start: ${w.cold.toFixed(0)} ms`);
      }
      for (let round = 0; round < o.reps; round++) {
        const order = o.tools.map((_, i) => o.tools[(i + round) % o.tools.length]);
        for (const tool of order) {
          const x = await session(tool, specs[tool], dir, manifest, { edits: o.edits, round, logFile, stride });
          samples.push(x);
          const saves = [...x.saves].sort((a, b) => a - b);
          const p50 = saves.length ? `p50 ${quantile(saves, 0.5).toFixed(1)} ms, max ${saves.at(-1).toFixed(1)} ms` : 'none shown';
          console.error(`  ${n} round ${round + 1}/${o.reps} ${tool.padEnd(8)} cold ${x.cold.toFixed(0)} ms · saves ${p50}${x.missed.length ? ` (${x.missed.length} missed)` : ''} · RSS ${x.rss?.toFixed(0)} MiB`);
        }
      }
    }
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    const rows = summarize(samples, o.sizes, o.tools);
    if (rows.length) console.log(table(rows));
    if (o.json) {
      fs.writeFileSync(o.json, `${JSON.stringify({ versions: { hotloop: hotloopVersion, bun: bun?.version ?? null, vite: viteVersion, node: process.version }, options: { sizes: o.sizes, reps: o.reps, edits: o.edits, tools: o.tools }, summary: rows, samples }, null, 2)}\n`);
    }
    agent.destroy();
    await runCleanups();
    removeTmp();
  }
}

main().catch((e) => { console.error(`server bench failed: ${e && e.stack ? e.stack : e}`); process.exitCode = 1; });
