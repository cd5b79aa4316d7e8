// A web worker's script: the runtime plus the worker's chunk, started with `worker: true`, in a
// global scope without a document, storage or WebSocket.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createWorker } from "./support/page-env.mjs";
import { js } from "./support/modules.mjs";

test("a worker's entry runs with its imports, without import.meta.hot or a server connection", () => {
  const worker = createWorker();
  worker.load(
    [
      js("/src/math.js", {}, `exports.double = (n) => n * 2;`),
      js(
        "/src/worker.js",
        { "./math.js": "/src/math.js" },
        `const { double } = require("./math.js");
globalThis.result = double(21);
globalThis.hot = __hotloop_meta.hot;
globalThis.url = __hotloop_meta.url;
globalThis.mode = __hotloop_meta.env.MODE;
globalThis.secret = __hotloop_meta.env.VITE_KEY;`,
      ),
    ],
    ["/src/worker.js"],
    { env: { VITE_KEY: "k" }, mode: "staging" },
  );
  assert.equal(worker.get("result"), 42);
  assert.equal(worker.get("hot"), undefined);
  assert.equal(worker.get("url"), "http://localhost:5173/src/worker.js");
  assert.equal(worker.get("mode"), "staging");
  assert.equal(worker.get("secret"), "k");
  // Nothing was logged and no timer (reconnect, notice) was set: the worker never connects.
  assert.deepEqual(worker.logs, []);
  assert.equal(worker.timers.length, 0);
});

test("an error thrown by a worker's entry is rethrown uncaught, for the page's worker.onerror", () => {
  const worker = createWorker();
  worker.load([js("/src/worker.js", {}, `throw new Error("bad worker");`)], ["/src/worker.js"]);
  assert.equal(worker.timers.length, 1);
  assert.throws(() => worker.timers[0](), /bad worker/);
});
