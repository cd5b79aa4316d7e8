  // ---------------------------------------------------------------------------------------------
  // browser.js: the served script's composition root. One core for the whole script, created
  // when the script loads (the chunk's `define` calls come before `start`), and the page pieces
  // that exist before `start` (the overlay, and React Refresh, which the embedded refresh script
  // offers itself to before the chunk runs). `start` picks the host: a page, or a web worker.
  // ---------------------------------------------------------------------------------------------

  const core = createCore();
  const overlay = createOverlay();
  const refresh = createReactRefresh({ logger: CONSOLE_LOGGER, clearError: overlay.clearError });
  const renders = createPreactRenders();

  /**
   * `start(entries, { revision, serverId, refreshRuntime, env, mode, worker })`: evaluate the
   * entries in order, then connect; a worker's script (`worker: true`) only evaluates them.
   */
  function start(entries, options) {
    const given = options || {};
    if (given.worker) startWorker(core, entries, given);
    else startPage(core, { overlay, refresh, renders, logger: CONSOLE_LOGGER }, entries, given);
  }

  /** A plain-data view of the runtime for tests and debugging. */
  function inspect() {
    return {
      ...core.inspect(),
      errorFiles: overlay.errorFiles(),
      runtimeErrors: overlay.runtimeErrors(),
      refresh: refresh.inspect(),
    };
  }
