// Bun's dev server as a peer: `bun ./index.html --port=N` in the app's directory (Bun bundles
// the HTML entry's scripts in memory and serves them with its HMR client), spawned directly as
// the leader of its own process group, the same start/stop/port/alive/rssMb shape as
// `HotloopServer`. Its runtime transpiler cache goes to a directory the benchmark chooses
// (`BUN_RUNTIME_TRANSPILER_CACHE_PATH`), never the user's. Bun is optional: `bunBinary` finds
// the one hmrbench installed, or none.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { onCleanup } from './cleanup.mjs';
import { freePort, killGroup, killGroupNow, nowMs, treeRssMb } from './proc.mjs';

/** Where hmrbench installs Bun (`node_modules/bun`), tried when no path is given. */
const KNOWN = ['/work/shared/hmrbench/node_modules/bun/bin/bun.exe', '/work/shared/hmrbench/node_modules/.bin/bun'];

/** The Bun binary to run: `path` when given ('' or 'none' turns Bun off), else a known one. */
export function bunBinary(path) {
  if (path === '' || path === 'none') return null;
  if (path) {
    if (!fs.existsSync(path)) throw new Error(`no bun binary at ${path}: pass --bun PATH, or --bun none to run without Bun`);
    return path;
  }
  return KNOWN.find((p) => fs.existsSync(p)) ?? null;
}

export function bunVersion(bin) {
  return `bun ${execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim()}`;
}

export class BunServer {
  constructor({ bin, root, cacheDir, logFile, name = 'bun' }) {
    this.name = name;
    this.bin = bin;
    this.root = root;
    this.cacheDir = cacheDir;
    this.logFile = logFile;
    this.child = null;
    this.port = null;
    this.exit = null;
    this.unregister = () => {};
  }

  async prepare() { this.port = await freePort(); }

  /** Spawns the server; returns the epoch ms just before the spawn. */
  start() {
    const fd = fs.openSync(this.logFile, 'w');
    const t0 = nowMs();
    this.child = spawn(this.bin, ['./index.html', `--port=${this.port}`], {
      cwd: this.root,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, BUN_RUNTIME_TRANSPILER_CACHE_PATH: this.cacheDir, NO_COLOR: '1' },
    });
    fs.closeSync(fd);
    this.child.on('exit', (code, signal) => { this.exit = { code, signal }; });
    this.child.on('error', (e) => { this.exit = { error: e.message }; });
    const child = this.child;
    this.unregister = onCleanup(`bun pid ${child.pid}`, () => killGroup(child), () => killGroupNow(child));
    return t0;
  }

  get pid() { return this.child ? this.child.pid : null; }

  alive() { return this.child !== null && this.exit === null; }

  rssMb() { return this.alive() ? treeRssMb(this.child.pid) : null; }

  logTail(lines = 15) {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  async stop() {
    const child = this.child;
    if (!child) return;
    await killGroup(child);
    this.unregister();
    this.child = null;
  }
}
