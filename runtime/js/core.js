  // ---------------------------------------------------------------------------------------------
  // core.js: the runtime core, shaped like Vite's `shared/hmr.ts` HMRClient with the host
  // injected. It holds the module registry and `import.meta.hot`, decodes server frames and
  // handles them strictly in the order they arrived (updates, errors, full reloads, custom
  // events, the hello's revision check), acks updates, and queues what modules send while
  // disconnected. Everything that depends on where it runs is the `Host` it is started with:
  // the core never touches `window`, `document`, `location`, `WebSocket` or `sessionStorage`
  // (runtime/tests/core-boundaries.test.mjs checks). It runs as it is in a page, in a worker and
  // in plain Node.
  //
  // This file also wires the core's parts together: in the served script they are function
  // declarations of the one shared closure; under Node each is a CommonJS file of its own
  // (`coreParts` is the one place that knows both).
  //
  // An `import()` of a lazy chunk the page announced (`Loaded`) waits for the server's
  // `ChunkSynced`, which comes after the edits the chunk predates: nothing evaluates a module the
  // page has an edit for.
  // ---------------------------------------------------------------------------------------------

  /**
   * Where the lifecycle lines (`info`: "connected", "updated /src/a.js", ...) and warnings go.
   * Messages come without the "[hmr] " prefix.
   * @typedef {{ info: (line: string) => void, warn: (...args: any[]) => void,
   *   error: (...args: any[]) => void, debug: (...args: any[]) => void }} Logger
   */

  /**
   * React Fast Refresh as the page provides it (react-refresh.js); hosts without it leave
   * `refresh` null.
   * @typedef {{
   *   runtime: () => object | null,
   *   evaluated: (id: string, exports: any, registered?: unknown[]) => void,
   *   flush?: () => void,
   *   boundaryProblem: (previous: any, next: any, id: string) => string | null,
   *   perform: () => UpdateError[],
   *   nextTask?: (() => Promise<void>) | null,
   * }} RefreshHooks
   *
   * `nextTask`: resolves in the host's next task (a page's: a message to itself), which the
   * refresh after an update that ran accept callbacks waits for (refresh-boundaries.js).
   */

  /**
   * Everything the core needs from where it runs. Only `send` and `reload` are required; the
   * rest default to doing nothing (and `logger` to the console).
   *
   * @typedef {{
   *   send: (frame: Uint8Array) => void,
   *   reload: (reason: ReloadReason) => boolean,
   *   origin?: string,
   *   moduleUrl?: ((id: string) => string) | null,
   *   moduleFile?: ((id: string) => string) | null,
   *   css?: (id: string, text: string) => void,
   *   removeCss?: (id: string) => void,
   *   swapLink?: (href: string, version: string, patch: object | undefined) => void,
   *   cssPatches?: (patches: object[]) => void,
   *   showDiagnostics?: (added: object[], cleared: string[]) => void,
   *   showError?: (id: string, error: { message: string, stack: string, context: string | undefined, missing: string | null }) => void,
   *   clearError?: (id: string) => void,
   *   refresh?: RefreshHooks | null,
   *   watchRenders?: ((exports: Iterable<unknown>) => () => Array<{ err: unknown, component: Function | null }>) | null,
   *   loadChunk?: ((id: string) => Promise<{ snapshot?: number }>) | null,
   *   loadFactory?: ((id: string, revision: number) => Promise<Function>) | null,
   *   logger?: Logger,
   *   sourceComments?: ((id: string, revision: number) => string) | null,
   *   starting?: string,
   * }} Host
   *
   * `send`: a client frame for the server, called only between `core.connected()` and
   *   `core.disconnected()` (the core queues invalidations and custom events meanwhile; acks
   *   for a dead connection are dropped).
   * `reload`: reload everything now (true), or refuse (false: the page's reload-loop guard).
   * `origin`: what module ids are appended to for `import.meta.url` and source URLs (the page's
   * origin and Vite's `base` path: `server-url.js`).
   * `moduleUrl`: where modules run from the project's files (Node): a module's
   *   `import.meta.url`, its file's `file:` URL (`fileURLToPath(import.meta.url)` works), and an
   *   asset's `new URL('./x.png', import.meta.url)` resolves against it as written, to the file;
   *   `moduleFile`: its path there (`import.meta.filename`, and `dirname` from it).
   * `css`/`removeCss`: a CSS module's stylesheet; `swapLink`: a linked stylesheet's new version,
   *   with its rule-level patch when the update has one; `cssPatches`: the update's patches of
   *   module stylesheets, before their `css` calls (`[]` once the update is applied).
   * `showDiagnostics`/`showError`/`clearError`: build errors per file, runtime errors per module.
   * `watchRenders`: starts collecting what the page's framework renders throw uncaught (Preact's,
   *   which its hot update schedules after the accept callbacks: preact-renders.js), given the
   *   evaluated modules' exports to find the framework in; the returned function stops and
   *   gives them, each with the component that threw.
   * `sourceComments`: what follows an update's factory code when it is compiled (its
   *   `//# sourceURL`, and a map URL unless the code carries its own); by default the page's,
   *   `<origin><id>?hotloop-rev=<revision>` and `<origin>/_hotloop/map<id>?v=<revision>`.
   * `loadChunk`: loads and runs the lazy chunk of the `import()` target `id` (its `define`s),
   *   resolving to `{ snapshot }` (the number of the snapshot it was served from) or rejecting
   *   with the server's reason; null where every module is in the one chunk.
   * `loadFactory`: the factory of module `id` as of update `revision`, made by a script the
   *   server serves (not by `eval`), for a page whose Content-Security-Policy forbids `eval`;
   *   rejects with the server's reason (a newer update replaced that code: reload). Null where
   *   an update that cannot be compiled reloads instead.
   * `starting`: what an entry that throws at start was doing, as the overlay and the log say it
   *   ("while starting the page"; the Node host's: "while starting the server").
   */

  const CONSOLE_LOGGER = Object.freeze({
    info: (line) => console.info("[hmr] " + line),
    warn: (message, ...rest) => console.warn("[hmr] " + message, ...rest),
    error: (message, ...rest) => console.error("[hmr] " + message, ...rest),
    debug: (message, ...rest) => console.debug("[hmr] " + message, ...rest),
  });

  /** The host's optional members, doing nothing. */
  const HOST_DEFAULTS = Object.freeze({
    origin: "",
    moduleUrl: null,
    moduleFile: null,
    css() {},
    removeCss() {},
    swapLink() {},
    cssPatches() {},
    showDiagnostics() {},
    showError() {},
    clearError() {},
    refresh: null,
    watchRenders: null,
    loadChunk: null,
    loadFactory: null,
    logger: CONSOLE_LOGGER,
    sourceComments: null,
    starting: "while starting the page",
  });

  /** The host until `start` names one: nothing is connected and nothing reloads. */
  const UNSTARTED_HOST = Object.freeze({
    ...HOST_DEFAULTS,
    send() {},
    reload: () => false,
  });

  /** The core's parts: in scope in the served script, one CommonJS file each under Node. */
  function coreParts() {
    if (typeof module === "object" && module) {
      return {
        HotloopProtocol: require("./protocol.js"),
        RELOAD_REASONS: require("./reload-reasons.js"),
        createEventBus: require("./events.js"),
        createHotContext: require("./hot-context.js"),
        createAsyncModules: require("./async-modules.js"),
        createRegistry: require("./registry.js"),
        createModuleMeta: require("./module-meta.js"),
        createRefreshBoundaries: require("./refresh-boundaries.js"),
        createUpdater: require("./update.js"),
      };
    }
    return {
      HotloopProtocol,
      RELOAD_REASONS,
      createEventBus,
      createHotContext,
      createAsyncModules,
      createRegistry,
      createModuleMeta,
      createRefreshBoundaries,
      createUpdater,
    };
  }

  function errorMessage(err) {
    if (err && typeof err === "object" && "message" in err) return asWritten(String(err.message));
    return String(err);
  }

  function errorStack(err) {
    if (err && typeof err === "object" && typeof err.stack === "string") return asWritten(err.stack);
    return errorMessage(err);
  }

  /**
   * An engine's message about a call of an imported name, said with the name as the module
   * wrote it: the registry's modules call `import { ref } from "vue"` as `(0 , _vue.ref)(...)`,
   * which V8 names in "(0 , _vue.ref) is not a function"; native modules get "ref is not a
   * function".
   */
  function asWritten(text) {
    return text.includes("(0 , _") ? text.replace(/\(0 , _[\w$]+\.([\w$]+)\)/g, "$1") : text;
  }

  const now =
    typeof performance !== "undefined" && typeof performance.now === "function"
      ? () => performance.now()
      : () => Date.now();

  /** The event the dev server sends once the app's server applied an update. */
  const SERVER_UPDATE = "hotloop:server-update";

  /** A new runtime core. It evaluates nothing and sends nothing until `start`. */
  function createCore() {
    const parts = coreParts();
    const codec = parts.HotloopProtocol;
    const reasons = parts.RELOAD_REASONS;

    /** @type {Required<Host>} */
    let host = UNSTARTED_HOST;
    const logger = {
      info: (line) => host.logger.info(line),
      warn: (...args) => host.logger.warn(...args),
      error: (...args) => host.logger.error(...args),
      debug: (...args) => host.logger.debug(...args),
    };

    const state = {
      started: false,
      /** The server instance the code came from. */
      serverId: null,
      /** The last update applied (the chunk's revision before any). */
      revision: 0,
      /** The last errors message seen: the server's revision can move without code for us. */
      errorsRevision: 0,
      reloading: false,
      /** Whether modules get `import.meta.hot` (not in a worker: the page reloads to restart it). */
      hot: true,
      /** `import.meta.env`; `start` adds the `.env` variables the server exposes and the mode. */
      env: Object.freeze({ MODE: "development", DEV: true, PROD: false, SSR: false, BASE_URL: "/" }),
      /** The page's HTML came from the app's server (server-side HMR): stale after its updates. */
      serverRendered: false,
      /** The ids `startEntries` required: after a failed start, updates retry them. */
      entryIds: [],
      /** The host said the page rendered (`rendered()`): the server hears it on every connect. */
      rendered: false,
      /**
       * Start failures on a module the page lacks, held until the server has said its build
       * errors (`releaseStartFailures`); null once it has, or when the page was built without
       * any.
       */
      heldStartFailures: null,
    };

    const connection = {
      open: false,
      everConnected: false,
      /** A hello was heard: the page shows what the server said since (its errors). */
      heardHello: false,
      /** Invalidate and custom frames sent while disconnected, flushed on connect. */
      pending: [],
    };

    const bus = parts.createEventBus(logger);
    const refresh = parts.createRefreshBoundaries(() => host.refresh);
    const hotClient = {
      bus,
      logger,
      depTarget: parts.createRegistry.depTarget,
      invalidate: (id, message) => sendQueued(codec.encodeInvalidate({ id, message })),
      sendCustom: (event, data) => sendQueued(codec.encodeCustom({ event, data })),
    };
    const registry = parts.createRegistry({
      createAsyncModules: parts.createAsyncModules,
      hotContext: (rec) => parts.createHotContext(rec, hotClient),
      meta: parts.createModuleMeta({
        host: () => host,
        env: () => state.env,
        hot: () => state.hot,
        refreshRuntime: refresh.runtime,
        esmNamespace: parts.createRegistry.esmNamespace,
      }),
      refreshRuntime: refresh.runtime,
      assetsAsWritten: () => host.moduleUrl !== null,
      loadChunk: (id) => (host.loadChunk ? host.loadChunk(id).then((info) => chunkLoaded(id, info)) : null),
      evaluated(rec) {
        host.clearError(rec.id);
        refresh.evaluated(rec);
      },
    });
    const applyUpdate = parts.createUpdater({
      registry,
      bus,
      refresh,
      host: () => host,
      reportError,
      reload: fullReload,
      reasons,
      entries: () => state.entryIds,
      errorMessage,
    });

    /**
     * Lazy chunks this page loaded: target id → the number of the snapshot it came from. The
     * server plans updates of modules only lazy chunks hold for the chunks open pages loaded,
     * so it hears of each (again after a reconnect: a new session knows nothing).
     */
    const loadedChunks = new Map();

    /**
     * Lazy chunks announced (`Loaded`) whose `ChunkSynced` has not arrived: target id → what
     * ends the `import()`'s wait. The server sends every edit to the chunk's modules made since
     * the snapshot it was served from before that answer, and messages are handled in order,
     * so the `import()` evaluates nothing of the chunk at an older version (a framework never
     * renders a component the page already has an edit for).
     */
    const unsynced = new Map();

    /** How long an `import()` waits for `ChunkSynced` at most (a connection that stalls). */
    const SYNC_WAIT_MS = 3000;

    /** A lazy chunk ran its defines: tell the server, and wait for its answer when connected. */
    function chunkLoaded(id, info) {
      // Its modules may import what an error was held back for.
      showHeldDiagnostics();
      const snapshot = info && typeof info.snapshot === "number" ? info.snapshot : 0;
      loadedChunks.set(id, snapshot);
      if (!connection.open) return undefined;
      host.send(codec.encodeLoaded({ chunk: id, snapshot }));
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          if (unsynced.get(id) === done) unsynced.delete(id);
          resolve();
        };
        const timer = setTimeout(done, SYNC_WAIT_MS);
        unsynced.set(id, done);
      });
    }

    /** Ends every `import()`'s wait for `ChunkSynced` (the connection that would bring it closed). */
    function releaseUnsynced() {
      for (const done of [...unsynced.values()]) done();
    }

    /** Every server message is handled after the previous one finished. */
    let queue = Promise.resolve();

    function enqueue(task) {
      queue = queue.then(task).catch((err) => logger.error("internal error", err));
      return queue;
    }

    /** Sends now, or after the next connect. */
    function sendQueued(frame) {
      if (connection.open) host.send(frame);
      else connection.pending.push(frame);
    }

    /** Shows an error thrown while evaluating `id` (or by its accept callback) on the host. */
    function reportError(err, id, context) {
      const missing = err && typeof err.missingModule === "string" ? err.missingModule : null;
      host.showError(registry.ownerOf(err, id), { message: errorMessage(err), stack: errorStack(err), context, missing });
    }

    /** Reloads through the host (true), unless the host refuses (false). */
    /**
     * The app's server took an update (server-side HMR): listeners of `hotloop:server-update`
     * hear it (a page refetches its data). A server-rendered page (`serverRendered` in the
     * start options) with no listener reloads for fresh HTML, unless every module that changed
     * is one of its own, which its hot update already brought.
     */
    function handleServerUpdate(data) {
      const listening = bus.has(SERVER_UPDATE);
      bus.emit(SERVER_UPDATE, data);
      if (listening || !state.serverRendered) return;
      const modules = data && Array.isArray(data.modules) ? data.modules : [];
      if (modules.length > 0 && modules.every((id) => registry.records.has(id))) return;
      fullReload(reasons.ServerUpdated);
    }

    function fullReload(reason) {
      if (state.reloading) return true;
      if (!host.reload(reason)) return false;
      state.reloading = true;
      bus.emit("vite:beforeFullReload", { type: "full-reload", reason: reason.text });
      return true;
    }

    /**
     * Takes `host` and the start call's options: `revision` and `serverId` of the chunk,
     * `env` (the `.env` variables), `mode` and `base` into `import.meta.env`, `hot: false` for no
     * `import.meta.hot`. Returns false (and changes nothing) when the core was started already.
     */
    function start(nextHost, options = {}) {
      if (state.started) {
        logger.warn("__hotloop.start called twice; ignored");
        return false;
      }
      state.started = true;
      host = { ...HOST_DEFAULTS, ...nextHost };
      state.hot = options.hot !== false;
      state.serverId = options.serverId != null ? options.serverId : null;
      state.revision = typeof options.revision === "number" ? options.revision : 0;
      state.errorsRevision = state.revision;
      if (options.env && typeof options.env === "object") {
        state.env = Object.freeze(Object.assign({}, options.env, state.env));
      }
      if (typeof options.mode === "string") {
        state.env = Object.freeze(Object.assign({}, state.env, { MODE: options.mode }));
      }
      if (typeof options.base === "string") {
        // Vite's `base`, as `import.meta.env.BASE_URL`.
        state.env = Object.freeze(Object.assign({}, state.env, { BASE_URL: options.base }));
      }
      state.serverRendered = options.serverRendered === true;
      // Built with errors: the server says them right after its hello. Until then a module the
      // page lacks (it did not compile) is the consequence, not the error to show.
      state.heldStartFailures = options.buildErrors === true ? [] : null;
      if (options.server === true) {
        // The server graph (server-side HMR): `import.meta.env.SSR`, as under Vite's SSR.
        state.env = Object.freeze(Object.assign({}, state.env, { SSR: true }));
      }
      return true;
    }

    /**
     * Evaluates the entries in order. Synchronous unless an entry waits for top-level await:
     * from that entry on, each one starts when the previous one finished. `failed(id, err)`
     * hears of an entry that threw (by default: logged and shown by the host). Resolves once
     * every entry settled.
     */
    function startEntries(ids, failed = failedAtStart) {
      state.entryIds = Array.from(ids);
      let previous = null;
      for (const id of state.entryIds) {
        const rec = registry.records.get(id);
        if (previous === null && !(rec && registry.waitsForAsync(rec))) {
          try {
            registry.requireId(id);
          } catch (err) {
            failed(id, err);
          }
          continue;
        }
        // The first waiting entry starts now (its code up to the first await runs synchronously,
        // as a module script's would); the ones after it wait for it.
        const run = () => registry.loadModule(id);
        const started = previous === null ? registry.evaluateAsync(rec, new Set()) : previous.then(run);
        previous = started.then(
          () => refresh.settle(),
          (err) => failed(id, err),
        );
      }
      // First registrations create component families; there is nothing to refresh yet.
      refresh.settle();
      return previous === null ? Promise.resolve() : previous;
    }

    /**
     * Starts the entries of another page of a multi-page app (`page`, its path): each is the
     * root of a lazy chunk (the page's chunk defines only what it shares with `index.html`),
     * loaded first, all at once; then they run in order, as `startEntries`. An entry whose
     * chunk did not load is reported as one that threw; the others still run, as module
     * scripts would.
     */
    function startPageEntries(ids, page) {
      pageEntries = Array.from(ids);
      const loads = Array.from(ids, (id) =>
        Promise.resolve(registry.ensureChunk(id, page, id)).then(
          () => null,
          (err) => err,
        ),
      );
      return Promise.all(loads).then((errors) => {
        errors.forEach((err, i) => {
          if (err) failedAtStart(ids[i], err);
        });
        return startEntries(ids.filter((_, i) => !errors[i]));
      });
    }

    function failedAtStart(id, err) {
      if (err && typeof err.missingModule === "string") {
        // The module's build error (overlay, terminal) is the error; this is its consequence.
        logger.warn(
          typeof err.unresolved === "string"
            ? `${id} did not start: the import '${err.unresolved}' in ${err.missingModule} did not resolve (its build error says why)`
            : err.missingModule === id
              ? `${id} did not start: it is not in the page (its build error says why)`
              : `${id} did not start: it imports ${err.missingModule}, which is not in the page (its build error says why)`,
        );
      } else {
        logger.error(`${id} threw ${host.starting}`, err);
      }
      if (state.heldStartFailures !== null && err && typeof err.missingModule === "string") {
        state.heldStartFailures.push({ err, id });
        return;
      }
      reportError(err, id, host.starting);
    }

    /**
     * Shows the start failures held back for the server's build errors: after its first
     * `errors` frame (the overlay names the build error, and leaves out a failure it explains),
     * or its first update, or once the connection closed (or never opened) without them.
     */
    function releaseStartFailures() {
      const held = state.heldStartFailures;
      if (held === null) return;
      state.heldStartFailures = null;
      for (const { err, id } of held) reportError(err, id, host.starting);
    }

    /** The host's connection to the server opened; `payload` goes to `vite:ws:connect`. */
    function connected(payload) {
      connection.open = true;
      logger.info(connection.everConnected ? "reconnected" : "connected");
      connection.everConnected = true;
      bus.emit("vite:ws:connect", payload);
      for (const frame of connection.pending.splice(0)) host.send(frame);
      for (const [chunk, snapshot] of loadedChunks) host.send(codec.encodeLoaded({ chunk, snapshot }));
      if (state.rendered) host.send(codec.encodeRendered());
    }

    /**
     * The host's first idle moment after the entries ran: the page rendered. The server
     * compiles what the page's `import()`s may ask for only after it (its background warm-up
     * would otherwise compete with the first render for a core). Said once, and again on every
     * connect (a new session knows nothing).
     */
    function rendered() {
      if (state.rendered) return;
      state.rendered = true;
      if (connection.open) host.send(codec.encodeRendered());
    }

    /** The connection closed; `payload` goes to `vite:ws:disconnect`. */
    function disconnected(payload) {
      releaseStartFailures();
      if (!connection.open) return;
      connection.open = false;
      releaseUnsynced();
      logger.info("disconnected");
      bus.emit("vite:ws:disconnect", payload);
    }

    /** A frame from the server: decoded now, handled after every earlier one. */
    function receive(frame) {
      const receivedAt = now();
      let message;
      try {
        message = codec.decodeServerMessage(frame);
      } catch (err) {
        logger.error("cannot decode a server message", err);
        return;
      }
      enqueue(() => handleMessage(message, receivedAt));
    }

    async function handleMessage(message, receivedAt) {
      if (state.reloading) return;
      switch (message.type) {
        case "hello":
          handleHello(message);
          return;
        case "update":
          await handleUpdate(message, receivedAt);
          return;
        case "errors":
          handleErrors(message);
          return;
        case "full-reload":
          fullReload({
            name: "Server",
            code: message.reasonCode,
            text: message.reason || reasons.ServerRequested.text,
          });
          return;
        case "chunk-synced": {
          const done = unsynced.get(message.chunk);
          if (done) done();
          return;
        }
        case "custom":
          if (message.event === SERVER_UPDATE) {
            handleServerUpdate(message.data);
            return;
          }
          bus.emit(message.event, message.data);
          return;
        default:
          logger.warn("unknown server message", message);
      }
    }

    function handleHello(message) {
      connection.heardHello = true;
      if (message.protocol !== codec.PROTOCOL_VERSION) {
        fullReload(reasons.ProtocolMismatch);
      } else if (message.serverId !== state.serverId) {
        fullReload(reasons.ServerRestarted);
      } else if (message.revision > Math.max(state.revision, state.errorsRevision)) {
        // Every frame after the hello's revision is queued behind it: a page at a later one
        // (it loaded a newer chunk than the session's snapshot) skips those it has.
        fullReload(reasons.MissedUpdates);
      }
    }

    async function handleUpdate(message, receivedAt) {
      if (message.revision <= state.revision) return; // already applied here
      releaseStartFailures();
      let result;
      try {
        result = await applyUpdate(message);
      } catch (err) {
        // A bug in the runtime itself: say so in the ack rather than going silent.
        logger.error("internal error while applying an update", err);
        result = { ok: false, error: errorMessage(err) };
      }
      state.revision = message.revision;
      if (result.reloading) return;
      // Its code may import what an error was held back for.
      showHeldDiagnostics();
      // An ack for a dead connection means nothing to the next one: drop it.
      if (!connection.open) return;
      host.send(
        codec.encodeAck({ revision: message.revision, ok: result.ok, applyMs: now() - receivedAt, error: result.error }),
      );
    }

    function handleErrors(message) {
      state.errorsRevision = Math.max(state.errorsRevision, message.revision);
      for (const file of message.cleared) heldDiagnostics.delete(file);
      const added = heldBack(message.added);
      host.showDiagnostics(added, message.cleared);
      showDiagnosticsOf(added);
      releaseStartFailures();
    }

    /**
     * Another page of a multi-page app (`startPageEntries`): its entries. Its page's chunk also
     * defines what `index.html` runs (defined, never run), so a build error of a module only
     * other pages run would show in its overlay, where under Vite this page never requests
     * that module. null on `index.html`, whose chunk is all its own.
     */
    let pageEntries = null;
    /** Build errors held back on such a page, by file (`heldBack`). */
    const heldDiagnostics = new Map();

    /**
     * The diagnostics of `added` this page shows: all of them, but on another page of a
     * multi-page app those of a module this registry knows (defined, or a dep of a defined
     * module) that none of the page's entries reaches through the deps maps (static or
     * `import()`) are held back, until an update or a lazy chunk makes the page reach it
     * (`showHeldDiagnostics`) or the server clears them. An error of anything else (a file
     * no module of the page names, the HTML, the env) is shown: never a stale page without
     * a message.
     */
    function heldBack(added) {
      if (pageEntries === null || added.length === 0) return added;
      const reached = reachedModules();
      // The walk over every deps map only when some error is of a module the page does not reach.
      if (added.every((d) => reached.has(d.file))) return added;
      const known = knownModules();
      const byFile = new Map();
      for (const d of added) {
        if (!known.has(d.file) || reached.has(d.file)) continue;
        const list = byFile.get(d.file);
        if (list) list.push(d);
        else byFile.set(d.file, [d]);
      }
      for (const [file, list] of byFile) {
        heldDiagnostics.set(file, list);
        logger.info(`error in ${file}, which only other pages run: not shown here`);
      }
      return byFile.size === 0 ? added : added.filter((d) => !byFile.has(d.file));
    }

    /** Shows the held-back errors of the modules this page reaches now. */
    function showHeldDiagnostics() {
      if (heldDiagnostics.size === 0) return;
      const reached = reachedModules();
      const shown = [];
      for (const [file, list] of heldDiagnostics) {
        if (!reached.has(file)) continue;
        heldDiagnostics.delete(file);
        shown.push(...list);
      }
      if (shown.length === 0) return;
      host.showDiagnostics(shown, []);
      showDiagnosticsOf(shown);
    }

    /** The module ids `rec`'s deps map names. */
    function* depTargets(rec) {
      for (const spec in rec.deps) {
        const target = parts.createRegistry.depTarget(rec, spec);
        if (target != null) yield target;
      }
    }

    /** Every module id the registry has, or that a module it has names as a dep. */
    function knownModules() {
      const known = new Set();
      for (const [id, rec] of registry.records) {
        known.add(id);
        for (const target of depTargets(rec)) known.add(target);
      }
      return known;
    }

    /** The module ids this page's entries reach through the deps maps of defined modules. */
    function reachedModules() {
      const reached = new Set(pageEntries);
      const queue = [...reached];
      while (queue.length > 0) {
        const rec = registry.records.get(queue.pop());
        if (!rec) continue;
        for (const target of depTargets(rec)) {
          if (reached.has(target)) continue;
          reached.add(target);
          queue.push(target);
        }
      }
      return reached;
    }

    /** The console line and the `vite:error` event of each build error shown. */
    function showDiagnosticsOf(added) {
      for (const d of added) logger.info(`error ${d.file}:${d.line}:${d.column}`);
      for (const d of added) {
        bus.emit("vite:error", {
          type: "error",
          err: {
            message: d.message,
            stack: "",
            id: d.file,
            frame: d.codeFrame,
            loc: { file: d.file, line: d.line, column: d.column },
          },
        });
      }
    }

    return {
      /**
       * `define(id, depsMap, factory, staticDeps, urls)`: a chunk stores a module factory; never
       * evaluates, and never replaces a module the registry has (lazy chunks overlap). `urls` 1:
       * a dep is a URL (`engine/src/queries/emit.rs`'s `define_statement`).
       */
      define(id, deps, factory, staticDeps, urls) {
        registry.defineFromChunk(id, deps, factory, staticDeps, urls);
      },
      /** `require(id)`: the exports of module `id`, evaluating it if needed. */
      require: (id) => registry.requireId(id),
      /** `import.meta.env` as the page's modules read it (a module the page fetches by id,
       * outside the registry, has it set from this: a plugin's runtime). */
      env: () => state.env,
      /** `importUrl(path)`: the namespace of the project's script at a root path, loaded as a
       * lazy chunk (a `<script type="module" src>` code added: the server's stand-in module). */
      importUrl: (spec) => registry.importUrl(spec),
      start,
      startEntries,
      startPageEntries,
      reportError,
      connected,
      disconnected,
      rendered,
      receive,
      /**
       * The revision the page asks the server to catch up from when it connects (`?rev=`): the
       * chunk's, or the last it heard of, until its first hello. A page that loaded the chunk of
       * an older revision than the server's (an edit saved while it reloaded) then gets the
       * updates it missed instead of reloading again. null from the first hello on: a reconnect
       * that missed updates reloads, since the errors the page shows may have been cleared
       * meanwhile by a frame it never heard.
       */
      catchUpRevision: () => (connection.heardHello ? null : Math.max(state.revision, state.errorsRevision)),
      /** Resolves once every server message received so far has been handled. */
      whenIdle: () => queue.then(() => undefined),
      /** Custom events over the page's connection, for `/@vite/client` (`vite-client.js`). */
      events: {
        on: (event, listener) => bus.on(event, listener),
        off: (event, listener) => bus.off(event, listener),
        send: hotClient.sendCustom,
      },
      /** Plain data: serverId, revision, connected, module states. */
      inspect() {
        const modules = {};
        for (const [id, rec] of registry.records) modules[id] = rec.state;
        return { serverId: state.serverId, revision: state.revision, connected: connection.open, modules };
      },
    };
  }

  if (typeof module === "object" && module) module.exports = createCore;
