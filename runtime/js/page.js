  // ---------------------------------------------------------------------------------------------
  // page.js: the page host. Gives the core a page: the WebSocket (socket.js), reloads with
  // their note and loop guard (page-reload.js), stylesheets (css.js), the error overlay
  // (overlay.js) and React Fast Refresh (react-refresh.js). Then starts the page in order:
  // announce why it reloaded, install React Refresh, evaluate the entries, connect.
  // ---------------------------------------------------------------------------------------------

  /**
   * Fetches the lazy chunk of the `import()` target `id` and runs it (its `define`s) as a
   * classic script would, named for DevTools; resolves to the number of the snapshot it was
   * served from (the `x-hotloop-snapshot` header); rejects with the server's answer when it has no chunk (a 404
   * or 503 names the module and says why).
   */
  async function loadLazyChunk(id) {
    const url = "/_hotloop/lazy.js?id=" + encodeURIComponent(id);
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin" });
    } catch (err) {
      throw new Error(`the dev server did not answer ${url}: ${err && err.message ? err.message : err}`);
    }
    const text = await response.text();
    if (!response.ok) throw new Error(text.trim() || `${url} answered ${response.status}`);
    (0, eval)(text + "\n//# sourceURL=" + location.origin + url);
    const snapshot = Number(response.headers.get("x-hotloop-snapshot"));
    return { snapshot: Number.isInteger(snapshot) ? snapshot : undefined };
  }

  /**
   * `__hotloop.start(entries, options)` on a page.
   *
   * @param {ReturnType<typeof createCore>} core
   * @param {{ overlay: ReturnType<typeof createOverlay>, refresh: ReturnType<typeof createReactRefresh>, logger: Logger }} page
   */
  function startPage(core, page, entries, options) {
    const { overlay, refresh, logger } = page;
    const socket = createSocket({
      logger,
      onOpen: (webSocket) => core.connected({ webSocket }),
      onMessage: (data) => core.receive(data),
      onClose: (webSocket) => core.disconnected({ webSocket }),
    });
    const reloads = createPageReload({ logger, showNote: overlay.showNote });
    /** @type {Host} */
    const host = {
      origin: location.origin,
      send: socket.send,
      reload(reason) {
        if (!reloads.reload(reason)) return false;
        socket.stop();
        return true;
      },
      ...createStylesheets(),
      showDiagnostics: overlay.showDiagnostics,
      showError: overlay.showError,
      clearError: overlay.clearError,
      refresh: refresh.hooks,
      loadChunk: loadLazyChunk,
      logger,
    };
    // The dev server marks HTML the app's server rendered (server-side HMR).
    const serverRendered = globalThis.__hotloop_server_rendered === true;
    if (!core.start(host, serverRendered ? { ...options, serverRendered } : options)) return;
    reloads.announce();
    refresh.installForStart(options.refreshRuntime, core);
    core.startEntries(entries);
    socket.start();
  }
