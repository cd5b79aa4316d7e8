// The core in plain Node, lazy chunks: `import()` of a module the page's chunk does not define
// asks the host for the target's chunk (once), evaluates what it defines, never re-defines a
// module the registry has, and rejects with the host's reason naming the module and importer.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createTestRuntime } from "./support/core-env.mjs";
import { esm, js } from "./support/modules.mjs";

/** A module that counts its evaluations in `globalThis.evaluations` and exports `name`. */
const counted = (id, deps, name, requires = "") =>
  js(
    id,
    deps,
    esm(
      { name: "name" },
      `${requires}globalThis.evaluations[${JSON.stringify(id)}] = (globalThis.evaluations[${JSON.stringify(id)}] || 0) + 1;
const name = ${JSON.stringify(name)};`,
    ),
  );

const main = js(
  "/src/main.js",
  { "./a.js": "/src/a.js", "./b.js": "/src/b.js" },
  `globalThis.loadA = () => require.dynamic("./a.js");
globalThis.loadB = () => require.dynamic("./b.js");`,
);

test("import() loads the target's chunk once; a module two chunks share is evaluated once", async () => {
  const shared = counted("/src/shared.js", {}, "shared");
  const rt = createTestRuntime({
    lazyChunks: {
      "/src/a.js": [shared, counted("/src/a.js", { "./shared.js": "/src/shared.js" }, "a", `require("./shared.js");\n`)],
      "/src/b.js": [
        // A second copy of the shared module, as the server sends it in both chunks.
        counted("/src/shared.js", {}, "shared (second copy)"),
        counted("/src/b.js", { "./shared.js": "/src/shared.js" }, "b", `require("./shared.js");\n`),
      ],
    },
  });
  rt.run("globalThis.evaluations = {}");
  await rt.load([main], ["/src/main.js"]);
  assert.deepEqual(rt.chunkRequests, [], "nothing behind import() is fetched at start");

  const [a1, a2] = await Promise.all([rt.get("loadA")(), rt.get("loadA")()]);
  assert.equal(a1.name, "a");
  assert.equal(a2, a1);
  assert.deepEqual(rt.chunkRequests, ["/src/a.js"], "one request for two import()s");

  const b = await rt.get("loadB")();
  assert.equal(b.name, "b");
  assert.deepEqual(rt.chunkRequests, ["/src/a.js", "/src/b.js"]);
  assert.deepEqual({ ...rt.get("evaluations") }, { "/src/shared.js": 1, "/src/a.js": 1, "/src/b.js": 1 });
  assert.equal(rt.require("/src/shared.js").name, "shared", "the first definition stays");
  await rt.get("loadA")();
  assert.equal(rt.chunkRequests.length, 2, "a loaded chunk is not asked for again");
});

test("a chunk that cannot load rejects that import() naming the module and the importer; a later import() asks again", async () => {
  const chunks = { "/src/a.js": new Error("hotloop: the modules of /src/a.js were not compiled") };
  const rt = createTestRuntime({ lazyChunks: chunks });
  await rt.load([main], ["/src/main.js"]);
  await assert.rejects(
    rt.get("loadA")(),
    /Cannot load module '\.\/a\.js' \(\/src\/a\.js\) imported by \/src\/main\.js: hotloop: the modules of \/src\/a\.js were not compiled/,
  );
  chunks["/src/a.js"] = [js("/src/a.js", {}, esm({ ok: "ok" }, "const ok = true;"))];
  assert.equal((await rt.get("loadA")()).ok, true);
  assert.deepEqual(rt.chunkRequests, ["/src/a.js", "/src/a.js"]);
});

test("a module only an update brought loads its chunk on import() and takes the chunk's code", async () => {
  const rt = createTestRuntime({
    lazyChunks: {
      "/src/a.js": [
        js("/src/dep.js", {}, esm({ value: "value" }, "const value = 'dep';")),
        js("/src/a.js", { "./dep.js": "/src/dep.js" }, esm({ name: "name" }, `const name = "a v3 + " + require("./dep.js").value;`)),
      ],
    },
  });
  await rt.boot([main], ["/src/main.js"]);
  // Another tab had loaded the chunk when /src/a.js was edited (v2) with a module every page
  // has: that update carried a.js too. A later edit (v3) went to that tab only; this page
  // fetches the chunk now, from a snapshot with v3.
  await rt.update({
    revision: 2,
    modules: [js("/src/a.js", { "./dep.js": "/src/dep.js" }, esm({ name: "name" }, `const name = "a v2 + " + require("./dep.js").value;`))],
    invalidate: ["/src/a.js"],
    boundaries: [],
  });
  assert.equal(rt.inspect().modules["/src/a.js"], "defined", "not evaluated by the update");
  const a = await rt.get("loadA")();
  assert.equal(a.name, "a v3 + dep");
  assert.deepEqual(rt.chunkRequests, ["/src/a.js"]);
  // Once evaluated, a later chunk's define of it changes nothing.
  rt.core.define("/src/a.js", {}, () => {
    throw new Error("never run");
  });
  assert.equal((await rt.get("loadA")()).name, "a v3 + dep");
});

test("without a host that loads chunks, import() evaluates what the one chunk defined", async () => {
  const rt = createTestRuntime();
  await rt.load([main, counted("/src/a.js", {}, "a")], ["/src/main.js"]);
  rt.run("globalThis.evaluations = {}");
  assert.equal((await rt.get("loadA")()).name, "a");
  await assert.rejects(rt.get("loadB")(), /Cannot find module '\.\/b\.js' \(\/src\/b\.js\) imported by \/src\/main\.js/);
});

test("a chunk whose target does not compile rejects that import() saying so", async () => {
  const rt = createTestRuntime({ lazyChunks: { "/src/a.js": [] } });
  await rt.load([main], ["/src/main.js"]);
  await assert.rejects(
    rt.get("loadA")(),
    /Cannot load module '\.\/a\.js' \(\/src\/a\.js\) imported by \/src\/main\.js: it does not compile/,
  );
});

test("the server hears of each lazy chunk loaded, with the snapshot it came from, again after a reconnect", async () => {
  const rt = createTestRuntime({ lazyChunks: { "/src/a.js": [js("/src/a.js", {}, esm({ ok: "ok" }, "const ok = true;"))] } });
  await rt.boot([main], ["/src/main.js"]);
  rt.chunkSnapshot = 7;
  await rt.get("loadA")();
  assert.deepEqual(rt.sent("loaded"), [{ kind: "loaded", chunk: "/src/a.js", snapshot: 7 }]);
  rt.core.disconnected({});
  rt.core.connected({});
  assert.deepEqual(rt.sent("loaded").length, 2);
  assert.deepEqual(rt.sent("loaded")[1], { kind: "loaded", chunk: "/src/a.js", snapshot: 7 });
});

test("import() of a chunk waits for the server's ChunkSynced: an edit it sends first is what evaluates", async () => {
  const v1 = js("/src/a.js", {}, esm({ name: "name" }, `const name = "a v1";`));
  const rt = createTestRuntime({ lazyChunks: { "/src/a.js": [v1] } });
  await rt.boot([main], ["/src/main.js"]);
  rt.answersLoaded = false;
  rt.chunkSnapshot = 3;
  let settled = false;
  const loading = rt.get("loadA")().then((a) => {
    settled = true;
    return a;
  });
  // The chunk ran its defines (v1, from snapshot 3) and said so; a.js was edited after that
  // snapshot, so the server sends the edit, then ChunkSynced.
  while (rt.sent("loaded").length === 0) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(rt.sent("loaded"), [{ kind: "loaded", chunk: "/src/a.js", snapshot: 3 }]);
  await rt.update({
    revision: 2,
    modules: [js("/src/a.js", {}, esm({ name: "name" }, `const name = "a v2";`))],
    boundaries: [["/src/a.js", null]],
  });
  assert.equal(settled, false, "the import() waits for ChunkSynced");
  assert.equal(rt.inspect().modules["/src/a.js"], "defined", "nothing evaluated it yet");
  await rt.receive({ type: "chunk-synced", chunk: "/src/a.js" });
  assert.equal((await loading).name, "a v2");
});

test("a lost connection ends an import()'s wait for ChunkSynced", async () => {
  const rt = createTestRuntime({ lazyChunks: { "/src/a.js": [js("/src/a.js", {}, esm({ ok: "ok" }, "const ok = 1;"))] } });
  await rt.boot([main], ["/src/main.js"]);
  rt.answersLoaded = false;
  const loading = rt.get("loadA")();
  while (rt.sent("loaded").length === 0) await new Promise((resolve) => setImmediate(resolve));
  rt.core.disconnected({});
  assert.equal((await loading).ok, 1);
});

test("import() of a root path only known at run time that names a script: its lazy chunk; else the host's own import()", async () => {
  const plugin = counted("/src/plugins/a.ts", {}, "plugin a");
  const rt = createTestRuntime({ lazyChunks: { "/src/plugins/a.ts": [plugin] } });
  const app = js("/src/main.js", {}, `globalThis.load = (spec) => require.dynamic(spec);`);
  app.staticDeps = 0;
  rt.run("globalThis.evaluations = {}");
  rt.load([app], ["/src/main.js"]);
  // The server compiles the project's script as a lazy chunk (as Vite serves the module).
  const ns = await rt.get("load")("/src/plugins/a.ts");
  assert.equal(ns.name, "plugin a");
  assert.deepEqual(rt.chunkRequests, ["/src/plugins/a.ts"]);
  // Once in the registry, the same module again, no second request.
  assert.equal((await rt.get("load")("/src/plugins/a.ts?t=1")).name, "plugin a");
  assert.deepEqual(rt.chunkRequests, ["/src/plugins/a.ts"]);
  assert.equal(rt.get("evaluations")["/src/plugins/a.ts"], 1);
  // No such script of the project (a `public/` file): the host's own import() (Node's here).
  await assert.rejects(rt.get("load")("/public-only/x.js"), (e) => e.message.includes("/public-only/x.js") && !/imported by/.test(e.message));
  assert.deepEqual(rt.chunkRequests, ["/src/plugins/a.ts", "/public-only/x.js"]);
});

test("an update that fixes a module whose failure rejected an import() reloads the page; the app kept the rejection", async () => {
  const missingDep = js("/src/a.js", { "./thing.js": null }, `require("./thing.js");`);
  const rt = createTestRuntime({ lazyChunks: { "/src/a.js": [missingDep] } });
  await rt.boot([main], ["/src/main.js"]);
  await assert.rejects(rt.get("loadA")(), /Cannot find module '\.\/thing\.js' imported by \/src\/a\.js/);
  assert.equal(rt.inspect().modules["/src/a.js"], "failed");

  // thing.js is created: a.js's import resolves now.
  await rt.update({
    revision: 2,
    modules: [
      js("/src/thing.js", {}, esm({ thing: "thing" }, "const thing = 1;")),
      js("/src/a.js", { "./thing.js": "/src/thing.js" }, esm({ name: "name" }, `require("./thing.js");\nconst name = "a";`)),
    ],
    invalidate: ["/src/a.js"],
    boundaries: [{ id: "/src/a.js", acceptedDep: null }],
  });
  assert.deepEqual(
    rt.reloads.map((r) => [r.name, r.code, r.text]),
    [["FailedImportFixed", 14, "a module that an import() failed to load has new code and the app keeps the failed import(): /src/a.js"]],
  );
});

test("the fix of a module that a failed import()'s module imports reloads too; other updates do not", async () => {
  const rt = createTestRuntime({
    lazyChunks: {
      "/src/a.js": [
        // broken.js does not compile: the chunk lacks it.
        js("/src/deep.js", { "./broken.js": "/src/broken.js" }, `require("./broken.js");`),
        js("/src/a.js", { "./deep.js": "/src/deep.js" }, `require("./deep.js");`),
      ],
      "/src/b.js": [js("/src/b.js", {}, esm({ name: "name" }, `const name = "b";`))],
    },
  });
  await rt.boot([main], ["/src/main.js"]);
  await assert.rejects(rt.get("loadA")(), /broken\.js/);
  assert.equal((await rt.get("loadB")()).name, "b");

  // An edit elsewhere is a hot update as always.
  await rt.update({
    revision: 2,
    modules: [js("/src/b.js", {}, esm({ name: "name" }, `const name = "b2";\n__hotloop_meta.hot.accept();`))],
    invalidate: ["/src/b.js"],
    boundaries: [{ id: "/src/b.js", acceptedDep: null }],
  });
  assert.deepEqual(rt.reloads, []);

  // broken.js is fixed: only a new module, which deep.js (failed with a.js's import()) imports.
  await rt.update({
    revision: 3,
    modules: [js("/src/broken.js", {}, "")],
    invalidate: [],
    boundaries: [],
  });
  assert.deepEqual(rt.reloads.map((r) => r.name), ["FailedImportFixed"]);
  assert.match(rt.reloads[0].text, /: \/src\/(deep|a)\.js$/);
});
