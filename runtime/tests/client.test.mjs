// The connection and page lifecycle: connect, hello, full reload, reconnect, errors overlay.

import { test } from "node:test";
import assert from "node:assert/strict";

import { allElements, createPage, SERVER_ID } from "./support/page-env.mjs";
import { js } from "./support/modules.mjs";

const app = js(
  "/src/main.js",
  {},
  `globalThis.wsEvents = [];
__hotloop_meta.hot.on("vite:ws:connect", () => wsEvents.push("connect"));
__hotloop_meta.hot.on("vite:ws:disconnect", () => wsEvents.push("disconnect"));
__hotloop_meta.hot.on("vite:beforeFullReload", (p) => wsEvents.push("beforeFullReload " + p.reason));
__hotloop_meta.hot.on("vite:error", (p) => wsEvents.push("error " + p.err.loc.file + ":" + p.err.loc.line + " " + p.err.message));`,
);

test("start connects to /_hotloop/ws with binary frames and logs connected", async () => {
  const page = createPage();
  page.load([app], ["/src/main.js"]);
  assert.equal(page.sockets.length, 1);
  // Naming the server that served the page (one that restarted since tells it at once) and
  // the chunk's revision (updates saved since are sent after the hello).
  assert.equal(page.socket.url, "ws://localhost:5173/_hotloop/ws?server=server-1&rev=1");
  assert.equal(page.socket.binaryType, "arraybuffer");
  await page.connect();
  assert.deepEqual(page.hmrLog(), ["[hmr] connected"]);
  assert.deepEqual(Array.from(page.get("wsEvents")), ["connect"]);
  assert.equal(page.reloads, 0);
  assert.equal(page.inspect().connected, true);
});

test("hello from another server instance reloads the page: server restarted", async () => {
  const page = createPage();
  page.load([app], ["/src/main.js"], { revision: 3 });
  await page.connect({ serverId: "server-2", revision: 3 });
  assert.equal(page.reloads, 1);
  assert.equal(page.storage.getItem("hotloop:full-reload-reason"), "server restarted");
  assert.deepEqual(Array.from(page.get("wsEvents")), ["connect", "beforeFullReload server restarted"]);
});

test("hello at another revision reloads the page: missed updates", async () => {
  const page = createPage();
  page.load([app], ["/src/main.js"], { revision: 3 });
  await page.connect({ serverId: SERVER_ID, revision: 4 });
  assert.equal(page.reloads, 1);
  assert.equal(page.storage.getItem("hotloop:full-reload-reason"), "the page missed updates");
});

test("hello at the revision the page last applied keeps the page", async () => {
  const page = createPage();
  page.load([js("/src/a.js", {}, `__hotloop_meta.hot.accept();`)], ["/src/a.js"], { revision: 3 });
  await page.connect({ revision: 3 });
  await page.update({
    revision: 4,
    modules: [js("/src/a.js", {}, `__hotloop_meta.hot.accept();`)],
    invalidate: ["/src/a.js"],
    boundaries: [{ id: "/src/a.js", acceptedDep: null }],
  });
  await page.receive({ type: "errors", revision: 5, added: [], cleared: [] });
  page.socket.serverClose();
  page.runTimers();
  await page.connect({ revision: 5 });
  assert.equal(page.reloads, 0);
});

test("hello at an earlier revision keeps the page: the frames after it are queued, and those it has are skipped", async () => {
  const page = createPage();
  page.load([js("/src/a.js", {}, `globalThis.runs = (globalThis.runs ?? 0) + 1;\n__hotloop_meta.hot.accept();`)], ["/src/a.js"], { revision: 1 });
  // Subscribed during the cold build (revision 0); the page loaded revision 1's chunk.
  await page.connect({ revision: 0 });
  const edit = (revision) => ({
    revision,
    modules: [js("/src/a.js", {}, `globalThis.runs = (globalThis.runs ?? 0) + 1;\n__hotloop_meta.hot.accept();`)],
    invalidate: ["/src/a.js"],
    boundaries: [{ id: "/src/a.js", acceptedDep: null }],
  });
  await page.update(edit(1));
  assert.equal(page.get("runs"), 1, "revision 1 is what the page already runs");
  await page.update(edit(2));
  assert.equal(page.get("runs"), 2);
  assert.equal(page.reloads, 0);
});

test("a full-reload message stores the reason; the next page logs it and shows a note", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  await page.receive({ type: "full-reload", revision: 2, reasonCode: 1, reason: "/src/main.js changed and no module accepts it" });
  assert.equal(page.reloads, 1);
  assert.deepEqual(Array.from(page.get("wsEvents")), [
    "connect",
    "beforeFullReload /src/main.js changed and no module accepts it",
  ]);

  // The browser reloads: same sessionStorage, fresh page.
  const next = createPage({ storage: page.storage });
  next.load([app], ["/src/main.js"], { revision: 2 });
  assert.deepEqual(next.hmrLog(), ["[hmr] full reload: /src/main.js changed and no module accepts it"]);
  assert.equal(next.storage.getItem("hotloop:full-reload-reason"), null, "reported once");
  assert.match(next.noticeText(), /Full reload: \/src\/main\.js changed and no module accepts it/);
  assert.equal(next.overlay(), null, "a note is not an error overlay");
  // The note can be dismissed; the element is removed.
  const dismiss = allElements(next.notice().shadowRoot).find((e) => e.getAttribute("data-action") === "dismiss-note");
  dismiss.dispatchEvent("click");
  assert.equal(next.notice(), null);
});

test("the reload note is a short, polite status that goes away on its own", async () => {
  const page = createPage();
  page.storage.setItem("hotloop:full-reload-reason", "index.html changed");
  page.load([app], ["/src/main.js"]);
  const note = allElements(page.notice().shadowRoot).find((e) => e.getAttribute("role") === "status");
  assert.equal(note.getAttribute("aria-live"), "polite", "announced, not an alert");
  assert.equal(page.overlay(), null, "never the error overlay");
  const delays = page.runTimers();
  assert.ok(delays.includes(3000), `dismissed after 3 s (timers: ${delays})`);
  assert.equal(page.notice(), null);
});

test("a reload loop is slowed, never left stale: after five quick reloads the page says so and reloads once the window has passed", async () => {
  // A page that comes up stale each time (a service worker serves an old copy): the server's
  // hello names a later revision than its code, every time.
  const storage = createPage().storage;
  let reloads = 0;
  for (let i = 0; i < 6; i += 1) {
    const page = createPage({ storage });
    page.load([app], ["/src/main.js"], { revision: 1 });
    await page.connect({ revision: 9 });
    reloads += page.reloads;
    if (i === 5) {
      assert.equal(page.reloads, 0, "held back");
      assert.match(page.noticeText(), /reloaded 5 times in 10 s: reloading in (9|10) s/);
      // A second hello while one is held: still one reload.
      await page.receive({ type: "hello", serverId: "server-1", revision: 9 });
      const delays = page.runTimers().filter((ms) => ms > 3000);
      assert.equal(delays.length, 1, `one held reload (timers: ${delays})`);
      assert.ok(delays[0] > 9000 && delays[0] <= 10000, `${delays}`);
      assert.equal(page.reloads, 1, "reloaded when due");
    }
  }
  assert.equal(reloads, 5);
});

test("a reload the server asks for (a save that needs one) is never held back, however often", async () => {
  const storage = createPage().storage;
  for (let i = 0; i < 8; i += 1) {
    const page = createPage({ storage });
    await page.boot([app], ["/src/main.js"]);
    await page.receive({ type: "full-reload", revision: 2 + i, reasonCode: 7, reason: "/src/el.ts changed and no module accepts it" });
    assert.equal(page.reloads, 1, `save ${i + 1} reloads at once`);
  }
});

test("disconnect logs, emits vite:ws:disconnect and reconnects with growing jittered delays", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  page.socket.serverClose();
  assert.deepEqual(page.hmrLog(), ["[hmr] connected", "[hmr] disconnected"]);
  assert.deepEqual(Array.from(page.get("wsEvents")), ["connect", "disconnect"]);

  const delays = [];
  for (let attempt = 0; attempt < 7; attempt += 1) {
    const [delay] = page.runTimers();
    delays.push(delay);
    page.socket.serverClose(); // the server is still down
  }
  const bases = [100, 200, 400, 800, 1600, 2000, 2000];
  delays.forEach((delay, i) => {
    assert.ok(delay >= bases[i] / 2 && delay <= bases[i], `attempt ${i}: ${delay} ms not within [${bases[i] / 2}, ${bases[i]}]`);
  });
  assert.equal(page.hmrLog().filter((l) => l === "[hmr] disconnected").length, 1, "failed attempts are not logged");

  page.runTimers();
  await page.connect();
  assert.deepEqual(page.hmrLog(), ["[hmr] connected", "[hmr] disconnected", "[hmr] reconnected"]);
  assert.deepEqual(Array.from(page.get("wsEvents")), ["connect", "disconnect", "connect"]);
  // The backoff starts over after a successful connection.
  page.socket.serverClose();
  const [delay] = page.runTimers();
  assert.ok(delay <= 100);
});

test("a hidden page keeps reconnecting at the slow rate and retries at once when shown", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  page.document.setVisibility("hidden");
  page.socket.serverClose();
  const [delay] = page.runTimers();
  assert.ok(delay >= 1000 && delay <= 2000, `hidden delay ${delay}`);
  page.socket.serverClose();
  assert.equal(page.timers.size, 1, "still trying");
  const socketsBefore = page.sockets.length;
  page.document.setVisibility("visible");
  assert.equal(page.sockets.length, socketsBefore + 1, "a new attempt right away");
  assert.equal(page.timers.size, 0);
});

test("the page asks to catch up from its revision until its first hello, not on a reconnect", async () => {
  const page = createPage();
  page.load([app], ["/src/main.js"], { revision: 5 });
  assert.match(page.socket.url, /\?server=server-1&rev=5$/);
  // The socket closes before any hello: the next attempt still asks.
  page.socket.serverClose();
  page.runTimers();
  assert.match(page.socket.url, /&rev=5$/);
  // The server caught the page up: a hello at its revision, then the update it missed.
  await page.connect({ revision: 5 });
  await page.update({ revision: 6 });
  assert.equal(page.reloads, 0);
  assert.equal(page.inspect().revision, 6);
  // A reconnect that missed updates reloads (the errors it shows may be stale): no `rev`.
  page.socket.serverClose();
  page.runTimers();
  assert.equal(page.socket.url, "ws://localhost:5173/_hotloop/ws?server=server-1");
  await page.connect({ revision: 7 });
  assert.equal(page.reloads, 1);
  assert.equal(page.storage.getItem("hotloop:full-reload-reason"), "the page missed updates");
});

test("a restarted server is detected on reconnect", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  page.socket.serverClose();
  page.runTimers();
  await page.connect({ serverId: "server-after-restart" });
  assert.equal(page.reloads, 1);
  assert.equal(page.storage.getItem("hotloop:full-reload-reason"), "server restarted");
});

const diagnostic = {
  kind: 0,
  file: "/src/a.js",
  line: 3,
  column: 5,
  message: "Unexpected token",
  codeFrame: "  2 | let a = 1;\n> 3 | let = ;\n    |     ^",
};

test("an errors message shows the overlay; clearing the file removes it", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  await page.receive({ type: "errors", revision: 2, added: [diagnostic], cleared: [] });
  assert.ok(page.hmrLog().includes("[hmr] error /src/a.js:3:5"));
  assert.ok(page.get("wsEvents").includes("error /src/a.js:3 Unexpected token"));
  const overlay = page.overlay();
  assert.notEqual(overlay, null);
  assert.equal(overlay.parentNode, page.document.documentElement);
  const text = page.overlayText();
  assert.match(text, /\/src\/a\.js:3:5/);
  assert.match(text, /Unexpected token/);
  const frame = allElements(overlay.shadowRoot).find((e) => e.localName === "pre");
  assert.equal(frame.textContent, diagnostic.codeFrame);
  assert.deepEqual(page.inspect().errorFiles, ["/src/a.js"]);

  await page.receive({ type: "errors", revision: 3, added: [], cleared: ["/src/a.js"] });
  assert.equal(page.overlay(), null, "removed, not hidden");
  assert.deepEqual(page.inspect().errorFiles, []);
  assert.equal(page.reloads, 0);
});

test("with the config's server.hmr.overlay false, errors go to the console and no overlay shows", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"], { overlay: false });
  await page.receive({ type: "errors", revision: 2, added: [diagnostic], cleared: [] });
  assert.equal(page.overlay(), null);
  assert.ok(
    page.errorsLogged().some((l) => l.includes("/src/a.js:3:5: Unexpected token") && l.includes("> 3 | let = ;")),
    page.errorsLogged().join("\n"),
  );
});

test("the overlay names a file outside the root by its absolute path, which an editor opens", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  const outside = { ...diagnostic, file: "/@fs/repo/packages/ui/Button.tsx" };
  await page.receive({ type: "errors", revision: 2, added: [outside], cleared: [] });
  const text = page.overlayText();
  assert.match(text, /(^|[^\w])\/repo\/packages\/ui\/Button\.tsx:3:5/);
  assert.doesNotMatch(text, /@fs/);
});

test("a diagnostic's place opens in the editor when clicked (the server's /__open-in-editor)", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  // The server answers why no editor opened (here for the second file), which the page logs.
  page.run(
    "globalThis.fetched = []; globalThis.fetch = (url) => { fetched.push(url); " +
      "const why = url.includes('Button') ? 'hotloop: no editor found' : ''; " +
      "return Promise.resolve({ text: () => Promise.resolve(why) }); };",
  );
  const outside = { ...diagnostic, file: "/@fs/repo/packages/ui/Button.tsx" };
  await page.receive({ type: "errors", revision: 2, added: [diagnostic, outside], cleared: [] });
  const links = allElements(page.overlay().shadowRoot).filter((e) => e.localName === "a" && e.getAttribute("class") === "file");
  assert.deepEqual(links.map((a) => a.textContent), ["/src/a.js:3:5", "/repo/packages/ui/Button.tsx:3:5"]);
  let prevented = 0;
  for (const link of links) link.dispatchEvent({ type: "click", preventDefault: () => (prevented += 1) });
  assert.deepEqual(Array.from(page.get("fetched")), [
    "/__open-in-editor?file=%2Fsrc%2Fa.js%3A3%3A5",
    "/__open-in-editor?file=%2Frepo%2Fpackages%2Fui%2FButton.tsx%3A3%3A5",
  ]);
  assert.equal(prevented, 2, "the page does not navigate to #");
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(page.warningsLogged(), ["hotloop: no editor found"]);
});

test("errors are kept per file: new diagnostics for a file replace its old ones", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  const other = { ...diagnostic, file: "/src/b.js", message: "Cannot resolve './x'", kind: 1 };
  await page.receive({ type: "errors", revision: 2, added: [diagnostic, other], cleared: [] });
  await page.receive({ type: "errors", revision: 3, added: [{ ...diagnostic, message: "Missing semicolon" }], cleared: [] });
  const text = page.overlayText();
  assert.match(text, /2 errors/);
  assert.match(text, /Missing semicolon/);
  assert.doesNotMatch(text, /Unexpected token/);
  assert.match(text, /Cannot resolve '\.\/x'/);
  await page.receive({ type: "errors", revision: 4, added: [], cleared: ["/src/a.js"] });
  assert.match(page.overlayText(), /1 error/);
});

test("a module the page lacks because it did not compile shows as its build error alone", async () => {
  // main.js imports a module the server could not compile (so never sent): the page's start
  // fails on it, then the build error arrives with the connection.
  const main = js("/src/main.js", { "./broken.js": "/src/broken.js" }, `require("./broken.js");`);
  const page = createPage();
  await page.boot([main], ["/src/main.js"]);
  assert.match(page.overlayText(), /is not in the page \(it did not compile/);
  assert.deepEqual(page.errorsLogged(), [], "the build error is the error; the start's failure is a warning");
  assert.ok(
    page.warningsLogged().some((w) => w.includes("/src/main.js did not start: it imports /src/broken.js")),
    page.warningsLogged().join("\n"),
  );
  // The entry itself did not compile: it is named alone.
  const lone = createPage();
  await lone.boot([], ["/src/main.js"]);
  assert.ok(
    lone.warningsLogged().some((w) => w.includes("/src/main.js did not start: it is not in the page")),
    lone.warningsLogged().join("\n"),
  );
  const broken = { ...diagnostic, file: "/src/broken.js", message: "[plugin x] refuses this module" };
  await page.receive({ type: "errors", revision: 2, added: [broken], cleared: [] });
  const text = page.overlayText();
  assert.match(text, /1 error/);
  assert.match(text, /refuses this module/);
  assert.doesNotMatch(text, /is not in the page/);
  // A module under a query (`img.png?w=30`) is explained by its file's error too.
  const image = js("/src/main.js", { "./img.png?w=30": "/src/img.png?w=30" }, `require("./img.png?w=30");`);
  const other = createPage();
  await other.boot([image], ["/src/main.js"]);
  await other.receive({ type: "errors", revision: 2, added: [{ ...broken, file: "/src/img.png" }], cleared: [] });
  assert.match(other.overlayText(), /1 error/);
  // Another file's error does not explain it.
  await page.receive({ type: "errors", revision: 3, added: [], cleared: ["/src/broken.js"] });
  await page.receive({ type: "errors", revision: 4, added: [diagnostic], cleared: [] });
  assert.match(page.overlayText(), /2 errors/);
});

test("a page built with errors shows its build error first, never the missing module it caused", async () => {
  // The build had errors (`buildErrors` in the start call): they arrive right after the hello.
  // Until then the overlay stays as it was, rather than naming the consequence.
  const main = js("/src/main.js", { "./broken.js": "/src/broken.js" }, `require("./broken.js");`);
  const broken = { ...diagnostic, file: "/src/broken.js", message: "Unexpected token" };
  const page = createPage();
  await page.boot([main], ["/src/main.js"], { buildErrors: true });
  assert.equal(page.overlay(), null, "nothing shown between the start and the build error");
  assert.ok(page.warningsLogged().some((w) => w.includes("it imports /src/broken.js")), "the console still says it");
  await page.receive({ type: "errors", revision: 1, added: [broken], cleared: [] });
  assert.match(page.overlayText(), /1 error/);
  assert.match(page.overlayText(), /Unexpected token/);
  assert.doesNotMatch(page.overlayText(), /is not in the page/);

  // The errors do not explain it (another file's): it shows beside them.
  const other = createPage();
  await other.boot([main], ["/src/main.js"], { buildErrors: true });
  await other.receive({ type: "errors", revision: 1, added: [diagnostic], cleared: [] });
  assert.match(other.overlayText(), /2 errors/);
  assert.match(other.overlayText(), /is not in the page/);

  // The server is gone (the socket closes without opening): the page says what it knows.
  const offline = createPage();
  offline.load([main], ["/src/main.js"], { buildErrors: true });
  assert.equal(offline.overlay(), null);
  offline.socket.serverClose();
  assert.match(offline.overlayText(), /is not in the page/);

  // A start failure of another kind is shown at once.
  const throws = js("/src/main.js", {}, `throw new Error("boom at start");`);
  const thrown = createPage();
  thrown.load([throws], ["/src/main.js"], { buildErrors: true });
  assert.match(thrown.overlayText(), /boom at start/);
});

test("an import that did not resolve shows as its importer's build error alone", async () => {
  // Sweep 16: TanStack Router's `routeTree.gen.ts` not generated (a route file did not parse):
  // main.tsx's import of it has no module, and the page showed "Cannot find module
  // './routeTree.gen'" as a runtime error beside the build error that says why.
  const main = js("/src/main.js", { "./routeTree.gen": null }, `require("./routeTree.gen");`);
  const resolve = { ...diagnostic, file: "/src/main.js", message: "Cannot resolve './routeTree.gen' from /src/main.js: no such file", kind: 1 };
  const page = createPage();
  await page.boot([main], ["/src/main.js"], { buildErrors: true });
  assert.equal(page.overlay(), null, "nothing shown between the start and the build error");
  assert.ok(
    page.warningsLogged().some((w) => w.includes("/src/main.js did not start: the import './routeTree.gen' in /src/main.js did not resolve")),
    page.warningsLogged().join("\n"),
  );
  assert.deepEqual(page.errorsLogged(), []);
  await page.receive({ type: "errors", revision: 1, added: [resolve], cleared: [] });
  assert.match(page.overlayText(), /1 error/);
  assert.match(page.overlayText(), /Cannot resolve '\.\/routeTree\.gen'/);
  assert.doesNotMatch(page.overlayText(), /Cannot find module/);
  // Without a build error of its importer, it is shown.
  const other = createPage();
  await other.boot([main], ["/src/main.js"], { buildErrors: true });
  await other.receive({ type: "errors", revision: 1, added: [diagnostic], cleared: [] });
  assert.match(other.overlayText(), /2 errors/);
  assert.match(other.overlayText(), /Cannot find module '\.\/routeTree\.gen'/);
});

test("the close button removes the overlay until a new error arrives", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  await page.receive({ type: "errors", revision: 2, added: [diagnostic], cleared: [] });
  const close = allElements(page.overlay().shadowRoot).find((e) => e.getAttribute("data-action") === "close");
  close.dispatchEvent("click");
  assert.equal(page.overlay(), null);
  await page.receive({ type: "errors", revision: 3, added: [{ ...diagnostic, line: 4 }], cleared: [] });
  assert.match(page.overlayText(), /\/src\/a\.js:4:5/);
});

test("an error message text is shown as text, never parsed as HTML", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  await page.receive({ type: "errors", revision: 2, added: [{ ...diagnostic, message: "<img src=x onerror=alert(1)>" }], cleared: [] });
  assert.equal(allElements(page.overlay().shadowRoot).filter((e) => e.localName === "img").length, 0);
  assert.match(page.overlayText(), /<img src=x onerror=alert\(1\)>/);
});

test("an undecodable message is logged and the following ones still apply", async () => {
  const page = createPage();
  await page.boot([app], ["/src/main.js"]);
  page.socket.serverSend(new Uint8Array([0xff, 0x00]));
  await page.receive({ type: "custom", event: "x", data: 1 });
  assert.ok(page.errorsLogged().some((line) => line.includes("cannot decode")));
  assert.equal(page.reloads, 0);
});
