// The core, in plain Node against a recording host: import.meta.hot and update frames (accept
// forms, propagation, data, dispose, prune, invalidate, events, failures, ordering).

import { test } from "node:test";
import assert from "node:assert/strict";

import { createTestRuntime } from "./support/core-env.mjs";
import { esm, js } from "./support/modules.mjs";
import { encodeServerMessage } from "./support/server-frames.mjs";

const self = (id) => ({ id, acceptedDep: null });

/** A self-accepting module whose `value` export is `value`. */
function selfAccepting(id, value, extra = "") {
  return js(
    id,
    {},
    esm({ value: "value" }, `const value = ${JSON.stringify(value)};
globalThis.evaluations = (globalThis.evaluations || 0) + 1;
__hotloop_meta.hot.accept((mod) => { globalThis.accepted = mod.value; });
${extra}`),
  );
}

test("accept() with a callback: the module re-evaluates and the callback gets the new exports", async () => {
  const rt = createTestRuntime();
  await rt.boot([selfAccepting("/src/a.js", 1)], ["/src/a.js"]);
  const ack = await rt.update({
    revision: 2,
    modules: [selfAccepting("/src/a.js", 2)],
    invalidate: ["/src/a.js"],
    boundaries: [self("/src/a.js")],
  });
  assert.equal(rt.get("accepted"), 2);
  assert.equal(rt.get("evaluations"), 2);
  assert.equal(rt.require("/src/a.js").value, 2);
  assert.equal(ack.revision, 2);
  assert.equal(ack.ok, true);
  assert.equal(ack.error, null);
  assert.equal(typeof ack.applyMs, "number");
  assert.ok(ack.applyMs >= 0);
  assert.deepEqual(rt.lifecycle(), ["connected", "updated /src/a.js"]);
});

test("a page whose CSP forbids eval and whose host cannot load the update as scripts reloads for it", async () => {
  const rt = createTestRuntime();
  await rt.boot([selfAccepting("/src/a.js", 1)], ["/src/a.js"]);
  // What Chromium throws for eval under `script-src 'self'`.
  // The runtime runs in this realm (`support/core-env.mjs`): its `eval` is this one.
  const realEval = globalThis.eval;
  globalThis.eval = () => {
    throw new EvalError("Evaluating a string as JavaScript violates the Content Security Policy");
  };
  try {
    await rt.update({
      revision: 2,
      modules: [selfAccepting("/src/a.js", 2)],
      invalidate: ["/src/a.js"],
      boundaries: [self("/src/a.js")],
    });
  } finally {
    globalThis.eval = realEval;
  }
  assert.deepEqual(
    rt.reloads.map((r) => [r.name, r.code]),
    [["EvalBlocked", 13]],
  );
  assert.equal(rt.get("evaluations"), 1, "nothing ran with a half-installed update");
});

/** Runs `body` with this realm's `eval` (the runtime's) throwing as under a strict CSP; returns the tries. */
async function withEvalBlocked(body) {
  const realEval = globalThis.eval;
  let tries = 0;
  globalThis.eval = () => {
    tries++;
    throw new EvalError("Evaluating a string as JavaScript violates the Content Security Policy");
  };
  try {
    await body(realEval);
  } finally {
    globalThis.eval = realEval;
  }
  return tries;
}

test("under a CSP that forbids eval an update's factories load as scripts, state kept", async () => {
  const requests = [];
  let makeFactory = null;
  let scripts = new Map();
  const rt = createTestRuntime({
    // The page's `<script src=/_hotloop/factory.js?id=…&v=…>`: the server's code for that revision.
    loadFactory: async (id, revision) => {
      requests.push([id, revision]);
      return makeFactory(scripts.get(`${revision} ${id}`));
    },
  });
  const counter = (n) =>
    js("/src/a.js", {}, `__hotloop_meta.hot.data.runs = (__hotloop_meta.hot.data.runs || 0) + 1; globalThis.version = ${n}; globalThis.runs = __hotloop_meta.hot.data.runs; __hotloop_meta.hot.accept(); __hotloop_meta.hot.dispose((d) => { d.runs = globalThis.runs; });`);
  await rt.boot([counter(1)], ["/src/a.js"]);
  const tries = await withEvalBlocked(async (realEval) => {
    makeFactory = (code) => realEval(code);
    for (const revision of [2, 3]) {
      const m = counter(revision);
      scripts.set(`${revision} /src/a.js`, m.code);
      const ack = await rt.update({ revision, modules: [m], invalidate: ["/src/a.js"], boundaries: [self("/src/a.js")] });
      assert.equal(ack.ok, true, ack.error);
    }
  });
  assert.deepEqual(rt.reloads, []);
  assert.equal(rt.get("version"), 3);
  assert.equal(rt.get("runs"), 3, "the module's hot.data lived through both updates");
  assert.deepEqual(requests, [["/src/a.js", 2], ["/src/a.js", 3]]);
  assert.equal(tries, 1, "eval is tried once: the second update goes straight to scripts");
});

test("an update whose scripts do not load (a newer one replaced its code) reloads, installing none", async () => {
  const rt = createTestRuntime({
    loadFactory: async (id, revision) => {
      if (id === "/src/b.js") throw new Error(`hotloop: ${id} is at revision 3, not ${revision}`);
      return () => {
        globalThis.ran = true;
      };
    },
  });
  await rt.boot([selfAccepting("/src/a.js", 1), selfAccepting("/src/b.js", 1)], ["/src/a.js", "/src/b.js"]);
  await withEvalBlocked(() =>
    rt.update({
      revision: 2,
      modules: [selfAccepting("/src/a.js", 2), selfAccepting("/src/b.js", 2)],
      invalidate: ["/src/a.js", "/src/b.js"],
      boundaries: [self("/src/a.js"), self("/src/b.js")],
    }),
  );
  assert.deepEqual(rt.reloads.map((r) => r.name), ["EvalBlocked"]);
  assert.equal(rt.get("ran"), undefined, "no factory of the update was installed");
  assert.ok(rt.logs.some((l) => l.level === "error" && l.text.includes("is at revision 3, not 2")), JSON.stringify(rt.logs));
});

test("accept() without arguments also re-evaluates the module", async () => {
  const rt = createTestRuntime();
  const v = (n) => js("/src/a.js", {}, `globalThis.version = ${n}; __hotloop_meta.hot.accept();`);
  await rt.boot([v(1)], ["/src/a.js"]);
  const ack = await rt.update({ revision: 2, modules: [v(2)], invalidate: ["/src/a.js"], boundaries: [self("/src/a.js")] });
  assert.equal(rt.get("version"), 2);
  assert.equal(ack.ok, true);
});

test("accept(dep, cb): the dependency re-evaluates, the importer does not, cb gets the new module", async () => {
  const rt = createTestRuntime();
  const dep = (n) => js("/src/dep.js", {}, esm({ value: "value" }, `const value = ${n};`));
  const main = js(
    "/src/main.js",
    { "./dep.js": "/src/dep.js" },
    `const _dep = require("./dep.js");
globalThis.mainRuns = (globalThis.mainRuns || 0) + 1;
__hotloop_meta.hot.accept("./dep.js", (mod) => { globalThis.got = mod.value; });`,
  );
  await rt.boot([main, dep(1)], ["/src/main.js"]);
  const ack = await rt.update({
    revision: 2,
    modules: [dep(2)],
    invalidate: ["/src/dep.js"],
    boundaries: [{ id: "/src/main.js", acceptedDep: "/src/dep.js" }],
  });
  assert.equal(ack.ok, true);
  assert.equal(rt.get("got"), 2);
  assert.equal(rt.get("mainRuns"), 1);
  assert.deepEqual(rt.lifecycle(), ["connected", "updated /src/main.js"]);
});

test("accept([a, b], cb): cb gets an array with the new module at the updated position", async () => {
  const rt = createTestRuntime();
  const mod = (id, n) => js(id, {}, esm({ value: "value" }, `const value = ${n};`));
  const main = js(
    "/src/main.js",
    { "./a.js": "/src/a.js", "./b.js": "/src/b.js" },
    `require("./a.js"); require("./b.js");
globalThis.calls = [];
__hotloop_meta.hot.accept(["./a.js", "./b.js"], (mods) => {
  calls.push(mods.map((m) => (m === undefined ? "undefined" : m.value)));
});`,
  );
  await rt.boot([main, mod("/src/a.js", 1), mod("/src/b.js", 1)], ["/src/main.js"]);
  await rt.update({
    revision: 2,
    modules: [mod("/src/b.js", 2)],
    invalidate: ["/src/b.js"],
    boundaries: [{ id: "/src/main.js", acceptedDep: "/src/b.js" }],
  });
  assert.deepEqual(JSON.parse(JSON.stringify(rt.get("calls"))), [["undefined", 2]]);
});

test("a change propagates through a non-accepting middle module: it re-evaluates, no stale value", async () => {
  const rt = createTestRuntime();
  const leaf = (n) => js("/src/leaf.js", {}, esm({ value: "value" }, `const value = ${n};`));
  const mid = js(
    "/src/mid.js",
    { "./leaf.js": "/src/leaf.js" },
    esm({ label: "label" }, `const _leaf = require("./leaf.js");
globalThis.midRuns = (globalThis.midRuns || 0) + 1;
const label = "mid:" + _leaf.value;`),
  );
  const app = js(
    "/src/app.js",
    { "./mid.js": "/src/mid.js" },
    `const _mid = require("./mid.js");
globalThis.shown = _mid.label;
__hotloop_meta.hot.accept();`,
  );
  const main = js("/src/main.js", { "./app.js": "/src/app.js" }, `require("./app.js");`);
  await rt.boot([main, app, mid, leaf(1)], ["/src/main.js"]);
  assert.equal(rt.get("shown"), "mid:1");
  const ack = await rt.update({
    revision: 2,
    modules: [leaf(2)],
    invalidate: ["/src/leaf.js", "/src/mid.js", "/src/app.js"],
    boundaries: [self("/src/app.js")],
  });
  assert.equal(ack.ok, true);
  assert.equal(rt.get("shown"), "mid:2");
  assert.equal(rt.get("midRuns"), 2);
});

test("hot.data survives re-evaluation and dispose runs (with it) before the new code", async () => {
  const rt = createTestRuntime();
  const v = (n) =>
    js(
      "/src/a.js",
      {},
      `const hot = __hotloop_meta.hot;
globalThis.events = globalThis.events || [];
events.push("eval " + ${n} + " count=" + hot.data.count);
hot.data.count = (hot.data.count || 0) + 1;
globalThis.dataObjects = (globalThis.dataObjects || []).concat([hot.data]);
hot.dispose((data) => { events.push("dispose " + ${n} + " count=" + data.count); });
hot.accept();`,
    );
  await rt.boot([v(1)], ["/src/a.js"]);
  await rt.update({ revision: 2, modules: [v(2)], invalidate: ["/src/a.js"], boundaries: [self("/src/a.js")] });
  assert.deepEqual(Array.from(rt.get("events")), ["eval 1 count=undefined", "dispose 1 count=1", "eval 2 count=1"]);
  const [first, second] = rt.get("dataObjects");
  assert.equal(first, second, "the same data object across evaluations");
});

test("removed modules: prune runs with data, the record and its listeners go", async () => {
  const rt = createTestRuntime();
  const gone = js(
    "/src/gone.js",
    {},
    `__hotloop_meta.hot.data.note = "kept";
__hotloop_meta.hot.prune((data) => { globalThis.pruned = data.note; });
__hotloop_meta.hot.on("ping", () => { globalThis.gonePinged = true; });`,
  );
  const main = js("/src/main.js", { "./gone.js": "/src/gone.js" }, `require("./gone.js"); __hotloop_meta.hot.accept();`);
  await rt.boot([main, gone], ["/src/main.js"]);
  const ack = await rt.update({
    revision: 2,
    modules: [js("/src/main.js", {}, `__hotloop_meta.hot.accept();`)],
    invalidate: ["/src/main.js"],
    boundaries: [self("/src/main.js")],
    removed: ["/src/gone.js"],
  });
  assert.equal(ack.ok, true);
  assert.equal(rt.get("pruned"), "kept");
  assert.equal(rt.inspect().modules["/src/gone.js"], undefined);
  await rt.receive({ type: "custom", event: "ping", data: null });
  assert.equal(rt.get("gonePinged"), undefined);
});

test("invalidate() emits vite:invalidate and sends Invalidate to the server", async () => {
  const rt = createTestRuntime();
  const a = js(
    "/src/a.js",
    {},
    esm({ invalidate: "invalidate" }, `__hotloop_meta.hot.on("vite:invalidate", (p) => { globalThis.seen = p.path + " " + p.message; });
function invalidate() { __hotloop_meta.hot.invalidate("exports changed"); }`),
  );
  await rt.boot([a], ["/src/a.js"]);
  rt.require("/src/a.js").invalidate();
  assert.equal(rt.get("seen"), "/src/a.js exports changed");
  assert.deepEqual(rt.sent("invalidate"), [{ kind: "invalidate", id: "/src/a.js", message: "exports changed" }]);
});

test("messages sent while disconnected go out once connected", async () => {
  const rt = createTestRuntime();
  rt.load(
    [js("/src/a.js", {}, `__hotloop_meta.hot.invalidate(); __hotloop_meta.hot.send("early", { n: 1 });`)],
    ["/src/a.js"],
  );
  assert.deepEqual(rt.frames, []);
  await rt.connect();
  assert.deepEqual(rt.frames, [
    { kind: "invalidate", id: "/src/a.js", message: null },
    { kind: "custom", event: "early", data: { n: 1 } },
  ]);
});

test("decline() is a no-op (as in Vite) and the module keeps working", async () => {
  const rt = createTestRuntime();
  await rt.boot(
    [js("/src/a.js", {}, esm({ value: "value" }, `__hotloop_meta.hot.decline(); const value = 7;`))],
    ["/src/a.js"],
  );
  assert.equal(rt.require("/src/a.js").value, 7);
  assert.deepEqual([...rt.errors.keys()], []);
});

test("on/off/send, custom events and the vite:* update events around the accept callback", async () => {
  const rt = createTestRuntime();
  const v = (n) =>
    js(
      "/src/a.js",
      {},
      `const hot = __hotloop_meta.hot;
globalThis.events = globalThis.events || [];
hot.on("vite:beforeUpdate", (p) => events.push("before v${n} " + JSON.stringify(p.updates.map((u) => [u.type, u.path, u.acceptedPath, typeof u.timestamp]))));
hot.on("vite:afterUpdate", (p) => events.push("after v${n} " + p.type));
const greet = (data) => events.push("greeting v${n} " + data.name);
hot.on("greeting", greet);
globalThis.stopGreeting = () => hot.off("greeting", greet);
globalThis.sendPing = () => hot.send("ping", { n: ${n} });
hot.accept(() => events.push("accept"));`,
    );
  await rt.boot([v(1)], ["/src/a.js"]);
  await rt.receive({ type: "custom", event: "greeting", data: { name: "ada" } });
  await rt.update({ revision: 2, modules: [v(2)], invalidate: ["/src/a.js"], boundaries: [self("/src/a.js")] });
  assert.deepEqual(Array.from(rt.get("events")), [
    "greeting v1 ada",
    'before v1 [["js-update","/src/a.js","/src/a.js","number"]]',
    "accept",
    "after v2 update",
  ]);
  // The re-evaluated module's listeners replaced the old ones; off() removes one.
  rt.get("events").length = 0;
  await rt.receive({ type: "custom", event: "greeting", data: { name: "grace" } });
  rt.get("stopGreeting")();
  await rt.receive({ type: "custom", event: "greeting", data: { name: "nobody" } });
  assert.deepEqual(Array.from(rt.get("events")), ["greeting v2 grace"]);
  rt.get("sendPing")();
  assert.deepEqual(rt.sent("custom"), [{ kind: "custom", event: "ping", data: { n: 2 } }]);
});

test("a throwing re-evaluation keeps the old module, shows the error and acks ok=false", async () => {
  const rt = createTestRuntime();
  const leaf = (body) => js("/src/leaf.js", {}, esm({ value: "value" }, body));
  const app = js(
    "/src/app.js",
    { "./leaf.js": "/src/leaf.js" },
    esm({ shown: "shown" }, `const _leaf = require("./leaf.js");
const shown = _leaf.value;
__hotloop_meta.hot.accept();`),
  );
  await rt.boot([app, leaf("const value = 1;")], ["/src/app.js"]);
  const oldApp = rt.require("/src/app.js");

  const ack = await rt.update({
    revision: 2,
    modules: [leaf(`throw new Error("leaf broke");`)],
    invalidate: ["/src/leaf.js", "/src/app.js"],
    boundaries: [self("/src/app.js")],
  });
  assert.equal(ack.ok, false);
  assert.equal(ack.error, "leaf broke");
  assert.equal(rt.reloads.length, 0);
  assert.equal(rt.require("/src/app.js"), oldApp, "the old exports stay in place");
  assert.equal(rt.require("/src/leaf.js").value, 1);
  assert.deepEqual(rt.inspect().modules, { "/src/app.js": "evaluated", "/src/leaf.js": "evaluated" });
  assert.deepEqual([...rt.errors.keys()], ["/src/leaf.js"], "shown as the leaf's error");
  assert.equal(rt.errors.get("/src/leaf.js").message, "leaf broke");
  assert.match(rt.errors.get("/src/leaf.js").stack, /Error: leaf broke\n\s+at /, "the stack is shown");
  assert.ok(!rt.lifecycle().includes("updated /src/app.js"));

  const fixed = await rt.update({
    revision: 3,
    modules: [leaf("const value = 3;")],
    invalidate: ["/src/leaf.js", "/src/app.js"],
    boundaries: [self("/src/app.js")],
  });
  assert.equal(fixed.ok, true);
  assert.equal(rt.require("/src/app.js").shown, 3);
  assert.deepEqual([...rt.errors.keys()], [], "the error is cleared once the module evaluates");
});

test("a throwing accept callback keeps the page and acks ok=false", async () => {
  const rt = createTestRuntime();
  const v = (n) => js("/src/a.js", {}, `__hotloop_meta.hot.accept(() => { throw new Error("callback ${n} failed"); });`);
  await rt.boot([v(1)], ["/src/a.js"]);
  const ack = await rt.update({ revision: 2, modules: [v(2)], invalidate: ["/src/a.js"], boundaries: [self("/src/a.js")] });
  assert.equal(ack.ok, false);
  assert.equal(ack.error, "callback 1 failed");
  assert.equal(rt.reloads.length, 0);
  assert.match(rt.errors.get("/src/a.js").message, /callback 1 failed/);
  assert.equal(rt.errors.get("/src/a.js").context, "in its hot.accept() callback");
});

test("inside an import cycle an update is applied, and a throwing one falls back to a full reload", async () => {
  const rt = createTestRuntime();
  const a = js(
    "/src/a.js",
    { "./b.js": "/src/b.js" },
    esm({ name: "name", fromB: "fromB" }, `const _b = require("./b.js");
const name = "a";
const fromB = _b.describe();
__hotloop_meta.hot.accept();`),
  );
  const b = (body) =>
    js(
      "/src/b.js",
      { "./a.js": "/src/a.js" },
      esm({ describe: "describe" }, `const _a = require("./a.js");
${body}`),
    );
  await rt.boot([a, b(`function describe() { return "v1 sees " + _a.name; }`)], ["/src/a.js"]);
  assert.equal(rt.require("/src/a.js").fromB, "v1 sees a");

  const ok = await rt.update({
    revision: 2,
    modules: [b(`function describe() { return "v2 sees " + _a.name; }`)],
    invalidate: ["/src/b.js", "/src/a.js"],
    boundaries: [self("/src/a.js")],
  });
  assert.equal(ok.ok, true);
  assert.equal(rt.require("/src/a.js").fromB, "v2 sees a");
  assert.equal(rt.reloads.length, 0);

  const failed = await rt.update({
    revision: 3,
    modules: [b(`throw new Error("cycle broke");`)],
    invalidate: ["/src/b.js", "/src/a.js"],
    boundaries: [self("/src/a.js")],
  });
  assert.equal(failed, undefined, "no ack: the page reloads");
  assert.equal(rt.reloads.length, 1);
  assert.equal(rt.reloads[0].name, "CycleUpdateFailed");
  assert.match(rt.reloads[0].text, /import cycle.*cycle broke/);
});

test("updates apply strictly in order, even when a dispose callback is async", async () => {
  const rt = createTestRuntime();
  const v = (n) =>
    js(
      "/src/a.js",
      {},
      esm({ value: "value" }, `const value = ${n};
globalThis.events = globalThis.events || [];
events.push("eval ${n}");
__hotloop_meta.hot.dispose(() => {
  events.push("dispose ${n}");
  if (${n} === 1) return new Promise((resolve) => { globalThis.release = resolve; });
});
__hotloop_meta.hot.accept();`),
    );
  await rt.boot([v(1)], ["/src/a.js"]);
  const update = (n) => ({
    type: "update",
    revision: n,
    modules: [v(n)],
    invalidate: ["/src/a.js"],
    boundaries: [self("/src/a.js")],
    removed: [],
    cssLinks: [],
    changedFiles: ["/src/a.js"],
  });
  rt.core.receive(encodeServerMessage(update(2)));
  rt.core.receive(encodeServerMessage(update(3)));
  // Let the first update reach its pending dispose.
  while (typeof rt.get("release") !== "function") await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(Array.from(rt.get("events")), ["eval 1", "dispose 1"]);
  rt.get("release")();
  await rt.core.whenIdle();
  assert.deepEqual(Array.from(rt.get("events")), ["eval 1", "dispose 1", "eval 2", "dispose 2", "eval 3"]);
  assert.deepEqual(rt.sent("ack").map((a) => a.revision), [2, 3]);
  assert.equal(rt.require("/src/a.js").value, 3);
});

test("an update whose revision the page already has is ignored", async () => {
  const rt = createTestRuntime();
  await rt.boot([selfAccepting("/src/a.js", 1)], ["/src/a.js"], { revision: 5 });
  const ack = await rt.update({
    revision: 5,
    modules: [selfAccepting("/src/a.js", 2)],
    invalidate: ["/src/a.js"],
    boundaries: [self("/src/a.js")],
  });
  assert.equal(ack, undefined);
  assert.equal(rt.require("/src/a.js").value, 1);
});

test("boundaries never loaded in this tab are skipped; their new factory is used when loaded", async () => {
  const rt = createTestRuntime();
  const lazy = (n) => selfAccepting("/src/lazy.js", n);
  const main = js("/src/main.js", { "./lazy.js": "/src/lazy.js" }, `globalThis.load = () => require("./lazy.js");`);
  await rt.boot([main, lazy(1)], ["/src/main.js"]);
  const ack = await rt.update({ revision: 2, modules: [lazy(2)], invalidate: ["/src/lazy.js"], boundaries: [self("/src/lazy.js")] });
  assert.equal(ack.ok, true);
  assert.deepEqual(rt.lifecycle(), ["connected"]);
  assert.equal(rt.get("evaluations"), undefined);
  assert.equal(rt.get("load")().value, 2);
});

test("new modules in an update are defined and required by the re-evaluated importer", async () => {
  const rt = createTestRuntime();
  const main = (body, deps) => js("/src/main.js", deps, `${body}\n__hotloop_meta.hot.accept();`);
  await rt.boot([main(`globalThis.text = "alone";`, {})], ["/src/main.js"]);
  const ack = await rt.update({
    revision: 2,
    modules: [
      main(`globalThis.text = require("./fresh.js").text;`, { "./fresh.js": "/src/fresh.js" }),
      js("/src/fresh.js", {}, esm({ text: "text" }, `const text = "fresh";`)),
    ],
    invalidate: ["/src/main.js"],
    boundaries: [self("/src/main.js")],
  });
  assert.equal(ack.ok, true);
  assert.equal(rt.get("text"), "fresh");
});

test("a page whose start failed retries its entries after an update fixes the module", async () => {
  const rt = createTestRuntime();
  const leaf = (body) => js("/src/leaf.js", {}, esm({ value: "value" }, body));
  const main = js("/src/main.js", { "./leaf.js": "/src/leaf.js" }, `globalThis.started = require("./leaf.js").value;`);
  await rt.boot([main, leaf(`throw new Error("not yet");`)], ["/src/main.js"]);
  assert.equal(rt.inspect().modules["/src/main.js"], "failed");
  assert.match(rt.errors.get("/src/leaf.js").message, /not yet/);
  const ack = await rt.update({
    revision: 2,
    modules: [leaf("const value = 1;")],
    invalidate: ["/src/leaf.js", "/src/main.js"],
    boundaries: [],
  });
  assert.equal(ack.ok, true);
  assert.equal(rt.get("started"), 1);
  assert.deepEqual([...rt.errors.keys()], []);
  assert.ok(rt.lifecycle().includes("updated /src/main.js"));
});

test("invalid accept() usage throws", async () => {
  const rt = createTestRuntime();
  rt.load(
    [js("/src/a.js", {}, `try { __hotloop_meta.hot.accept(42); } catch (err) { globalThis.message = err.message; }`)],
    ["/src/a.js"],
  );
  assert.equal(rt.get("message"), "invalid hot.accept() usage");
});

test("hotloop:server-update: listeners hear it; a server-rendered page without one reloads unless it has every changed module", async () => {
  const page = (listen) =>
    js(
      "/src/client.js",
      {},
      listen
        ? `globalThis.serverUpdates = []; __hotloop_meta.hot.on("hotloop:server-update", (d) => serverUpdates.push(d.modules.join()));`
        : ``,
    );
  const serverOnly = { revision: 3, modules: ["/src/api.ts"] };
  const shared = { revision: 4, modules: ["/src/client.js"] };

  const listening = createTestRuntime();
  await listening.boot([page(true)], ["/src/client.js"], { serverRendered: true });
  await listening.receive({ type: "custom", event: "hotloop:server-update", data: serverOnly });
  assert.deepEqual(listening.get("serverUpdates"), ["/src/api.ts"]);
  assert.deepEqual(listening.reloads, []);

  const deaf = createTestRuntime();
  await deaf.boot([page(false)], ["/src/client.js"], { serverRendered: true });
  // A change the page took as a hot update of its own: its HTML is no staler than its code.
  await deaf.receive({ type: "custom", event: "hotloop:server-update", data: shared });
  assert.deepEqual(deaf.reloads, []);
  await deaf.receive({ type: "custom", event: "hotloop:server-update", data: serverOnly });
  assert.deepEqual(
    deaf.reloads.map((r) => [r.name, r.code]),
    [["ServerUpdated", 12]],
  );

  // A page from index.html (not server-rendered) never reloads for the server.
  const spa = createTestRuntime();
  await spa.boot([page(false)], ["/src/client.js"]);
  await spa.receive({ type: "custom", event: "hotloop:server-update", data: serverOnly });
  assert.deepEqual(spa.reloads, []);
});

test("a URL module no module imports any more is dropped, and the error it showed with it", async () => {
  const rt = createTestRuntime();
  const bad = "data:text/javascript,export const n = = 1;";
  const good = "data:text/javascript,export const n = 2;";
  const main = (url) =>
    js(
      "/src/main.js",
      { [url]: url },
      `globalThis.seen = require(${JSON.stringify(url)}).n;
__hotloop_meta.hot.accept();`,
    );
  await rt.boot([main(good)], ["/src/main.js"]);
  assert.equal(rt.get("seen"), 2);
  await rt.update({ revision: 2, modules: [main(bad)], invalidate: ["/src/main.js"], boundaries: [self("/src/main.js")] });
  assert.ok(rt.errors.has(bad), "the URL that does not load is shown");
  const shown = String(rt.errors.get(bad)?.message ?? rt.errors.get(bad));
  assert.match(shown, /^Cannot load data:text\/javascript,export const n = = 1; imported by \/src\/main\.js: /, shown);
  await rt.update({ revision: 3, modules: [main(good)], invalidate: ["/src/main.js"], boundaries: [self("/src/main.js")] });
  assert.equal(rt.get("seen"), 2);
  assert.deepEqual([...rt.errors.keys()], [], "nothing imports the bad URL now: its error is gone");
  assert.equal(rt.inspect().modules[bad], undefined);
});

/** RefreshHooks that record what the core asks: every module is a component module. */
function recordingRefresh(events) {
  return {
    runtime: () => ({ register() {} }),
    evaluated() {},
    boundaryProblem: () => null,
    perform() {
      events.push("refresh");
      return [];
    },
    nextTask() {
      events.push("wait for the next task");
      return new Promise((resolve) => setImmediate(resolve)).then(() => events.push("next task"));
    },
  };
}

test("after an update whose accept callbacks ran, the refresh waits for the host's next task; components alone refresh at once", async () => {
  const events = [];
  const component = (n) =>
    js("/src/Home.jsx", {}, esm({ default: "Home" }, `function Home() { return ${n}; }\n$RefreshReg$(Home, "Home");\n__hotloop_meta.hot.accept();`));
  // A route module as TanStack Router's plugin writes it: an accept callback that starts work
  // the component then reads (loading the new loader's data), done in a later task.
  const route = (n) =>
    js(
      "/src/route.js",
      {},
      esm({ loader: "loader" }, `const loader = ${n};
__hotloop_meta.hot.accept(() => { setImmediate(() => refreshTestEvents.push("loader data")); });`),
    );
  const main = js("/src/main.js", { "./route.js": "/src/route.js", "./Home.jsx": "/src/Home.jsx" }, `require("./route.js"); require("./Home.jsx");`);
  const rt = createTestRuntime({ refresh: recordingRefresh(events) });
  globalThis.refreshTestEvents = events;
  await rt.boot([main, route(1), component(1)], ["/src/main.js"]);

  await rt.update({
    revision: 2,
    modules: [route(2), component(2)],
    invalidate: ["/src/route.js", "/src/Home.jsx"],
    boundaries: [{ id: "/src/route.js", acceptedDep: null }, { id: "/src/Home.jsx", acceptedDep: null }],
  });
  assert.deepEqual(events, ["wait for the next task", "loader data", "next task", "refresh"]);

  events.length = 0;
  await rt.update({
    revision: 3,
    modules: [component(3)],
    invalidate: ["/src/Home.jsx"],
    boundaries: [{ id: "/src/Home.jsx", acceptedDep: null }],
  });
  assert.deepEqual(events, ["refresh"]);
  delete globalThis.refreshTestEvents;
});
