// Shared helpers for the end-to-end tests: start the real hotloop binary on a temp copy of a
// fixture, drive real headless Chromium through playwright-core, wait on events with time-outs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const fixturesDir = path.resolve(here, '..', 'fixtures');

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const HOTLOOP_BIN = process.env.HOTLOOP_BIN;
const DEFAULT_TIMEOUT = 10_000;

/** Whether end-to-end tests can run here; in CI (HOTLOOP_REQUIRE_BROWSER=1) a missing browser is a failure. */
export function browserAvailable() {
  const ok = fs.existsSync(CHROMIUM);
  if (!ok && process.env.HOTLOOP_REQUIRE_BROWSER === '1') {
    throw new Error(`chromium not found at ${CHROMIUM} and HOTLOOP_REQUIRE_BROWSER=1: install the 'chromium' package`);
  }
  return ok;
}

/** Temp dirs the suite made, removed when its process exits (`HOTLOOP_E2E_KEEP=1` keeps them). */
const tempDirs = new Set();
process.on('exit', () => {
  if (process.env.HOTLOOP_E2E_KEEP === '1') return;
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir (its real path), removed when the test process exits. */
export function tempDir(name) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `hotloop-e2e-${name}-`)));
  tempDirs.add(dir);
  return dir;
}

/** Copies `fixtures/<name>` into a fresh temp dir and returns its real path. */
export function copyFixture(name) {
  const dir = tempDir(name);
  fs.cpSync(path.join(fixturesDir, name), dir, { recursive: true });
  return dir;
}

/** The npm packages the suite installed (`npm ci` in tests/e2e), shared by the fixtures. */
export const packagesDir = path.resolve(here, '..', 'node_modules');

/**
 * Installs npm packages into a copied fixture: copies each `tests/e2e/node_modules/<name>` to
 * `<root>/node_modules/<name>` (real directories, as `npm install` leaves them).
 */
export function installPackages(root, names) {
  for (const name of names) {
    const from = path.join(packagesDir, name);
    if (!fs.existsSync(path.join(from, 'package.json'))) {
      throw new Error(`${name} is not installed in ${packagesDir}: run \`npm ci\` in tests/e2e (cargo test does)`);
    }
    fs.cpSync(from, path.join(root, 'node_modules', name), { recursive: true, dereference: true });
  }
}

/** Writes a file so both its size and mtime change (editors' plain save: truncate + write). */
export function writeFile(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/**
 * One save with every replacement in it: `editFile(file, from, to)` or
 * `editFile(file, [from, to], [from, to], ...)`. Each `from` must be in the file.
 */
export function editFile(file, ...replacements) {
  if (typeof replacements[0] === 'string') replacements = [replacements];
  let text = fs.readFileSync(file, 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  writeFile(file, text);
}

/** Atomic save: write a temp file beside it, then rename over it (vim/JetBrains safe write). */
export function writeFileAtomic(file, text) {
  const tmp = `${file}.hotloop-tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Waits until `predicate()` is truthy, polling on events from `subscribe`, or fails after `timeout` with `describe()`. */
export function waitFor(predicate, { timeout = DEFAULT_TIMEOUT, subscribe, describe = () => '' }) {
  return new Promise((resolve, reject) => {
    let done = false;
    const check = () => {
      if (done) return;
      let value;
      try { value = predicate(); } catch (e) { finish(e); return; }
      if (value) finish(null, value);
    };
    const unsubscribe = subscribe(check);
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeout} ms: ${describe()}`)), timeout);
    function finish(err, value) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      if (err) reject(err); else resolve(value);
    }
    check();
  });
}

/** A running `hotloop dev` process with its output lines. */
export class Server {
  static async start(root, { port = 0, args = [], env = {} } = {}) {
    if (!HOTLOOP_BIN) throw new Error('HOTLOOP_BIN is not set (run through `cargo test`)');
    const server = new Server(root, port, args, env);
    await server.ready();
    return server;
  }

  constructor(root, port, args, env = {}) {
    this.root = root;
    this.lines = [];
    this.listeners = new Set();
    this.url = null;
    this.child = spawn(HOTLOOP_BIN, ['dev', root, '--port', String(port), '--no-tui', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => { this.exitCode = code ?? signal; this.emit(); resolve(code); }));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.lines.push(line);
          if (process.env.HOTLOOP_E2E_VERBOSE) console.error(`[server] ${line}`);
          const m = !this.url && line.match(/(https?:\/\/127\.0\.0\.1:(\d+))\//);
          if (m) { this.url = m[1]; this.port = Number(m[2]); }
          this.emit();
        }
      });
    }
  }

  emit() { for (const l of [...this.listeners]) l(); }
  subscribe(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }

  ready(timeout = 30_000) {
    return waitFor(() => {
      if (this.exitCode !== undefined) throw new Error(`hotloop exited (${this.exitCode}):\n${this.lines.join('\n')}`);
      return this.url;
    }, { timeout, subscribe: (f) => this.subscribe(f), describe: () => `server ready line; output:\n${this.lines.join('\n')}` });
  }

  /** Waits for an output line matching `re` that appears after index `from`. */
  untilLine(re, { from = 0, timeout } = {}) {
    return waitFor(() => this.lines.slice(from).find((l) => re.test(l)), {
      timeout, subscribe: (f) => this.subscribe(f), describe: () => `line ${re}; output:\n${this.lines.join('\n')}`,
    });
  }

  async stop() {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/**
 * `root` served by hotloop (`Server.start`'s options) and open in a tab of a browser of its own,
 * connected to the dev server: `{ server, browser, tab, close }`. When a step fails, what it had
 * started is stopped before the error is thrown.
 */
export async function serveAndOpen(root, serverOptions) {
  const app = {};
  try {
    app.server = await Server.start(root, serverOptions);
    app.browser = await launchBrowser();
    app.tab = await Tab.open(app.browser, app.server.url + '/');
    await app.tab.untilLog('[hmr] connected');
  } catch (e) {
    await closeAll(app);
    throw e;
  }
  return { ...app, close: () => closeAll(app) };
}

/** Closes what `serveAndOpen` opened, any part of it missing: the tab, its browser, the server. */
export async function closeAll({ tab, browser, server }) {
  await tab?.close();
  await browser?.close();
  await server?.stop();
}

/** A page with its console log collected, so tests wait on the runtime's lifecycle lines. */
/**
 * The error overlay's visible text (its style sheet left out), or null while none shows. Runs
 * in the page: `tab.until(overlayText)`, `tab.page.evaluate(overlayText)`.
 */
export const overlayText = () => {
  const root = document.querySelector('hotloop-error-overlay')?.shadowRoot;
  return root ? [...root.children].filter((c) => c.tagName !== 'STYLE').map((c) => c.innerText).join('\n') : null;
};

/**
 * An init script (`Tab.open`'s `initScript`) keeping every text the error overlay ever showed in
 * `window.__overlayTexts`, however briefly: each change of a shadow root the page attaches.
 */
export function recordOverlayTexts() {
  window.__overlayTexts = [];
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    new MutationObserver(() => window.__overlayTexts.push(root.textContent)).observe(root, { childList: true, subtree: true, characterData: true });
    return root;
  };
}

export class Tab {
  /**
   * `ignoreHTTPSErrors`: trust a self-signed certificate (a server with `server.https`).
   * `initScript`: a function run in the page before any of its scripts.
   */
  static async open(browser, url, { ignoreHTTPSErrors = false, initScript } = {}) {
    const context = await browser.newContext({ ignoreHTTPSErrors });
    if (initScript) await context.addInitScript(initScript);
    const page = await context.newPage();
    const tab = new Tab(context, page);
    await page.goto(url);
    return tab;
  }

  constructor(context, page) {
    this.context = context;
    this.page = page;
    this.log = [];
    this.navigations = 0;
    this.listeners = new Set();
    page.on('console', (msg) => { this.log.push(msg.text()); this.emit(); });
    page.on('pageerror', (err) => { this.log.push(`[pageerror] ${err.message}`); this.emit(); });
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) { this.navigations++; this.emit(); } });
    /** Every binary WebSocket frame the page received, in order: its message id (first byte) and size. */
    this.frames = [];
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
      if (typeof payload !== 'string') { this.frames.push({ id: payload[0], bytes: payload.length }); this.emit(); }
    }));
  }

  emit() { for (const l of [...this.listeners]) l(); }
  subscribe(fn) {
    this.listeners.add(fn);
    const timer = setInterval(fn, 25); // DOM state is polled between console events
    return () => { this.listeners.delete(fn); clearInterval(timer); };
  }

  mark() { return this.log.length; }

  /** Waits for a console line (string prefix or RegExp) logged at or after `from`. */
  untilLog(expected, { from = 0, timeout } = {}) {
    const match = (l) => (expected instanceof RegExp ? expected.test(l) : l.startsWith(expected));
    return waitFor(() => this.log.slice(from).find(match), {
      timeout, subscribe: (f) => this.subscribe(f), describe: () => `console ${expected}; log:\n${this.log.join('\n')}`,
    });
  }

  /** Waits until `fn` evaluated in the page returns a truthy value. */
  async until(fn, arg, { timeout = DEFAULT_TIMEOUT } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        last = await this.page.evaluate(fn, arg);
        if (last) return last;
      } catch (e) {
        last = e.message; // navigation in progress: try again
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${fn}; last: ${last}; log:\n${this.log.join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  text(selector) { return this.page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector); }

  async close() { await this.context.close(); }
}

/** The live children of process `pid` (every thread's), each with its command line. */
export function childrenOf(pid) {
  const out = [];
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    let list;
    try {
      list = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    for (const child of list.split(/\s+/).filter(Boolean).map(Number)) {
      try {
        out.push({ pid: child, cmdline: fs.readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').filter(Boolean) });
      } catch {
        // exited meanwhile
      }
    }
  }
  return out;
}
