#!/usr/bin/env node
// First navigations of issue 21's app (`lazy-routes.mjs --keep DIR`), A/B at the finest grain:
// two or more servers (hotloop binaries, and Bun's dev server with `--bun PATH`) stay up on the
// same app, each with a fresh tab per round; every route's first navigation is taken on each
// server in turn (rotated per round) before the next route, so a load spike on this shared
// machine falls on all of them alike. hotloop's tabs start once its background warm-up compiled
// every lazy chunk: this measures what a navigation costs the page and the server's answer,
// not a compile on request (lazy-routes.mjs measures that). Each navigation waits for the tab
// before it to be idle. For hotloop it also reports navigation → chunk loaded: until the page
// sends its `Loaded` (the chunk's defines ran), which leaves React's render out.
//
// Each navigation waits `NAV_GAP_MS` (1100) after the one before it: React 19's development
// build captures an owner stack for each of the first 10,000 elements after it resets its
// count, which a render does once 1 s passed since the last reset (lazy-routes.mjs's header);
// after the gap every navigation pays that (~550 ms against ~300 for a route of 1,000
// components), whatever the rotation put before it. `NAV_GAP_MS=0` measures them back to back.
//
//   node benches/browser/lazy-nav-ab.mjs --app DIR --bin NAME=PATH [--bin NAME=PATH] [--bun PATH] [--rounds 5]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { HotloopServer } from './lib/hotloop.mjs';
import { BunServer } from './lib/bun.mjs';
import { untilAnswers } from './lib/proc.mjs';
import { median } from './lib/stats.mjs';
import { installSignalHandlers, runCleanups } from './lib/cleanup.mjs';

const { values: opts } = parseArgs({
  options: {
    app: { type: 'string' },
    bin: { type: 'string', multiple: true, default: [] },
    bun: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
if (!opts.app) throw new Error('pass --app DIR (written by `node lazy-routes.mjs --keep DIR`)');
installSignalHandlers();
process.env.HMR_LOG = 'warn,hotloop_engine::devloop=info';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-nav-ab-'));
const servers = opts.bin.map((spec) => {
  const [name, bin] = spec.split('=');
  return new HotloopServer({ bin, name, root: opts.app, cacheDir: path.join(tmp, `cache-${name}`), logFile: path.join(tmp, `${name}.log`) });
});
if (opts.bun) servers.push(new BunServer({ bin: opts.bun, root: opts.app, cacheDir: path.join(tmp, 'cache-bun'), logFile: path.join(tmp, 'bun.log') }));

const leaves = [];
for (let k = 0; fs.existsSync(path.join(opts.app, 'src', `r${k}`)); k++) {
  let n = 0;
  const dir = path.join(opts.app, 'src', `r${k}`);
  for (const sub of fs.readdirSync(dir)) for (const f of fs.readdirSync(path.join(dir, sub))) if (fs.readFileSync(path.join(dir, sub, f), 'utf8').includes(`leaf-${k}`)) n++;
  leaves.push(n);
}

async function untilLogLine(file, re, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (fs.existsSync(file) && re.test(fs.readFileSync(file, 'utf8'))) return;
    if (Date.now() > deadline) throw new Error(`no line ${re} in ${file}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const navigateAndCount = ({ to, cls, want }) => new Promise((resolve, reject) => {
  const t0 = performance.now();
  window.navigate(to);
  const check = () => {
    if (document.getElementsByClassName(cls).length >= want) {
      // hotloop's page tells its server the chunk it loaded (`Loaded`) once its defines ran:
      // the first frame it sends after the navigation started.
      const sent = (window.__sentAt || []).find((t) => t >= t0);
      resolve({ total: performance.now() - t0, loaded: sent === undefined ? null : sent - t0 });
    }
    else if (performance.now() - t0 > 60_000) reject(new Error(`${to}: not rendered after 60 s`));
    else requestAnimationFrame(check);
  };
  check();
});

/** Two idle periods in a row: the page has no work queued. */
const untilIdle = () => new Promise((resolve) => requestIdleCallback(() => requestIdleCallback(resolve, { timeout: 2000 }), { timeout: 2000 }));

const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const navs = Object.fromEntries(servers.map((s) => [s.name, []]));
const loadedAt = Object.fromEntries(servers.map((s) => [s.name, []]));
/** Notes when the page sends a WebSocket frame. */
const noteSends = () => {
  const send = WebSocket.prototype.send;
  window.__sentAt = [];
  WebSocket.prototype.send = function (data) {
    window.__sentAt.push(performance.now());
    return send.call(this, data);
  };
};
const loads = [];
try {
  for (const s of servers) {
    await s.prepare();
    s.start();
    await untilAnswers(s.port, { deadline: Date.now() + 120_000, alive: () => s.alive() });
  }
  const rounds = Number(opts.rounds);
  for (let round = 0; round < rounds; round++) {
    const tabs = [];
    for (const s of servers) {
      const context = await browser.newContext();
      await context.addInitScript(noteSends);
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${s.port}/`, { timeout: 120_000 });
      await page.waitForFunction((want) => document.getElementsByClassName('leaf-0').length >= want, leaves[0], { timeout: 120_000, polling: 'raf' });
      await page.waitForFunction(() => typeof window.navigate === 'function', null, { timeout: 10_000 });
      if (s instanceof HotloopServer) await untilLogLine(s.logFile, /compiled \d+ lazy chunks in the background/, 300_000);
      tabs.push({ s, context, page });
    }
    loads.push(os.loadavg()[0]);
    for (let k = 1; k < leaves.length; k++) {
      for (let i = 0; i < tabs.length; i++) {
        const { s, page } = tabs[(i + round + k) % tabs.length];
        // The tab in front gets frames at the full rate (headless Chromium paces the others).
        await page.bringToFront();
        const nav = await page.evaluate(navigateAndCount, { to: `/r${k}`, cls: `leaf-${k}`, want: leaves[k] });
        navs[s.name].push(nav.total);
        if (nav.loaded !== null) loadedAt[s.name].push(nav.loaded);
        // What the page does after the route rendered (React's idle work, the runtime's) is
        // over before the next server's navigation, so that it does not fall on that one.
        await page.evaluate(untilIdle);
        await new Promise((r) => setTimeout(r, Number(process.env.NAV_GAP_MS ?? 1100)));
      }
    }
    for (const t of tabs) await t.context.close();
    process.stderr.write(`round ${round + 1}: ${servers.map((s) => `${s.name} p50 ${median(navs[s.name]).toFixed(0)}`).join(', ')}; load ${os.loadavg()[0].toFixed(2)}\n`);
  }
} finally {
  for (const s of servers) await s.stop();
  await browser.close().catch(() => {});
  await runCleanups();
  fs.rmSync(tmp, { recursive: true, force: true });
}
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
console.log(`| first navigation, after the warm-up (ms) | ${servers.map((s) => s.name).join(' | ')} |`);
console.log(`|---|${servers.map(() => '---').join('|')}|`);
for (const [label, f] of [['p50', (xs) => median(xs)], ['p90', (xs) => q(xs, 0.9)], ['max', (xs) => Math.max(...xs)], ['navigations', (xs) => xs.length]]) {
  console.log(`| ${label} | ${servers.map((s) => f(navs[s.name]).toFixed(0)).join(' | ')} |`);
}
const withLoaded = servers.filter((s) => s instanceof HotloopServer && loadedAt[s.name].length > 0);
if (withLoaded.length > 0) {
  console.log(`| hotloop: navigation → chunk loaded, p50 / p90 (ms) | ${withLoaded.map((s) => `${median(loadedAt[s.name]).toFixed(1)} / ${q(loadedAt[s.name], 0.9).toFixed(1)}`).join(' | ')} |`);
}
console.log(`load average (1 min) at each round's start: ${loads.map((l) => l.toFixed(2)).join(', ')}`);
console.log(`runs: ${JSON.stringify(Object.fromEntries(Object.entries(navs).map(([k, v]) => [k, v.map(Math.round)])))}`);
