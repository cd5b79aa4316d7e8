// Test support for the core: the runtime core loaded in plain Node with `require` (no `vm`, no
// fake browser), started with a fake host that records what the core asks of it, and driven
// with real protocol frames. Module code runs in this realm: the globals a test's modules set
// are removed when the next runtime is created.

import { createRequire } from "node:module";

import { decodeClientFrame, encodeServerMessage } from "./server-frames.mjs";

const require = createRequire(import.meta.url);
const createCore = require("../../js/core.js");

export const ORIGIN = "http://localhost:5173";
export const SERVER_ID = "server-1";

const BASELINE_GLOBALS = new Set(Object.getOwnPropertyNames(globalThis));

function removeTestGlobals() {
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (!BASELINE_GLOBALS.has(name)) delete globalThis[name];
  }
}


/**
 * A fresh core with a recording host. `refresh`: the host's RefreshHooks (none by default);
 * `allowReload`: what the host answers when the core wants a full reload. While
 * `rt.answersLoaded` (the default), the server answers each `Loaded` with `ChunkSynced` as the
 * engine does when it has no edit to send.
 */
export function createTestRuntime({ refresh = null, allowReload = true, lazyChunks = null, loadFactory = null } = {}) {
  removeTestGlobals();
  const core = createCore();
  const frames = [];
  const logs = [];
  const record = (level) => (...args) => {
    logs.push({ level, text: args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ") });
  };
  const host = {
    origin: ORIGIN,
    send: (frame) => {
      const message = decodeClientFrame(frame);
      frames.push(message);
      if (message.kind === "loaded" && rt.answersLoaded) {
        setImmediate(() => core.receive(encodeServerMessage({ type: "chunk-synced", chunk: message.chunk })));
      }
    },
    reload(reason) {
      rt.reloads.push(reason);
      return allowReload;
    },
    css: (id, text) => rt.styles.set(id, text),
    removeCss: (id) => rt.styles.delete(id),
    swapLink: (href, version) => rt.links.push({ href, version }),
    showDiagnostics: (added, cleared) => rt.diagnostics.push({ added, cleared }),
    showError: (id, error) => rt.errors.set(id, error),
    clearError: (id) => rt.errors.delete(id),
    refresh,
    // Lazy chunks (`lazyChunks`: target id → its modules, or an Error to reject with): the
    // chunk's `define`s, as the page's fetched script runs them.
    loadChunk: lazyChunks
      ? async (id) => {
          rt.chunkRequests.push(id);
          const chunk = lazyChunks[id];
          if (chunk === undefined) throw new Error(`no module of this page loads ${id} with import()`);
          if (chunk instanceof Error) throw chunk;
          for (const m of chunk) core.define(m.id, m.deps, (0, eval)(m.code), m.staticDeps);
          return { snapshot: rt.chunkSnapshot };
        }
      : null,
    // An update's factories as scripts of the server's (a page whose CSP forbids eval).
    loadFactory,
    logger: { info: record("info"), warn: record("warn"), error: record("error"), debug: record("debug") },
  };

  const rt = {
    core,
    host,
    logs,
    /** Reasons the core asked the host to reload for. */
    reloads: [],
    /** The lazy chunks the core asked the host for, in order. */
    chunkRequests: [],
    /** The snapshot the host says the lazy chunks it loads were served from. */
    chunkSnapshot: 1,
    /** The server answers `Loaded` with `ChunkSynced` at once (see above). */
    answersLoaded: true,
    /** CSS module id → its text, as the host holds them. */
    styles: new Map(),
    links: [],
    diagnostics: [],
    /** Module id → `{ message, stack, context }` the host shows. */
    errors: new Map(),
    require: (id) => core.require(id),
    inspect: () => core.inspect(),
    /** Runs code in this realm (sets up what a test's modules read). */
    run: (code) => (0, eval)(code),
    /** A value the test's modules left on `globalThis`. */
    get: (name) => globalThis[name],
    /** The lifecycle lines, in order. */
    lifecycle: () => logs.filter((l) => l.level === "info").map((l) => l.text),
    errorsLogged: () => logs.filter((l) => l.level === "error").map((l) => l.text),
    /** Client messages sent to the server, decoded, of one kind. */
    sent: (kind) => frames.filter((m) => m.kind === kind),
    frames,
    /** Defines the modules, starts, evaluates the entries; resolves once every entry settled. */
    load(modules, entries, { revision = 1, serverId = SERVER_ID, env, mode, base, hot, serverRendered } = {}) {
      for (const m of modules) core.define(m.id, m.deps, (0, eval)(m.code), m.staticDeps, m.urls);
      core.start(host, { revision, serverId, env, mode, base, hot, serverRendered });
      return core.startEntries(entries);
    },
    /** The transport connects and the server greets. */
    async connect({ revision = 1, serverId = SERVER_ID } = {}) {
      core.connected({});
      await rt.receive({ type: "hello", serverId, revision });
    },
    async boot(modules, entries, options = {}) {
      await rt.load(modules, entries, options);
      await rt.connect(options);
    },
    /** Delivers one server message as a frame and waits until everything received was handled. */
    async receive(message) {
      core.receive(encodeServerMessage(message));
      await core.whenIdle();
    },
    /** Sends an update (missing fields empty) and returns the ack it produced, if any. */
    async update(fields) {
      const before = frames.length;
      await rt.receive({ type: "update", ...fields });
      return frames.slice(before).find((m) => m.kind === "ack");
    },
  };
  return rt;
}
