// The dev server under test: the real `hotloop` binary, `hotloop dev ROOT --port N --no-tui`,
// spawned directly (no shell) as the leader of its own process group so it and anything it
// starts can be killed together, with its compile cache in a directory the benchmark chooses
// (`HOTLOOP_CACHE_DIR`: an empty one for "first start", a primed one for "cold start"). Its log
// goes to a file, kept for failure messages. The same start/stop/port/alive shape as floor.mjs.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { onCleanup } from './cleanup.mjs';
import { freePort, killGroup, killGroupNow, nowMs, treeRssMb } from './proc.mjs';

/** `hotloop --version`, or the error that says why the binary is unusable. */
export function hotloopVersion(bin) {
  if (!fs.existsSync(bin)) throw new Error(`no hotloop binary at ${bin}: build it (cargo build --release) or pass --bin PATH`);
  return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
}

export class HotloopServer {
  constructor({ bin, root, cacheDir, logFile, name = 'hotloop' }) {
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
    this.child = spawn(this.bin, ['dev', this.root, '--port', String(this.port), '--no-tui'], {
      cwd: this.root,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, HOTLOOP_CACHE_DIR: this.cacheDir, NO_COLOR: '1' },
    });
    fs.closeSync(fd);
    this.child.on('exit', (code, signal) => { this.exit = { code, signal }; });
    this.child.on('error', (e) => { this.exit = { error: e.message }; });
    const child = this.child;
    this.unregister = onCleanup(`hotloop pid ${child.pid}`, () => killGroup(child), () => killGroupNow(child));
    return t0;
  }

  get pid() { return this.child ? this.child.pid : null; }

  alive() { return this.child !== null && this.exit === null; }

  /** Resident memory of the server process (and any children), MiB. */
  rssMb() { return this.alive() ? treeRssMb(this.child.pid) : null; }

  /** The last lines of the server's log, for error messages. */
  logTail(lines = 15) {
    try {
      const text = fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n');
      return text.slice(-lines).join('\n');
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
