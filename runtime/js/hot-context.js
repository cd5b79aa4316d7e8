  // ---------------------------------------------------------------------------------------------
  // hot-context.js: `import.meta.hot`, Vite's API (its `shared/hmr.ts` HMRContext): accept in
  // all its forms, acceptExports, dispose, prune, data, decline, invalidate, on/off/send. One
  // context per evaluation of a module; `data` lives on the module record and survives
  // re-evaluations. What a context registers is read by update.js; what it sends goes through
  // the client functions it is given, never to a socket of its own.
  //
  // A module's context is made when it first reads `import.meta.hot` (module-meta.js): most
  // modules never do.
  // ---------------------------------------------------------------------------------------------

  /**
   * What one evaluation of a module registered through its hot context. `detach` removes the
   * event listeners it added.
   *
   * @typedef {{
   *   api: object,
   *   accepts: Accept[],
   *   disposes: ((data: object) => unknown)[],
   *   prunes: ((data: object) => unknown)[],
   *   detach: () => void,
   * }} HotState
   *
   * One `accept` call: `deps` the accepted module ids and `fn` called with their new exports in
   * that order; or `deps` null, the module itself, and `fn` (or null) called with its new exports.
   *
   * @typedef {{ deps: string[], fn: (modules: any[]) => void } | { deps: null, fn: ((exports: any) => void) | null }} Accept
   */

  /**
   * A fresh hot context for one evaluation of `rec`. Its `api` (what `import.meta.hot` is) is made
   * when the module first reads it: most modules never do (the engine plans React Refresh
   * boundaries itself), and a page evaluates thousands of them on a navigation.
   *
   * @param {{ id: string, deps: Record<string, string | 1 | null>, data: object }} rec
   * @param {{
   *   bus: { on: Function, off: Function, emit: Function },
   *   depTarget: (rec: object, spec: string) => string | null,
   *   invalidate: (id: string, message: string | null) => void,
   *   sendCustom: (event: string, data: unknown) => void,
   *   logger: Logger,
   * }} client
   * @returns {HotState}
   */
  function createHotContext(rec, client) {
    return new HotState(rec, client);
  }

  /**
   * What a context registered nothing of yet: shared, never written (the first registration of
   * each kind puts a list of its own in place), so the thousands of contexts a page's first
   * evaluation makes allocate no lists.
   */
  const NONE = Object.freeze([]);

  /** @implements {HotState} */
  class HotState {
    constructor(rec, client) {
      this.rec = rec;
      this.client = client;
      this.accepts = NONE;
      this.disposes = NONE;
      this.prunes = NONE;
      /** [event, listener] pairs this evaluation added; null until the first. */
      this.listeners = null;
      this.madeApi = null;
    }

    get api() {
      if (this.madeApi === null) this.madeApi = new HotApi(this);
      return this.madeApi;
    }

    addAccept(deps, fn) {
      if (this.accepts === NONE) this.accepts = [];
      this.accepts.push({ deps, fn });
    }

    /** Removes the event listeners this evaluation added. */
    detach() {
      if (this.listeners === null) return;
      for (const [event, fn] of this.listeners) this.client.bus.off(event, fn);
      this.listeners.length = 0;
    }
  }

  /**
   * `import.meta.hot` for one evaluation: one object, its methods on the prototype (as Vite's
   * `HMRContext` class has them: call them on `import.meta.hot`).
   */
  class HotApi {
    #state;
    constructor(state) {
      this.#state = state;
    }

    get data() {
      const rec = this.#state.rec;
      if (rec.data === null) rec.data = {};
      return rec.data;
    }

    accept(deps, callback) {
      const state = this.#state;
      if (typeof deps === "function" || deps === undefined) {
        acceptSelf(state, deps);
      } else if (typeof deps === "string") {
        const dep = resolveAcceptedDep(state, deps);
        state.addAccept([dep], ([mod]) => callback && callback(mod));
      } else if (Array.isArray(deps)) {
        const ids = deps.map((spec) => resolveAcceptedDep(state, spec));
        state.addAccept(ids, (mods) => callback && callback(mods));
      } else {
        throw new TypeError("invalid hot.accept() usage");
      }
    }

    acceptExports(_exportNames, callback) {
      acceptSelf(this.#state, callback);
    }

    dispose(callback) {
      const state = this.#state;
      if (state.disposes === NONE) state.disposes = [];
      state.disposes.push(callback);
    }

    prune(callback) {
      const state = this.#state;
      if (state.prunes === NONE) state.prunes = [];
      state.prunes.push(callback);
    }

    decline() {
      // A no-op, as Vite documents it (kept for compatibility; Bun does the same): updates to
      // this module go on as if it had not been called.
      this.#state.client.logger.debug(`decline() in ${this.#state.rec.id} is ignored, as in Vite`);
    }

    invalidate(message) {
      const { rec, client } = this.#state;
      client.bus.emit("vite:invalidate", { path: rec.id, message });
      client.invalidate(rec.id, message == null ? null : String(message));
      client.logger.debug(`invalidate ${rec.id}${message ? ": " + message : ""}`);
    }

    on(event, callback) {
      const state = this.#state;
      state.client.bus.on(event, callback);
      if (state.listeners === null) state.listeners = [];
      state.listeners.push([event, callback]);
    }

    off(event, callback) {
      const state = this.#state;
      state.client.bus.off(event, callback);
      if (state.listeners === null) return;
      const at = state.listeners.findIndex(([e, fn]) => e === event && fn === callback);
      if (at !== -1) state.listeners.splice(at, 1);
    }

    send(event, data) {
      this.#state.client.sendCustom(event, data);
    }
  }

  /**
   * The module accepts itself: `callback` (if any) gets its new exports. Stored as deps `null`
   * with the callback as given: most modules that accept, accept themselves, so this makes no
   * list and no wrapper for them.
   */
  function acceptSelf(state, callback) {
    state.addAccept(null, typeof callback === "function" ? callback : null);
  }

  /** Maps an accepted dependency as written (`'./b'`) to its module id through the deps map. */
  function resolveAcceptedDep(state, spec) {
    if (typeof spec !== "string") {
      throw new TypeError("invalid hot.accept() usage: dependencies are import specifiers");
    }
    const { rec } = state;
    const target = state.client.depTarget(rec, spec);
    if (target != null) return target;
    if (spec.startsWith("/")) return spec;
    state.client.logger.warn(`${rec.id} accepts '${spec}', which it does not import`);
    return spec;
  }

  if (typeof module === "object" && module) module.exports = createHotContext;
