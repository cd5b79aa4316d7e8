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
   * A fresh hot context for one evaluation of `rec`. Its `api` (what `import.meta.hot` is) is made
   * when the module first reads it: most modules never do (the engine plans React Refresh
   * boundaries itself), and a page evaluates thousands of them on a navigation.
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
    return new HotState(rec, client);
  }

  /** @implements {HotState} */
  class HotState {
    constructor(rec, client) {
      this.rec = rec;
      this.client = client;
      this.accepts = [];
      this.disposes = [];
      this.prunes = [];
      /** [event, listener] pairs this evaluation added; null until the first. */
      this.listeners = null;
      this.madeApi = null;
    }

    get api() {
      if (this.madeApi === null) this.madeApi = hotApi(this);
      return this.madeApi;
    }

    /** Removes the event listeners this evaluation added. */
    detach() {
      if (this.listeners === null) return;
      for (const [event, fn] of this.listeners) this.client.bus.off(event, fn);
      this.listeners.length = 0;
    }
  }

  /** `import.meta.hot` for one evaluation (`state`). */
  function hotApi(state) {
    const { rec, client } = state;
    const { bus, logger } = client;

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

    const acceptSelf = (callback) =>
      state.accepts.push({ deps: [rec.id], fn: ([mod]) => callback && callback(mod) });
    return {
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
        if (state.listeners === null) state.listeners = [];
        state.listeners.push([event, callback]);
      },
      off(event, callback) {
        bus.off(event, callback);
        if (state.listeners === null) return;
        const at = state.listeners.findIndex(([e, fn]) => e === event && fn === callback);
        if (at !== -1) state.listeners.splice(at, 1);
      },
      send(event, data) {
        client.sendCustom(event, data);
      },
    };
  }

  if (typeof module === "object" && module) module.exports = createHotContext;
