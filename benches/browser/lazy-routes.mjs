#!/usr/bin/env node
// Lazy routes (issue 21): a React app of N components in nine subtrees of N/9, the first rendered
// at `/` and the other eight behind `React.lazy(() => import('./rK/m0.jsx'))` routes (a pushState
// router of a few lines, the shape react-router-dom's lazy routes take); every component imports
// nine children and the shared `icons.js`. Against the real `hotloop` binary in headless
// Chromium it measures, in rotating order per round:
//
//   cold start   spawn of `hotloop dev` with an empty compile cache → every leaf of `/` rendered
//   no routes    the same on a copy with the eight routes deleted (start-up must not depend on
//                the unvisited part: the target is ≤ 1.2× this)
//   first nav    per route, `pushState` → every leaf of the route in the DOM, measured in the page;
//                "cold" right after the first render (the chunk compiles on request), "warm" after
//                the background warm-up logged that it compiled every lazy chunk
//   RSS end      the hotloop process after visiting every route, MiB
//
//   node benches/browser/lazy-routes.mjs [--modules 10000] [--reps 3] [--bin target/release/hotloop]
//
// Bun is not run here (not installed on this machine): its numbers in the issue are the reference.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

import { HotloopServer, hotloopVersion } from './lib/hotloop.mjs';
import { median, percentile } from './lib/stats.mjs';
import { nowMs, untilAnswers } from './lib/proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const { values: opts } = parseArgs({
  options: {
    modules: { type: 'string', default: '10000' },
    reps: { type: 'string', default: '3' },
    bin: { type: 'string', default: path.resolve(here, '../../target/release/hotloop') },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    json: { type: 'string' },
    keep: { type: 'string' },
  },
});
const N = Number(opts.modules);
const REPS = Number(opts.reps);
const ROUTES = 8;
const PER = Math.floor(N / (ROUTES + 1));
const FAN = 9;

/** Subtree `k` of `PER` nodes, heap-shaped (node i imports 9i+1 .. 9i+9). */
function generate(dir, { routes }) {
  fs.rmSync(dir, { recursive: true, force: true });
  const write = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(nm, { recursive: true });
  for (const pkg of ['react', 'react-dom', 'scheduler']) {
    fs.cpSync(path.join(here, 'node_modules', pkg), path.join(nm, pkg), { recursive: true });
  }
  write('package.json', '{ "name": "lazy-routes", "private": true, "type": "module" }\n');
  write('index.html', '<!doctype html>\n<html><head><meta charset="utf-8"><title>lazy routes</title></head>\n<body><div id="root"></div><script type="module" src="/src/index.jsx"></script></body></html>\n');
  write('src/icons.js', 'export const icon = (name) => `[${name}]`;\n');
  let leaves = [];
  for (let k = 0; k <= (routes ? ROUTES : 0); k++) {
    let count = 0;
    for (let i = 0; i < PER; i++) {
      const kids = [];
      for (let c = 1; c <= FAN; c++) if (FAN * i + c < PER) kids.push(FAN * i + c);
      const lines = ["import { icon } from '../../icons.js';"];
      for (const c of kids) lines.push(`import M${c} from './${Math.floor(c / 100)}/m${c}.jsx';`.replace(`./${Math.floor(c / 100)}/`, `../${Math.floor(c / 100)}/`));
      if (kids.length === 0) {
        count++;
        lines.push(`export default function M${i}() { return <span className="leaf-${k}">{icon('r${k}-${i}')}</span>; }`);
      } else {
        lines.push(`export default function M${i}() { return <div>{icon('r${k}-${i}')}${kids.map((c) => `<M${c} />`).join('')}</div>; }`);
      }
      write(`src/r${k}/${Math.floor(i / 100)}/m${i}.jsx`, lines.join('\n') + '\n');
    }
    leaves.push(count);
  }
  const routeLines = [];
  for (let k = 1; routes && k <= ROUTES; k++) routeLines.push(`  '/r${k}': lazy(() => import('./r${k}/0/m0.jsx')),`);
  write('src/index.jsx', `import { Suspense, lazy, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import Home from './r0/0/m0.jsx';

const routes = {
${routeLines.join('\n')}
};

function App() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    window.navigate = (to) => { history.pushState(null, '', to); setPath(to); };
  }, []);
  const Route = routes[path];
  return Route ? <Suspense fallback={<p>loading</p>}><Route /></Suspense> : <Home />;
}

createRoot(document.getElementById('root')).render(<App />);
`);
  return leaves;
}

/** Resolves once `log` has a line matching `re` (the server writes it to a file). */
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
const navigateAndCount = ({ to, cls, want }) => new Promise((resolve) => {
  const t0 = performance.now();
  window.navigate(to);
  const check = () => {
    if (document.getElementsByClassName(cls).length >= want) resolve(performance.now() - t0);
    else requestAnimationFrame(check);
  };
  check();
});

async function session(browser, root, leaves, { visit, waitWarm }) {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-lazy-cache-'));
  const logFile = path.join(cacheDir, 'server.log');
  const server = new HotloopServer({ bin: opts.bin, root, cacheDir, logFile });
  await server.prepare();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const t0 = server.start();
    await untilAnswers(server.port, { deadline: Date.now() + 60_000, alive: () => server.alive() });
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.waitForFunction((want) => document.getElementsByClassName('leaf-0').length >= want, leaves[0], { timeout: 120_000, polling: 'raf' });
    const start = nowMs() - t0;
    const navs = [];
    if (visit) {
      if (waitWarm) await untilLogLine(logFile, /compiled \d+ lazy chunks in the background/, 120_000);
      for (let k = 1; k <= ROUTES; k++) {
        navs.push(await page.evaluate(navigateAndCount, { to: `/r${k}`, cls: `leaf-${k}`, want: leaves[k] }));
      }
    }
    return { start, navs, rss: server.rssMb() };
  } finally {
    await context.close();
    await server.stop?.();
    if (server.alive()) process.kill(-server.pid, 'SIGKILL');
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

// The warm-up's "compiled N lazy chunks in the background" line is an info line of the dev loop.
process.env.HMR_LOG = 'warn,hotloop_engine::devloop=info';
const version = hotloopVersion(opts.bin);
if (opts.keep) {
  // Only write the app (with its routes) to `--keep DIR`, for a look by hand.
  generate(opts.keep, { routes: true });
  console.log(`wrote ${opts.keep}`);
  process.exit(0);
}
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-lazy-routes-'));
const withRoutes = path.join(base, 'routes');
const without = path.join(base, 'no-routes');
const leaves = generate(withRoutes, { routes: true });
generate(without, { routes: false });
console.log(`${version}; ${N} components (${ROUTES + 1} subtrees of ${PER}), ${REPS} rounds`);
const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const results = { cold: [], noRoutes: [], navCold: [], navWarm: [], rss: [] };
try {
  for (let rep = 0; rep < REPS; rep++) {
    const order = [0, 1, 2].map((i) => (i + rep) % 3);
    for (const which of order) {
      if (which === 0) {
        const r = await session(browser, withRoutes, leaves, { visit: true, waitWarm: false });
        results.cold.push(r.start);
        results.navCold.push(...r.navs);
      } else if (which === 1) {
        const r = await session(browser, without, leaves, { visit: false });
        results.noRoutes.push(r.start);
      } else {
        const r = await session(browser, withRoutes, leaves, { visit: true, waitWarm: true });
        results.navWarm.push(...r.navs);
        results.rss.push(r.rss);
      }
    }
  }
} finally {
  await browser.close();
  fs.rmSync(base, { recursive: true, force: true });
}
const f = (x) => (x == null ? '-' : x.toFixed(0));
console.log(`cold start (empty cache), with 8 lazy routes: ${f(median(results.cold))} ms (runs ${results.cold.map(f).join(', ')})`);
console.log(`cold start (empty cache), routes deleted:     ${f(median(results.noRoutes))} ms (runs ${results.noRoutes.map(f).join(', ')}); ratio ${(median(results.cold) / median(results.noRoutes)).toFixed(2)}`);
console.log(`first navigation, compiled on request: p50 ${f(median(results.navCold))} ms, max ${f(Math.max(...results.navCold))} ms`);
console.log(`first navigation, after the warm-up:   p50 ${f(median(results.navWarm))} ms, max ${f(Math.max(...results.navWarm))} ms`);
console.log(`RSS after visiting every route: ${f(median(results.rss))} MiB`);
if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ version, N, PER, results }, null, 2));
