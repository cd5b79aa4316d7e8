// The connect-style stack and the loopback server of `middlewares.js`, over real HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { listen, markClientWanted, normalizeRoute, routeMatches } from '../middlewares.js';

test('routes match at a / or . boundary, case-insensitively; a trailing slash is dropped', () => {
  assert.equal(normalizeRoute('/api/'), '/api');
  assert.equal(normalizeRoute('/'), '');
  assert.equal(normalizeRoute(undefined), '');
  for (const [route, path, yes] of [
    ['', '/anything', true],
    ['/api', '/api', true],
    ['/api', '/API/users', true],
    ['/api', '/api.json', true],
    ['/api', '/apix', false],
    ['/api', '/', false],
  ]) {
    assert.equal(routeMatches(route, path), yes, `${route} ${path}`);
  }
});

async function withServer(stacks, run) {
  const errors = [];
  const calls = [];
  const { server, port, token } = await listen(
    () => stacks,
    (plugin, err) => errors.push([plugin, err.message]),
    (layer) => {
      calls.push(layer.plugin);
      return layer.plugin;
    },
    () => {},
  );
  try {
    await run(`http://127.0.0.1:${port}`, { errors, calls, token });
  } finally {
    server.close();
  }
}

test('pre and post stacks: route prefixes stripped while a handler runs, next() falls through with the headers set', async () => {
  const seen = [];
  const stacks = {
    pre: [
      {
        plugin: 'headers',
        route: '',
        handle(req, res, next) {
          res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
          next();
        },
      },
      {
        plugin: 'api',
        route: '/api',
        handle(req, res, next) {
          seen.push([req.url, req.originalUrl]);
          if (req.url === '/skip') return next();
          // A history fallback's way: the URL rewritten (in the mount), then passed on.
          if (req.url === '/docs') {
            req.url = '/docs.html';
            return next();
          }
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ url: req.url, method: req.method }));
        },
      },
    ],
    post: [
      {
        plugin: 'late',
        route: '',
        async handle(req, res) {
          await Promise.resolve();
          res.end(`late ${req.url}`);
        },
      },
    ],
  };
  await withServer(stacks, async (base, { calls, token }) => {
    const forbidden = await fetch(`${base}/api/users`);
    assert.equal(forbidden.status, 403, 'not without the token');
    const r = await fetch(`${base}/api/users?x=1`, { method: 'POST', headers: { 'x-hotloop-middleware': 'pre', 'x-hotloop-token': token } });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { url: '/users?x=1', method: 'POST' });
    assert.deepEqual(seen, [['/users?x=1', '/api/users?x=1']]);

    const unhandled = await fetch(`${base}/api/skip`, { headers: { 'x-hotloop-middleware': 'pre', 'x-hotloop-token': token } });
    assert.equal(unhandled.status, 404);
    assert.equal(unhandled.headers.get('x-hotloop-next'), 'cross-origin-opener-policy');
    assert.equal(unhandled.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(unhandled.headers.get('x-hotloop-url'), null, 'the URL as it was');

    // A URL rewritten before next(): hotloop is told which to serve (the mount put back).
    const rewritten = await fetch(`${base}/api/docs`, { headers: { 'x-hotloop-middleware': 'pre', 'x-hotloop-token': token } });
    assert.equal(rewritten.status, 404);
    assert.equal(rewritten.headers.get('x-hotloop-url'), '/api/docs.html');
    assert.equal(rewritten.headers.get('x-hotloop-next'), 'cross-origin-opener-policy');

    const post = await fetch(`${base}/missing.txt`, { headers: { 'x-hotloop-middleware': 'post', 'x-hotloop-token': token } });
    assert.equal(await post.text(), 'late /missing.txt');
    assert.deepEqual(calls, ['headers', 'api', 'headers', 'api', 'headers', 'api', 'late']);
  });
});

test('only a page made with server.transformIndexHtml (markClientWanted, across awaits) is marked for the client', async () => {
  const stacks = {
    pre: [
      {
        plugin: 'pages',
        route: '',
        async handle(req, res) {
          if (req.url === '/rendered') {
            await new Promise((r) => setTimeout(r, 1));
            markClientWanted();
          }
          await Promise.resolve();
          res.setHeader('content-type', 'text/html');
          res.end('<!doctype html><title>x</title>');
        },
      },
    ],
    post: [],
  };
  await withServer(stacks, async (base, { token }) => {
    const headers = { 'x-hotloop-middleware': 'pre', 'x-hotloop-token': token };
    const rendered = await fetch(`${base}/rendered`, { headers });
    assert.equal(rendered.headers.get('x-hotloop-client'), '1');
    const own = await fetch(`${base}/own-app/`, { headers });
    assert.equal(own.headers.get('x-hotloop-client'), null);
    assert.equal(await own.text(), '<!doctype html><title>x</title>');
  });
  markClientWanted(); // outside any request: nothing to mark, no throw
});

test('a throw or a rejected promise is a 500 naming the plugin, unless an error handler answers', async () => {
  const stacks = {
    pre: [
      { plugin: 'boom', route: '/boom', handle() { throw new Error('kaput'); } },
      { plugin: 'async-boom', route: '/async', async handle() { throw new Error('later'); } },
      { plugin: 'rescue', route: '/rescued', handle() { throw new Error('caught'); } },
      { plugin: 'rescue', route: '', handle(err, req, res, next) { if (req.url !== '/rescued') return next(err); res.end(`rescued ${err.message}`); } },
    ],
    post: [],
  };
  await withServer(stacks, async (base, { errors, token }) => {
    const headers = { 'x-hotloop-token': token };
    const r = await fetch(`${base}/boom`, { headers });
    assert.equal(r.status, 500);
    assert.match(await r.text(), /\[plugin boom\].*kaput/);
    const a = await fetch(`${base}/async`, { headers });
    assert.equal(a.status, 500);
    assert.match(await a.text(), /\[plugin async-boom\].*later/);
    assert.equal(await (await fetch(`${base}/rescued`, { headers })).text(), 'rescued caught');
    assert.deepEqual(errors, [['boom', 'kaput'], ['async-boom', 'later']]);
  });
});
