// The server process (runtime/js/server.js) as hotloop runs it: a real `node` child, a real
// control socket, real HTTP requests. The chunk starts a fetch-handler entry that imports an
// external (Node's own `import()`) and a module of the graph; an update frame re-evaluates the
// entry in place: the next request gets the new handler, the process (pid) is the same, and
// `import.meta.hot.data` kept its count.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import { asyncJs, js, SWC } from "./support/modules.mjs";
import { encodeServerMessage } from "./support/server-frames.mjs";

const require = createRequire(import.meta.url);
const { frame, frameReader } = require("../js/server.js");
const SERVER_JS = fileURLToPath(new URL("../js/server.js", import.meta.url));

const define = (m) => `__hotloop.define(${JSON.stringify(m.id)}, ${JSON.stringify(m.deps)}, ${m.code});\n`;

/** An external as the engine emits it (`emit::external_entry`). */
const external = (url) =>
  asyncJs(
    url,
    {},
    `const namespace = await import(${JSON.stringify(url)});
module.exports = Object.defineProperty(Object.assign({}, namespace), "__esModule", { value: true });`,
  );

const counter = (label) =>
  js(
    "/src/server.ts",
    { "node:os": "node:os", "./label.ts": "/src/label.ts" },
    `${SWC.esModule}
const os = require("node:os");
const { label } = require("./label.ts");
const hot = __hotloop_meta.hot;
const state = hot.data.state || { requests: 0 };
hot.dispose((data) => { data.state = state; });
exports.default = {
  fetch(request) {
    state.requests += 1;
    return new Response(JSON.stringify({ label: ${JSON.stringify(label)} + label, requests: state.requests,
      pid: process.pid, ssr: __hotloop_meta.env.SSR, cpus: typeof os.cpus, path: new URL(request.url).pathname }),
      { headers: { "content-type": "application/json", "x-hot": "1" } });
  },
};`,
  );
const label = js("/src/label.ts", {}, `${SWC.esModule}\nexports.label = "!";`);

async function startProcess(t, env = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotloop-server-test-"));
  const socketPath = path.join(dir, "control.sock");
  const frames = [];
  const waiters = [];
  let connection;
  const connected = new Promise((resolve) => {
    const listener = net.createServer((socket) => {
      connection = socket;
      socket.on(
        "data",
        frameReader((kind, payload) => {
          frames.push({ kind, payload: Buffer.from(payload) });
          for (const w of waiters.splice(0)) w();
        }),
      );
      resolve();
    });
    listener.listen(socketPath);
    t.after(() => listener.close());
  });
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const child = spawn(process.execPath, [SERVER_JS], {
    env: { ...process.env, HOTLOOP_CONTROL: socketPath, HOTLOOP_SERVER_PORT: String(port), ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  t.after(() => {
    child.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await connected;
  /** The next frame of `kind` (waits up to 10 s). */
  const next = async (kind) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const i = frames.findIndex((f) => f.kind === kind);
      if (i >= 0) return frames.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`no frame of kind ${kind}: ${JSON.stringify(frames)}`);
      await new Promise((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  return { child, port, next, send: (kind, payload) => connection.write(frame(kind, payload)) };
}

test("a fetch handler served, then re-evaluated in place by an update frame", async (t) => {
  const p = await startProcess(t);
  const chunk =
    define(external("node:os")) +
    define(counter("one")) +
    define(label) +
    `__hotloop.start(["/src/server.ts"], {"server":true,"revision":1,"serverId":"s1"});\n`;
  p.send(1, chunk);
  const ready = JSON.parse((await p.next(1)).payload.toString());
  assert.equal(ready.port, p.port);

  const get = async () => {
    const res = await fetch(`http://127.0.0.1:${p.port}/api/x`);
    assert.equal(res.headers.get("x-hot"), "1");
    return res.json();
  };
  assert.deepEqual(await get(), {
    label: "one!",
    requests: 1,
    pid: p.child.pid,
    ssr: true,
    cpus: "function",
    path: "/api/x",
  });

  p.send(
    2,
    encodeServerMessage({ type: "hello", serverId: "s1", revision: 1 }),
  );
  p.send(
    2,
    encodeServerMessage({
      type: "update",
      revision: 2,
      modules: [counter("two")],
      invalidate: ["/src/server.ts"],
      boundaries: [{ id: "/src/server.ts", acceptedDep: null }],
      removed: [],
    }),
  );
  // The runtime acks the update over the control socket.
  await p.next(2);
  const after = await get();
  assert.equal(after.label, "two!");
  assert.equal(after.requests, 2, "hot.data kept the module's state");
  assert.equal(after.pid, p.child.pid, "the same process");
});

test("a handler that throws answers 500 with the stack and reports it; a listener app works", async (t) => {
  const p = await startProcess(t);
  const app = js(
    "/src/app.js",
    {},
    `${SWC.esModule}
exports.default = (req, res) => {
  if (req.url === "/boom") throw new Error("kaboom in the handler");
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("listener " + req.method + " " + req.url);
};`,
  );
  p.send(1, define(app) + `__hotloop.start(["/src/app.js"], {"server":true,"revision":1,"serverId":"s1"});\n`);
  await p.next(1);
  const ok = await fetch(`http://127.0.0.1:${p.port}/hello`, { method: "POST", body: "x" });
  assert.equal(await ok.text(), "listener POST /hello");
  // An API call gets the stack as text; a navigation, a page.
  const boom = await fetch(`http://127.0.0.1:${p.port}/boom`);
  assert.equal(boom.status, 500);
  assert.match(boom.headers.get("content-type"), /^text\/plain/);
  assert.match(await boom.text(), /^The app's server threw while handling this request in \/src\/app\.js[^]*kaboom in the handler/);
  const failure = JSON.parse((await p.next(3)).payload.toString());
  assert.equal(failure.id, "/src/app.js");
  assert.match(failure.message, /kaboom/);
  const page = await fetch(`http://127.0.0.1:${p.port}/boom`, { headers: { accept: "text/html,*/*;q=0.8" } });
  assert.equal(page.status, 500);
  assert.match(page.headers.get("content-type"), /^text\/html/);
  assert.match(await page.text(), /<h1>The app's server threw<\/h1>[^]*kaboom in the handler/);
});

test("a request whose handler failed, answered again, reports that it recovered (no other request does)", async (t) => {
  const p = await startProcess(t);
  const app = js(
    "/src/app.js",
    {},
    `${SWC.esModule}
let calls = 0;
exports.default = {
  fetch(request) {
    if (new URL(request.url).pathname === "/flaky" && calls++ === 0) throw new Error("flaky once");
    return new Response("fine");
  },
};`,
  );
  p.send(1, define(app) + `__hotloop.start(["/src/app.js"], {"server":true,"revision":1,"serverId":"s1"});\n`);
  await p.next(1);
  const get = (path) => fetch(`http://127.0.0.1:${p.port}${path}`);
  assert.equal((await get("/flaky")).status, 500);
  const failure = JSON.parse((await p.next(3)).payload.toString());
  assert.equal(failure.request, "GET /flaky");
  assert.equal(failure.context, "while handling GET /flaky");
  // Another request's answer says nothing of /flaky's failure.
  assert.equal(await (await get("/other")).text(), "fine");
  assert.equal(await (await get("/flaky")).text(), "fine");
  const recovered = JSON.parse((await p.next(4)).payload.toString());
  assert.deepEqual(recovered, { request: "GET /flaky" });
});

test("import.meta.url is the module's file URL, and an asset's new URL(...) is its file", async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "hotloop-server-root-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, "src"));
  fs.writeFileSync(path.join(root, "src", "logo.png"), "png bytes");
  const p = await startProcess(t, { HOTLOOP_ROOT: root });
  const app = js(
    "/src/app.ts",
    { "./logo.png?url": "/src/logo.png?url" },
    `${SWC.esModule}
const fs = process.getBuiltinModule("node:fs");
const { fileURLToPath } = process.getBuiltinModule("node:url");
const logo = new URL(require.u("./logo.png?url", "./logo.png"), __hotloop_meta.url);
exports.default = {
  fetch() {
    return new Response(JSON.stringify({ url: __hotloop_meta.url, file: fileURLToPath(__hotloop_meta.url),
      filename: __hotloop_meta.filename, dirname: __hotloop_meta.dirname,
      logo: fs.readFileSync(logo, "utf8") }), { headers: { "content-type": "application/json" } });
  },
};`,
  );
  const logoUrl = js("/src/logo.png?url", {}, `module.exports = "/src/logo.png?v=1";`);
  p.send(1, define(app) + define(logoUrl) + `__hotloop.start(["/src/app.ts"], {"server":true,"revision":1,"serverId":"s1"});\n`);
  await p.next(1);
  const res = await fetch(`http://127.0.0.1:${p.port}/`);
  const body = await res.json();
  assert.equal(body.file, path.join(root, "src", "app.ts"));
  assert.equal(body.filename, path.join(root, "src", "app.ts"), "import.meta.filename, as Node's");
  assert.equal(body.dirname, path.join(root, "src"), "import.meta.dirname");
  assert.ok(body.url.startsWith("file://"), body.url);
  assert.equal(body.logo, "png bytes", "the asset's URL is its file, readable with fs");
});
