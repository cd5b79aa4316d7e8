// CSS: module styles replaced in place, linked stylesheets swapped without a flash.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createPage } from "./support/page-env.mjs";
import { css, js } from "./support/modules.mjs";

const styleModule = (text) => css("/src/app.css", {}, `__hotloop_meta.css(${JSON.stringify(text)});`);

function styles(page) {
  return page.document.head.querySelectorAll("style");
}

test("a CSS module adds one style element and an update replaces its text in place", async () => {
  const page = createPage();
  const main = js("/src/main.js", { "./app.css": "/src/app.css" }, `require("./app.css");`);
  await page.boot([main, styleModule("body { color: red; }")], ["/src/main.js"]);
  const [style] = styles(page);
  assert.equal(style.getAttribute("data-hotloop-id"), "/src/app.css");
  assert.equal(style.textContent, "body { color: red; }");

  page.run(`globalThis.updates = [];
__hotloop.require("/src/main.js");`);
  page.run(`__hotloop.define("/src/probe.js", {}, function (module, exports, require, meta) {
  meta.hot.on("vite:afterUpdate", (p) => updates.push(p.updates.map((u) => u.type + " " + u.path).join()));
});
__hotloop.require("/src/probe.js");`);
  const ack = await page.update({
    revision: 2,
    modules: [styleModule("body { color: blue; }")],
    invalidate: ["/src/app.css"],
    boundaries: [{ id: "/src/app.css", acceptedDep: null }],
  });
  assert.equal(ack.ok, true);
  assert.equal(styles(page).length, 1);
  assert.equal(styles(page)[0], style, "the same element: no flash");
  assert.equal(style.textContent, "body { color: blue; }");
  assert.deepEqual(Array.from(page.get("updates")), ["css-update /src/app.css"]);
});

test("a removed CSS module takes its style element with it", async () => {
  const page = createPage();
  const main = (deps, body) => js("/src/main.js", deps, `${body}\n__hotloop_meta.hot.accept();`);
  await page.boot([main({ "./app.css": "/src/app.css" }, `require("./app.css");`), styleModule("p {}")], ["/src/main.js"]);
  assert.equal(styles(page).length, 1);
  await page.update({
    revision: 2,
    modules: [main({}, "")],
    invalidate: ["/src/main.js"],
    boundaries: [{ id: "/src/main.js", acceptedDep: null }],
    removed: ["/src/app.css"],
  });
  assert.equal(styles(page).length, 0);
});

function addLink(page, href) {
  const link = page.document.createElement("link");
  link.setAttribute("rel", "stylesheet");
  link.setAttribute("href", href);
  page.document.head.appendChild(link);
  return link;
}

test("a linked stylesheet is swapped: the new link goes in after the old, which leaves on load", async () => {
  const page = createPage();
  await page.boot([js("/src/main.js", {}, "")], ["/src/main.js"]);
  const old = addLink(page, "/styles/site.css");
  const other = addLink(page, "/styles/other.css");
  const ack = await page.update({ revision: 2, cssLinks: [{ href: "/styles/site.css", version: "abc123" }] });
  assert.equal(ack.ok, true);

  const links = page.document.head.querySelectorAll("link");
  assert.deepEqual(
    links.map((l) => l.getAttribute("href")),
    ["/styles/site.css", "/styles/site.css?v=abc123", "/styles/other.css"],
    "both present until the new one has loaded",
  );
  const fresh = links[1];
  assert.equal(fresh.getAttribute("rel"), "stylesheet");
  fresh.dispatchEvent("load");
  assert.deepEqual(
    page.document.head.querySelectorAll("link").map((l) => l.getAttribute("href")),
    ["/styles/site.css?v=abc123", "/styles/other.css"],
  );
  assert.equal(old.parentNode, null);
  assert.equal(other.parentNode, page.document.head);
});

test("a second swap before the first loaded replaces the pending link, not the old one again", async () => {
  const page = createPage();
  await page.boot([js("/src/main.js", {}, "")], ["/src/main.js"]);
  addLink(page, "http://localhost:5173/styles/site.css?v=0");
  await page.update({ revision: 2, cssLinks: [{ href: "/styles/site.css", version: "1" }] });
  await page.update({ revision: 3, cssLinks: [{ href: "/styles/site.css", version: "2" }] });
  const hrefs = () => page.document.head.querySelectorAll("link").map((l) => l.getAttribute("href"));
  assert.deepEqual(hrefs(), ["http://localhost:5173/styles/site.css?v=0", "/styles/site.css?v=1", "/styles/site.css?v=2"]);
  for (const link of page.document.head.querySelectorAll("link").slice(1)) link.dispatchEvent("load");
  assert.deepEqual(hrefs(), ["/styles/site.css?v=2"]);
});

test("a stylesheet that fails to load still replaces the old link", async () => {
  const page = createPage();
  await page.boot([js("/src/main.js", {}, "")], ["/src/main.js"]);
  addLink(page, "/styles/site.css");
  await page.update({ revision: 2, cssLinks: [{ href: "/styles/site.css", version: "9" }] });
  page.document.head.querySelectorAll("link")[1].dispatchEvent("error");
  assert.deepEqual(page.document.head.querySelectorAll("link").map((l) => l.getAttribute("href")), ["/styles/site.css?v=9"]);
});

/** A CSS Module as the engine emits it (`engine/src/css_modules.rs`). */
const cssModule = (id, deps, text, names, composed) =>
  css(
    id,
    deps,
    `module.exports = __hotloop_meta.cssModule(${JSON.stringify(text)}, ${JSON.stringify(names)}${
      composed ? `, [${composed}]` : ""
    });`,
  );

test("a CSS Module injects its style and exports its names, each and as default, with composed classes", async () => {
  const page = createPage();
  const base = cssModule("/src/base.module.css", {}, ".base_x { padding: 0 }", { base: "base_x" });
  const card = cssModule(
    "/src/card.module.css",
    { "./base.module.css": "/src/base.module.css" },
    ".card_x { color: red }",
    { card: "card_x local_y" },
    `["card", require("./base.module.css"), "base"], ["card", require("./base.module.css"), "missing"]`,
  );
  const main = js(
    "/src/main.js",
    { "./card.module.css": "/src/card.module.css" },
    `const styles = require("./card.module.css");
globalThis.seen = { byDefault: styles.default.card, named: styles.card, esModule: styles.__esModule };`,
  );
  await page.boot([main, card, base], ["/src/main.js"]);
  assert.deepEqual({ ...page.get("seen") }, { byDefault: "card_x local_y base_x", named: "card_x local_y base_x", esModule: true });
  assert.deepEqual(
    styles(page).map((s) => s.getAttribute("data-hotloop-id")),
    ["/src/base.module.css", "/src/card.module.css"],
    "the composed module's style comes first",
  );
  const warnings = page.logs.filter((l) => l.level === "warn").map((l) => l.text);
  assert.deepEqual(warnings, ['[hmr] /src/card.module.css: "card" composes "missing", which its file does not define']);
});

test("a CSS Module edit swaps its style in place; only an edit of its names invalidates it", async () => {
  const page = createPage();
  const main = js("/src/main.js", { "./a.module.css": "/src/a.module.css" }, `require("./a.module.css");`);
  const v = (text, names) => cssModule("/src/a.module.css", {}, text, names);
  await page.boot([main, v(".a_x { color: red }", { a: "a_x" })], ["/src/main.js"]);
  const [style] = styles(page);
  let revision = 1;
  const update = (mod) =>
    page.update({ revision: ++revision, modules: [mod], invalidate: ["/src/a.module.css"], boundaries: [{ id: "/src/a.module.css", acceptedDep: null }] });

  assert.equal((await update(v(".a_x { color: blue }", { a: "a_x" }))).ok, true);
  assert.equal(styles(page)[0], style, "the same element: no flash");
  assert.equal(style.textContent, ".a_x { color: blue }");
  assert.deepEqual(page.sent("invalidate"), [], "same names: the importers keep theirs");

  assert.equal((await update(v(".a_x { color: blue } .b_x {}", { a: "a_x", b: "b_x" }))).ok, true);
  assert.deepEqual(page.sent("invalidate"), [{ kind: "invalidate", id: "/src/a.module.css", message: "its class names changed" }]);
});
