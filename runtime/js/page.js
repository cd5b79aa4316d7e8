  // ---------------------------------------------------------------------------------------------
  // page.js: the page host. Gives the core a page: the WebSocket (socket.js), reloads with
  // their note and loop guard (page-reload.js), stylesheets (css.js), the error overlay
  // (overlay.js) and React Fast Refresh (react-refresh.js). Then starts the page in order:
  // announce why it reloaded, install React Refresh, evaluate the entries, connect; at the first
  // idle moment after that, tell the server the page rendered.
  //
  // It loads scripts as `<script>` elements, which the browser parses and compiles off the main
  // thread as they stream in: lazy chunks (`loadChunk`, with the snapshot each was served from:
  // `__hotloop.served`) and, where the page's CSP forbids `eval`, an update's factories
  // (`loadFactory`); when one fails, the server's reason is fetched (`scriptError`).
  // ---------------------------------------------------------------------------------------------

  /**
   * The snapshot each lazy chunk came from, by target id: a lazy chunk's last statement is
   * `__hotloop.served(id, snapshot)` (`served` below), run before its `load` event.
   */
  const servedSnapshots = new Map();

  /**
   * The loads of the parts of a lazy chunk served in parts, by target id: a big chunk's script
   * is only `__hotloop.served(id, snapshot, urls)`, and the page loads its parts at once, as
   * that statement runs, so that the browser compiles them on several threads as they stream
   * in.
   */
  const servedParts = new Map();

  /** `__hotloop.served(id, snapshot[, partUrls])`: the last statement of a lazy chunk. */
  function served(id, snapshot, parts) {
    servedSnapshots.set(String(id), Number(snapshot));
    if (Array.isArray(parts)) {
      const loading = Promise.all(parts.map((url) => loadScript(serverUrl(String(url)))));
      // Handled by `loadLazyChunk` once the chunk's script has loaded; not "unhandled" before.
      loading.catch(() => {});
      servedParts.set(String(id), loading);
    }
  }

  /**
   * The nonce of the script that loaded the runtime: the scripts it adds carry it, so a policy
   * of nonces (with `'strict-dynamic'`, or one that names the nonce) lets them run.
   */
  const scriptNonce =
    typeof document === "object" && document.currentScript && document.currentScript.nonce
      ? document.currentScript.nonce
      : "";

  /**
   * Loads and runs the script at `url` with a `<script>` element, so the browser parses and
   * compiles it off the main thread while it streams in. When the server does not serve it (a
   * 404, 409 or 503 that names the module and says why) the element only says "error": the
   * same URL is fetched once more for the server's words, and the load rejects with them.
   */
  function loadScript(url) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      if (scriptNonce) script.nonce = scriptNonce;
      script.onload = () => {
        script.remove();
        resolve();
      };
      script.onerror = () => {
        script.remove();
        scriptError(url).then(reject, reject);
      };
      (document.head || document.documentElement).appendChild(script);
    });
  }

  /**
   * Loads the lazy chunk of the `import()` target `id` (a `fetch` and `eval` did the parse and
   * compile on the main thread, in the navigation's path) and runs its `define`s, all its parts
   * when it came in parts (root paths of the server); resolves to the number of the snapshot it
   * was served from.
   */
  function loadLazyChunk(id) {
    return loadScript(serverUrl("/_hotloop/lazy.js?id=") + encodeURIComponent(id))
      .then(() => {
        const parts = servedParts.get(id);
        servedParts.delete(id);
        return parts;
      })
      .then(
        () => {
          const snapshot = servedSnapshots.get(id);
          servedSnapshots.delete(id);
          return { snapshot: Number.isInteger(snapshot) ? snapshot : undefined };
        },
        (err) => {
          servedSnapshots.delete(id);
          throw err;
        },
      );
  }

  /** The factories update scripts handed over (`__hotloop.factory`), by `revision id`. */
  const loadedFactories = new Map();

  /** `__hotloop.factory(id, revision, factory)`: an update script's one statement. */
  function factory(id, revision, fn) {
    loadedFactories.set(revision + " " + id, fn);
  }

  /**
   * The factory of module `id` as of update `revision`, from the server's script of it: how
   * an update's code is made on a page whose Content-Security-Policy forbids `eval` but allows
   * the page's own scripts (`script-src 'self'`).
   */
  function loadFactory(id, revision) {
    const url = serverUrl("/_hotloop/factory.js?id=") + encodeURIComponent(id) + "&v=" + revision;
    return loadScript(url).then(() => {
      const key = revision + " " + id;
      const fn = loadedFactories.get(key);
      loadedFactories.delete(key);
      if (typeof fn !== "function") throw new Error(`${url} did not hand over the factory of ${id}`);
      return fn;
    });
  }

  /** Why the server did not serve the script at `url`, as an Error to reject with. */
  async function scriptError(url) {
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin" });
    } catch (err) {
      return new Error(`the dev server did not answer ${url}: ${err && err.message ? err.message : err}`);
    }
    const text = await response.text();
    if (response.ok) return new Error(`${url} did not load as a script (it answers ${response.status} now)`);
    return new Error(text.trim() || `${url} answered ${response.status}`);
  }

  /** Build errors written to the console, for a page without the overlay. */
  function logDiagnostics(logger) {
    return (added) => {
      for (const d of added || []) logger.error(`${d.file}:${d.line}:${d.column}: ${d.message}\n${d.codeFrame || ""}`);
    };
  }

  /**
   * `__hotloop.start(entries, options)` on a page.
   *
   * @param {ReturnType<typeof createCore>} core
   * @param {{ overlay: ReturnType<typeof createOverlay>, refresh: ReturnType<typeof createReactRefresh>, renders: ReturnType<typeof createPreactRenders>, logger: Logger }} page
   */
  function startPage(core, page, entries, options) {
    const { overlay, refresh, renders, logger } = page;
    const socket = createSocket({
      logger,
      serverId: options.serverId,
      revision: core.catchUpRevision,
      onOpen: (webSocket) => core.connected({ webSocket }),
      onMessage: (data) => core.receive(data),
      onClose: (webSocket) => core.disconnected({ webSocket }),
    });
    const reloads = createPageReload({ logger, showNote: overlay.showNote });
    /** @type {Host} */
    const host = {
      origin: location.origin + SERVER_PREFIX,
      send: socket.send,
      reload(reason) {
        if (!reloads.reload(reason)) return false;
        socket.stop();
        return true;
      },
      ...createStylesheets(),
      // The config's `server.hmr.overlay: false`: errors go to the console alone, as Vite's.
      showDiagnostics: options.overlay === false ? logDiagnostics(logger) : overlay.showDiagnostics,
      showError: options.overlay === false ? () => {} : overlay.showError,
      clearError: overlay.clearError,
      refresh: refresh.hooks,
      watchRenders: renders.watch,
      loadChunk: loadLazyChunk,
      loadFactory,
      logger,
    };
    // The dev server marks HTML the app's server rendered (server-side HMR).
    const serverRendered = globalThis.__hotloop_server_rendered === true;
    if (!core.start(host, serverRendered ? { ...options, serverRendered } : options)) return;
    reloads.announce();
    refresh.installForStart(options.refreshRuntime, core, options.root);
    // A blank page always comes with its reason: what React's first render throws is shown.
    const stopWatchingRender = refresh.watchFirstRender(core);
    // An error answer of the app's server that does not name the app's client (the 500 page
    // of a handler that threw): the runtime runs there, the app's entries do not.
    const errorPage = globalThis.__hotloop_error_page === true;
    // Another page of a multi-page app names its own entries (the chunk's are index.html's).
    const pageEntries = pageEntriesOf(globalThis.document);
    const started = asModules(() =>
      errorPage
        ? core.startEntries([])
        : Array.isArray(pageEntries)
          ? core.startPageEntries(pageEntries, location.pathname)
          : core.startEntries(entries),
    );
    socket.start();
    started.then(() =>
      atFirstIdle(() => {
        stopWatchingRender();
        core.rendered();
      }),
    );
  }

  /**
   * Runs `evaluate` (the entries' evaluation) as module code runs in a browser: with
   * `document.currentScript` null, as a native module sees it, not the chunk piece's script
   * that starts them (a package's "am I a classic script?" check, webpack's automatic public
   * path read `/_hotloop/piece/…` there). What the document had before is put back.
   */
  function asModules(evaluate) {
    const doc = globalThis.document;
    if (!doc || !doc.currentScript) return evaluate();
    const own = Object.getOwnPropertyDescriptor(doc, "currentScript");
    Object.defineProperty(doc, "currentScript", { configurable: true, get: () => null });
    try {
      return evaluate();
    } finally {
      if (own) Object.defineProperty(doc, "currentScript", own);
      else delete doc.currentScript;
    }
  }

  /**
   * The entries another page of a multi-page app names in its `<meta name="hotloop-page-entries">`
   * (a JSON array of module ids), or null on `index.html`'s page.
   */
  function pageEntriesOf(doc) {
    const meta = doc && typeof doc.querySelector === "function" ? doc.querySelector('meta[name="hotloop-page-entries"]') : null;
    if (!meta) return null;
    try {
      const ids = JSON.parse(meta.getAttribute("content") || "null");
      return Array.isArray(ids) ? ids.map(String) : null;
    } catch {
      return null;
    }
  }

  /** How long the page's "rendered" waits for an idle moment at most. */
  const IDLE_WAIT_MS = 5000;

  /**
   * Runs `callback` at the page's first idle moment: after the work queued so far, a
   * framework's first render included (React renders in tasks it queues back to back, so an
   * idle callback waits for its commit). At most `IDLE_WAIT_MS` later on a page that is never
   * idle; without `requestIdleCallback` (Safari), after the next frame; with no frames at all, at once.
   */
  function atFirstIdle(callback) {
    if (typeof requestIdleCallback === "function") requestIdleCallback(callback, { timeout: IDLE_WAIT_MS });
    else if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => setTimeout(callback, 0));
    else Promise.resolve().then(callback);
  }

