// The Node host (runtime/js/node.js) in plain Node: no vm, no DOM, no WebSocket, no storage.
// Modules are defined and started, then an update frame written as the server writes it comes
// through a fake transport: dispose (with data) runs before the new code, accept callbacks
// after, removed modules are pruned, and the ack goes back through the transport.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

import { esm, js } from "./support/modules.mjs";
import { decodeClientFrame, encodeServerMessage } from "./support/server-frames.mjs";

const require = createRequire(import.meta.url);
const createNodeRuntime = require("../js/node.js");

/** A transport as a pipe would be: frames out through `send`, frames in to one listener. */
function fakeTransport() {
  const transport = {
    sent: [],
    listener: null,
    send: (frame) => transport.sent.push(decodeClientFrame(frame)),
    onMessage(listener) {
      transport.listener = listener;
    },
    deliver: (message) => transport.listener(encodeServerMessage(message)),
  };
  return transport;
}

test("this process has no browser globals", () => {
  for (const name of ["window", "document", "location", "WebSocket", "sessionStorage"]) {
    assert.equal(typeof globalThis[name], "undefined", name);
  }
});

test("a hot update through the transport: dispose with data, re-evaluation, accept callbacks, prune, ack", async () => {
  const events = [];
  globalThis.nodeHostEvents = events;
  const counter = (n) =>
    js(
      "/server/counter.js",
      {},
      esm({ value: "value" }, `const value = ${n};
nodeHostEvents.push("eval counter " + value + " data=" + __hotloop_meta.hot.data.runs);
__hotloop_meta.hot.dispose((data) => { data.runs = (data.runs || 0) + 1; nodeHostEvents.push("dispose counter " + value); });`),
    );
  const app = (deps) =>
    js(
      "/server/app.js",
      deps,
      `const counter = require("./counter.js");
nodeHostEvents.push("eval app sees " + counter.value);
__hotloop_meta.hot.accept("./counter.js", (mod) => nodeHostEvents.push("accept app got " + mod.value));`,
    );
  const old = js("/server/old.js", {}, `__hotloop_meta.hot.prune(() => nodeHostEvents.push("prune old"));`);
  const entry = js(
    "/server/entry.js",
    { "./app.js": "/server/app.js", "./old.js": "/server/old.js" },
    `require("./app.js"); require("./old.js");`,
  );

  const transport = fakeTransport();
  const runtime = createNodeRuntime({ transport, origin: "file://" });
  for (const m of [entry, app({ "./counter.js": "/server/counter.js" }), counter(1), old]) {
    runtime.define(m.id, m.deps, (0, eval)(m.code));
  }
  await runtime.start(["/server/entry.js"], { revision: 1, serverId: "s1" });
  assert.deepEqual(events, ["eval counter 1 data=undefined", "eval app sees 1"]);

  transport.deliver({ type: "hello", serverId: "s1", revision: 1 });
  transport.deliver({
    type: "update",
    revision: 2,
    modules: [counter(2)],
    invalidate: ["/server/counter.js"],
    boundaries: [{ id: "/server/app.js", acceptedDep: "/server/counter.js" }],
    removed: ["/server/old.js"],
  });
  await runtime.whenIdle();

  assert.deepEqual(events.slice(2), ["dispose counter 1", "eval counter 2 data=1", "accept app got 2", "prune old"]);
  assert.equal(runtime.require("/server/counter.js").value, 2);
  assert.equal(runtime.inspect().modules["/server/old.js"], undefined);
  assert.equal(runtime.inspect().revision, 2);
  const [ack] = transport.sent;
  assert.deepEqual({ ...ack, applyMs: typeof ack.applyMs }, { kind: "ack", revision: 2, ok: true, applyMs: "number", error: null });
  delete globalThis.nodeHostEvents;
});

test("import.meta.hot.send and invalidate go out through the transport; custom events come in", async () => {
  const transport = fakeTransport();
  const runtime = createNodeRuntime({ transport });
  runtime.define(
    "/server/a.js",
    {},
    (0, eval)(
      js(
        "/server/a.js",
        {},
        `const hot = __hotloop_meta.hot;
exports.pings = [];
hot.on("ping", (data) => exports.pings.push(data.n));
exports.poke = () => { hot.send("poked", { by: "a" }); hot.invalidate("stale"); };`,
      ).code,
    ),
  );
  await runtime.start(["/server/a.js"], { revision: 1, serverId: "s1" });
  transport.deliver({ type: "custom", event: "ping", data: { n: 7 } });
  await runtime.whenIdle();
  const a = runtime.require("/server/a.js");
  assert.deepEqual(a.pings, [7]);
  a.poke();
  assert.deepEqual(transport.sent, [
    { kind: "custom", event: "poked", data: { by: "a" } },
    { kind: "invalidate", id: "/server/a.js", message: "stale" },
  ]);
});

test("a full reload goes to the reload the host was given, with the reason as data", async () => {
  const transport = fakeTransport();
  const reasons = [];
  const runtime = createNodeRuntime({ transport, reload: (reason) => reasons.push(reason) > 0 });
  await runtime.start([], { revision: 1, serverId: "s1" });
  transport.deliver({ type: "hello", serverId: "s2", revision: 1 });
  await runtime.whenIdle();
  assert.deepEqual(reasons, [{ name: "ServerRestarted", code: 10, text: "server restarted" }]);
});

test("an update's factory is named hotloop-server:<id>?rev=<n> in stacks, and no page map URL is added", async () => {
  const transport = fakeTransport();
  const runtime = createNodeRuntime({ transport });
  const thrower = (label) =>
    js("/server/thrower.js", {}, `exports.run = () => { throw new Error(${JSON.stringify(label)}); };`);
  const first = thrower("first");
  runtime.define(first.id, first.deps, (0, eval)(first.code));
  await runtime.start(["/server/thrower.js"], { revision: 1, serverId: "s1" });
  transport.deliver({ type: "hello", serverId: "s1", revision: 1 });
  // The engine puts the module's own map in its code (`host/node_maps.rs`); the page's
  // `/_hotloop/map/...` URL after it would win and point Node nowhere.
  const next = thrower("second");
  const compiled = [];
  const realEval = globalThis.eval;
  globalThis.eval = (source) => {
    compiled.push(source);
    return realEval(source);
  };
  try {
    transport.deliver({
      type: "update",
      revision: 2,
      modules: [next],
      invalidate: ["/server/thrower.js"],
      boundaries: [{ id: "/server/thrower.js", acceptedDep: null }],
    });
    await runtime.whenIdle();
  } finally {
    globalThis.eval = realEval;
  }
  assert.equal(compiled.length, 1);
  assert.ok(compiled[0].endsWith("\n//# sourceURL=hotloop-server:/server/thrower.js?rev=2"), compiled[0]);
  assert.ok(!compiled[0].includes("sourceMappingURL"), compiled[0]);
  assert.throws(() => runtime.require("/server/thrower.js").run(), (err) => {
    assert.equal(err.message, "second");
    assert.match(err.stack.split("\n")[1], /hotloop-server:\/server\/thrower\.js\?rev=2:\d+:\d+/);
    return true;
  });
});

test("an entry that throws at start is reported as the server's start, not a page's", async () => {
  const transport = fakeTransport();
  const shown = [];
  const logged = [];
  const runtime = createNodeRuntime({
    transport,
    showError: (id, error) => shown.push({ id, context: error.context, message: error.message }),
    logger: { info() {}, warn() {}, debug() {}, error: (line) => logged.push(line) },
  });
  const boom = js("/server/boom.js", {}, `throw new Error("no database");`);
  runtime.define(boom.id, boom.deps, (0, eval)(boom.code));
  await runtime.start(["/server/boom.js"], { revision: 1, serverId: "s1" });
  assert.deepEqual(shown, [{ id: "/server/boom.js", context: "while starting the server", message: "no database" }]);
  assert.deepEqual(logged, ["/server/boom.js threw while starting the server"]);
});
