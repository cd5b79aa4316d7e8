// What a Preact render throws after a hot update (preact-renders.js): prefresh's accept callback
// marks the edited component and Preact re-renders it in a microtask after the callback, where
// an error no error boundary takes goes through `options.__e` and is thrown (an "Uncaught (in
// promise)" console line alone, before session 50). A stand-in Preact does the same: its
// `forceUpdate` queues a render in a microtask, whose error `options.__e` throws.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createPage } from "./support/page-env.mjs";
import { esm, js } from "./support/modules.mjs";

const PREACT_ID = "/node_modules/preact/dist/preact.module.js";

const preact = js(PREACT_ID, {}, esm(
  { options: "options", Component: "Component", h: "h", forceUpdate: "forceUpdate" },
  `const options = { __e(error, vnode) { throw error; } };
function Component() {}
function h() {}
const queue = [];
function process() {
  while (queue.length > 0) {
    const type = queue.shift();
    try {
      globalThis.rendered = type();
    } catch (error) {
      options.__e(error, { type });
    }
  }
}
function forceUpdate(type) {
  queue.push(type);
  // (prefresh's \`debounceRendering\` rethrows: an unhandled rejection in the page.)
  Promise.resolve().then(process).catch(() => {});
}`,
));

/** `/src/app.jsx`: a component `App` rendering `body`, re-rendered by its accept callback. */
function app(body) {
  return js("/src/app.jsx", { preact: PREACT_ID }, esm({ App: "App" }, `const _preact = require("preact");
function App() {
  ${body}
}
_preact.forceUpdate(App);
__hotloop_meta.hot.accept((next) => _preact.forceUpdate(next.App));`));
}

const main = js("/src/main.jsx", { "./app.jsx": "/src/app.jsx" }, `require("./app.jsx");`);

function appUpdate(revision, body) {
  return {
    revision,
    modules: [app(body)],
    invalidate: ["/src/app.jsx"],
    boundaries: [{ id: "/src/app.jsx", acceptedDep: null }],
  };
}

test("a component that throws in the render after a hot update shows in the overlay, named by its file, until the fix renders", async () => {
  const page = createPage();
  await page.boot([preact, app(`return "v1";`), main], ["/src/main.jsx"]);
  await page.run("Promise.resolve()");
  assert.equal(page.run("globalThis.rendered"), "v1");

  const ack = await page.update(appUpdate(2, `throw new Error("render boom");`));
  assert.equal(ack.ok, false);
  assert.match(ack.error, /render boom/);
  assert.match(page.overlayText(), /\/src\/app\.jsx[\s\S]*render boom[\s\S]*while <App> re-rendered after the update/);

  const fixed = await page.update(appUpdate(3, `return "v3";`));
  assert.equal(fixed.ok, true);
  assert.equal(page.run("globalThis.rendered"), "v3");
  assert.equal(page.overlay(), null);
});
