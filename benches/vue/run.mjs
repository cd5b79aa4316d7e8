#!/usr/bin/env node
// The Vue benchmark of issue #15: the create-vite `vue-ts` starter (installed from the npm
// registry by the e2e set-up, tests/e2e/lib/starters.mjs) served unmodified by `hotloop dev`
// and by the starter's own `vite`, in one interleaved run in headless Chromium. Per tool and
// round: cold start (spawn → the counter button rendered), then N edits of
// `src/components/HelloWorld.vue`'s template (save → the new text in the DOM) and N edits of a
// `<style>` block added to it (save → the computed style), and whether the counter's state
// and the page survived them all.
//
//   cargo build --release && node benches/vue/run.mjs [--rounds 3] [--edits 10]
//
// Needs what the e2e suite needs (tests/e2e/node_modules: playwright-core; /usr/bin/chromium).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const { chromium } = await import(path.join(repo, 'tests/e2e/node_modules/playwright-core/index.mjs'));
const { copyStarter } = await import(path.join(repo, 'tests/e2e/lib/starters.mjs'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
if (process.argv.includes('--help')) {
  console.log('node benches/vue/run.mjs [--rounds N] [--edits N]   (cargo build --release first)');
  process.exit(0);
}
const ROUNDS = arg('rounds', 3);
const EDITS = arg('edits', 10);
const HOTLOOP = path.join(repo, 'target/release/hotloop');

function freePort() {
  return 20000 + Math.floor(Math.random() * 20000);
}

/** Starts a tool on a fresh copy of the starter; resolves with { url, child, root }. */
function start(tool) {
  const root = copyStarter('vue-ts');
  const port = freePort();
  const [cmd, args] =
    tool === 'hotloop'
      ? [HOTLOOP, ['dev', root, '--no-tui', '--port', String(port)]]
      : [path.join(root, 'node_modules/.bin/vite'), ['--port', String(port), '--strictPort']];
  const env = { ...process.env, NO_COLOR: '1', HOTLOOP_CACHE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'vb-cache-')) };
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  child.stderr.resume();
  return { url: `http://127.0.0.1:${port}/`, child, root };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const p95 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] : NaN;
};

async function session(browser, tool, results) {
  const t0 = performance.now();
  const app = start(tool);
  const page = await (await browser.newContext()).newPage();
  let navs = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navs++; });
  for (;;) {
    try {
      await page.goto(app.url, { timeout: 2000 });
      break;
    } catch {
      if (performance.now() - t0 > 60_000) throw new Error(`${tool} did not answer`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await page.waitForSelector('button.counter', { timeout: 60_000 });
  results.cold.push(performance.now() - t0);
  await page.waitForFunction(() => window.__hotloop || true);
  await new Promise((r) => setTimeout(r, 500)); // let the HMR socket connect
  for (let i = 0; i < 3; i++) await page.click('button.counter');
  const file = path.join(app.root, 'src/components/HelloWorld.vue');
  const original = fs.readFileSync(file, 'utf8');
  const navsBefore = navs;
  for (let i = 0; i < EDITS; i++) {
    const text = `Get started ${tool} ${i}`;
    fs.writeFileSync(file, original.replace('Get started', text));
    const t = performance.now();
    await page.waitForFunction((x) => document.querySelector('h1')?.textContent === x, text, { polling: 'raf', timeout: 10_000 });
    results.sfc.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Template edits keep the component's state, with no page reload.
  results.kept.push((await page.textContent('button.counter')).includes('3') && navs === navsBefore);
  // The starter's component has no `<style>` block: add one (untimed), then edit it.
  const withStyle = (px) => `${original}\n<style>\nh1 { letter-spacing: ${px}px; }\n</style>\n`;
  fs.writeFileSync(file, withStyle(1));
  await page.waitForFunction(() => getComputedStyle(document.querySelector('h1')).letterSpacing === '1px', null, { timeout: 10_000 });
  for (let i = 0; i < EDITS; i++) {
    const px = 40 + i;
    fs.writeFileSync(file, withStyle(px));
    const t = performance.now();
    await page.waitForFunction((x) => getComputedStyle(document.querySelector('h1')).letterSpacing === `${x}px`, px, { polling: 'raf', timeout: 10_000 });
    results.style.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.context().close();
  app.child.kill('SIGTERM');
  await new Promise((r) => app.child.on('exit', r));
  fs.rmSync(app.root, { recursive: true, force: true });
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const tools = ['hotloop', 'vite'];
const results = Object.fromEntries(tools.map((t) => [t, { cold: [], sfc: [], style: [], kept: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? tools : [...tools].reverse();
  for (const tool of order) await session(browser, tool, results[tool]);
}
await browser.close();
console.log('| vue-ts starter | cold start | SFC edit p50 / p95 | `<style>` edit p50 / p95 | state kept |');
console.log('|---|---|---|---|---|');
for (const tool of tools) {
  const r = results[tool];
  const f = (x) => x.toFixed(1);
  console.log(`| ${tool} | ${f(median(r.cold))} | ${f(median(r.sfc))} / ${f(p95(r.sfc))} | ${f(median(r.style))} / ${f(p95(r.style))} | ${r.kept.filter(Boolean).length}/${r.kept.length} |`);
}
