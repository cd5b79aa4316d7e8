// The core in plain Node, another page of a multi-page app (`startPageEntries`): its chunk also
// defines what `index.html` runs, so a build error of a module only other pages run is held
// back from its overlay (as Vite's page never requests that module) until the page comes to
// import it; every other error shows at once.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createTestRuntime } from "./support/core-env.mjs";
import { js } from "./support/modules.mjs";

/** `index.html`'s entry, defined by the page's chunk on every page, and what it imports. */
const indexEntry = js("/src/index.js", { "./index-only.js": "/src/index-only.js", "./shared.js": "/src/shared.js" }, "");
const shared = js("/src/shared.js", {}, "");
const about = (deps = { "./shared.js": "/src/shared.js" }) => js("/src/about.js", deps, "globalThis.aboutRan = true;");

const error = (file, message = "Expression expected") => ({
  file,
  line: 1,
  column: 2,
  message,
  codeFrame: "",
  kind: "syntax",
});

/** The about page: the page's chunk defined, its entry's lazy chunk loaded and run. */
async function aboutPage() {
  const rt = createTestRuntime({ lazyChunks: { "/src/about.js": [about()] } });
  for (const m of [indexEntry, shared]) rt.core.define(m.id, m.deps, (0, eval)(m.code));
  rt.core.start(rt.host, { revision: 1, serverId: "server-1" });
  await rt.core.startPageEntries(["/src/about.js"], "/about");
  await rt.connect();
  assert.equal(rt.get("aboutRan"), true);
  return rt;
}

const shownFiles = (rt) => rt.diagnostics.flatMap((d) => d.added.map((a) => a.file));

test("another page holds back the error of a module only index.html's modules import", async () => {
  const rt = await aboutPage();
  await rt.receive({
    type: "errors",
    revision: 2,
    added: [error("/src/index-only.js"), error("/src/shared.js"), error("/index.html", "no such entry")],
    cleared: [],
  });
  // What the page runs, and what no module of it names (the HTML), show; the other page's
  // module does not.
  assert.deepEqual(shownFiles(rt), ["/src/shared.js", "/index.html"]);
  // Cleared by the server: nothing is held any more, nothing shows later.
  await rt.receive({ type: "errors", revision: 3, added: [], cleared: ["/src/index-only.js"] });
  await rt.update({ revision: 4, modules: [about({ "./index-only.js": "/src/index-only.js" })], invalidate: ["/src/about.js"], boundaries: [] });
  assert.deepEqual(shownFiles(rt), ["/src/shared.js", "/index.html"]);
});

test("a held-back error shows once an update makes the page import its module", async () => {
  const rt = await aboutPage();
  await rt.receive({ type: "errors", revision: 2, added: [error("/src/index-only.js")], cleared: [] });
  assert.deepEqual(shownFiles(rt), []);
  await rt.update({ revision: 3, modules: [about({ "./index-only.js": "/src/index-only.js" })], invalidate: ["/src/about.js"], boundaries: [] });
  assert.deepEqual(shownFiles(rt), ["/src/index-only.js"]);
});

test("index.html's page shows every error, as before", async () => {
  const rt = createTestRuntime();
  await rt.boot([indexEntry, shared, js("/src/other.js", {}, "")], ["/src/index.js"]);
  await rt.receive({ type: "errors", revision: 2, added: [error("/src/other.js")], cleared: [] });
  assert.deepEqual(shownFiles(rt), ["/src/other.js"]);
});
