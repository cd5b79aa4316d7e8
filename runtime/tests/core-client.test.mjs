// The core's client side in plain Node against a recording host: the hello's checks and the
// full reloads the core decides on (reasons as data, from reload-reasons.js), reloads the host
// refuses, and what is sent while disconnected.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createTestRuntime, SERVER_ID } from "./support/core-env.mjs";
import { PROTOCOL_VERSION } from "./support/server-frames.mjs";
import { js } from "./support/modules.mjs";

const app = js("/src/main.js", {}, `globalThis.events = [];
__hotloop_meta.hot.on("vite:beforeFullReload", (p) => events.push(p.reason));`);

const hellos = [
  ["another protocol version", { protocol: PROTOCOL_VERSION + 1 }, { name: "ProtocolMismatch", code: 9, text: "the server speaks another protocol version" }],
  ["another server instance", { serverId: "server-2" }, { name: "ServerRestarted", code: 10, text: "server restarted" }],
  ["another revision", { revision: 4 }, { name: "MissedUpdates", code: 6, text: "the page missed updates" }],
];
for (const [what, fields, reason] of hellos) {
  test(`a hello from ${what} asks the host to reload, with the reason as data`, async () => {
    const rt = createTestRuntime();
    await rt.load([app], ["/src/main.js"], { revision: 3 });
    rt.core.connected({});
    await rt.receive({ type: "hello", serverId: SERVER_ID, revision: 3, ...fields });
    assert.deepEqual(rt.reloads, [reason]);
    assert.deepEqual(rt.get("events"), [reason.text]);
  });
}

test("a FullReload message carries the engine's code and text to the host", async () => {
  const rt = createTestRuntime();
  await rt.boot([app], ["/src/main.js"]);
  await rt.receive({ type: "full-reload", revision: 2, reasonCode: 3, reason: "index.html changed" });
  assert.deepEqual(rt.reloads, [{ name: "Server", code: 3, text: "index.html changed" }]);
  // Once reloading, later messages are not handled.
  await rt.receive({ type: "full-reload", revision: 3, reasonCode: 7, reason: "" });
  assert.equal(rt.reloads.length, 1);
});

test("a reload the host refuses emits no vite:beforeFullReload and keeps handling messages", async () => {
  const rt = createTestRuntime({ allowReload: false });
  await rt.boot([app], ["/src/main.js"]);
  await rt.receive({ type: "full-reload", revision: 2, reasonCode: 7, reason: "" });
  assert.deepEqual(rt.reloads.map((r) => r.text), ["requested by the server"]);
  assert.deepEqual(rt.get("events"), []);
  await rt.receive({ type: "full-reload", revision: 3, reasonCode: 7, reason: "again" });
  assert.equal(rt.reloads.length, 2);
});

test("connect and disconnect are lifecycle lines; an ack for a dead connection is dropped", async () => {
  const rt = createTestRuntime();
  const v = (n) => js("/src/a.js", {}, `globalThis.version = ${n}; __hotloop_meta.hot.accept();`);
  await rt.boot([v(1)], ["/src/a.js"]);
  rt.core.disconnected({});
  const ack = await rt.update({ revision: 2, modules: [v(2)], invalidate: ["/src/a.js"], boundaries: [{ id: "/src/a.js", acceptedDep: null }] });
  assert.equal(rt.get("version"), 2, "applied");
  assert.equal(ack, undefined, "not acked");
  rt.core.connected({});
  assert.deepEqual(rt.frames, []);
  assert.deepEqual(rt.lifecycle(), ["connected", "disconnected", "updated /src/a.js", "reconnected"]);
});
