#!/usr/bin/env node
// Warm reloads A/B at the finest grain: one gen.mjs fixture served by two hotloop binaries at
// once (each with a compile cache of its own), one tab each in one headless Chromium, reloaded
// in turn (A B, B A, ...) so a load spike falls on both alike. Per side it prints the medians of:
//
//   wall     page.reload() → every leaf on a frame, as Node sees it
//   render   the document's start → every leaf on a frame (the page's `start-end` mark)
//   script   the page's JS time for that document (CDP Performance `ScriptDuration`): what a
//            runtime or emitted-code change moves, without the noise of layout and scheduling
//   task     the main thread's busy time for it (`TaskDuration`)
//   heap     the page's JS heap in use after it rendered (`JSHeapUsedSize`, MB)
//
// On this 2-core machine wall and render move ±20 % between reloads; script separates changes
// of ~5 ms at 10k modules (session 35: exports as values, 82 → 64 ms).
//
//   node benches/browser/reload-ab.mjs --app DIR --a OLD_BIN --b NEW_BIN [--reloads 12]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { HotloopServer } from './lib/hotloop.mjs';
import { untilAnswers } from './lib/proc.mjs';
import { installSignalHandlers, onCleanup, runCleanups } from './lib/cleanup.mjs';
import { renderMarks } from './lib/trace.mjs';

const { values: opts } = parseArgs({
  options: {
    app: { type: 'string' },
    a: { type: 'string' },
    b: { type: 'string' },
    reloads: { type: 'string', default: '12' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
if (!opts.app || !opts.a || !opts.b) throw new Error('pass --app DIR (a fixture gen.mjs wrote), --a BIN and --b BIN');
installSignalHandlers();
const { className, count } = JSON.parse(fs.readFileSync(path.join(opts.app, 'bench.json'), 'utf8')).ready;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-reload-ab-'));
onCleanup('temp dir', () => fs.rmSync(tmp, { recursive: true, force: true }));

const rendered = (page) => page.waitForFunction(() => performance.getEntriesByName('start-end').length > 0, null, { timeout: 120_000, polling: 20 });
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
onCleanup('browser', () => browser.close().catch(() => {}));
try {
  const sides = {};
  for (const name of ['a', 'b']) {
    const server = new HotloopServer({ bin: opts[name], root: opts.app, cacheDir: path.join(tmp, `cache-${name}`), logFile: path.join(tmp, `${name}.log`) });
    await server.prepare();
    server.start(); // registers its own stop with the cleanups
    await untilAnswers(server.port, { deadline: Date.now() + 120_000, alive: () => server.alive() });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(renderMarks, { className, want: count });
    await page.goto(`http://127.0.0.1:${server.port}/`, { timeout: 120_000 });
    await rendered(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    sides[name] = { page, cdp, runs: [] };
  }
  for (let i = 0; i < Number(opts.reloads); i++) {
    for (const name of i % 2 ? ['b', 'a'] : ['a', 'b']) {
      const { page, cdp, runs } = sides[name];
      const t0 = performance.now();
      await page.reload();
      await rendered(page);
      const wall = performance.now() - t0;
      const render = await page.evaluate(() => performance.getEntriesByName('start-end')[0].startTime);
      const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
      runs.push({ wall, render, script: metrics.ScriptDuration * 1000, task: metrics.TaskDuration * 1000, heap: metrics.JSHeapUsedSize / 1e6 });
    }
  }
  console.log(`${opts.reloads} reloads each of ${opts.app}, alternating; medians (ms, heap MB)`);
  for (const [name, { runs }] of Object.entries(sides)) {
    const row = ['wall', 'render', 'script', 'task', 'heap'].map((k) => `${k} ${median(runs.map((r) => r[k])).toFixed(1).padStart(6)}`);
    console.log(`${name}: ${row.join('  ')}  (${opts[name]})`);
  }
} finally {
  await runCleanups();
}
