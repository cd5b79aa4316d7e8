// The floor: the same fixture prebuilt into one bundle and served from memory, with no
// dev-server work at all, so no dev server can start, load or reload the app faster than it.
//
// Build: esbuild (an npm devDependency of this benchmark; no bundler is guaranteed on the
// machine) bundles the fixture's entry with everything it imports into `/bundle.js` and its CSS
// into `/bundle.css`, with React's development build (`process.env.NODE_ENV` = "development", as
// a dev server serves it) and no source maps, no minification; `index.html` is rewritten to load
// those two. The build runs once per fixture before the timed rounds and is not timed.
//
// Caching as a production deployment does it, so the floor's warm reload is a floor too: the bundle
// files carry their content hash in the name and are served `immutable`; index.html is served
// `no-cache` with an ETag (a reload revalidates it: 304).
//
// Serve: a tiny HTTP server inside the benchmark's own Node process answers from a Map. In-process
// on purpose: a separate `node` process would add Node's own start-up (tens to hundreds of ms
// on a loaded machine) to the floor's "cold start", which a native server does not pay, and then
// the floor would not be a floor. Its cold start is therefore listen() → app rendered: the
// browser's own work (fetch, parse, evaluate, render) and nothing else. It has no process of its
// own, so it reports no RSS. It exposes the same start/stop/port/alive shape as lib/hotloop.mjs.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort, nowMs } from './lib/proc.mjs';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** Bundles the fixture in `dir` (manifest `m`) in memory: resolves to Map(urlPath → Buffer). */
export async function buildFloor(dir, m) {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: dir,
    entryPoints: { bundle: path.join(dir, m.entry) },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: '/',
    write: false,
    jsx: m.jsx === 'automatic' ? 'automatic' : undefined,
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  });
  if (result.errors.length) throw new Error(`esbuild failed on ${dir}: ${result.errors.map((e) => e.text).join('; ')}`);
  const files = new Map(); // url path -> { body, type, etag, immutable }
  const add = (url, body, immutable) => files.set(url, { body, immutable, type: TYPES[path.extname(url)], etag: `"${hash(body)}"` });
  const out = {};
  for (const f of result.outputFiles) {
    const ext = path.extname(f.path);
    const body = Buffer.from(f.contents);
    out[ext] = `/bundle-${hash(body).slice(0, 10)}${ext}`;
    add(out[ext], body, true);
  }
  if (!out['.js']) throw new Error(`esbuild produced no JavaScript bundle for ${dir}`);
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  const tag = `<script type="module" src="/${m.entry}"></script>`;
  if (!html.includes(tag)) throw new Error(`${dir}/index.html has no ${tag}`);
  const css = out['.css'] ? `<link rel="stylesheet" href="${out['.css']}">\n` : '';
  add('/index.html', Buffer.from(html.replace('</head>', `${css}</head>`).replace(tag, `<script type="module" src="${out['.js']}"></script>`)), false);
  return files;
}

function hash(buf) { return crypto.createHash('sha1').update(buf).digest('hex'); }

/** Bytes of the floor's JavaScript bundle. */
export function bundleBytes(files) {
  let n = 0;
  for (const [url, f] of files) if (url.endsWith('.js')) n += f.body.length;
  return n;
}

/** The static server of a built floor (see the header). */
export class FloorServer {
  constructor(files) {
    this.name = 'floor';
    this.files = files;
    this.server = null;
    this.port = null;
    this.pid = null; // no process of its own: no RSS
  }

  /** Picks a port; `start()` then only listens, so the timed part is the listen itself. */
  async prepare() { this.port = await freePort(); }

  /** Starts listening; resolves to the epoch ms at which start was called (the "spawn"). */
  start() {
    const t0 = nowMs();
    this.server = http.createServer((req, res) => {
      const p = req.url.split('?')[0];
      const f = this.files.get(p === '/' ? '/index.html' : p);
      if (!f) { res.writeHead(404); res.end(); return; }
      const headers = { 'content-type': f.type, etag: f.etag, 'cache-control': f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache' };
      if (req.headers['if-none-match'] === f.etag) { res.writeHead(304, headers); res.end(); return; }
      res.writeHead(200, headers);
      res.end(f.body);
    });
    this.server.keepAliveTimeout = 1000;
    this.server.listen(this.port, '127.0.0.1');
    return t0;
  }

  alive() { return this.server !== null; }

  rssMb() { return null; }

  logTail() { return ''; }

  async stop() {
    if (!this.server) return;
    const s = this.server;
    this.server = null;
    s.closeAllConnections?.();
    await new Promise((resolve) => s.close(() => resolve()));
  }
}
