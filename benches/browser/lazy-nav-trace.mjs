#!/usr/bin/env node
// One lazy route's first navigation taken apart, in headless Chromium over CDP: a tool for
// finding where a navigation's time goes, not a benchmark (one server, one page, no rounds).
// Serves the app `lazy-routes.mjs --keep DIR` wrote with hotloop (or Bun's dev server),
// renders `/`, optionally waits for hotloop's background warm-up, then navigates to each route
// under Chromium's tracing and V8's sampling profiler and prints, per navigation:
//
//   total         navigate('/rK') → every leaf of the route in the DOM (as lazy-routes.mjs)
//   fetch         the requests the navigation made: start → response end, bytes, server wait
//   main thread   top-level tasks by kind (script compile and evaluation, style, layout,
//                 paint), and the time the main thread sat idle (waiting for the network)
//   JS self time  by origin: hotloop's runtime, the app's modules, react-dom, other packages
//
//   node benches/browser/lazy-nav-trace.mjs --app DIR [--bin target/release/hotloop |
//       --bun PATH] [--warm] [--routes 1,2] [--trace-out FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { HotloopServer } from './lib/hotloop.mjs';
import { BunServer } from './lib/bun.mjs';
import { untilAnswers } from './lib/proc.mjs';
import { installSignalHandlers, runCleanups } from './lib/cleanup.mjs';
import { fmt, jsByOrigin, leafCounts, mainThread } from './lib/trace.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    app: { type: 'string' },
    bin: { type: 'string', default: path.resolve(here, '../../target/release/hotloop') },
    bun: { type: 'string' },
    warm: { type: 'boolean', default: false },
    routes: { type: 'string', default: '1,2,3,4,5,6,7,8' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    'trace-out': { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
  },
});
if (!opts.app) throw new Error('pass --app DIR (written by `node lazy-routes.mjs --keep DIR`)');
installSignalHandlers();
// hotloop's own info lines (the ready line, the warm-up's); a bare `info` would log every
// salsa query execution too, which slows a build several times over.
process.env.HMR_LOG = process.env.HMR_LOG || 'warn,hotloop=info,hotloop_engine=info,hotloop_server=info';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-nav-trace-'));
const logFile = path.join(tmp, 'server.log');
const server = opts.bun
  ? new BunServer({ bin: opts.bun, root: opts.app, cacheDir: path.join(tmp, 'cache'), logFile })
  : new HotloopServer({ bin: opts.bin, root: opts.app, cacheDir: path.join(tmp, 'cache'), logFile });

async function untilLogLine(re, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    if (re.test(text)) return;
    if (Date.now() > deadline) throw new Error(`no line ${re} in the server log within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const navigateAndCount = ({ to, cls, want }) => new Promise((resolve, reject) => {
  performance.clearResourceTimings();
  performance.mark('nav-start');
  const t0 = performance.now();
  window.navigate(to);
  const check = () => {
    const have = document.getElementsByClassName(cls).length;
    if (have >= want) {
      performance.mark('nav-end');
      const requests = performance.getEntriesByType('resource').map((e) => ({
        url: e.name.replace(location.origin, ''),
        start: e.startTime - t0,
        requestStart: e.requestStart - t0,
        responseStart: e.responseStart - t0,
        end: e.responseEnd - t0,
        bytes: e.encodedBodySize,
        decoded: e.decodedBodySize,
      }));
      resolve({ ms: performance.now() - t0, requests });
    } else if (performance.now() - t0 > 60_000) reject(new Error(`${to}: ${have} of ${want} leaves after 60 s`));
    else requestAnimationFrame(check);
  };
  check();
});

const leaves = leafCounts(opts.app);
const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  await server.prepare();
  server.start();
  await untilAnswers(server.port, { deadline: Date.now() + 120_000, alive: () => server.alive() });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${server.port}/`, { timeout: 120_000 });
  await page.waitForFunction((want) => document.getElementsByClassName('leaf-0').length >= want, leaves[0], { timeout: 120_000, polling: 'raf' });
  await page.waitForFunction(() => typeof window.navigate === 'function', null, { timeout: 10_000 });
  if (opts.warm && !opts.bun) await untilLogLine(/compiled \d+ lazy chunks in the background/, 180_000);
  const cdp = await context.newCDPSession(page);
  for (const k of opts.routes.split(',').map(Number)) {
    const traceEvents = [];
    cdp.on('Tracing.dataCollected', ({ value }) => traceEvents.push(...value));
    const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.start', {
      transferMode: 'ReportEvents',
      traceConfig: {
        includedCategories: (process.env.CATS || 'devtools.timeline,v8.execute,disabled-by-default-v8.compile,blink.user_timing,toplevel').split(','),
      },
    });
    if (!opts['no-profile']) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    const nav = await page.evaluate(navigateAndCount, { to: `/r${k}`, cls: `leaf-${k}`, want: leaves[k] });
    const prof = opts['no-profile'] ? null : (await cdp.send('Profiler.stop')).profile;
    await cdp.send('Tracing.end');
    await done;
    cdp.removeAllListeners('Tracing.dataCollected');
    if (opts['trace-out']) fs.writeFileSync(`${opts['trace-out']}.r${k}.json`, JSON.stringify({ traceEvents }));
    const mt = mainThread(traceEvents);
    console.log(`\n/r${k}: total ${nav.ms.toFixed(0)} ms (${server.name})`);
    for (const r of nav.requests) {
      console.log(`  fetch ${r.url.slice(0, 60)}: start ${r.start.toFixed(1)}, waiting ${(r.responseStart - r.requestStart).toFixed(1)}, end ${r.end.toFixed(1)} ms; ${(r.bytes / 1024).toFixed(0)} KiB (${(r.decoded / 1024).toFixed(0)} decoded)`);
    }
    if (mt) {
      console.log(`  main thread: busy ${mt.busy.toFixed(0)}, idle ${mt.idle.toFixed(0)} ms; GC ${mt.gcMs.toFixed(1)} ms`);
      for (const [k2, v] of Object.entries(mt.kinds).sort((a, b) => b[1] - a[1])) console.log(`    ${k2.padEnd(24)} ${fmt(v)} ms`);
    }
    if (prof) {
      const { out, top } = jsByOrigin(prof);
      console.log('  JS self time by origin (sampled):');
      for (const [o, v] of Object.entries(out).sort((a, b) => b[1] - a[1])) console.log(`    ${o.padEnd(24)} ${fmt(v)} ms`);
      if (process.env.TOP) for (const [f, v] of top) console.log(`      ${fmt(v)}  ${f}`);
    }
  }
  await context.close();
} finally {
  await server.stop();
  await browser.close().catch(() => {});
  await runCleanups();
  if (process.env.KEEP_LOG) fs.copyFileSync(logFile, process.env.KEEP_LOG);
  fs.rmSync(tmp, { recursive: true, force: true });
}
