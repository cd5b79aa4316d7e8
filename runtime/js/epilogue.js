  // ---------------------------------------------------------------------------------------------
  // epilogue.js: the globals the served script defines, then the end of the shared closure.
  // ---------------------------------------------------------------------------------------------

  globalThis.HotloopProtocol = HotloopProtocol;

  Object.defineProperty(globalThis, "__hotloop", {
    configurable: false,
    enumerable: false,
    writable: false,
    value: Object.freeze({
      /** `define(id, depsMap, factory[, staticDeps[, urls]])`: stores a module factory (the chunk calls this). */
      define: core.define,
      /**
       * `served(id, snapshot[, partUrls])`: a lazy chunk's last statement, the snapshot it came
       * from (and the parts the page loads next, when the chunk came in parts).
       */
      served,
      /** `factory(id, revision, factory)`: an update's module served as a script (no `eval`). */
      factory,
      /** `start(entryIds, { revision, serverId, ... })`: evaluates the entries, then connects. */
      start,
      /** `require(id)`: the exports of module `id`, evaluating it if needed. */
      require: core.require,
      /** `env()`: `import.meta.env` as the page's modules read it. */
      env: core.env,
      /** `importUrl(path)`: a script of the project by its root path, as a lazy chunk. */
      importUrl: core.importUrl,
      /** Resolves once every server message received so far has been handled. */
      whenIdle: core.whenIdle,
      /** `{ on, off, send }`: custom events over this page's connection (`/@vite/client`). */
      events: core.events,
      /** Plain-data snapshot: serverId, revision, connected, module states, error files. */
      inspect,
      /** The installed React Fast Refresh runtime (react-refresh/runtime's API), or null. */
      get refresh() {
        return refresh.runtime;
      },
      /** Installs a refresh runtime now (same as `useRefreshRuntime(runtime)`). */
      set refresh(runtime) {
        refresh.useRefreshRuntime(runtime);
      },
      /**
       * `useRefreshRuntime(runtime, { embedded })`: the embedded copy offers itself (installed by
       * `start` unless the chunk names the app's own); any other runtime is installed at once.
       */
      useRefreshRuntime: refresh.useRefreshRuntime,
    }),
  });
})();
