import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { nativeEntries, proxyLayers, routeOf, runsInHost } from '../proxy.js';

test("which entries hotloop's own proxy takes, and which run in the host", () => {
  assert.equal(runsInHost('/api', 'http://localhost:8080'), false);
  assert.equal(runsInHost('/api', { target: 'http://x', changeOrigin: true, ws: true }), false);
  assert.equal(runsInHost('/api', { target: 'http://x', rewrite: (p) => p }), true);
  assert.equal(runsInHost('/api', { target: 'http://x', headers: { a: 'b' } }), true);
  assert.equal(runsInHost('/api', { target: 'https://x', secure: false }), true);
  assert.equal(runsInHost('^/api/.*', 'http://x'), true);
  // hotloop's own proxy has no TLS: an https backend is node's.
  assert.equal(runsInHost('/api', 'https://api.example.com'), true);
  assert.equal(runsInHost('/api', { target: 'HTTPS://x', changeOrigin: true }), true);
  const proxy = { '/a': 'http://x', '/b': { target: 'http://x', bypass: () => false }, '^/c': 'http://x' };
  assert.deepEqual(Object.keys(nativeEntries(proxy)), ['/a']);
});

test('a key becomes the route hotloop forwards to the host: its literal path', () => {
  assert.equal(routeOf('/api'), '/api');
  assert.equal(routeOf('/api/'), '/api');
  assert.equal(routeOf('^/fallback/.*'), '/fallback');
  assert.equal(routeOf('^/api-v[0-9]+/'), '');
  assert.equal(routeOf('^/a\\/b/x'), '/a/b');
  assert.equal(routeOf('^.*\\.php$'), '');
});

test('what a host entry does not support is a warning naming it', () => {
  const warnings = [];
  const layers = proxyLayers({
    '/ok': { target: 'http://x', rewrite: (p) => p },
    '/ws': { target: 'http://x', ws: true, auth: 'a:b' },
    '/none': { rewrite: (p) => p },
    '/conf': { target: 'http://x', configure: () => {} },
    '/odd': { target: 'http://x', rewrite: (p) => p, router: () => 'http://y' },
  }, (m) => warnings.push(m));
  assert.deepEqual(layers.map((l) => [l.route, l.plugin]), [['/ok', 'vite:proxy'], ['/ws', 'vite:proxy'], ['/conf', 'vite:proxy'], ['/odd', 'vite:proxy']]);
  assert.deepEqual(warnings, [
    "server.proxy['/ws'].ws: WebSockets are not forwarded for an entry with these options",
    "server.proxy['/none'] has no target URL",
    "server.proxy['/odd'].router is not supported by hotloop; the entry is served without it",
  ]);
});

/** An http server on a free loopback port answering with `handle`; its URL. */
async function serve(handle) {
  const server = http.createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

test("configure gets an emitter of http-proxy's events: proxyReq sets a header, proxyRes sees the answer", async () => {
  const backend = await serve((req, res) => {
    res.setHeader('x-backend', 'yes');
    res.end(`auth=${req.headers.authorization}`);
  });
  const seen = [];
  const [layer] = proxyLayers({
    '/api': {
      target: backend.url,
      configure(proxy) {
        proxy.on('proxyReq', (proxyReq) => proxyReq.setHeader('authorization', 'Bearer t0ken'));
        proxy.on('proxyRes', (proxyRes, req) => {
          seen.push(`${req.url} ${proxyRes.statusCode} ${proxyRes.headers['x-backend']}`);
          proxyRes.headers['x-added'] = 'by configure';
        });
      },
    },
  }, (m) => assert.fail(m));
  const front = await serve((req, res) => layer.handle(req, res, () => res.end('next')));
  try {
    const answer = await fetch(`${front.url}/api/me`);
    assert.equal(await answer.text(), 'auth=Bearer t0ken');
    assert.equal(answer.headers.get('x-added'), 'by configure');
    assert.deepEqual(seen, ['/api/me 200 yes']);
  } finally {
    front.server.close();
    backend.server.close();
  }
});

test('an unreachable backend is a 502 and a warning that say what to do', async () => {
  const closed = await serve(() => {});
  closed.server.close();
  const warnings = [];
  const [layer] = proxyLayers({
    '/legacy-api': { target: closed.url, rewrite: (p) => p.replace(/^\/legacy-api/, '/api') },
  }, (m) => warnings.push(m));
  const front = await serve((req, res) => layer.handle(req, res, () => res.end('next')));
  try {
    const answer = await fetch(`${front.url}/legacy-api/x`);
    assert.equal(answer.status, 502);
    const host = new URL(closed.url).host;
    const expected = `the proxy for /legacy-api could not reach http://${host}/api/x (connect ECONNREFUSED ${host}). `
      + `Is the backend running on ${host}? Start it, or change server.proxy['/legacy-api'] in the vite.config.`;
    assert.equal(await answer.text(), `hotloop: ${expected}`);
    assert.deepEqual(warnings, [expected]);
  } finally {
    front.server.close();
  }
});
