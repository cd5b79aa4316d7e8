#!/usr/bin/env node
// The Tailwind CSS benchmark of issue #16: a generated React app of N components (a tree like
// benches/browser's react kind: node i renders nodes 10i+1..10i+10, ~90 % leaves), every
// component styled with Tailwind utilities, set up as Tailwind's Vite guide says
// (`@tailwindcss/vite` in vite.config.ts, `@import "tailwindcss"` in src/index.css), served by
// `hotloop dev` and by the project's own `vite`, in one interleaved run in headless Chromium.
// Per tool and round: cold start (spawn → every component rendered), then
//   - "new class": a utility no file used before (`tracking-[<n>px]`) added to a leaf's
//     className (save → the leaf's computed letter-spacing),
//   - "CSS edit": a rule of src/index.css edited (save → the computed style),
//   - "text edit": a leaf's text edited (save → the text in the DOM),
// and the page's full reloads (navigations after the first load; must be 0).
//
//   cargo build --release -p hotloop && node benches/tailwind/run.mjs [--modules 1000,5000] [--rounds 3] [--edits 10] [--tools hotloop,vite]
//   node benches/tailwind/run.mjs --generate-only --modules 1000   (prints the app's directory)
//   TAILWIND_BENCH_LOGS=/tmp/logs DEBUG=tailwindcss node benches/tailwind/run.mjs ...
//     (each server's output kept: hotloop's per-phase times, Tailwind's own step timings)
//
// The npm packages are the e2e suite's css-tools install (tests/e2e/lib/css-tools.mjs: the
// react-ts starter plus Tailwind CSS, installed once and cached in tests/e2e/.starters/); also
// needs tests/e2e/node_modules (playwright-core) and /usr/bin/chromium.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const { chromium } = await import(path.join(repo, 'tests/e2e/node_modules/playwright-core/index.mjs'));
const { copyStarter } = await import(path.join(repo, 'tests/e2e/lib/starters.mjs'));
const { CSS_TOOLS } = await import(path.join(repo, 'tests/e2e/lib/css-tools.mjs'));
const { nowMs, untilAnswers } = await import(path.join(repo, 'benches/browser/lib/proc.mjs'));

const argOf = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
if (process.argv.includes('--help')) {
  console.log('node benches/tailwind/run.mjs [--modules 1000,5000] [--rounds N] [--edits N]   (cargo build --release -p hotloop first)');
  process.exit(0);
}
const SIZES = String(argOf('modules', '1000')).split(',').map(Number);
const ROUNDS = Number(argOf('rounds', 3));
const EDITS = Number(argOf('edits', 10));
const HOTLOOP = process.env.HOTLOOP_BIN || path.join(repo, 'target/release/hotloop');
// `--tools hotloop,hotloop-base`: another build of hotloop (an A/B of a change), interleaved.
const HOTLOOP_BASE = process.env.HOTLOOP_BASE_BIN;
const FANOUT = 10;

const children = (i, n) => Array.from({ length: FANOUT }, (_, k) => FANOUT * i + k + 1).filter((j) => j < n);
const isLeaf = (i, n) => i !== 0 && FANOUT * i + 1 >= n;
const fileOf = (i) => `src/m/${Math.floor(i / 100)}/M${i}.tsx`;
const rel = (from, to) => {
  const r = path.posix.relative(path.posix.dirname(from), to);
  return r.startsWith('.') ? r : `./${r}`;
};

/** Writes the app's sources into `root` (a copy of the starter, its own src/ replaced). */
function generate(root, n) {
  fs.rmSync(path.join(root, 'src'), { recursive: true, force: true });
  const write = (file, text) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  write('vite.config.ts', [
    "import react from '@vitejs/plugin-react'",
    "import tailwindcss from '@tailwindcss/vite'",
    "import { defineConfig } from 'vite'",
    '',
    'export default defineConfig({',
    '  plugins: [react(), tailwindcss()],',
    '})',
    '',
  ].join('\n'));
  write('index.html', '<!doctype html>\n<html lang="en">\n<head><meta charset="UTF-8" /><title>tailwind bench</title></head>\n<body>\n<div id="probe" class="probe">css probe</div>\n<div id="root"></div>\n<script type="module" src="/src/main.tsx"></script>\n</body>\n</html>\n');
  write('src/index.css', '@import "tailwindcss";\n\n.probe { color: rgb(0, 0, 0); } /* @bench-css */\n');
  write('src/main.tsx', [
    "import { StrictMode } from 'react'",
    "import { createRoot } from 'react-dom/client'",
    "import './index.css'",
    `import M0 from '${rel('src/main.tsx', fileOf(0))}'`,
    '',
    "createRoot(document.getElementById('root')!).render(<StrictMode><M0 /></StrictMode>)",
    '',
  ].join('\n'));
  // A few utilities per component, varied so the generated sheet is a realistic size.
  const colours = ['red', 'orange', 'amber', 'lime', 'green', 'teal', 'sky', 'blue', 'violet', 'pink'];
  for (let i = 0; i < n; i++) {
    const file = fileOf(i);
    const c = colours[i % colours.length];
    const shade = 100 * (1 + (i % 9));
    if (isLeaf(i, n) || children(i, n).length === 0) {
      write(file, [
        `export default function M${i}() {`,
        `  const TEXT = "m${i} v0"; // @bench-text`,
        `  return <span id="l${i}" className="leaf inline-block px-1 m-px text-xs text-${c}-${shade} bg-${c}-50 rounded">{TEXT}</span> // @bench-class`,
        '}',
        '',
      ].join('\n'));
    } else {
      const kids = children(i, n);
      write(file, [
        ...kids.map((j) => `import M${j} from '${rel(file, fileOf(j))}'`),
        '',
        `export default function M${i}() {`,
        `  const TEXT = "m${i} v0"; // @bench-text`,
        `  return <div id="n${i}" className="mid flex flex-wrap gap-1 p-1 border border-${c}-${shade} font-bold">{TEXT}${kids.map((j) => `<M${j} />`).join('')}</div>`,
        '}',
        '',
      ].join('\n'));
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const p95 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] : NaN;
};
const freePort = () => 20000 + Math.floor(Math.random() * 20000);

function start(tool, root) {
  const port = freePort();
  const [cmd, args] =
    tool === 'hotloop' || tool === 'hotloop-base'
      ? [tool === 'hotloop' ? HOTLOOP : HOTLOOP_BASE, ['dev', root, '--no-tui', '--port', String(port)]]
      : [path.join(root, 'node_modules/.bin/vite'), ['--port', String(port), '--strictPort']];
  const env = { ...process.env, NO_COLOR: '1', HOTLOOP_CACHE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-bench-cache-')) };
  // `TAILWIND_BENCH_LOGS=<dir>`: each server's output kept there (`hotloop dev -v`: per-phase
  // times of every update), to see where an edit's time goes.
  const logs = process.env.TAILWIND_BENCH_LOGS;
  if (logs && tool.startsWith('hotloop')) args.push('-v');
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (logs) {
    fs.mkdirSync(logs, { recursive: true });
    const out = fs.createWriteStream(path.join(logs, `${tool}-${path.basename(root)}.log`));
    child.stdout.pipe(out);
    child.stderr.pipe(out);
  } else {
    child.stdout.resume();
    child.stderr.resume();
  }
  return { url: `http://127.0.0.1:${port}/`, port, child, cache: env.HOTLOOP_CACHE_DIR };
}

/** Leaves spread over the tree, one per edit, never the same twice in a session. */
function leavesToEdit(n, count) {
  const leaves = [];
  for (let i = 1; i < n; i++) if (isLeaf(i, n)) leaves.push(i);
  const step = Math.max(1, Math.floor(leaves.length / (count + 1)));
  return Array.from({ length: count }, (_, k) => leaves[(k + 1) * step % leaves.length]);
}

async function waitFor(page, fn, arg) {
  await page.waitForFunction(fn, arg, { polling: 'raf', timeout: 15_000 });
}

async function session(browser, tool, n, results) {
  const root = copyStarter('react-ts', { devDependencies: CSS_TOOLS, flavour: 'css-tools' });
  generate(root, n);
  // The tab is open before the tool starts, as a developer's browser is: its renderer's start
  // is the browser's cost, not the tool's (on 2 cores it competed with the cold build).
  const context = await browser.newContext();
  const page = await context.newPage();
  const t0 = performance.now();
  const app = start(tool, root);
  try {
    await measure(page, tool, n, results, app, root, t0);
  } finally {
    await context.close();
    if (app.child.exitCode === null) {
      app.child.kill('SIGTERM');
      await new Promise((r) => app.child.on('exit', r));
    }
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(app.cache, { recursive: true, force: true });
  }
}

async function measure(page, tool, n, results, app, root, t0) {
  let navs = 0;
  let connected = false;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navs++; });
  page.on('console', (m) => { if (/\[hmr\] connected|\[vite\] connected/.test(m.text())) connected = true; });
  // The page opens once the server answers HTTP, polled from here (a browser navigating to a
  // port nobody listens on yet retries through error pages, which cost Chromium CPU the
  // tool's start competes for). Answered is enough: the rendering is waited for below (Vite's
  // first load of an unbundled app can take long on a loaded machine).
  await untilAnswers(app.port, { deadline: nowMs() + 600_000, alive: () => app.child.exitCode === null, what: tool });
  await page.goto(app.url, { timeout: 600_000, waitUntil: 'commit' });
  const last = n - 1;
  // Vite serves 5000 modules unbundled, one request each: minutes on a small machine.
  await page.waitForSelector(`#l${last}, #n${last}`, { timeout: 600_000 });
  // Styled: the utilities reached the page (Tailwind's sheet is there).
  await waitFor(page, () => getComputedStyle(document.querySelector('.leaf')).paddingLeft === '4px');
  results.cold.push(performance.now() - t0);
  const deadline = performance.now() + 10_000;
  while (!connected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const navsBefore = navs;
  const leaves = leavesToEdit(n, EDITS * 2);
  const settle = () => new Promise((r) => setTimeout(r, 100));

  // A new utility class in a leaf.
  for (let k = 0; k < EDITS; k++) {
    const i = leaves[k];
    const file = path.join(root, fileOf(i));
    const px = 11 + k + (tool === 'vite' ? 0 : 0);
    const text = fs.readFileSync(file, 'utf8').replace('className="leaf ', `className="leaf tracking-[${px}px] `);
    fs.writeFileSync(file, text);
    const t = performance.now();
    await waitFor(page, ([id, v]) => getComputedStyle(document.getElementById(id)).letterSpacing === v, [`l${i}`, `${px}px`]);
    results.newClass.push(performance.now() - t);
    await settle();
  }
  // The stylesheet itself.
  const css = path.join(root, 'src/index.css');
  const original = fs.readFileSync(css, 'utf8');
  for (let k = 0; k < EDITS; k++) {
    const colour = `rgb(${k + 1}, 2, 3)`;
    fs.writeFileSync(css, original.replace('rgb(0, 0, 0)', colour));
    const t = performance.now();
    await waitFor(page, (v) => getComputedStyle(document.getElementById('probe')).color === v, colour);
    results.css.push(performance.now() - t);
    await settle();
  }
  // A leaf's text.
  for (let k = 0; k < EDITS; k++) {
    const i = leaves[EDITS + k];
    const file = path.join(root, fileOf(i));
    const token = `m${i} ${tool} e${k}`;
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/const TEXT = "[^"]*"/, `const TEXT = "${token}"`));
    const t = performance.now();
    await waitFor(page, ([id, v]) => document.getElementById(id)?.textContent === v, [`l${i}`, token]);
    results.text.push(performance.now() - t);
    await settle();
  }
  results.reloads.push(navs - navsBefore);
  await page.context().close();
}

if (process.argv.includes('--generate-only')) {
  // The app alone, for a look by hand: its path is printed; serve it with either tool.
  const root = copyStarter('react-ts', { devDependencies: CSS_TOOLS, flavour: 'css-tools' });
  generate(root, SIZES[0]);
  console.log(root);
  process.exit(0);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const tools = String(argOf('tools', 'hotloop,vite')).split(',');
const f = (x) => x.toFixed(1);
console.log('| app | tool | cold start ms | new class p50 / p95 ms | CSS edit p50 / p95 ms | text edit p50 / p95 ms | full reloads |');
console.log('|---|---|---|---|---|---|---|');
for (const n of SIZES) {
  const results = Object.fromEntries(tools.map((t) => [t, { cold: [], newClass: [], css: [], text: [], reloads: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? tools : [...tools].reverse();
    for (const tool of order) await session(browser, tool, n, results[tool]);
  }
  for (const tool of tools) {
    const r = results[tool];
    console.log(`| ${n} components | ${tool} | ${f(median(r.cold))} | ${f(median(r.newClass))} / ${f(p95(r.newClass))} | ${f(median(r.css))} / ${f(p95(r.css))} | ${f(median(r.text))} / ${f(p95(r.text))} | ${r.reloads.reduce((a, b) => a + b, 0)} |`);
  }
}
await browser.close();
