  // ---------------------------------------------------------------------------------------------
  // client.js: the connection to the dev server and the page lifecycle. `start` evaluates the
  // entries and connects; server messages are decoded on arrival and handled strictly in order
  // through one queue; the socket reconnects forever with backoff; full reloads leave their
  // reason in sessionStorage for the next page to report.
  // ---------------------------------------------------------------------------------------------

  const RECONNECT_MIN_MS = 100;
  const RECONNECT_MAX_MS = 2000;
  /** More full reloads than this within RELOAD_LOOP_MS means a loop: stop and say so. */
  const RELOAD_LOOP_LIMIT = 5;
  const RELOAD_LOOP_MS = 10000;
  const RELOAD_HISTORY_KEY = "hotloop:reload-history";

  const connection = {
    /** @type {WebSocket | null} */
    socket: null,
    open: false,
    everConnected: false,
    attempt: 0,
    timer: null,
    /** Invalidate and custom messages sent while disconnected, flushed on open. */
    pending: [],
  };

  const page = {
    started: false,
    /** The server instance the page's code came from. */
    serverId: null,
    /** The last update applied (the chunk's revision before any). */
    revision: 0,
    /** The last errors message seen: the server's revision can move without code for us. */
    errorsRevision: 0,
    reloading: false,
    /**
     * Started as a web worker's script (`start(..., { worker: true })`): no server connection,
     * no overlay, no React Refresh and no `import.meta.hot` (the page reloads to restart it).
     */
    worker: false,
  };

  /** Every server message is handled after the previous one finished. */
  let queue = Promise.resolve();

  function enqueue(task) {
    queue = queue.then(task).catch((err) => console.error("[hmr] internal error", err));
    return queue;
  }

  /** Sends now, or after the next connect. */
  function sendToServer(buffer) {
    if (connection.open) connection.socket.send(buffer);
    else connection.pending.push(buffer);
  }

  function sendAck(ack) {
    // An ack for a dead connection means nothing to the next one: drop it.
    if (connection.open) connection.socket.send(protocol().encodeAck(ack));
  }

  function socketUrl() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/_hotloop/ws";
  }

  function connect() {
    connection.timer = null;
    if (page.reloading || typeof WebSocket === "undefined") return;
    let socket;
    try {
      socket = new WebSocket(socketUrl());
    } catch (err) {
      console.error("[hmr] cannot open the WebSocket", err);
      scheduleReconnect();
      return;
    }
    socket.binaryType = "arraybuffer";
    connection.socket = socket;
    socket.addEventListener("open", () => {
      if (connection.socket !== socket) return;
      connection.open = true;
      connection.attempt = 0;
      log(connection.everConnected ? "reconnected" : "connected");
      connection.everConnected = true;
      emit("vite:ws:connect", { webSocket: socket });
      const pending = connection.pending.splice(0);
      for (const buffer of pending) socket.send(buffer);
    });
    socket.addEventListener("message", (event) => onMessage(event.data));
    socket.addEventListener("close", () => {
      if (connection.socket !== socket) return;
      const wasOpen = connection.open;
      connection.socket = null;
      connection.open = false;
      if (wasOpen) {
        log("disconnected");
        emit("vite:ws:disconnect", { webSocket: socket });
      }
      scheduleReconnect();
    });
  }

  function pageHidden() {
    return typeof document !== "undefined" && document.visibilityState === "hidden";
  }

  /** 100 ms doubling to 2 s, jittered; a hidden page keeps trying at the slow rate. */
  function reconnectDelay() {
    const exponential = RECONNECT_MIN_MS * 2 ** Math.min(connection.attempt, 10);
    const base = pageHidden() ? RECONNECT_MAX_MS : Math.min(RECONNECT_MAX_MS, exponential);
    connection.attempt += 1;
    return base / 2 + (Math.random() * base) / 2;
  }

  function scheduleReconnect() {
    if (page.reloading || connection.timer !== null) return;
    connection.timer = setTimeout(connect, reconnectDelay());
  }

  function onVisibilityChange() {
    // Back in view while disconnected: try now instead of waiting out the slow rate.
    if (!pageHidden() && connection.socket === null && connection.timer !== null) {
      clearTimeout(connection.timer);
      connect();
    }
  }

  function onMessage(data) {
    const receivedAt = now();
    let message;
    try {
      message = protocol().decodeServerMessage(data);
    } catch (err) {
      console.error("[hmr] cannot decode a server message", err);
      return;
    }
    enqueue(() => handleMessage(message, receivedAt));
  }

  async function handleMessage(message, receivedAt) {
    if (page.reloading) return;
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
        fullReload(message.reason || "requested by the server");
        return;
      case "custom":
        emit(message.event, message.data);
        return;
      default:
        console.warn("[hmr] unknown server message", message);
    }
  }

  function handleHello(message) {
    const codec = protocol();
    if (codec && typeof codec.PROTOCOL_VERSION === "number" && message.protocol !== codec.PROTOCOL_VERSION) {
      fullReload("the server speaks another protocol version");
    } else if (message.serverId !== page.serverId) {
      fullReload("server restarted");
    } else if (message.revision !== Math.max(page.revision, page.errorsRevision)) {
      fullReload("missed updates");
    }
  }

  async function handleUpdate(raw, receivedAt) {
    if (raw.revision <= page.revision) return; // already in this page
    const message = {
      revision: raw.revision,
      modules: raw.modules || [],
      invalidate: raw.invalidate || [],
      boundaries: raw.boundaries || [],
      removed: raw.removed || [],
      cssLinks: raw.cssLinks || [],
    };
    let result;
    try {
      result = await applyUpdate(message);
    } catch (err) {
      // A bug in the runtime itself: say so in the ack rather than going silent.
      console.error("[hmr] internal error while applying an update", err);
      result = { ok: false, error: errorMessage(err) };
    }
    page.revision = message.revision;
    if (result.reloading) return;
    sendAck({
      revision: message.revision,
      ok: result.ok,
      applyMs: now() - receivedAt,
      error: result.error,
    });
  }

  function handleErrors(message) {
    page.errorsRevision = Math.max(page.errorsRevision, message.revision);
    applyDiagnostics(message.added, message.cleared);
    for (const d of message.added || []) {
      emit("vite:error", {
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

  function storage() {
    try {
      return typeof sessionStorage !== "undefined" ? sessionStorage : null;
    } catch {
      return null; // sandboxed frames throw on access
    }
  }

  /** Recent full reload times, for the loop guard. */
  function reloadHistory(store) {
    try {
      const list = JSON.parse((store && store.getItem(RELOAD_HISTORY_KEY)) || "[]");
      const cutoff = Date.now() - RELOAD_LOOP_MS;
      return Array.isArray(list) ? list.filter((t) => typeof t === "number" && t > cutoff) : [];
    } catch {
      return [];
    }
  }

  /** Reloads the page (returns true), unless the reload-loop guard refuses (returns false). */
  function fullReload(reason) {
    if (page.reloading) return true;
    const store = storage();
    const history = reloadHistory(store);
    if (history.length >= RELOAD_LOOP_LIMIT) {
      console.warn(`[hmr] not reloading (${reason}): ${history.length} reloads in ${RELOAD_LOOP_MS / 1000} s`);
      showNote(`${reason} (not reloaded: the page was reloading in a loop; reload by hand)`);
      return false;
    }
    page.reloading = true;
    emit("vite:beforeFullReload", { type: "full-reload", reason });
    try {
      if (store) {
        store.setItem(RELOAD_REASON_KEY, reason);
        store.setItem(RELOAD_HISTORY_KEY, JSON.stringify([...history, Date.now()]));
      }
    } catch {
      // Storage full or denied: the reason is only lost for the next page's log.
    }
    location.reload();
    return true;
  }

  /** After a full reload: log its reason and show it as a note. */
  function announceReload() {
    const store = storage();
    let reason = null;
    try {
      reason = store && store.getItem(RELOAD_REASON_KEY);
      if (reason !== null && store) store.removeItem(RELOAD_REASON_KEY);
    } catch {
      reason = null;
    }
    if (reason === null || reason === undefined) return;
    log(`full reload: ${reason}`);
    showNote(reason);
  }

  /**
   * Evaluates the entries in order. Synchronous unless an entry waits for top-level await: from
   * that entry on, each one starts when the previous one finished.
   */
  function startEntries(ids) {
    const failed = (id, err) => {
      if (page.worker) {
        // Uncaught, so the page's `worker.onerror` hears of it as it would without hotloop.
        setTimeout(() => {
          throw err;
        });
        return;
      }
      console.error(`[hmr] ${id} threw while the page started`, err);
      reportRuntimeError(err, id, "while starting the page");
    };
    let previous = null;
    for (const id of ids) {
      const rec = records.get(id);
      if (previous === null && !(rec && waitsForAsync(rec))) {
        try {
          requireId(id);
        } catch (err) {
          failed(id, err);
        }
        continue;
      }
      // The first waiting entry starts now (its code up to the first await runs synchronously,
      // as a module script's would); the ones after it wait for it.
      const run = () => loadModule(id);
      const started = previous === null ? evaluateAsync(rec, new Set()) : previous.then(run);
      previous = started.then(
        () => {
          refresh.dirty = false;
        },
        (err) => failed(id, err),
      );
    }
  }

  /**
   * `__hotloop.start(entries, { revision, serverId, refreshRuntime, env, mode, worker })`: take
   * `env` (the `.env` variables) into `import.meta.env`, install React Refresh (`refreshRuntime`
   * = module id of the app's own `react-refresh/runtime`, else the embedded copy if it was
   * loaded), evaluate the entries in order, then connect. A worker's script (`worker: true`)
   * only evaluates its entry.
   */
  function start(entries, options) {
    if (page.started) {
      console.warn("[hmr] __hotloop.start called twice; ignored");
      return;
    }
    page.started = true;
    page.worker = Boolean(options && options.worker);
    page.serverId = options && options.serverId != null ? options.serverId : null;
    page.revision = options && typeof options.revision === "number" ? options.revision : 0;
    page.errorsRevision = page.revision;
    entryIds = Array.from(entries);
    if (options && options.env && typeof options.env === "object") {
      ENV = Object.freeze(Object.assign({}, options.env, ENV));
    }
    if (options && typeof options.mode === "string") {
      ENV = Object.freeze(Object.assign({}, ENV, { MODE: options.mode }));
    }
    if (page.worker) {
      startEntries(entryIds);
      return;
    }
    announceReload();
    installRefreshForStart(options && options.refreshRuntime);
    startEntries(entryIds);
    // First registrations create component families; there is nothing to refresh yet.
    refresh.dirty = false;
    if (typeof document !== "undefined" && typeof document.addEventListener === "function") {
      document.addEventListener("visibilitychange", onVisibilityChange);
    }
    connect();
  }

  /** Resolves once every server message received so far has been handled. */
  function whenIdle() {
    return queue.then(() => undefined);
  }

  /** A plain-data view of the runtime for tests and debugging. */
  function inspect() {
    const modules = {};
    for (const [id, rec] of records) modules[id] = rec.state;
    return {
      serverId: page.serverId,
      revision: page.revision,
      connected: connection.open,
      modules,
      errorFiles: Array.from(overlay.files.keys()),
      runtimeErrors: Array.from(overlay.runtime.keys()),
      refresh: { source: refresh.source, refreshes: refresh.count },
    };
  }
