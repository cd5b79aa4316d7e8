// CSS: module styles replaced in place, linked stylesheets swapped without a flash.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createRequire } from "node:module";

import { FakeStyleSheet, createPage } from "./support/page-env.mjs";
import { css, js } from "./support/modules.mjs";

const styleModule = (text) => css("/src/app.css", {}, `__hotloop_meta.css(${JSON.stringify(text)});`);

function styles(page) {
  return page.document.head.querySelectorAll("style");
}

test("a style element carries the nonce of the page's csp-nonce meta (Vite's html.cspNonce)", async () => {
  const page = createPage();
  const meta = page.document.createElement("meta");
  meta.setAttribute("property", "csp-nonce");
  meta.setAttribute("nonce", "n0nce");
  page.document.head.appendChild(meta);
  const main = js("/src/main.js", { "./app.css": "/src/app.css" }, `require("./app.css");`);
  await page.boot([main, styleModule("body { color: red; }")], ["/src/main.js"]);
  assert.equal(styles(page)[0].nonce, "n0nce");
});

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
  const ack = await page.update({ revision: 2, cssLinks: [{ href: "/styles/site.css", version: "00abc123" }] });
  assert.equal(ack.ok, true);

  const links = page.document.head.querySelectorAll("link");
  assert.deepEqual(
    links.map((l) => l.getAttribute("href")),
    ["/styles/site.css", "/styles/site.css?hotloop-v=00abc123", "/styles/other.css"],
    "both present until the new one has loaded",
  );
  const fresh = links[1];
  assert.equal(fresh.getAttribute("rel"), "stylesheet");
  fresh.dispatchEvent("load");
  assert.deepEqual(
    page.document.head.querySelectorAll("link").map((l) => l.getAttribute("href")),
    ["/styles/site.css?hotloop-v=00abc123", "/styles/other.css"],
  );
  assert.equal(old.parentNode, null);
  assert.equal(other.parentNode, page.document.head);
});

test("a second swap before the first loaded replaces the pending link, not the old one again", async () => {
  const page = createPage();
  await page.boot([js("/src/main.js", {}, "")], ["/src/main.js"]);
  addLink(page, "http://localhost:5173/styles/site.css?v=0");
  await page.update({ revision: 2, cssLinks: [{ href: "/styles/site.css", version: "00000001" }] });
  await page.update({ revision: 3, cssLinks: [{ href: "/styles/site.css", version: "00000002" }] });
  const hrefs = () => page.document.head.querySelectorAll("link").map((l) => l.getAttribute("href"));
  assert.deepEqual(hrefs(), [
    "http://localhost:5173/styles/site.css?v=0",
    "/styles/site.css?v=0&hotloop-v=00000001",
    "/styles/site.css?v=0&hotloop-v=00000002",
  ]);
  for (const link of page.document.head.querySelectorAll("link").slice(1)) link.dispatchEvent("load");
  assert.deepEqual(hrefs(), ["/styles/site.css?v=0&hotloop-v=00000002"]);
});

test("a sheet whose id has a query (a page's inline style) swaps only the link with that query, which it keeps as written", async () => {
  const page = createPage();
  await page.boot([js("/src/main.js", {}, "")], ["/src/main.js"]);
  addLink(page, "/index.html?html-proxy&direct&index=0.css");
  addLink(page, "/index.html?html-proxy&direct&index=1.css");
  const hrefs = () => page.document.head.querySelectorAll("link").map((l) => l.getAttribute("href"));
  await page.update({ revision: 2, cssLinks: [{ href: "/index.html?html-proxy&direct&index=0.css", version: "00000001" }] });
  assert.deepEqual(hrefs(), [
    "/index.html?html-proxy&direct&index=0.css",
    "/index.html?html-proxy&direct&index=0.css&hotloop-v=00000001",
    "/index.html?html-proxy&direct&index=1.css",
  ]);
  page.document.head.querySelectorAll("link")[1].dispatchEvent("load");
  await page.update({ revision: 3, cssLinks: [{ href: "/index.html?html-proxy&direct&index=0.css", version: "00000002" }] });
  assert.deepEqual(hrefs(), [
    "/index.html?html-proxy&direct&index=0.css&hotloop-v=00000001",
    "/index.html?html-proxy&direct&index=0.css&hotloop-v=00000002",
    "/index.html?html-proxy&direct&index=1.css",
  ]);
});

test("a stylesheet that fails to load goes, and the link it was replacing stays for the next update", async () => {
  const page = createPage();
  await page.boot([js("/src/main.js", {}, "")], ["/src/main.js"]);
  addLink(page, "/styles/site.css");
  const hrefs = () => page.document.head.querySelectorAll("link").map((l) => l.getAttribute("href"));
  await page.update({ revision: 2, cssLinks: [{ href: "/styles/site.css", version: "00000009" }] });
  page.document.head.querySelectorAll("link")[1].dispatchEvent("error");
  assert.deepEqual(hrefs(), ["/styles/site.css"], "the server no longer has version 9: the old sheet stays");
  await page.update({ revision: 3, cssLinks: [{ href: "/styles/site.css", version: "0000000a" }] });
  assert.deepEqual(hrefs(), ["/styles/site.css", "/styles/site.css?hotloop-v=0000000a"]);
  page.document.head.querySelectorAll("link")[1].dispatchEvent("load");
  assert.deepEqual(hrefs(), ["/styles/site.css?hotloop-v=0000000a"]);
});

// ------------------------------------------------------------------------------------------------
// Rule-level patches (see "CSS patches" in engine/protocol/src/wire.rs).

const { cssVersion } = createRequire(import.meta.url)("../js/protocol.js");
const hex = (n) => n.toString(16).padStart(8, "0");

const SHEET_V1 = ".a { color: red }\n.b { color: green }\n@media print { .c { x: 1 } }";
const SHEET_V2 = SHEET_V1.replace("green", "lime");

/** The patch the engine sends for V1 → V2 (css_diff.rs's "one rule edited"). */
function patchV1toV2(target, id, edits) {
  return {
    target,
    id,
    base: cssVersion(SHEET_V1),
    version: cssVersion(SHEET_V2),
    rules: 3,
    edits: edits ?? [
      { op: "delete", index: 1 },
      { op: "insert", index: 1, rule: ".b { color: lime }" },
    ],
  };
}

async function bootWithStyle(text) {
  const page = createPage();
  const main = js("/src/main.js", { "./app.css": "/src/app.css" }, `require("./app.css");`);
  await page.boot([main, styleModule(text)], ["/src/main.js"]);
  const [style] = styles(page);
  assert.equal(style.sheet.rules.length, 3);
  return { page, style };
}

const styleUpdate = (revision, text, patch) => ({
  revision,
  modules: [styleModule(text)],
  invalidate: ["/src/app.css"],
  boundaries: [{ id: "/src/app.css", acceptedDep: null }],
  cssPatches: patch ? [patch] : [],
});

test("a style patch edits the sheet's rules in place: no re-parse of the text", async () => {
  const { page, style } = await bootWithStyle(SHEET_V1);
  const sheet = style.sheet;
  const ack = await page.update(styleUpdate(2, SHEET_V2, patchV1toV2("style", "/src/app.css")));
  assert.equal(ack.ok, true);
  assert.equal(style.sheet, sheet, "the same sheet, patched");
  assert.deepEqual(sheet.rules, [".a { color: red }", ".b { color: lime }", "@media print { .c { x: 1 } }"]);
  assert.equal(style.parses, 1, "parsed once, when it was created");

  // The next edit patches from the version the patch produced.
  const v3 = SHEET_V2.replace("red", "blue");
  const patch = {
    target: "style",
    id: "/src/app.css",
    base: cssVersion(SHEET_V2),
    version: cssVersion(v3),
    rules: 3,
    edits: [
      { op: "delete", index: 0 },
      { op: "insert", index: 0, rule: ".a { color: blue }" },
    ],
  };
  assert.equal((await page.update(styleUpdate(3, v3, patch))).ok, true);
  assert.deepEqual(sheet.rules, [".a { color: blue }", ".b { color: lime }", "@media print { .c { x: 1 } }"]);
  assert.equal(style.parses, 1);
});

test("a style patch that does not fit falls back to the whole text", async (t) => {
  const cases = [
    ["another base version", { base: 12345 }],
    ["another rule count", { rules: 4 }],
    ["a version its text does not have", { version: 1 }],
    ["a rule the browser cannot parse", { edits: [{ op: "delete", index: 1 }, { op: "insert", index: 1, rule: ".b { INVALID }" }] }],
    ["an index past the end", { edits: [{ op: "delete", index: 7 }] }],
  ];
  for (const [what, change] of cases) {
    await t.test(what, async () => {
      const { page, style } = await bootWithStyle(SHEET_V1);
      const ack = await page.update(styleUpdate(2, SHEET_V2, { ...patchV1toV2("style", "/src/app.css"), ...change }));
      assert.equal(ack.ok, true);
      assert.equal(styles(page)[0], style, "the same element: no flash");
      assert.equal(style.textContent, SHEET_V2);
      assert.deepEqual(style.sheet.rules, [".a { color: red }", ".b { color: lime }", "@media print { .c { x: 1 } }"]);
      assert.equal(style.parses, 2, "re-parsed from the new text");
    });
  }
});

test("a style patch left over from an update that did not re-run the module is never applied later", async () => {
  const page = createPage();
  await page.boot([js("/src/main.js", {}, "")], ["/src/main.js"]);
  // The module was never loaded here: the patch has no style to go to.
  await page.update({ ...styleUpdate(2, SHEET_V2, patchV1toV2("style", "/src/app.css")), boundaries: [], invalidate: [] });
  page.run(`__hotloop.require("/src/app.css");`);
  const [style] = styles(page);
  assert.equal(style.textContent, SHEET_V2);
});

function loadLink(link, text) {
  link.sheet = new FakeStyleSheet(text);
  link.dispatchEvent("load");
}

test("a linked sheet loaded at a known version is patched; a link of the page's HTML is swapped first", async () => {
  const page = createPage();
  await page.boot([js("/src/main.js", {}, "")], ["/src/main.js"]);
  const original = addLink(page, "/src/site.css");
  original.sheet = new FakeStyleSheet(SHEET_V1);
  const hrefs = () => page.document.head.querySelectorAll("link").map((l) => l.getAttribute("href"));
  const v1 = hex(cssVersion(SHEET_V1));

  // Its version is unknown (the page's HTML loaded it): swapped, even with a patch.
  const patchTo = (base) => ({ ...patchV1toV2("link", "/src/site.css"), base });
  await page.update({ revision: 2, cssLinks: [{ href: "/src/site.css", version: v1 }], cssPatches: [patchTo(cssVersion(SHEET_V1))] });
  assert.deepEqual(hrefs(), ["/src/site.css", `/src/site.css?hotloop-v=${v1}`]);
  const loaded = page.document.head.querySelectorAll("link")[1];
  loadLink(loaded, SHEET_V1);
  assert.deepEqual(hrefs(), [`/src/site.css?hotloop-v=${v1}`]);

  // Now it is known to be at V1: the patch applies, nothing is fetched.
  const v2 = hex(cssVersion(SHEET_V2));
  const ack = await page.update({ revision: 3, cssLinks: [{ href: "/src/site.css", version: v2 }], cssPatches: [patchTo(cssVersion(SHEET_V1))] });
  assert.equal(ack.ok, true);
  assert.deepEqual(hrefs(), [`/src/site.css?hotloop-v=${v1}`], "patched in place");
  assert.deepEqual(loaded.sheet.rules, [".a { color: red }", ".b { color: lime }", "@media print { .c { x: 1 } }"]);

  // A patch from another version (this page missed it) is not applied: the link is swapped.
  await page.update({
    revision: 4,
    cssLinks: [{ href: "/src/site.css", version: "0000abcd" }],
    cssPatches: [{ ...patchTo(cssVersion(SHEET_V1)), version: 0xabcd }],
  });
  assert.deepEqual(hrefs(), [`/src/site.css?hotloop-v=${v1}`, "/src/site.css?hotloop-v=0000abcd"]);
  assert.deepEqual(loaded.sheet.rules[1], ".b { color: lime }", "untouched");
});

test("a link patch that throws half way is undone and the link swapped", async () => {
  const page = createPage();
  await page.boot([js("/src/main.js", {}, "")], ["/src/main.js"]);
  const v1 = hex(cssVersion(SHEET_V1));
  addLink(page, `/src/site.css?hotloop-v=${v1}`);
  await page.update({ revision: 2, cssLinks: [{ href: "/src/site.css", version: v1 }] });
  const link = page.document.head.querySelectorAll("link")[1];
  loadLink(link, SHEET_V1);
  const broken = patchV1toV2("link", "/src/site.css", [
    { op: "delete", index: 1 },
    { op: "insert", index: 1, rule: ".b { INVALID }" },
  ]);
  await page.update({ revision: 3, cssLinks: [{ href: "/src/site.css", version: "00000003" }], cssPatches: [broken] });
  assert.deepEqual(link.sheet.rules, new FakeStyleSheet(SHEET_V1).rules, "the deleted rule is back");
  assert.equal(page.document.head.querySelectorAll("link").length, 2, "the new version loads next to it");
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
globalThis.seen = { byDefault: styles.default.card, named: styles.card, esModule: styles.__esModule, names: Object.keys(styles).join() };`,
  );
  await page.boot([main, card, base], ["/src/main.js"]);
  assert.deepEqual(
    { ...page.get("seen") },
    { byDefault: "card_x local_y base_x", named: "card_x local_y base_x", esModule: true, names: "card,default" },
    "its namespace lists its exports only (the ES module mark is not one)",
  );
  assert.deepEqual(
    styles(page).map((s) => s.getAttribute("data-hotloop-id")),
    ["/src/base.module.css", "/src/card.module.css"],
    "the composed module's style comes first",
  );
  const warnings = page.logs.filter((l) => l.level === "warn").map((l) => l.text);
  assert.deepEqual(warnings, ['[hmr] /src/card.module.css: "card" composes "missing", which its file does not define']);
});

test("a default import of a CSS Module is its names alone, with Node's interop too", async () => {
  // An ES module of a `"type": "module"` project under Vite 8 reads a CommonJS default as Node
  // does (`require.esm(…, 3)`): the CSS Module is an ES module, so its `default`, not its
  // namespace (whose keys would add `default`).
  const page = createPage();
  const a = cssModule("/src/a.module.css", {}, ".t_x {} .b_x {}", { title: "t_x", box: "b_x" });
  const main = js(
    "/src/main.ts",
    { "./a.module.css": "/src/a.module.css" },
    `require.esm(0, 3);
const styles = require.d(require("./a.module.css")).default;
globalThis.keys = Object.keys(styles).join();`,
  );
  await page.boot([main, a], ["/src/main.ts"]);
  assert.equal(page.get("keys"), "title,box");
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
