  // ---------------------------------------------------------------------------------------------
  // epilogue.js: the one global the runtime defines, then the end of the shared closure.
  // ---------------------------------------------------------------------------------------------

  Object.defineProperty(globalThis, "__hotloop", {
    configurable: false,
    enumerable: false,
    writable: false,
    value: Object.freeze({
      /** `define(id, depsMap, factory)`: stores a module factory (the chunk calls this). */
      define,
      /** `start(entryIds, { revision, serverId })`: evaluates the entries, then connects. */
      start,
      /** `require(id)`: the exports of module `id`, evaluating it if needed. */
      require: (id) => requireId(id),
      /** Resolves once every server message received so far has been handled. */
      whenIdle,
      /** Plain-data snapshot: serverId, revision, connected, module states, error files. */
      inspect,
      /** The installed React Fast Refresh runtime (react-refresh/runtime's API), or null. */
      get refresh() {
        return refreshRuntime;
      },
      /** Installs a refresh runtime now (same as `useRefreshRuntime(runtime)`). */
      set refresh(runtime) {
        useRefreshRuntime(runtime);
      },
      /**
       * `useRefreshRuntime(runtime, { embedded })`: the embedded copy offers itself (installed by
       * `start` unless the chunk names the app's own); any other runtime is installed at once.
       */
      useRefreshRuntime,
    }),
  });
})();
