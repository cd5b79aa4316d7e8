#!/usr/bin/env node
// The Vite peer: a small Node HTTP server the way Vite's SSR guide builds one. Vite runs in
// middleware mode (`createServer({ server: { middlewareMode: true }, appType: 'custom' })`), and
// every request re-imports the app's server entry through `vite.ssrLoadModule` (which returns
// the cached module graph unless a watched file changed, then re-executes what the change
// invalidated), calls its default export's `fetch(request)` and writes the response.
//
//   node lib/vite-ssr.mjs ROOT PORT [ENTRY]     (ENTRY defaults to /src/server.ts)
//
// Vite's HMR WebSocket gets its own port (PORT+1 is not assumed free: the kernel picks one),
// its cache directory goes to VITE_CACHE_DIR when set. Stops on SIGTERM.
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { createServer } from 'vite';

const [root, portArg, entry = '/src/server.ts'] = process.argv.slice(2);
if (!root || !portArg) {
  console.error('usage: node lib/vite-ssr.mjs ROOT PORT [ENTRY]');
  process.exit(2);
}

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

const vite = await createServer({
  root,
  configFile: false,
  logLevel: 'warn',
  cacheDir: process.env.VITE_CACHE_DIR || undefined,
  appType: 'custom',
  server: { middlewareMode: true, hmr: { port: await freePort(), host: '127.0.0.1' } },
});

function toRequest(req) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const init = { method: req.method, headers };
  if (req.method !== 'GET' && req.method !== 'HEAD') { init.body = Readable.toWeb(req); init.duplex = 'half'; }
  return new Request(new URL(req.url, `http://${req.headers.host || '127.0.0.1'}`), init);
}

const server = http.createServer(async (req, res) => {
  try {
    const mod = await vite.ssrLoadModule(entry);
    const response = await mod.default.fetch(toRequest(req));
    const headers = {};
    response.headers.forEach((v, k) => { headers[k] = v; });
    res.writeHead(response.status, headers);
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (e) {
    vite.ssrFixStacktrace(e);
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(e && e.stack ? e.stack : e));
  }
});
server.listen(Number(portArg), '127.0.0.1');
process.on('SIGTERM', () => { server.close(); vite.close().finally(() => process.exit(0)); });
