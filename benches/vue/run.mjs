#!/usr/bin/env node
// The Vue benchmark of issue #15, `hotloop dev` against the project's own `vite`, in one
// interleaved run in headless Chromium, on two apps:
// - `starter`: the create-vite `vue-ts` starter (installed from the npm registry by the e2e
//   set-up, tests/e2e/lib/starters.mjs), served unmodified; the edited component is
//   `src/components/HelloWorld.vue`.
// - `sfc1000`: the same starter with its App replaced by a generated tree of 1000 single-file
//   components (40 branches of 25 leaves, each leaf a counter with a `<style>` block, as in
//   hmrbench's trees); the edited component is the first leaf.
// Per tool and round: cold start (spawn → the last component rendered, the page opened as soon
// as the server answers HTTP; for hotloop, in brackets, the part until its log said the cold
// build was ready), then N edits of the
// component's template (save → the new text in the DOM) and N edits of a `<style>` block in it
// (save → the computed style), each stamped by the page itself when it sees the change (a
// MutationObserver, a timer and animation frames: `watchInPage`), as hmrbench does, and whether its counter's state and the page survived them all;
// then a restart on the same project with its caches kept (spawn → rendered again).
//
//   cargo build --release && node benches/vue/run.mjs [--app starter|sfc1000|both] [--rounds 3] [--edits 10]
//
// `--baseline NAME=VALUE` adds a third tool, `hotloop NAME=VALUE`: the same binary with that
// environment variable (an A/B in one interleaved run, e.g. `HOTLOOP_PLUGIN_WORKERS=0`: every
// plugin hook on the plugin host's main thread).
//
// `--base-bin PATH` adds `hotloop base`: another hotloop binary (the one built from main) in the
// same interleaved run, for an A/B of a change.
//
// Where the plugin host's time goes: `HOTLOOP_PLUGIN_HOST_PROFILE=DIR node benches/vue/run.mjs
// ...` makes each hotloop's plugin host write a CPU profile of its cold build into DIR
// (engine/plugin-host/js/profile.js), with its frame and pipe-write counts in the log.
//
// `--build-only`: no browser and no Vite; each hotloop (this one, `--base-bin`'s, `--baseline`'s)
// runs its cold build alone, interleaved, and is stopped when it is ready: the build-ready time
// and the CPU time hotloop and its plugin host (Node) spent until then, which a loaded machine
// inflates far less than wall times (the plugin host's CPU is the build's critical path on 2
// cores).
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
const { nowMs, untilAnswers, untilQuiet } = await import(path.join(repo, 'benches/browser/lib/proc.mjs'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
if (process.argv.includes('--help')) {
  console.log('node benches/vue/run.mjs [--app starter|sfc1000|both] [--rounds N] [--edits N] [--base-bin PATH] [--baseline NAME=VALUE] [--build-only]   (cargo build --release first)');
  process.exit(0);
}
const appArg = process.argv.includes('--app') ? process.argv[process.argv.indexOf('--app') + 1] : 'both';
const ROUNDS = arg('rounds', 3);
const EDITS = arg('edits', 10);
// `HOTLOOP_BIN` to measure another build (a functional check with a debug build).
const HOTLOOP = process.env.HOTLOOP_BIN ?? path.join(repo, 'target/release/hotloop');
const BASE_BIN = process.argv.includes('--base-bin') ? path.resolve(process.argv[process.argv.indexOf('--base-bin') + 1]) : null;

function freePort() {
  return 20000 + Math.floor(Math.random() * 20000);
}

const BRANCHES = 40;
const LEAVES = 25;

/** The `sfc1000` app: src/App.vue → 40 `Branch*.vue` → 25 `Leaf*.vue` each (1041 SFCs). */
function generateTree(root) {
  const dir = path.join(root, 'src/gen');
  fs.mkdirSync(dir, { recursive: true });
  const sfc = (script, template, style = '') =>
    `<script setup lang="ts">\n${script}\n</script>\n\n<template>\n${template}\n</template>\n${style}`;
  for (let b = 0; b < BRANCHES; b++) {
    for (let l = 0; l < LEAVES; l++) {
      fs.writeFileSync(path.join(dir, `Leaf${b}_${l}.vue`), sfc(
        "import { ref } from 'vue'\nconst count = ref<number>(0)",
        `  <div id="leaf-${b}-${l}" class="leaf">\n    <h3>leaf ${b} ${l}</h3>\n    <button type="button" class="counter" @click="count++">count is {{ count }}</button>\n  </div>`,
        `\n<style>\n#leaf-${b}-${l} h3 { letter-spacing: 0px; }\n</style>\n`,
      ));
    }
    const leaves = Array.from({ length: LEAVES }, (_, l) => l);
    fs.writeFileSync(path.join(dir, `Branch${b}.vue`), sfc(
      leaves.map((l) => `import Leaf${l} from './Leaf${b}_${l}.vue'`).join('\n'),
      `  <section id="branch-${b}">\n    <h2>branch ${b}</h2>\n${leaves.map((l) => `    <Leaf${l} />`).join('\n')}\n  </section>`,
    ));
  }
  const branches = Array.from({ length: BRANCHES }, (_, b) => b);
  fs.writeFileSync(path.join(root, 'src/App.vue'), sfc(
    branches.map((b) => `import Branch${b} from './gen/Branch${b}.vue'`).join('\n'),
    `  <main>\n${branches.map((b) => `    <Branch${b} />`).join('\n')}\n  </main>`,
  ));
}

/** What each app renders, which component is edited, and how. */
const APPS = {
  starter: {
    title: 'vue-ts starter',
    prepare: () => {},
    ready: 'button.counter',
    counter: 'button.counter',
    heading: 'h1',
    file: 'src/components/HelloWorld.vue',
    editText: (original, text) => original.replace('Get started', text),
    text: (tool, i) => `Get started ${tool} ${i}`,
    // The starter's component has no `<style>` block: one is added (untimed), then edited.
    withStyle: (original, px) => `${original}\n<style>\nh1 { letter-spacing: ${px}px; }\n</style>\n`,
  },
  sfc1000: {
    title: '1000 SFCs',
    prepare: generateTree,
    ready: `#leaf-${BRANCHES - 1}-${LEAVES - 1} button.counter`,
    counter: '#leaf-0-0 button.counter',
    heading: '#leaf-0-0 h3',
    file: 'src/gen/Leaf0_0.vue',
    editText: (original, text) => original.replace('>leaf 0 0<', `>${text}<`),
    text: (tool, i) => `leaf ${tool} ${i}`,
    withStyle: (original, px) => original.replace('letter-spacing: 0px', `letter-spacing: ${px}px`),
  },
};

/** Starts a tool on a fresh copy of the starter (made into `app`); { url, child, root }. */
function start(tool, app) {
  const root = copyStarter('vue-ts');
  app.prepare(root);
  return spawnTool(tool, root, fs.mkdtempSync(path.join(os.tmpdir(), 'vb-cache-')));
}

/** Starts `tool` on `root` (hotloop's compile cache in `cache`). */
function spawnTool(tool, root, cache) {
  const port = freePort();
  const [cmd, args] =
    tool.startsWith('hotloop')
      ? [tool === 'hotloop base' ? BASE_BIN : HOTLOOP, ['dev', root, '--no-tui', '--port', String(port)]]
      : [path.join(root, 'node_modules/.bin/vite'), ['--port', String(port), '--strictPort']];
  const env = { ...process.env, NO_COLOR: '1', HOTLOOP_CACHE_DIR: cache };
  if (tool !== 'hotloop' && tool !== 'hotloop base' && tool.startsWith('hotloop ')) {
    const [name, value] = tool.slice('hotloop '.length).split('=');
    env[name] = value;
  }
  // The cold start is timed from here: the copy of the starter and the generated tree above are
  // the benchmark's set-up, not the tool's start.
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('exit', (code) => keep(`\n[exited with ${code}]`));
  return {
    output: () => output, url: `http://127.0.0.1:${port}/`, port, child, root, cache, t0 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const p95 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] : NaN;
};

async function session(browser, tool, spec, results) {
  // The tab is open before the tool starts, as a developer's browser is: its renderer's start
  // is the browser's cost, not the tool's (on 2 cores it competed with the cold build).
  const context = await browser.newContext();
  await context.addInitScript(watchInPage);
  const page = await context.newPage();
  // ... and its work for the new tab done (`untilQuiet`: ~0.5 s of the browser process's CPU
  // after `newPage()`).
  await untilQuiet();
  const app = start(tool, spec);
  let exited = new Promise((r) => app.child.on('exit', r));
  let current = app;
  try {
    await measure(page, tool, spec, results, app.t0, app);
    // A restart on the same project, its caches kept (hotloop's compile cache and page of the
    // last session, Vite's optimized dependencies): spawn → the last component rendered again,
    // in a new tab.
    app.child.kill('SIGTERM');
    await exited;
    const again = await context.newPage();
    await untilQuiet();
    current = spawnTool(tool, app.root, app.cache);
    exited = new Promise((r) => current.child.on('exit', r));
    await untilAnswers(current.port, { deadline: nowMs() + 60_000, alive: () => current.child.exitCode === null, what: tool });
    await again.goto(current.url, { timeout: 60_000, waitUntil: 'commit' });
    await again.waitForSelector(spec.ready, { timeout: 120_000 });
    results.restart.push(performance.now() - current.t0);
  } catch (e) {
    throw new Error(`${tool} on ${spec.title}: ${e.message}\n--- its output:\n${current.output()}`);
  } finally {
    // Also when a measurement failed: no server outlives its session.
    current.child.kill('SIGTERM');
    await exited;
    await context.close();
    fs.rmSync(app.root, { recursive: true, force: true });
    fs.rmSync(app.cache, { recursive: true, force: true });
  }
}

async function measure(page, tool, spec, results, t0, app) {
  let navs = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navs++; });
  // The page opens once the server answers HTTP (polled from here, as `server.open` would open
  // it): a browser navigating to a port nobody listens on yet retries through error pages,
  // which cost Chromium more CPU than the tool's own start on 2 cores.
  await untilAnswers(app.port, {
    deadline: nowMs() + 60_000,
    alive: () => app.child.exitCode === null,
    what: `${tool} on ${spec.title}`,
  }).catch((e) => {
    throw new Error(`${e.message}:\n${app.output()}`);
  });
  // 'commit': the server answered; the page's modules (2000+ requests under Vite for the
  // 1000-SFC app) are waited for by the selector below.
  await page.goto(app.url, { timeout: 60_000, waitUntil: 'commit' });
  await page.waitForSelector(spec.ready, { timeout: 120_000 });
  results.cold.push(performance.now() - t0);
  // hotloop's own report of its cold build (`ready at … (N modules, X s)`): the rest of the
  // cold start is the page's (fetching, evaluating, rendering).
  const ready = /ready at .*\(\d+ modules, ([\d.]+) (m?s)[,)]/.exec(app.output());
  if (ready) results.ready.push(Number(ready[1]) * (ready[2] === 's' ? 1000 : 1));
  await page.waitForFunction(() => window.__hotloop || true);
  await new Promise((r) => setTimeout(r, 500)); // let the HMR socket connect
  for (let i = 0; i < 3; i++) await page.click(spec.counter);
  const file = path.join(app.root, spec.file);
  const original = fs.readFileSync(file, 'utf8');
  const navsBefore = navs;
  const offset = await clockOffset(page);
  // Save → the page's own stamp of the change (`watchInPage`), on Node's clock. An edit the
  // page does not show within 10 s is counted as missed (the table says how many), not timed;
  // the session goes on.
  const shown = async (write, kind, arg) => {
    await page.evaluate(([k, sel, x]) => { window.__benchSeen = window.__benchWatch(k, sel, x, 10_000); }, [kind, spec.heading, arg]);
    const saved = nowMs();
    write();
    const seen = await page.evaluate(() => window.__benchSeen);
    if (seen === null) {
      results.missed++;
      return null;
    }
    return seen - offset - saved;
  };
  for (let i = 0; i < EDITS; i++) {
    const text = spec.text(tool.replace(/[^a-z0-9]+/gi, '-'), i);
    const ms = await shown(() => fs.writeFileSync(file, spec.editText(original, text)), 'text', text);
    if (ms !== null) results.sfc.push(ms);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Template edits keep the component's state, with no page reload.
  results.kept.push((await page.textContent(spec.counter)).includes('3') && navs === navsBefore);
  if ((await shown(() => fs.writeFileSync(file, spec.withStyle(original, 1)), 'spacing', 1)) === null) return;
  for (let i = 0; i < EDITS; i++) {
    const px = 40 + i;
    const ms = await shown(() => fs.writeFileSync(file, spec.withStyle(original, px)), 'spacing', px);
    if (ms !== null) results.style.push(ms);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * In every document, before the app: `__benchWatch(kind, selector, value, ms)` resolves with
 * the page's clock (epoch ms) at the first moment the element shows `value` (`text`: its
 * text; `spacing`: its computed `letter-spacing` in px), or null after `ms`. Checked on every
 * DOM mutation (a template edit lands there, under both tools), a 1 ms timer (~4 ms in
 * Chromium) and every animation frame (a stylesheet patched through the CSSOM touches no DOM),
 * so the stamp is the change itself, not the next poll of the harness (which added up to a
 * frame and a CDP round trip to every edit of either tool).
 */
function watchInPage() {
  window.__benchWatch = (kind, sel, value, ms) =>
    new Promise((resolve) => {
      const now = () => performance.timeOrigin + performance.now();
      const check = () => {
        const el = document.querySelector(sel);
        if (!el) return false;
        return kind === 'text' ? el.textContent === value : getComputedStyle(el).letterSpacing === `${value}px`;
      };
      let frame = 0;
      const done = (t) => {
        observer.disconnect();
        clearInterval(timer);
        clearTimeout(giveUp);
        cancelAnimationFrame(frame);
        resolve(t);
      };
      const observer = new MutationObserver(() => check() && done(now()));
      observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      const timer = setInterval(() => check() && done(now()), 1);
      const onFrame = () => (check() ? done(now()) : (frame = requestAnimationFrame(onFrame)));
      frame = requestAnimationFrame(onFrame);
      const giveUp = setTimeout(() => done(null), ms);
    });
}

/** The page's clock minus Node's (both epoch ms), from the fastest of 10 round trips. */
async function clockOffset(page) {
  let best = null;
  for (let k = 0; k < 10; k++) {
    const t1 = nowMs();
    const t = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t2 = nowMs();
    if (!best || t2 - t1 < best.rtt) best = { rtt: t2 - t1, offset: t - (t1 + t2) / 2 };
  }
  return best.offset;
}

/** CPU milliseconds (user + system) process `pid` spent, all its threads; 0 once it is gone. */
function cpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/** The CPU of `pid`'s children (the plugin host's `node`). */
function childrenCpuMs(pid) {
  let total = 0;
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      for (const child of fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean)) total += cpuMs(child);
    }
  } catch {}
  return total;
}

/** `--build-only`: one cold build of `tool` on `spec`, stopped once ready. */
async function buildOnly(tool, spec) {
  const app = start(tool, spec);
  const exited = new Promise((r) => app.child.on('exit', r));
  try {
    for (const deadline = performance.now() + 120_000; performance.now() < deadline;) {
      const ready = /ready at .*\(\d+ modules, ([\d.]+) (m?s)[,)]/.exec(app.output());
      if (ready) return { ready: Number(ready[1]) * (ready[2] === 's' ? 1000 : 1), hotloop: cpuMs(app.child.pid), node: childrenCpuMs(app.child.pid) };
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`${tool} was not ready after 120 s:\n${app.output()}`);
  } finally {
    app.child.kill('SIGTERM');
    await exited;
    fs.rmSync(app.root, { recursive: true, force: true });
    fs.rmSync(app.cache, { recursive: true, force: true });
  }
}

if (process.argv.includes('--build-only')) {
  const baselineArg = process.argv.includes('--baseline') ? process.argv[process.argv.indexOf('--baseline') + 1] : null;
  const hotloops = ['hotloop', ...(BASE_BIN ? ['hotloop base'] : []), ...(baselineArg ? [`hotloop ${baselineArg}`] : [])];
  const apps = appArg === 'both' ? ['starter', 'sfc1000'] : [appArg];
  const runs = Object.fromEntries(apps.map((a) => [a, Object.fromEntries(hotloops.map((t) => [t, []]))]));
  const loads = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const a of apps) {
      for (const tool of round % 2 === 0 ? hotloops : [...hotloops].reverse()) {
        loads.push(os.loadavg()[0]);
        runs[a][tool].push(await buildOnly(tool, APPS[a]));
      }
    }
  }
  console.log('| app | tool | build ready | CPU: hotloop / plugin host (Node) |');
  console.log('|---|---|---|---|');
  for (const a of apps) {
    for (const tool of hotloops) {
      const r = runs[a][tool];
      const m = (k) => median(r.map((x) => x[k])).toFixed(0);
      console.log(`| ${APPS[a].title} | ${tool} | ${m('ready')} | ${m('hotloop')} / ${m('node')} |`);
    }
  }
  console.log(`\n1-minute load average at the builds' starts: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} (median ${median(loads).toFixed(2)}); ${os.cpus().length} cores; medians of ${ROUNDS}`);
  process.exit(0);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const baseline = process.argv.includes('--baseline') ? process.argv[process.argv.indexOf('--baseline') + 1] : null;
const tools = ['hotloop', ...(BASE_BIN ? ['hotloop base'] : []), ...(baseline ? [`hotloop ${baseline}`] : []), 'vite'];
const apps = appArg === 'both' ? ['starter', 'sfc1000'] : [appArg];
const results = Object.fromEntries(apps.map((a) => [a, Object.fromEntries(tools.map((t) => [t, { cold: [], ready: [], restart: [], sfc: [], style: [], kept: [], missed: 0 }]))]));
// The 1-minute load average as each session starts (the machine may be shared).
const loads = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? tools : [...tools].reverse();
  for (const a of apps) {
    for (const tool of order) {
      loads.push(os.loadavg()[0]);
      await session(browser, tool, APPS[a], results[a][tool]);
    }
  }
}
await browser.close();
console.log('| app | tool | cold start (of it: build ready) | restart | SFC edit p50 / p95 | `<style>` edit p50 / p95 | state kept | edits not shown in 10 s |');
console.log('|---|---|---|---|---|---|---|---|');
for (const a of apps) {
  for (const tool of tools) {
    const r = results[a][tool];
    const f = (x) => x.toFixed(1);
    console.log(`| ${APPS[a].title} | ${tool} | ${f(median(r.cold))}${r.ready.length ? ` (${f(median(r.ready))})` : ''} | ${f(median(r.restart))} | ${f(median(r.sfc))} / ${f(p95(r.sfc))} | ${f(median(r.style))} / ${f(p95(r.style))} | ${r.kept.filter(Boolean).length}/${r.kept.length} | ${r.missed} |`);
  }
}
console.log(`\n1-minute load average at the sessions' starts: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} (median ${median(loads).toFixed(2)}); ${os.cpus().length} cores`);
