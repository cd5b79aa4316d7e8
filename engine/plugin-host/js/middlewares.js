// Plugins' `server.middlewares` handlers (connect-style), run for hotloop on a loopback HTTP
// server of the plugin host.
//
// The contract with hotloop's dev server (`engine/server/src/middlewares.rs`):
// - The host listens on 127.0.0.1, on a port of its own (`listen`); the loaded config says
//   which port, the token every request must carry (`x-hotloop-token`: nothing but hotloop,
//   which checked the Host and Origin, gets an answer) and which routes each phase's handlers
//   take.
// - hotloop forwards a request with `x-hotloop-middleware: pre` (before hotloop serves
//   anything: Vite's middlewares added in `configureServer`) or `post` (a request hotloop has
//   no answer for: the handlers added by the function `configureServer` returned).
// - A handler that answers, answers: status, headers and body go to the page as they are;
//   an HTML page it made with `server.transformIndexHtml` carries `x-hotloop-client: 1`, and
//   hotloop injects its client into that one only.
// - When every handler called `next()`, the answer is a 404 with `x-hotloop-next` (the names
//   of the headers the handlers set, comma-separated): hotloop then serves the request
//   itself, with those headers added (a handler that sets COOP/COEP and calls `next()`).
//   A handler that rewrote `req.url` before `next()` (a history fallback, an MPA router,
//   `server.proxy`'s `bypass` answering a path) adds `x-hotloop-url`: hotloop serves that URL,
//   as Vite's own middlewares after it would.
// - `next(err)` or a throw with no error handler left: a 500 naming the plugin, and a
//   warning.
// - A WebSocket upgrade hotloop does not take itself (its own socket, a proxied path) comes
//   here too, with the token: the plugins' `server.httpServer` `upgrade` listeners get it.
//
// The stack follows connect (which Vite uses): a route prefix matches at a `/` or `.`
// boundary, case-insensitively, and is stripped from `req.url` while its handler runs
// (`req.originalUrl` keeps the whole); handlers of arity 4 are error handlers; a handler's
// rejected promise counts as `next(err)`.

import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import http from 'node:http';

/**
 * The request a handler runs for, across its awaits: `{ client }`, which
 * `server.transformIndexHtml` sets (`markClientWanted`). A page a handler renders through it
 * gets hotloop's client, as under Vite only such a page gets Vite's; another HTML answer (an
 * app of its own, vite-plugin-vue-devtools' `/__devtools__/` client) goes out as it is.
 */
const current = new AsyncLocalStorage();

/** Called by `server.transformIndexHtml`: the answer of the request it runs in gets hotloop's client. */
export function markClientWanted() {
  const request = current.getStore();
  if (request) request.client = true;
}

/** The header that tells hotloop to inject its client into an HTML answer. */
export const CLIENT_HEADER = 'x-hotloop-client';

/** A route as connect keeps it: no trailing slash (`'/'` is every path). */
export function normalizeRoute(route) {
  if (typeof route !== 'string') return '';
  return route.endsWith('/') ? route.slice(0, -1) : route;
}

/** Whether `route` (normalized) takes `pathname` (connect's rule). */
export function routeMatches(route, pathname) {
  if (route === '') return true;
  if (pathname.slice(0, route.length).toLowerCase() !== route.toLowerCase()) return false;
  const c = pathname.length > route.length ? pathname[route.length] : '';
  return c === '' || c === '/' || c === '.';
}

function pathnameOf(url) {
  const q = url.search(/[?#]/);
  return (q === -1 ? url : url.slice(0, q)) || '/';
}

/**
 * Runs `stack` (`[{ route, handle, plugin }]`) on `req`/`res`; `done(err)` when every handler
 * passed it on. `enter(layer)` and `leave(whatEnterReturned)` bracket each synchronous
 * call (the host's "who is calling", for its warnings).
 */
export function runStack(stack, req, res, done, enter = () => {}, leave = () => {}) {
  let index = 0;
  let removed = '';
  let slashAdded = false;
  req.originalUrl ??= req.url;
  let finished = false;
  function next(err) {
    if (finished) return;
    if (slashAdded) {
      req.url = req.url.slice(1);
      slashAdded = false;
    }
    if (removed) {
      req.url = removed + req.url;
      removed = '';
    }
    const layer = stack[index++];
    if (!layer) {
      finished = true;
      setImmediate(done, err);
      return;
    }
    if (!routeMatches(layer.route, pathnameOf(req.url))) return next(err);
    // (`mounted: false`: the route only says which requests may reach it, as for the proxy's
    // entries, which Vite does not mount; `req.url` stays whole.)
    if (layer.route !== '' && layer.mounted !== false) {
      removed = layer.route;
      req.url = req.url.slice(removed.length);
      if (req.url[0] !== '/') {
        req.url = '/' + req.url;
        slashAdded = true;
      }
    }
    call(layer, err);
  }
  function call(layer, err) {
    const arity = layer.handle.length;
    let error = err;
    try {
      if (err ? arity !== 4 : arity >= 4) return next(err);
      let r;
      const saved = enter(layer);
      try {
        r = err ? layer.handle(err, req, res, next) : layer.handle(req, res, next);
      } finally {
        leave(saved);
      }
      if (r && typeof r.then === 'function') {
        r.then(undefined, (e) => next(Object.assign(e instanceof Error ? e : new Error(String(e)), { plugin: e?.plugin ?? layer.plugin })));
      }
      return;
    } catch (e) {
      error = e instanceof Error ? e : new Error(String(e));
      error.plugin ??= layer.plugin;
    }
    next(error);
  }
  next();
}

/**
 * The loopback server: `stacks()` gives `{ pre, post }` at the time of each request (a config
 * reload replaces them); `onError(plugin, err)` reports a handler's failure.
 */
export async function listen(stacks, onError, enter, leave, upgrades = () => null) {
  const token = crypto.randomBytes(16).toString('hex');
  const server = http.createServer((req, res) => {
    // Only hotloop, which checked the request's Host and Origin, may ask: a page that reaches
    // this port by DNS rebinding cannot set the header without a preflight nobody answers.
    if (req.headers['x-hotloop-token'] !== token) {
      res.statusCode = 403;
      res.end('hotloop plugin host: forbidden');
      return;
    }
    delete req.headers['x-hotloop-token'];
    const phase = req.headers['x-hotloop-middleware'] === 'post' ? 'post' : 'pre';
    delete req.headers['x-hotloop-middleware'];
    const stack = stacks()[phase] ?? [];
    const request = { client: false };
    // Node writes the head through `writeHead` (an explicit call, or `_implicitHeader` on the
    // first write): the header goes with it when the page asked for the client by then.
    const writeHead = res.writeHead;
    res.writeHead = function (...args) {
      if (request.client && !this.headersSent) this.setHeader(CLIENT_HEADER, '1');
      return writeHead.apply(this, args);
    };
    current.run(request, () => runStack(stack, req, res, (err) => {
      if (res.headersSent || res.writableEnded) return;
      if (err) {
        onError(err.plugin ?? '', err);
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(`[plugin ${err.plugin ?? '?'}] a server.middlewares handler failed on ${req.originalUrl}: ${err.message ?? err}`);
        return;
      }
      const set = res.getHeaderNames();
      res.statusCode = 404;
      res.setHeader('x-hotloop-next', set.join(','));
      if (req.url !== req.originalUrl && req.url.startsWith('/')) res.setHeader('x-hotloop-url', req.url);
      res.end();
    }, enter, leave));
  });
  // A WebSocket upgrade hotloop does not take itself: the plugins' `server.httpServer`
  // listeners (`upgrades()`: the `PageServer`, `page-server.js`), as node's server emits it.
  server.on('upgrade', (req, socket, head) => {
    if (req.headers['x-hotloop-token'] !== token) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    delete req.headers['x-hotloop-token'];
    delete req.headers['x-hotloop-middleware'];
    const target = upgrades();
    if (target) target.upgrade(req, socket, head);
    else socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  return { server, port: server.address().port, token };
}

/**
 * Vite's URL for a module id no file path stands for (`virtual:x`, `\0virtual:x`):
 * `/@id/<id>`, its leading `\0` written `__x00__`; null for a path (`/src/a.ts`, `./a`).
 */
export function idUrl(id) {
  if (id.startsWith('/') || id.startsWith('.') || /^[A-Za-z]:[\\/]/.test(id)) return null;
  return '/@id/' + id.replace('\0', '__x00__');
}

/**
 * What the `pre` handlers of the loopback server at `endpoint` (`{ port, token }`) answer for
 * a GET of `url`, as hotloop forwards a page's request: `{ status, type, body }`, or null when
 * every handler passed it on (or the server could not be reached).
 */
export function askPre(endpoint, url) {
  return new Promise((resolve) => {
    const req = http.get({
      host: '127.0.0.1',
      port: endpoint.port,
      path: url,
      headers: { 'x-hotloop-token': endpoint.token, 'x-hotloop-middleware': 'pre', accept: '*/*' },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.headers['x-hotloop-next'] != null) return resolve(null);
        resolve({ status: res.statusCode, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', () => resolve(null));
    });
    req.on('error', () => resolve(null));
  });
}
