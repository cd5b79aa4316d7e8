#!/usr/bin/env node
// One cold start of the lazy-routes app taken apart, in headless Chromium over CDP: a tool for
// finding where a start's time goes, not a benchmark (one server start, one page, no rounds).
// Serves the app `lazy-routes.mjs --keep DIR` wrote (or a `gen.mjs` fixture: its `bench.json`
// says what renders) with hotloop (an empty compile cache unless
// `--cache DIR`) or Bun's dev server, opens `/` as lazy-routes.mjs does (as soon as the server
// answers) under Chromium's tracing and V8's sampling profiler, and prints, from the spawn:
//
//   server       when it answered, when its log said the build was ready
//   requests     each request of the page: start, time to first byte, end, bytes
//   page         the document's first byte, DOMContentLoaded, every leaf of `/` in the DOM
//   warm-up      when hotloop's background compile of the lazy chunks started (its log line)
//   main thread  top-level tasks by kind from the document's start to the first render, and
//                the time the main thread sat idle (waiting for the network or the server)
//   JS self time by origin: hotloop's runtime, the app's modules, react-dom, other packages
//
//   node benches/browser/lazy-start-trace.mjs --app DIR [--bin target/release/hotloop |
//       --bun PATH | --floor] [--cache DIR] [--trace-out FILE] [--no-profile]
//
// `--floor` (a gen.mjs fixture only) serves run.mjs's floor: the app prebuilt by esbuild.
// `SHOW_LOG=1` prints the server's log first.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { HotloopServer } from './lib/hotloop.mjs';
import { BunServer } from './lib/bun.mjs';
import { nowMs, untilAnswers } from './lib/proc.mjs';
import { installSignalHandlers, runCleanups } from './lib/cleanup.mjs';
import { fmt, jsByOrigin, leafCounts, mainThread, renderMarks } from './lib/trace.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    app: { type: 'string' },
    bin: { type: 'string', default: path.resolve(here, '../../target/release/hotloop') },
    bun: { type: 'string' },
    floor: { type: 'boolean', default: false },
    cache: { type: 'string' },
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

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-start-trace-'));
const logFile = path.join(tmp, 'server.log');
const cacheDir = opts.cache || path.join(tmp, 'cache');
const server = opts.floor
  ? await floorServer(opts.app)
  : opts.bun
  ? new BunServer({ bin: opts.bun, root: opts.app, cacheDir, logFile })
  : new HotloopServer({ bin: opts.bin, root: opts.app, cacheDir, logFile });

async function floorServer(app) {
  const { buildFloor, FloorServer } = await import('./floor.mjs');
  const manifest = JSON.parse(fs.readFileSync(path.join(app, 'bench.json'), 'utf8'));
  return new FloorServer(await buildFloor(app, manifest));
}

// What the page's marks wait for (`renderMarks`): a gen.mjs fixture names what its start
// renders; the lazy-routes app renders the leaves of `/` (subtree 0).
const manifest = path.join(opts.app, 'bench.json');
const ready = fs.existsSync(manifest)
  ? (({ className, count }) => ({ className, want: count }))(JSON.parse(fs.readFileSync(manifest, 'utf8')).ready)
  : { className: 'leaf-0', want: leafCounts(opts.app)[0] };
const want = ready.want;
const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  await server.prepare();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(renderMarks, ready);
  const cdp = await context.newCDPSession(page);
  const traceEvents = [];
  cdp.on('Tracing.dataCollected', ({ value }) => traceEvents.push(...value));
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: {
      includedCategories: (process.env.CATS || 'devtools.timeline,v8.execute,disabled-by-default-v8.compile,blink.user_timing,toplevel,loading').split(','),
    },
  });
  if (!opts['no-profile']) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  const t0 = server.start();
  await untilAnswers(server.port, { deadline: Date.now() + 120_000, alive: () => server.alive() });
  const answered = nowMs() - t0;
  await page.goto(`http://127.0.0.1:${server.port}/`, { timeout: 120_000 });
  await page.waitForFunction(() => performance.getEntriesByName('start-end').length > 0, null, { timeout: 120_000, polling: 100 });
  const rendered = nowMs() - t0;
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const at = (ms) => performance.timeOrigin + ms;
    return {
      documentStart: at(nav.startTime),
      documentFirstByte: at(nav.responseStart),
      domContentLoaded: at(nav.domContentLoadedEventEnd),
      end: at(performance.getEntriesByName('start-end')[0].startTime),
      requests: performance.getEntriesByType('resource').map((e) => ({
        url: e.name.replace(location.origin, ''),
        start: at(e.startTime),
        firstByte: at(e.responseStart),
        end: at(e.responseEnd),
        bytes: e.encodedBodySize,
      })),
    };
  });
  const prof = opts['no-profile'] ? null : (await cdp.send('Profiler.stop')).profile;
  await cdp.send('Tracing.end');
  await done;
  if (opts['trace-out']) fs.writeFileSync(opts['trace-out'], JSON.stringify({ traceEvents }));
  const rel = (ms) => fmt(ms - t0);
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  if (process.env.SHOW_LOG) console.log(log);
  const readyLine = log.match(/ready at \S+ \((\d+) modules, ([\d.]+) (m?s)[,)]/);
  console.log(`cold start of ${opts.app} (${server.name}): ${rendered.toFixed(0)} ms from the spawn to every leaf of / (${want}) on a frame`);
  console.log(`  server answered        ${fmt(answered)} ms`);
  if (readyLine) console.log(`  build ready (its log)  ${fmt(Number(readyLine[2]) * (readyLine[3] === 's' ? 1000 : 1))} ms after its own start, ${readyLine[1]} modules`);
  console.log(`  document start         ${rel(timing.documentStart)} ms, first byte ${rel(timing.documentFirstByte)}, DOMContentLoaded ${rel(timing.domContentLoaded)}`);
  for (const r of timing.requests) {
    console.log(`  fetch ${r.url.slice(0, 48).padEnd(48)} start ${rel(r.start)}, first byte ${rel(r.firstByte)}, end ${rel(r.end)} ms; ${(r.bytes / 1024).toFixed(0)} KiB`);
  }
  console.log(`  leaves on a frame      ${rel(timing.end)} ms`);
  // hotloop's background warm-up of the lazy chunks: its start line's time stamp.
  const warm = log.match(/^(\S+Z)\s.*compiling \d+ lazy chunks in the background/m);
  if (warm) console.log(`  warm-up started        ${rel(Date.parse(warm[1]))} ms`);
  const mt = mainThread(traceEvents, 'start-begin', 'start-end');
  if (mt) {
    console.log(`  main thread from the document's start: busy ${mt.busy.toFixed(0)}, idle ${mt.idle.toFixed(0)} ms; GC ${mt.gcMs.toFixed(1)} ms`);
    for (const [k, v] of Object.entries(mt.kinds).sort((a, b) => b[1] - a[1])) console.log(`    ${k.padEnd(24)} ${fmt(v)} ms`);
  }
  if (prof) {
    const { out, top } = jsByOrigin(prof);
    console.log('  JS self time by origin (sampled, the whole start):');
    for (const [o, v] of Object.entries(out).sort((a, b) => b[1] - a[1])) console.log(`    ${o.padEnd(24)} ${fmt(v)} ms`);
    if (process.env.TOP) for (const [f, v] of top) console.log(`      ${fmt(v)}  ${f}`);
  }
  await context.close();
} finally {
  await server.stop();
  await browser.close().catch(() => {});
  await runCleanups();
  if (process.env.KEEP_LOG && fs.existsSync(logFile)) fs.copyFileSync(logFile, process.env.KEEP_LOG);
  fs.rmSync(tmp, { recursive: true, force: true });
}
