  // ---------------------------------------------------------------------------------------------
  // worker.js: the web worker host (`__hotloop.start(entries, { worker: true })`). A worker only
  // evaluates its entry: no server connection, no overlay, no React Refresh and no
  // `import.meta.hot` (an edit reloads the page, which restarts the worker). An entry's error is
  // rethrown uncaught, so the page's `worker.onerror` hears of it as it would without hotloop.
  // ---------------------------------------------------------------------------------------------

  /** @param {ReturnType<typeof createCore>} core */
  function startWorker(core, entries, options) {
    /** @type {Host} */
    const host = {
      origin: location.origin + SERVER_PREFIX,
      // Never called: a worker never connects.
      send() {},
      // Nothing to reload: the page owns the worker.
      reload: () => false,
    };
    if (!core.start(host, { ...options, hot: false })) return;
    core.startEntries(entries, (_id, err) => {
      setTimeout(() => {
        throw err;
      });
    });
  }
