  // ---------------------------------------------------------------------------------------------
  // hot-context.js: `import.meta.hot`, Vite's API (its `shared/hmr.ts` HMRContext): accept in
  // all its forms, acceptExports, dispose, prune, data, decline, invalidate, on/off/send. One
  // context per evaluation of a module; `data` lives on the module record and survives
  // re-evaluations. What a context registers is read by update.js; what it sends goes through
  // the client functions it is given, never to a socket of its own.
  // ---------------------------------------------------------------------------------------------

  /**
   * What one evaluation of a module registered through its hot context. `detach` removes the
   * event listeners it added.
   *
   * @typedef {{
   *   api: object,
   *   accepts: { deps: string[], fn: (modules: any[]) => void }[],
   *   disposes: ((data: object) => unknown)[],
   *   prunes: ((data: object) => unknown)[],
   *   detach: () => void,
   * }} HotState
   */

  /**
   * A fresh hot context for one evaluation of `rec`.
   *
   * @param {{ id: string, deps: Record<string, string | null>, data: object }} rec
   * @param {{
   *   bus: { on: Function, off: Function, emit: Function },
   *   invalidate: (id: string, message: string | null) => void,
   *   sendCustom: (event: string, data: unknown) => void,
   *   logger: Logger,
   * }} client
   * @returns {HotState}
   */
  function createHotContext(rec, client) {
    const { bus, logger } = client;
    /** [event, listener] pairs this evaluation added. */
    const listeners = [];

    /** Maps an accepted dependency as written (`'./b'`) to its module id through the deps map. */
    function resolveAcceptedDep(spec) {
      if (typeof spec !== "string") {
        throw new TypeError("invalid hot.accept() usage: dependencies are import specifiers");
      }
      const target = Object.hasOwn(rec.deps, spec) ? rec.deps[spec] : null;
      if (target != null) return target;
      if (spec.startsWith("/")) return spec;
      logger.warn(`${rec.id} accepts '${spec}', which it does not import`);
      return spec;
    }

    /** @type {HotState} */
    const state = {
      api: null,
      accepts: [],
      disposes: [],
      prunes: [],
      detach() {
        for (const [event, fn] of listeners) bus.off(event, fn);
        listeners.length = 0;
      },
    };
    const acceptSelf = (callback) =>
      state.accepts.push({ deps: [rec.id], fn: ([mod]) => callback && callback(mod) });
    state.api = {
      get data() {
        return rec.data;
      },
      accept(deps, callback) {
        if (typeof deps === "function" || deps === undefined) {
          acceptSelf(deps);
        } else if (typeof deps === "string") {
          const dep = resolveAcceptedDep(deps);
          state.accepts.push({ deps: [dep], fn: ([mod]) => callback && callback(mod) });
        } else if (Array.isArray(deps)) {
          const ids = deps.map(resolveAcceptedDep);
          state.accepts.push({ deps: ids, fn: (mods) => callback && callback(mods) });
        } else {
          throw new TypeError("invalid hot.accept() usage");
        }
      },
      acceptExports(_exportNames, callback) {
        acceptSelf(callback);
      },
      dispose(callback) {
        state.disposes.push(callback);
      },
      prune(callback) {
        state.prunes.push(callback);
      },
      decline() {
        // A no-op, as Vite documents it (kept for compatibility; Bun does the same): updates to
        // this module go on as if it had not been called.
        logger.debug(`decline() in ${rec.id} is ignored, as in Vite`);
      },
      invalidate(message) {
        bus.emit("vite:invalidate", { path: rec.id, message });
        client.invalidate(rec.id, message == null ? null : String(message));
        logger.debug(`invalidate ${rec.id}${message ? ": " + message : ""}`);
      },
      on(event, callback) {
        bus.on(event, callback);
        listeners.push([event, callback]);
      },
      off(event, callback) {
        bus.off(event, callback);
        const at = listeners.findIndex(([e, fn]) => e === event && fn === callback);
        if (at !== -1) listeners.splice(at, 1);
      },
      send(event, data) {
        client.sendCustom(event, data);
      },
    };
    return state;
  }

  if (typeof module === "object" && module) module.exports = createHotContext;
