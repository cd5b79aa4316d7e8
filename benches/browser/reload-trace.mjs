#!/usr/bin/env node
// One warm reload of a gen.mjs fixture taken apart, in headless Chromium over CDP: a tool, not a
// benchmark. Serves the fixture with hotloop, opens it once (so the HTTP cache and V8's code
// cache hold what a developer's tab has), then reloads it under tracing and prints the
// reload's requests (from the cache or the network), the main thread's tasks by kind, the
// background threads' script parsing and compiling, and whether V8's code cache served it.
//
//   node benches/browser/reload-trace.mjs --app DIR [--bin target/release/hotloop]
//       [--cache DIR] [--reloads N] [--trace-out FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { HotloopServer } from './lib/hotloop.mjs';
import { untilAnswers } from './lib/proc.mjs';
import { installSignalHandlers, runCleanups } from './lib/cleanup.mjs';
import { fmt, jsByOrigin, mainThread, renderMarks } from './lib/trace.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    app: { type: 'string' },
    bin: { type: 'string', default: path.resolve(here, '../../target/release/hotloop') },
    cache: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    reloads: { type: 'string', default: '2' },
    'trace-out': { type: 'string' },
  },
});
if (!opts.app) throw new Error('pass --app DIR (a fixture gen.mjs wrote)');
installSignalHandlers();
const { className, count } = JSON.parse(fs.readFileSync(path.join(opts.app, 'bench.json'), 'utf8')).ready;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-reload-trace-'));
const logFile = path.join(tmp, 'server.log');
const server = new HotloopServer({ bin: opts.bin, root: opts.app, cacheDir: opts.cache || path.join(tmp, 'cache'), logFile });

const CATS = 'devtools.timeline,v8.execute,disabled-by-default-v8.compile,blink.user_timing,toplevel,loading,v8';

const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  await server.prepare();
  server.start();
  await untilAnswers(server.port, { deadline: Date.now() + 120_000, alive: () => server.alive() });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(renderMarks, { className, want: count });
  const rendered = () => page.waitForFunction(() => performance.getEntriesByName('start-end').length > 0, null, { timeout: 120_000, polling: 50 });
  await page.goto(`http://127.0.0.1:${server.port}/`, { timeout: 120_000 });
  await rendered();
  const cdp = await context.newCDPSession(page);
  const reloads = Number(opts.reloads);
  for (let i = 1; i <= reloads; i++) {
    const last = i === reloads;
    const traceEvents = [];
    let done;
    if (last) {
      cdp.on('Tracing.dataCollected', ({ value }) => traceEvents.push(...value));
      done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
      await cdp.send('Tracing.start', { transferMode: 'ReportEvents', traceConfig: { includedCategories: CATS.split(',') } });
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      await cdp.send('Profiler.start');
    }
    const t0 = performance.now();
    await page.reload();
    await rendered();
    const wall = performance.now() - t0;
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        dcl: nav.domContentLoadedEventEnd,
        end: performance.getEntriesByName('start-end')[0].startTime,
        requests: performance.getEntriesByType('resource').map((e) => ({
          url: e.name.replace(location.origin, ''),
          start: e.startTime,
          end: e.responseEnd,
          cached: e.transferSize === 0,
          bytes: e.decodedBodySize,
        })),
      };
    });
    console.log(`reload ${i}: ${wall.toFixed(0)} ms from reload() to every .${className} (${count}) on a frame; DOMContentLoaded ${fmt(timing.dcl)}, render ${fmt(timing.end)} ms after the navigation's start`);
    if (!last) continue;
    for (const r of timing.requests) {
      console.log(`  fetch ${r.url.slice(0, 44).padEnd(44)} ${fmt(r.start)} → ${fmt(r.end)} ms, ${(r.bytes / 1024).toFixed(0).padStart(5)} KiB ${r.cached ? 'from the HTTP cache' : 'over the network'}`);
    }
    const { profile } = await cdp.send('Profiler.stop');
    await cdp.send('Tracing.end');
    await done;
    if (opts['trace-out']) fs.writeFileSync(opts['trace-out'], JSON.stringify({ traceEvents }));
    const mt = mainThread(traceEvents, 'start-begin', 'start-end');
    if (mt) {
      console.log(`  main thread: busy ${mt.busy.toFixed(0)}, idle ${mt.idle.toFixed(0)} ms; GC ${mt.gcMs.toFixed(1)} ms`);
      for (const [k, v] of Object.entries(mt.kinds).sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    ${k.padEnd(24)} ${fmt(v)} ms`);
    }
    // V8's work on scripts, on every thread: streaming parse/compile, the code cache.
    const start = traceEvents.find((e) => e.name === 'start-begin');
    const v8 = {};
    for (const e of traceEvents) {
      if (e.pid !== start.pid || e.ph !== 'X' || e.ts < start.ts) continue;
      if (/^(v8\.parseOnBackground|V8\.CompileCodeBackground|v8\.compile|v8\.produceCache|v8\.consumeCache|V8\.ConsumeCodeCache|v8\.deserializeOnBackground|V8\.CompileLazy|V8\.DeserializeBackground)/i.test(e.name)) {
        const k = `${e.name}${e.tid === start.tid ? ' (main)' : ''}`;
        v8[k] = (v8[k] || 0) + e.dur / 1000;
      }
    }
    console.log('  V8 script work (summed over threads):');
    for (const [k, v] of Object.entries(v8).sort((a, b) => b[1] - a[1])) console.log(`    ${k.padEnd(40)} ${fmt(v)} ms`);
    const cache = traceEvents.filter((e) => e.name === 'v8.compile' && e.args?.data?.url?.includes('/piece/')).map((e) => e.args.data.cacheKind || e.args.data.notStreamedReason || e.args.data.cacheRejected);
    if (cache.length) console.log(`  pieces' v8.compile: ${JSON.stringify(cache)}`);
    const { out, top } = jsByOrigin(profile);
    console.log('  JS self time by origin (sampled):');
    for (const [o, v] of Object.entries(out).sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    ${o.padEnd(40)} ${fmt(v)} ms`);
    console.log('  top functions:');
    for (const [f, v] of top.slice(0, Number(process.env.TOP || 15))) console.log(`    ${fmt(v)}  ${f}`);
  }
  await context.close();
} finally {
  await server.stop();
  await browser.close().catch(() => {});
  await runCleanups();
  fs.rmSync(tmp, { recursive: true, force: true });
}
