#!/usr/bin/env node
// Lazy routes (issue 21), the issue's app: a React app of N components (default 10,000), each
// importing nine children (heap-shaped subtrees) and one icon module of an npm icon package
// (`lucide-react/icons/<name>`); `index.jsx` renders a subtree of N/9 components at `/` and puts
// eight more behind `React.lazy(() => import('./fK.jsx'))` routes of `react-router-dom`. Against
// the real `hotloop` binary (and an older one, `--base`, for an A/B in the same run) and, when
// it is installed, Bun's dev server (`bun ./index.html`), in headless Chromium, in rotating
// order per round:
//
//   cold start   spawn → every leaf of `/` rendered, empty caches (a fresh compile cache)
//   cached start the same with the compile cache a previous start left (Bun: a second start)
//   no routes    hotloop's cold start on a copy with the eight routes deleted (the target is
//                that the app's start is ≤ 1.2× this: start-up independent of the unvisited part)
//   first nav    per route, `navigate('/rK')` (react-router's, a pushState) → every leaf of the
//                route in the DOM, measured in the page: "cold" right after the first render
//                (hotloop compiles the chunk on request), "warm" after hotloop's background
//                warm-up logged that it compiled every lazy chunk (Bun has it all at start)
//                (and, of that, until the last byte the navigation fetched arrived: the server's
//                part, compiling included); each `--nav-gap` ms (1100) after the last render,
//                see below
//   leaf save    then `--edits` saves of a leaf component of route 1 (loaded), each a new text
//                in its `<span>`: save → the text in the DOM, no reload (hotloop: in the warm
//                session; Bun: in the cold one)
//   RSS end      the server's process tree after visiting every route, MiB (hotloop: the
//                warm session's, everything compiled)
//
//   node benches/browser/lazy-routes.mjs [--modules 10000] [--reps 3] [--edits 10]
//       [--bin target/release/hotloop] [--base OLD_BINARY] [--bun PATH|none] [--json FILE]
//       [--keep DIR] [--nav-gap 1100]
//
// Why the gap before each navigation: React 19's development build captures an owner stack
// (`Error("react-stack-top-frame")` and `console.createTask`) for each of the first 10,000
// elements created after it reset its count, which a render does once 1 s passed since the
// last reset. With a CDP client attached (every tool here), a route of 1,000 components then
// renders in ~550 ms instead of ~300 (counted in the page: 10,002 `createTask`
// calls against 2). Back to back, whether a navigation pays it depended on how long the tool
// took over the navigations before it, so a tool that compiled a route on request made the
// next one slow (route 2: ~400 ms against Bun's ~180). After the gap every navigation pays it,
// as after a user read a page for a second.
//
// The npm packages (react, react-dom, react-router-dom, lucide-react) come from this
// directory's node_modules (`npm ci` from package-lock.json on first use, like run.mjs) and are
// copied into each generated app (without source maps and type declarations).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));

const { values: opts } = parseArgs({
  options: {
    modules: { type: 'string', default: '10000' },
    reps: { type: 'string', default: '3' },
    edits: { type: 'string', default: '10' },
    bin: { type: 'string', default: path.resolve(here, '../../target/release/hotloop') },
    base: { type: 'string' },
    bun: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    json: { type: 'string' },
    keep: { type: 'string' },
    'nav-gap': { type: 'string', default: '1100' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log('usage: node lazy-routes.mjs [--modules 10000] [--reps 3] [--edits 10] [--bin PATH] [--base OLD_HOTLOOP] [--bun PATH|none] [--json FILE] [--keep DIR] [--nav-gap MS]');
  process.exit(0);
}

/** `npm ci` into benches/browser/node_modules unless it is already there for this lock file. */
function ensurePackages() {
  const stamp = path.join(here, 'node_modules/.package-lock.json');
  const lock = path.join(here, 'package-lock.json');
  if (fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  process.stderr.write('installing the benchmark\'s npm packages (npm ci in benches/browser, once)...\n');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: here, stdio: 'inherit' });
  if (r.error || r.status !== 0) throw new Error(`npm ci in ${here} failed${r.error ? `: ${r.error.message}` : ''}`);
}
ensurePackages();
// Imported after the install: they load npm packages.
const { chromium } = await import('playwright-core');
const { HotloopServer, hotloopVersion } = await import('./lib/hotloop.mjs');
const { BunServer, bunBinary, bunVersion } = await import('./lib/bun.mjs');
const { median } = await import('./lib/stats.mjs');
const { nowMs, untilAnswers, untilQuiet } = await import('./lib/proc.mjs');
const { installSignalHandlers, runCleanups, onCleanup } = await import('./lib/cleanup.mjs');

const N = Number(opts.modules);
const REPS = Number(opts.reps);
const NAV_GAP_MS = Number(opts['nav-gap']);
const EDITS = Number(opts.edits);
const ROUTES = 8;
const PER = Math.floor(N / (ROUTES + 1));
const FAN = 9;
const PACKAGES = ['react', 'react-dom', 'scheduler', 'react-router-dom', 'react-router', 'cookie', 'set-cookie-parser', 'lucide-react'];

/**
 * The icon modules of lucide-react, by name (`lucide-react/icons/<name>`): each defines one
 * icon (not the `index` barrel, nor an alias that re-exports another icon).
 */
function iconNames() {
  const dir = path.join(here, 'node_modules/lucide-react/dist/esm/icons');
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith('.mjs') && f !== 'index.mjs')
    .filter((f) => !/^export \{ default \} from /m.test(fs.readFileSync(path.join(dir, f), 'utf8')))
    .map((f) => f.slice(0, -'.mjs'.length))
    .sort();
}

/** The app, with or without its eight routes; returns the leaf count of each subtree. */
function generate(dir, { routes }) {
  fs.rmSync(dir, { recursive: true, force: true });
  const write = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  for (const pkg of PACKAGES) {
    fs.cpSync(path.join(here, 'node_modules', pkg), path.join(dir, 'node_modules', pkg), {
      recursive: true,
      filter: (src) => !/\.map$|\.d\.(m|c)?ts$/.test(src),
    });
  }
  write('package.json', '{ "name": "lazy-routes", "private": true, "type": "module" }\n');
  write('index.html', '<!doctype html>\n<html><head><meta charset="utf-8"><title>lazy routes</title></head>\n<body><div id="root"></div><script type="module" src="./src/index.jsx"></script></body></html>\n');
  const icons = iconNames();
  const leaves = [];
  let component = 0;
  for (let k = 0; k <= (routes ? ROUTES : 0); k++) {
    let count = 0;
    for (let i = 0; i < PER; i++) {
      const icon = icons[component++ % icons.length];
      const kids = [];
      for (let c = 1; c <= FAN; c++) if (FAN * i + c < PER) kids.push(FAN * i + c);
      const lines = [`import Icon from 'lucide-react/icons/${icon}';`];
      for (const c of kids) lines.push(`import M${c} from '../${Math.floor(c / 100)}/m${c}.jsx';`);
      if (kids.length === 0) {
        count++;
        lines.push(`export default function M${i}() { return <span className="leaf-${k}"><Icon size={12} /></span>; }`);
      } else {
        lines.push(`export default function M${i}() { return <div><Icon size={12} />${kids.map((c) => `<M${c} />`).join('')}</div>; }`);
      }
      write(`src/r${k}/${Math.floor(i / 100)}/m${i}.jsx`, lines.join('\n') + '\n');
    }
    write(`src/f${k}.jsx`, `import Root from './r${k}/0/m0.jsx';\nexport default Root;\n`);
    leaves.push(count);
  }
  const lazyLines = [];
  const routeLines = [];
  for (let k = 1; routes && k <= ROUTES; k++) {
    lazyLines.push(`const F${k} = lazy(() => import('./f${k}.jsx'));`);
    routeLines.push(`        <Route path="/r${k}" element={<F${k} />} />`);
  }
  write('src/index.jsx', `import { Suspense, lazy, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Routes, Route, useNavigate } from 'react-router-dom';
import F0 from './f0.jsx';
${lazyLines.join('\n')}

function Navigator() {
  const navigate = useNavigate();
  useEffect(() => { window.navigate = navigate; }, [navigate]);
  return null;
}

function App() {
  return (
    <BrowserRouter>
      <Navigator />
      <Suspense fallback={<p>loading</p>}>
        <Routes>
        <Route path="/" element={<F0 />} />
${routeLines.join('\n')}
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}

createRoot(document.getElementById('root')).render(<App />);
`);
  return leaves;
}

/** Resolves once `file` has a line matching `re` (the server writes its log there). */
async function untilLogLine(file, re, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (re.test(text)) return;
    if (Date.now() > deadline) throw new Error(`no line ${re} in ${file} within ${timeoutMs} ms:\n${text.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** In the page: navigate, then the ms until every leaf of the route is in the DOM. */
const navigateAndCount = ({ to, cls, want }) => new Promise((resolve, reject) => {
  performance.clearResourceTimings();
  const t0 = performance.now();
  window.navigate(to);
  // Until the last byte of what the navigation fetched (the route's chunk): the server's part.
  const fetched = () => Math.max(0, ...performance.getEntriesByType('resource').map((e) => e.responseEnd - t0));
  const check = () => {
    const have = document.getElementsByClassName(cls).length;
    if (have >= want) resolve({ ms: performance.now() - t0, fetch: fetched() });
    else if (performance.now() - t0 > 60_000) reject(new Error(`${to}: ${have} of ${want} leaves after 60 s`));
    else requestAnimationFrame(check);
  };
  check();
});

/** The page's clock minus Node's (both epoch ms), from the fastest of 10 round trips. */
async function clockOffset(page) {
  let best = null;
  for (let i = 0; i < 10; i++) {
    const t1 = performance.timeOrigin + performance.now();
    const t = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t2 = performance.timeOrigin + performance.now();
    if (!best || t2 - t1 < best.rtt) best = { rtt: t2 - t1, offset: t - (t1 + t2) / 2 };
  }
  return best.offset;
}

/** How long a leaf save may take to show before it counts as not shown. */
const LEAF_TIMEOUT_MS = 10_000;

/** In the page: `window.__leafSeen` resolves with the page's epoch ms once `tok` shows. */
const watchToken = (tok) => {
  window.__noReload = true;
  window.__leafSeen = new Promise((resolve) => {
    const has = (node) => node && (node.nodeType === 3 ? node.data : node.textContent || '').includes(tok);
    const observer = new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === 'characterData' ? has(r.target) : [...r.addedNodes].some(has)) {
          observer.disconnect();
          resolve(performance.timeOrigin + performance.now());
          return;
        }
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
};

/**
 * `count` saves of the last leaf component of route 1 (shown), each a new text in its
 * `<span>`: the ms from the save to the text in the DOM. Puts the file back after.
 */
async function leafEdits(page, root, count) {
  const rel = `src/r1/${Math.floor((PER - 1) / 100)}/m${PER - 1}.jsx`;
  const file = path.join(root, rel);
  const original = fs.readFileSync(file, 'utf8');
  const open = '<span className="leaf-1">';
  if (!original.includes(open)) throw new Error(`${rel} is not a leaf of route 1`);
  const offset = await clockOffset(page);
  const times = [];
  try {
    for (let i = 0; i < count; i++) {
      const tok = `bt_${i}_${Math.random().toString(36).slice(2, 8)}_`;
      await page.evaluate(watchToken, tok);
      const saved = performance.timeOrigin + performance.now();
      fs.writeFileSync(file, original.replace(open, `${open}{${JSON.stringify(tok)}}`));
      let timer;
      const seen = await Promise.race([
        page.evaluate(() => window.__leafSeen),
        new Promise((resolve) => { timer = setTimeout(() => resolve(null), LEAF_TIMEOUT_MS); }),
      ]);
      clearTimeout(timer);
      if (seen === null) {
        // Counted as not shown (a failure of the server's update), and the session goes on.
        process.stderr.write(`${rel}: save ${i + 1} not shown within ${LEAF_TIMEOUT_MS} ms\n`);
        times.push(Infinity);
        continue;
      }
      times.push(seen - offset - saved);
      if (!(await page.evaluate(() => window.__noReload === true))) throw new Error(`${rel}: save ${i + 1} reloaded the page`);
    }
  } finally {
    fs.writeFileSync(file, original);
  }
  return times;
}

/**
 * One server start in a fresh browser context: the ms to the first render of `/`; then, with
 * `visit`, each route's first navigation, then `edits` leaf saves in route 1, and the RSS
 * after the last.
 */
async function session(browser, server, leaves, { visit, waitWarm, edits = 0 }) {
  await server.prepare();
  const context = await browser.newContext();
  const page = await context.newPage();
  // The browser's own work for the new tab is done before the clock starts (`untilQuiet`).
  await untilQuiet();
  try {
    const t0 = server.start();
    await untilAnswers(server.port, { deadline: Date.now() + 120_000, alive: () => server.alive() });
    await page.goto(`http://127.0.0.1:${server.port}/`, { timeout: 120_000 });
    await page.waitForFunction((want) => document.getElementsByClassName('leaf-0').length >= want, leaves[0], { timeout: 120_000, polling: 'raf' });
    const start = nowMs() - t0;
    await page.waitForFunction(() => typeof window.navigate === 'function', null, { timeout: 10_000 });
    const navs = [];
    const fetches = [];
    if (visit) {
      if (waitWarm) await untilLogLine(server.logFile, /compiled \d+ lazy chunks in the background/, 180_000);
      for (let k = 1; k <= ROUTES; k++) {
        // React's owner-stack window (the header): every navigation starts past it.
        await new Promise((resolve) => setTimeout(resolve, NAV_GAP_MS));
        const nav = await page.evaluate(navigateAndCount, { to: `/r${k}`, cls: `leaf-${k}`, want: leaves[k] });
        navs.push(nav.ms);
        fetches.push(nav.fetch);
      }
    }
    let leaf = [];
    if (visit && edits > 0) {
      await page.evaluate(navigateAndCount, { to: '/r1', cls: 'leaf-1', want: leaves[1] });
      leaf = await leafEdits(page, server.root, edits);
    }
    return { start, navs, fetches, leaf, rss: server.rssMb() };
  } catch (e) {
    throw new Error(`${server.name}: ${e.message}\n${server.logTail()}`);
  } finally {
    await context.close();
    await server.stop();
  }
}

installSignalHandlers();
// The warm-up's "compiled N lazy chunks in the background" line is an info line of the dev loop.
process.env.HMR_LOG = 'warn,hotloop_engine::devloop=info';
const bins = [{ name: 'hotloop', bin: path.resolve(opts.bin) }];
if (opts.base) bins.push({ name: 'base', bin: path.resolve(opts.base) });
const versions = bins.map((b) => `${b.name}: ${hotloopVersion(b.bin)} (${b.bin})`);
const bun = bunBinary(opts.bun);
if (bun) versions.push(`${bunVersion(bun)} (${bun})`);
if (opts.keep) {
  // Only write the app (with its routes) to `--keep DIR`, for a look by hand.
  generate(opts.keep, { routes: true });
  console.log(`wrote ${opts.keep}`);
  process.exit(0);
}
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-lazy-routes-'));
onCleanup('temp dir', () => fs.rmSync(base, { recursive: true, force: true }), () => fs.rmSync(base, { recursive: true, force: true }));
const withRoutes = path.join(base, 'routes');
const without = path.join(base, 'no-routes');
const leaves = generate(withRoutes, { routes: true });
generate(without, { routes: false });
console.log(`${versions.join('; ')}\n${N} components (${ROUTES + 1} subtrees of ${PER}), ${REPS} rounds; ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} load`);
const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
onCleanup('browser', () => browser.close());

let serial = 0;
const dir = (what) => {
  const d = path.join(base, `${what}-${serial++}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
};
/** A server of `who` on `root`, with its caches in `cacheDir` (a fresh one unless given). */
function server(who, root, cacheDir = dir('cache')) {
  const logFile = path.join(dir('log'), 'server.log');
  if (who.bun) return new BunServer({ bin: who.bin, root, cacheDir, logFile, name: who.name });
  return new HotloopServer({ bin: who.bin, root, cacheDir, logFile, name: who.name });
}

const peers = [...bins];
if (bun) peers.push({ name: 'bun', bin: bun, bun: true });
const results = Object.fromEntries(peers.map((p) => [p.name, { cold: [], cached: [], noRoutes: [], navCold: [], navWarm: [], fetchCold: [], fetchWarm: [], leaf: [], rss: [] }]));
// Each hotloop's compile cache for the "cached start": primed by a first, unmeasured start.
const primed = {};
for (const who of bins) {
  primed[who.name] = dir('cache');
  await session(browser, server(who, withRoutes, primed[who.name]), leaves, { visit: false });
}
// The sessions of a round, rotated each round.
const kinds = [];
for (const who of peers) {
  kinds.push([who, 'cold']);
  kinds.push([who, 'cached']);
  if (!who.bun) kinds.push([who, 'noRoutes'], [who, 'warm']);
}
for (let rep = 0; rep < REPS; rep++) {
  for (let i = 0; i < kinds.length; i++) {
    const [who, kind] = kinds[(i + rep * 3) % kinds.length];
    const r = results[who.name];
    if (kind === 'cold') {
      // Bun's leaf saves follow its cold session's navigations; hotloop's, its warm one's.
      const s = await session(browser, server(who, withRoutes), leaves, { visit: true, waitWarm: false, edits: who.bun ? EDITS : 0 });
      r.cold.push(s.start);
      r.navCold.push(...s.navs);
      r.fetchCold.push(...s.fetches);
      if (who.bun) r.rss.push(s.rss);
      r.leaf.push(...s.leaf);
    } else if (kind === 'cached') {
      const s = await session(browser, server(who, withRoutes, who.bun ? undefined : primed[who.name]), leaves, { visit: false });
      r.cached.push(s.start);
    } else if (kind === 'noRoutes') {
      const s = await session(browser, server(who, without), leaves, { visit: false });
      r.noRoutes.push(s.start);
    } else {
      const s = await session(browser, server(who, withRoutes), leaves, { visit: true, waitWarm: true, edits: EDITS });
      r.navWarm.push(...s.navs);
      r.leaf.push(...s.leaf);
      r.fetchWarm.push(...s.fetches);
      r.rss.push(s.rss);
    }
    process.stderr.write(`round ${rep + 1}: ${who.name} ${kind} done\n`);
  }
}
await runCleanups();

const f = (x) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(0));
const p50 = (xs) => f(median(xs));
const max = (xs) => (xs.length ? f(Math.max(...xs)) : '-');
const rows = [
  ['cold start, empty caches (ms)', (r) => p50(r.cold)],
  ['start with the compile cache (ms)', (r) => p50(r.cached)],
  ['cold start, routes deleted (ms)', (r) => p50(r.noRoutes)],
  ['  ratio with/without routes', (r) => (r.noRoutes.length ? (median(r.cold) / median(r.noRoutes)).toFixed(2) : '-')],
  ['first nav, compiled on request, p50 (ms)', (r) => p50(r.navCold)],
  ['first nav, compiled on request, max (ms)', (r) => max(r.navCold)],
  ['first nav, after the warm-up, p50 (ms)', (r) => p50(r.navWarm)],
  ['first nav, after the warm-up, max (ms)', (r) => max(r.navWarm)],
  ['  its script fetched, on request, p50 (ms)', (r) => p50(r.fetchCold)],
  ['  its script fetched, after the warm-up, p50', (r) => p50(r.fetchWarm)],
  ['leaf save in a loaded route → DOM, p50 (ms)', (r) => (r.leaf.length ? median(r.leaf).toFixed(1) : '-')],
  ['  saves not shown within 10 s', (r) => (r.leaf.length ? String(r.leaf.filter((x) => x === Infinity).length) : '-')],
  ['RSS at the end (MiB)', (r) => p50(r.rss)],
];
const names = peers.map((p) => p.name);
const width = Math.max(...rows.map(([label]) => label.length));
console.log(`| ${'median of runs'.padEnd(width)} | ${names.map((n) => n.padStart(8)).join(' | ')} |`);
console.log(`|${'-'.repeat(width + 2)}|${names.map(() => '-'.repeat(10)).join('|')}|`);
for (const [label, cell] of rows) {
  console.log(`| ${label.padEnd(width)} | ${names.map((n) => cell(results[n]).padStart(8)).join(' | ')} |`);
}
if (bun) {
  const h = results.hotloop;
  const b = results.bun;
  console.log(`targets: cold start ${f(median(h.cold))} vs 0.5× Bun ${f(median(b.cold) / 2)}; first nav p50 ${f(median([...h.navCold]))} (after warm-up ${f(median(h.navWarm))}) vs 1.2× Bun ${f(1.2 * median(b.navCold))}, max ${max(h.navCold)} vs 1000; leaf save p50 ${median(h.leaf).toFixed(1)} vs 0.5× Bun ${(median(b.leaf) / 2).toFixed(1)}; RSS ${f(median(h.rss))} vs Bun ${f(median(b.rss))}`);
}
console.log(`runs: ${JSON.stringify(Object.fromEntries(names.map((n) => [n, Object.fromEntries(Object.entries(results[n]).map(([k, v]) => [k, v.map((x) => Math.round(x))]))])))}`);
if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ versions, N, PER, results }, null, 2));
await browser.close().catch(() => {});
