// The served script as a whole (every file in ORDER, in a vm page): the globals it defines, a
// second copy, `process.env.NODE_ENV`, and `__hotloop`'s refresh setter reaching the modules.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createPage, runtimeSource } from "./support/page-env.mjs";
import { esm, js } from "./support/modules.mjs";

test("the full script, protocol.js included, defines only the allowed globals", () => {
  const page = createPage();
  const added = Object.getOwnPropertyNames(page.context).filter((name) => !page.globalsBefore.has(name));
  const allowed = new Set(["__hotloop", "HotloopProtocol", "process"]);
  assert.deepEqual(added.filter((name) => !allowed.has(name)), []);
  assert.equal(typeof page.hotloop.define, "function");
  assert.equal(typeof page.hotloop.start, "function");
  assert.equal(typeof page.get("HotloopProtocol").decodeServerMessage, "function");
});

test("loading the runtime a second time keeps the first registry", () => {
  const page = createPage();
  page.load([js("/src/a.js", {}, esm({ v: "v" }, "const v = 1;"))], ["/src/a.js"]);
  page.run(runtimeSource());
  assert.equal(page.get("__hotloop"), page.hotloop);
  assert.equal(page.hotloop.require("/src/a.js").v, 1);
});

test("modules read process.env.NODE_ENV as development, and the page's url is import.meta.url", () => {
  const page = createPage();
  page.load([js("/src/meta.js", {}, "globalThis.seen = [process.env.NODE_ENV, __hotloop_meta.url];")], ["/src/meta.js"]);
  assert.deepEqual(Array.from(page.get("seen")), ["development", "http://localhost:5173/src/meta.js"]);
});

test("$RefreshReg$ and $RefreshSig$ reach the refresh runtime once it is installed", () => {
  const page = createPage();
  page.run(`globalThis.registered = [];
__hotloop.refresh = {
  injectIntoGlobalHook() {},
  isLikelyComponentType() { return false; },
  register(type, id) { registered.push(id); },
  createSignatureFunctionForTransform() { return function sign(type) { return type; }; },
  performReactRefresh() {},
};`);
  page.load(
    [
      js(
        "/src/App.jsx",
        {},
        `var _s = $RefreshSig$();
function App() { _s(); return null; }
_s(App, "abc");
$RefreshReg$(App, "App");`,
      ),
    ],
    ["/src/App.jsx"],
  );
  assert.deepEqual(Array.from(page.get("registered")), ["/src/App.jsx App"]);
});
