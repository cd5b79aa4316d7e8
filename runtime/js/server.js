// server.js: the main of the app's server process (server-side HMR). hotloop starts
// `node server.js` with the runtime's files beside it; the app's own stdout and stderr stay
// the app's (hotloop shows them), so hotloop talks to this process over a control socket
// (`HOTLOOP_CONTROL`, a Unix socket path), in frames: a little-endian u32 length, then a kind
// byte and the payload.
//
// hotloop → here: CHUNK (the server chunk's text: the registry's `define`s and the `start`
// call), then UPDATE frames (the same binary update frames the pages get).
// here → hotloop: READY ({ port, eval_ms, start_ms }: the HTTP server listens; how long the
// chunk took to evaluate, its synchronous start of the entry included, and then its async part), FRAME (the runtime's frames to
// the server: acks of updates, invalidations), FAILURE ({ message, stack, context, id,
// request }: a module threw while starting or re-evaluating, or a request handler failed:
// `request` is its `METHOD url`), RECOVERED ({ request }: that request, asked again, was
// answered without a failure, so the overlay can let its failure go).
//
// The app's server entry exports by default either a fetch handler `{ fetch(request) }` (the
// shape of Bun, Deno, Hono, Cloudflare Workers) or a Node request listener / Express-style app
// `(req, res) => …`. Every request reads the entry's exports anew, so a re-evaluated entry
// serves the next request with its new handler; open connections stay open. An uncaught
// exception ends the process (hotloop restarts it and shows why). Stacks are source-mapped by
// Node itself (see `main`).
"use strict";

const net = require("node:net");
const http = require("node:http");
const { Readable } = require("node:stream");
const { pathToFileURL } = require("node:url");
const createNodeRuntime = require("./node.js");

const CHUNK = 1;
const UPDATE = 2;
const READY = 1;
const FRAME = 2;
const FAILURE = 3;
const RECOVERED = 4;

/** Frames a payload: u32 LE length (kind byte + payload), kind, payload. */
function frame(kind, payload) {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : Buffer.from(payload);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32LE(body.length + 1, 0);
  out[4] = kind;
  body.copy(out, 5);
  return out;
}

/** Splits a byte stream into `(kind, payload)` frames. */
function frameReader(onFrame) {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32LE(0);
      if (buffered.length < 4 + length) break;
      const kind = buffered[4];
      const payload = buffered.subarray(5, 4 + length);
      buffered = buffered.subarray(4 + length);
      onFrame(kind, payload);
    }
  };
}

/** The request as the Fetch API's `Request`. */
/** The project root module ids are relative to (ids outside it are `/@fs/<absolute path>`). */
const root = process.env.HOTLOOP_ROOT || process.cwd();

/**
 * A module's `import.meta.url` as Node's own loader would give it: its file's `file:` URL, the
 * id's query kept (`/src/a.ts?raw` → `file:///…/src/a.ts?raw`).
 */
function fileUrlOf(projectRoot, id) {
  const at = id.indexOf("?");
  const query = at < 0 ? "" : id.slice(at);
  return pathToFileURL(fileOf(projectRoot, id)).href + query;
}

/** The path of the file module `id` was compiled from (`import.meta.filename`), query left out. */
function fileOf(projectRoot, id) {
  const at = id.indexOf("?");
  const path = at < 0 ? id : id.slice(0, at);
  return path.startsWith("/@fs/") ? path.slice("/@fs".length) : projectRoot + path;
}

function toRequest(req, origin) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const init = { method: req.method, headers };
  if (req.method !== "GET" && req.method !== "HEAD") {
    init.body = Readable.toWeb(req);
    init.duplex = "half";
  }
  return new Request(new URL(req.url, origin), init);
}

/** Writes a Fetch API `Response` to a Node response, streaming its body. */
async function writeResponse(res, response) {
  const headers = {};
  response.headers.forEach((value, name) => {
    if (name === "set-cookie") return;
    headers[name] = value;
  });
  const cookies = typeof response.headers.getSetCookie === "function" ? response.headers.getSetCookie() : [];
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText, headers);
  if (!response.body) {
    res.end();
    return;
  }
  for await (const chunk of response.body) res.write(chunk);
  res.end();
}

/**
 * The development error answer of a request whose handler failed: a page for a navigation (a
 * request that accepts HTML), the stack as text for any other (`fetch`, curl: an API call
 * that would read an HTML page as its data).
 */
function errorPage(req, res, err, entry) {
  const text = err && err.stack ? String(err.stack) : String(err);
  if (res.headersSent) {
    res.end();
    return;
  }
  if (!/text\/html/i.test(String(req.headers.accept || ""))) {
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    res.end(`The app's server threw while handling this request in ${entry} (hotloop dev):\n${text}\n`);
    return;
  }
  const escaped = text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]);
  res.writeHead(500, { "content-type": "text/html; charset=utf-8" });
  res.end(
    `<!doctype html><title>500: the server threw</title><h1>The app's server threw</h1>` +
      `<p>while handling this request in ${entry} (hotloop dev).</p><pre>${escaped}</pre>`,
  );
}

function main() {
  // Stacks of the app's code name its `.ts` lines: the chunk and every update's factory end in
  // an inline source map (the engine's `host/node_maps.rs`), which Node applies to every
  // stack it formats (uncaught exceptions, `err.stack`, the app's own logs).
  process.setSourceMapsEnabled(true);
  const control = net.connect(process.env.HOTLOOP_CONTROL);
  const send = (kind, payload) => control.write(frame(kind, payload));
  const report = (err, id, context, request) =>
    send(
      FAILURE,
      JSON.stringify({
        id: id || null,
        context: context || null,
        request: request || null,
        message: err && err.message ? String(err.message) : String(err),
        stack: err && err.stack ? String(err.stack) : "",
      }),
    );
  let receive = () => {};
  const runtime = createNodeRuntime({
    transport: {
      send: (bytes) => send(FRAME, bytes),
      onMessage: (listener) => {
        receive = listener;
      },
    },
    origin: `http://127.0.0.1:${process.env.HOTLOOP_SERVER_PORT}`,
    moduleUrl: (id) => fileUrlOf(root, id),
    moduleFile: (id) => fileOf(root, id),
    showError: (id, error) =>
      send(
        FAILURE,
        JSON.stringify({ id, context: error.context || null, message: error.message, stack: error.stack || "" }),
      ),
    logger: {
      info: () => {},
      debug: () => {},
      warn: (...args) => console.warn("[hotloop]", ...args),
      // What the overlay needs comes through `showError`; this is the terminal's line.
      error: (message, err) => console.error("[hotloop]", message, err && err.stack ? err.stack : err || ""),
    },
  });
  let entry = null;
  /** Settles once the entry (and the externals it waits for) evaluated. */
  let started = Promise.resolve();
  globalThis.__hotloop = {
    define: runtime.define,
    start(entries, options) {
      entry = entries[0];
      started = runtime.start(entries, options);
      return started;
    },
  };

  /** `METHOD url` of the requests whose handler failed, until one is answered again. */
  const failedRequests = new Set();
  const handle = async (req, res) => {
    const request = req.method + " " + req.url;
    // Answered below 500 (a listener app may answer after its handler returned): a failure
    // of this request is over.
    res.once("finish", () => {
      if (res.statusCode < 500 && failedRequests.delete(request)) {
        send(RECOVERED, JSON.stringify({ request }));
      }
    });
    let handler;
    try {
      await started;
      const exports = runtime.require(entry);
      handler = exports && exports.__esModule ? exports.default : exports;
    } catch (err) {
      errorPage(req, res, err, entry);
      return;
    }
    try {
      if (typeof handler === "function") {
        await handler(req, res);
      } else if (handler && typeof handler.fetch === "function") {
        const response = await handler.fetch(toRequest(req, `http://${req.headers.host || "localhost"}`));
        if (!(response instanceof Response)) {
          throw new TypeError(`${entry}: fetch() returned ${typeof response}, not a Response`);
        }
        await writeResponse(res, response);
      } else {
        throw new TypeError(
          `${entry} must export default a fetch handler ({ fetch(request) { return new Response(...) } }) ` +
            "or a Node request listener ((req, res) => ...)",
        );
      }
    } catch (err) {
      failedRequests.add(request);
      report(err, entry, "while handling " + request, request);
      errorPage(req, res, err, entry);
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res);
  });

  control.on(
    "data",
    frameReader((kind, payload) => {
      if (kind === CHUNK) {
        const t0 = performance.now();
        // Indirect eval, as update frames' factories are made (`update.js`): Node's own
        // `import()` works inside, which is how the externals load.
        (0, eval)(payload.toString("utf8") + "\n//# sourceURL=hotloop:server-chunk.js");
        const t1 = performance.now();
        // Listen once the entry evaluated (its externals load asynchronously): a request that
        // comes earlier waits in hotloop for the port rather than meeting a half-started app.
        const listen = () => {
          const t2 = performance.now();
          server.listen(Number(process.env.HOTLOOP_SERVER_PORT), "127.0.0.1", () => {
            send(READY, JSON.stringify({ port: server.address().port, eval_ms: t1 - t0, start_ms: t2 - t1 }));
          });
        };
        started.then(listen, listen);
      } else if (kind === UPDATE) {
        receive(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
      }
    }),
  );
  // hotloop went away: so does its server.
  control.on("close", () => process.exit(0));
  control.on("error", () => process.exit(0));
}

module.exports = { frame, frameReader, toRequest, writeResponse };
if (require.main === module) main();
