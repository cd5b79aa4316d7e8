#!/usr/bin/env node
// The browser benchmark, one command (from the repository root):
//
//   cargo build --release && node benches/browser/run.mjs [--sizes 1000,10000] [--kinds plain,react]
//
// For every kind × size it generates the fixture (gen.mjs), builds its floor (floor.mjs), starts
// hotloop once to fill a compile cache (not timed), then runs --reps rounds. Each round runs three
// sessions (measure.mjs), their order rotating round by round (floor, first, hotloop / first,
// hotloop, floor / ...) so drift on a shared machine hits all of them alike:
//
//   floor    the prebuilt bundle served from memory: cold start, page bytes, warm reloads
//   first    hotloop with an empty compile cache (HOTLOOP_CACHE_DIR = a new empty directory):
//            cold start only, reported as "first start"
//   hotloop  hotloop with the primed cache: cold start, warm reloads, --edits leaf saves,
//            --edits CSS saves, --mid-edits mid saves (full reloads), RSS at the end
//   base-first, base   with `--base BIN`: the same two for a second binary (an A/B of a change
//            against an older build, in one interleaved run), reported as the row "base"
//
// It prints a Markdown table (stdout; progress on stderr) and, with --json, writes every session's
// raw figures and the summary. npm packages (playwright-core, esbuild, react, react-dom) are
// installed into benches/browser/node_modules by `npm ci` on first use and reused while
// package-lock.json is unchanged. Chromium is the system's (/usr/bin/chromium), never a download.
// Any failure (an edit that never shows, a hot edit that reloads, a server that dies) stops the run
// with a message and exit status 1; every server is stopped and every edited file restored, on
// Ctrl-C too.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installSignalHandlers, interrupted, onCleanup, runCleanups } from './lib/cleanup.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');

const USAGE = `usage: node benches/browser/run.mjs [options]

Benchmarks the hotloop binary in headless Chromium against a static floor (the same app
prebuilt by esbuild and served from memory): cold start, first start with an empty compile
cache, page bytes, warm reload, mid edit → full reload, leaf save → DOM and CSS save →
computed style (p50/p95), state kept (react), server RSS. Prints a Markdown table.

options:
  --sizes N,N        module counts (default 1000,10000)
  --kinds K,K        fixture kinds: plain, react (default plain,react)
  --reps R           rounds per fixture, sessions interleaved (default 3)
  --edits N          leaf saves and CSS saves per round (default 20)
  --mid-edits N      mid saves (full reloads) per round (default 3)
  --warm-reloads N   page reloads per session (default 3)
  --bin PATH         hotloop binary (default target/release/hotloop; env HOTLOOP_BIN)
  --base PATH        a second hotloop binary (an A/B: an older build), measured as hotloop is,
                     in the same interleaved rounds, with a compile cache of its own
  --chromium PATH    browser (default /usr/bin/chromium; env CHROMIUM)
  --json FILE        also write the raw sessions and the summary as JSON
  --fixtures DIR     where fixtures are generated and kept (default benches/browser/.fixtures)
  --timeout MS       a leaf or CSS save must show within this (default 10000)
  --ready-timeout MS cold start and full reloads must finish within this (default 120000)
  --quiet            no progress lines on stderr
  -h, --help         this text

Run it from a clone: cargo build --release && node benches/browser/run.mjs
Numbers from a busy machine are noisy: compare figures from one run, not across runs.`;

const { values: a } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    kinds: { type: 'string', default: 'plain,react' },
    reps: { type: 'string', default: '3' },
    edits: { type: 'string', default: '20' },
    'mid-edits': { type: 'string', default: '3' },
    'warm-reloads': { type: 'string', default: '3' },
    bin: { type: 'string', default: process.env.HOTLOOP_BIN || path.join(REPO, 'target/release/hotloop') },
    base: { type: 'string' },
    chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
    json: { type: 'string' },
    fixtures: { type: 'string', default: path.join(HERE, '.fixtures') },
    timeout: { type: 'string', default: '10000' },
    'ready-timeout': { type: 'string', default: '120000' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (a.help) { console.log(USAGE); process.exit(0); }

function usageError(msg) {
  console.error(`run.mjs: ${msg}\n\n${USAGE}`);
  process.exit(2);
}
const int = (name, min) => {
  const v = Number(a[name]);
  if (!Number.isInteger(v) || v < min) usageError(`--${name} must be an integer >= ${min} (got ${a[name]})`);
  return v;
};
const sizes = a.sizes.split(',').map((s) => Number(s.trim()));
if (sizes.some((n) => !Number.isInteger(n) || n < 12)) usageError(`--sizes must be integers >= 12 (got ${a.sizes})`);
const kinds = a.kinds.split(',').map((s) => s.trim());
const reps = int('reps', 1);
const edits = int('edits', 1);
const midEdits = int('mid-edits', 0);
const warmReloads = int('warm-reloads', 0);
const timeoutMs = int('timeout', 100);
const readyTimeoutMs = int('ready-timeout', 1000);
const say = a.quiet ? () => {} : (line) => process.stderr.write(`${line}\n`);

/** `npm ci` into benches/browser/node_modules unless it is already there for this lock file. */
function ensurePackages() {
  const stamp = path.join(HERE, 'node_modules/.package-lock.json');
  const lock = path.join(HERE, 'package-lock.json');
  if (fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  say('installing the benchmark\'s npm packages (npm ci in benches/browser, once)...');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: HERE, stdio: 'inherit' });
  if (r.error || r.status !== 0) throw new Error(`npm ci in ${HERE} failed${r.error ? `: ${r.error.message}` : ''}`);
}

async function main() {
  installSignalHandlers();
  ensurePackages();
  // Imported after the install: they load npm packages.
  const { KINDS, ensureFixture } = await import('./gen.mjs');
  const { buildFloor, bundleBytes, FloorServer } = await import('./floor.mjs');
  const { HotloopServer, hotloopVersion } = await import('./lib/hotloop.mjs');
  const { runSession } = await import('./measure.mjs');
  const { summarize, table, notes } = await import('./lib/table.mjs');
  const { chromium } = await import('playwright-core');

  for (const k of kinds) if (!KINDS[k]) usageError(`unknown kind '${k}' (known: ${Object.keys(KINDS).join(', ')})`);
  const bin = path.resolve(a.bin);
  const version = hotloopVersion(bin);
  const baseBin = a.base ? path.resolve(a.base) : null;
  const baseVersion = baseBin ? hotloopVersion(baseBin) : null;
  if (!fs.existsSync(a.chromium)) throw new Error(`no browser at ${a.chromium}: install Debian's chromium package or pass --chromium PATH`);

  work = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-bench-'));
  onCleanup('temp dir', () => {
    if (!keepWork || interrupted) { fs.rmSync(work, { recursive: true, force: true }); return; }
    for (const d of fs.readdirSync(work)) if (d.includes('cache-')) fs.rmSync(path.join(work, d), { recursive: true, force: true });
  });

  const browser = await chromium.launch({
    executablePath: a.chromium,
    headless: true,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  onCleanup('browser', () => browser.close());

  const meta = {
    date: new Date().toISOString(),
    hotloop: { bin, version, commit: gitCommit() },
    base: baseBin ? { bin: baseBin, version: baseVersion } : null,
    chromium: browser.version(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    memGB: round(os.totalmem() / 2 ** 30),
    loadavgAtStart: os.loadavg().map(round),
    options: { sizes, kinds, reps, edits, midEdits, warmReloads, timeoutMs, readyTimeoutMs },
  };
  say(`${version} (${meta.hotloop.commit ?? 'no git'})${baseVersion ? `, base ${baseVersion} (${baseBin})` : ''}, Chromium ${meta.chromium}, ${meta.cpus} cpus, load ${meta.loadavgAtStart.join(' ')}`);

  const results = [];
  let logSeq = 0;
  const server = (binary) => (root, cacheDir, name) => new HotloopServer({ bin: binary, root, cacheDir, name, logFile: path.join(work, `${name}-${logSeq++}.log`) });
  const hotloop = server(bin);
  const baseline = baseBin ? server(baseBin) : null;
  const base = { warmReloads, edits: 0, midEdits: 0, rounds: reps, timeoutMs, readyTimeoutMs };

  for (const kind of kinds) {
    for (const n of sizes) {
      const dir = path.join(path.resolve(a.fixtures), `${kind}-${n}`);
      const t = Date.now();
      const { manifest, reused } = ensureFixture(kind, n, dir);
      say(`\n${kind} ${n}: fixture ${reused ? 'reused' : 'written'} (${dir}, ${manifest.leafCount} leaves, ${Date.now() - t} ms)`);
      const floorFiles = await buildFloor(dir, manifest);
      say(`${kind} ${n}: floor bundle ${(bundleBytes(floorFiles) / 1024).toFixed(0)} kB`);

      const primed = fs.mkdtempSync(path.join(work, 'cache-'));
      const basePrimed = baseline ? fs.mkdtempSync(path.join(work, 'base-cache-')) : null;
      const sessions = [];
      const run = async (role, server, plan) => {
        const s = await runSession({ browser, server, root: dir, manifest, plan: { ...base, ...plan }, say });
        return { role, ...s };
      };
      // Untimed: fills the primed cache, warms the OS file cache for both servers.
      await run('prime', hotloop(dir, primed, 'hotloop-prime'), { round: 0, warmReloads: 0 });
      if (baseline) await run('prime', baseline(dir, basePrimed, 'base-prime'), { round: 0, warmReloads: 0 });
      await run('prime', new FloorServer(floorFiles), { round: 0, warmReloads: 0 });

      const roles = baseline ? ['floor', 'first', 'hotloop', 'base-first', 'base'] : ['floor', 'first', 'hotloop'];
      // A start with an empty compile cache.
      const first = async (role, start, round) => {
        const empty = fs.mkdtempSync(path.join(work, 'empty-cache-'));
        sessions.push(await run(role, start(dir, empty, `${role === 'first' ? 'hotloop' : 'base'}-first`), { round, warmReloads: 0 }));
        fs.rmSync(empty, { recursive: true, force: true });
      };
      for (let r = 0; r < reps; r++) {
        say(`${kind} ${n}: round ${r + 1}/${reps}`);
        for (let k = 0; k < roles.length; k++) {
          const role = roles[(k + r) % roles.length];
          if (role === 'floor') sessions.push(await run(role, new FloorServer(floorFiles), { round: r }));
          if (role === 'first') await first(role, hotloop, r);
          if (role === 'base-first') await first(role, baseline, r);
          if (role === 'hotloop') sessions.push(await run(role, hotloop(dir, primed, 'hotloop'), { round: r, edits, midEdits }));
          if (role === 'base') sessions.push(await run(role, baseline(dir, basePrimed, 'base'), { round: r, edits, midEdits }));
        }
      }
      fs.rmSync(primed, { recursive: true, force: true });
      if (basePrimed) fs.rmSync(basePrimed, { recursive: true, force: true });
      const rows = summarize(sessions);
      results.push({ kind, modules: n, leaves: manifest.leafCount, mids: manifest.midCount, rows, sessions });
      say(`\n${table([results[results.length - 1]])}`);
    }
  }
  meta.loadavgAtEnd = os.loadavg().map(round);

  const summary = results.map(({ kind, modules, rows }) => ({ kind, modules, rows }));
  console.log(`\nhotloop browser benchmark: ${version} (${meta.hotloop.commit ?? 'no git'})${baseVersion ? `, base ${baseVersion}` : ''}; Chromium ${meta.chromium}; ${meta.cpus} cpus; load ${meta.loadavgAtStart.join(' ')} → ${meta.loadavgAtEnd.join(' ')}`);
  console.log(`medians over ${reps} interleaved rounds; leaf/CSS p50/p95 over all saves; ms unless noted\n`);
  console.log(table(summary));
  console.log(`\n${notes(summary)}`);
  if (a.json) {
    fs.writeFileSync(path.resolve(a.json), `${JSON.stringify({ meta, results }, null, 2)}\n`);
    say(`\nwrote ${path.resolve(a.json)}`);
  }
  keepWork = false;
}

function round(x) { return Math.round(x * 100) / 100; }

/** The checkout's commit (with "+dirty" when it has changes), or null outside git. */
function gitCommit() {
  const git = (...args) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });
  const head = git('rev-parse', '--short=12', 'HEAD');
  if (head.status !== 0) return null;
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? '+dirty' : ''}`;
}

let work = null; // temp dir: server logs and compile caches
let keepWork = true; // kept (for the logs) when the run fails
let code = 0;
try {
  await main();
} catch (e) {
  code = 1;
  process.stderr.write(`\nbenchmark FAILED: ${e && e.name === 'BenchError' ? e.message : (e && e.stack) || e}\n`);
  if (work) process.stderr.write(`server logs kept in ${work}\n`);
}
await runCleanups();
process.exit(code);
