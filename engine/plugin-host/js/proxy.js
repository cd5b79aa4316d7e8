// `server.proxy` entries that hotloop's own proxy (`engine/server/src/proxy.rs`: a path prefix to
// a target URL, `changeOrigin`, WebSockets) cannot express run here, as Vite runs its proxy: a
// RegExp key (`'^/fallback/.*'`), and options that are code or more than a target
// (`rewrite`, `bypass`, `headers`, `auth`, `xfwd`, `secure: false`). They become `pre`
// middlewares after the plugins' own (Vite's proxy middleware comes after `configureServer`'s),
// each taking the literal path its key starts with, so hotloop forwards only those requests
// here. What Vite's proxy does with them: `bypass(req, res, options)` first (`false`: 404; a
// path: that path served instead, by hotloop after the handlers), then `rewrite(path)`,
// then the request forwarded with node's `http`/`https` (`changeOrigin`: the target's Host;
// `headers` added), its answer streamed back. `configure(proxy, options)` gets an emitter
// in the place of http-proxy's instance, with its events: `proxyReq` (the outgoing request,
// before its body: headers can still be set), `proxyRes` (the target's answer, before it is
// sent on), `error`. WebSockets (`ws`) and `router` are not available for such an entry: one
// warning each.

import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';

/** Options hotloop's own proxy honours; any other makes the entry this module's. */
const NATIVE_OPTIONS = new Set(['target', 'changeOrigin', 'ws', 'secure']);

/** Options this module honours. */
const HOST_OPTIONS = new Set(['target', 'changeOrigin', 'secure', 'rewrite', 'bypass', 'headers', 'auth', 'xfwd', 'configure']);

/** Vite's shorthand: a string is `{ target, changeOrigin: true }`. */
function optionsOf(value) {
  return typeof value === 'string' ? { target: value, changeOrigin: true } : { ...value };
}

/** Whether the entry `key: value` runs here rather than in hotloop's own proxy. */
export function runsInHost(key, value) {
  if (key.startsWith('^')) return true;
  // hotloop's own proxy speaks plain HTTP to its targets; node's `https` here speaks TLS.
  const target = typeof value === 'string' ? value : value?.target;
  if (typeof target === 'string' && /^(https|wss):/i.test(target)) return true;
  if (typeof value === 'string') return false;
  if (!value || typeof value !== 'object') return false;
  if (value.secure === false) return true;
  return Object.keys(value).some((k) => value[k] !== undefined && !NATIVE_OPTIONS.has(k));
}

/** The entries hotloop's own proxy takes (`server.proxy` as the config says, without these). */
export function nativeEntries(proxy) {
  return Object.fromEntries(Object.entries(proxy ?? {}).filter(([k, v]) => !runsInHost(k, v)));
}

/** The literal path a key starts with, as a connect route (`''`: every path). */
export function routeOf(key) {
  let literal = key;
  if (key.startsWith('^')) {
    const m = /^\^((?:[^\\.*+?()[\]{}|$^]|\\[/.-])*)/.exec(key);
    literal = (m ? m[1] : '').replace(/\\(.)/g, '$1');
    // A literal ending inside a path segment takes its directory (`^/api-v` → `/`).
    literal = literal.endsWith('/') ? literal : literal.slice(0, literal.lastIndexOf('/') + 1);
  }
  return literal.endsWith('/') ? literal.slice(0, -1) : literal;
}

/**
 * The `pre` layers (`{ route, handle, plugin }`) of the entries that run here; `warn(message)`
 * names what is not supported, once per entry and option.
 */
export function proxyLayers(proxy, warn) {
  const layers = [];
  for (const [key, value] of Object.entries(proxy ?? {})) {
    if (!runsInHost(key, value)) continue;
    const options = optionsOf(value);
    for (const k of Object.keys(options)) {
      if (options[k] !== undefined && !HOST_OPTIONS.has(k) && k !== 'ws') {
        warn(`server.proxy['${key}'].${k} is not supported by hotloop; the entry is served without it`);
      }
    }
    if (options.ws) warn(`server.proxy['${key}'].ws: WebSockets are not forwarded for an entry with ${key.startsWith('^') ? 'a RegExp key' : 'these options'}`);
    if (typeof options.target !== 'string' && !(options.target instanceof URL)) {
      warn(`server.proxy['${key}'] has no target URL`);
      continue;
    }
    const matches = key.startsWith('^') ? ((re) => (url) => re.test(url))(new RegExp(key)) : (url) => url.startsWith(key);
    layers.push({ route: routeOf(key), mounted: false, plugin: 'vite:proxy', handle: handler(key, options, matches, warn) });
  }
  return layers;
}

function handler(key, options, matches, warn) {
  const target = new URL(String(options.target));
  const client = target.protocol === 'https:' ? https : http;
  // What `configure` gets for http-proxy's instance: its events, as Vite's proxy emits them.
  const proxy = new EventEmitter();
  if (typeof options.configure === 'function') {
    try {
      options.configure(proxy, options);
    } catch (e) {
      warn(`server.proxy['${key}'].configure threw: ${e?.message ?? e}`);
    }
  }
  return async (req, res, next) => {
    const url = req.originalUrl ?? req.url;
    if (!matches(url)) return next();
    if (typeof options.bypass === 'function') {
      const bypassed = await options.bypass(req, res, options);
      if (res.writableEnded) return;
      if (bypassed === false) {
        res.statusCode = 404;
        return res.end();
      }
      if (typeof bypassed === 'string') {
        // Vite serves that path instead (`req.url = bypassResult; next()`).
        req.url = bypassed;
        return next();
      }
    }
    const path = typeof options.rewrite === 'function' ? String(options.rewrite(url)) : url;
    const headers = { ...req.headers };
    for (const name of Object.keys(headers)) if (name.startsWith('x-hotloop-')) delete headers[name];
    if (options.changeOrigin) headers.host = target.host;
    if (options.xfwd) {
      headers['x-forwarded-host'] ??= req.headers.host;
      headers['x-forwarded-proto'] ??= 'http';
    }
    if (options.auth) headers.authorization = `Basic ${Buffer.from(String(options.auth)).toString('base64')}`;
    Object.assign(headers, options.headers ?? {});
    const base = target.pathname.endsWith('/') ? target.pathname.slice(0, -1) : target.pathname;
    const forwarded = client.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port || undefined,
      method: req.method,
      path: base + (path.startsWith('/') ? path : `/${path}`),
      headers,
      rejectUnauthorized: options.secure !== false,
    });
    proxy.emit('proxyReq', forwarded, req, res, options);
    forwarded.on('response', (answer) => {
      proxy.emit('proxyRes', answer, req, res);
      if (res.writableEnded) return;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', (e) => {
      if (proxy.listenerCount('error') > 0) proxy.emit('error', e, req, res, target);
      // As hotloop's own proxy says it (engine/server/src/proxy.rs): what, and what to do.
      const message = `the proxy for ${key} could not reach ${target.protocol}//${target.host}${base}`
        + `${path.startsWith('/') ? path : `/${path}`} (${e?.message ?? e}). Is the backend running on `
        + `${target.host}? Start it, or change server.proxy['${key}'] in the vite.config.`;
      warn(message);
      if (!res.headersSent && !res.writableEnded) {
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`hotloop: ${message}`);
      } else res.destroy();
    });
    req.pipe(forwarded);
  };
}
