  // ---------------------------------------------------------------------------------------------
  // hot.js: `import.meta.hot`, Vite's API. One hot context per evaluation of a module; `data`
  // lives on the module record and survives re-evaluations. Also the event bus behind
  // `hot.on`/`hot.off` (vite:* lifecycle events and custom events from the server).
  // ---------------------------------------------------------------------------------------------

  /**
   * What one evaluation of a module registered through its hot context.
   *
   * @typedef {{
   *   api: object,
   *   accepts: { deps: string[], fn: (modules: any[]) => void }[],
   *   disposes: ((data: object) => unknown)[],
   *   prunes: ((data: object) => unknown)[],
   *   listeners: [string, Function][],
   *   declined: boolean,
   * }} HotState
   */

  /** @type {Map<string, Function[]>} event → listeners, in registration order. */
  const eventListeners = new Map();

  function addListener(event, fn) {
    const fns = eventListeners.get(event);
    if (fns) fns.push(fn);
    else eventListeners.set(event, [fn]);
  }

  function removeListener(event, fn) {
    const fns = eventListeners.get(event);
    if (!fns) return;
    const at = fns.indexOf(fn);
    if (at !== -1) fns.splice(at, 1);
    if (fns.length === 0) eventListeners.delete(event);
  }

  /** Calls every listener of `event`; a throwing listener is logged and does not stop the rest. */
  function emit(event, payload) {
    const fns = eventListeners.get(event);
    if (!fns) return;
    for (const fn of fns.slice()) {
      try {
        fn(payload);
      } catch (err) {
        console.error(`[hmr] a "${event}" listener threw`, err);
      }
    }
  }

  /** Removes the event listeners one evaluation of a module registered. */
  function detachListeners(hot) {
    for (const [event, fn] of hot.listeners) removeListener(event, fn);
    hot.listeners.length = 0;
  }

  /** Maps an accepted dependency as written (`'./b'`) to its module id through the deps map. */
  function resolveAcceptedDep(rec, spec) {
    if (typeof spec !== "string") {
      throw new TypeError("invalid hot.accept() usage: dependencies are import specifiers");
    }
    const target = hasOwn(rec.deps, spec) ? rec.deps[spec] : null;
    if (target != null) return target;
    if (spec.startsWith("/")) return spec;
    console.warn(`[hmr] ${rec.id} accepts '${spec}', which it does not import`);
    return spec;
  }

  /** A fresh hot context for one evaluation of `rec`. */
  function createHotState(rec) {
    /** @type {HotState} */
    const state = {
      api: null,
      accepts: [],
      disposes: [],
      prunes: [],
      listeners: [],
      declined: false,
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
          const dep = resolveAcceptedDep(rec, deps);
          state.accepts.push({ deps: [dep], fn: ([mod]) => callback && callback(mod) });
        } else if (Array.isArray(deps)) {
          const ids = deps.map((spec) => resolveAcceptedDep(rec, spec));
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
        // The engine reads decline() statically and plans a full reload; nothing to do here.
        state.declined = true;
      },
      invalidate(message) {
        const payload = { path: rec.id, message };
        emit("vite:invalidate", payload);
        const text = message == null ? null : String(message);
        sendToServer(protocol().encodeInvalidate({ id: rec.id, message: text }));
        console.debug(`[hmr] invalidate ${rec.id}${message ? ": " + message : ""}`);
      },
      on(event, callback) {
        addListener(event, callback);
        state.listeners.push([event, callback]);
      },
      off(event, callback) {
        removeListener(event, callback);
        const at = state.listeners.findIndex(([e, fn]) => e === event && fn === callback);
        if (at !== -1) state.listeners.splice(at, 1);
      },
      send(event, data) {
        sendToServer(protocol().encodeCustom({ event, data }));
      },
    };
    return state;
  }

  /** Runs callbacks with the module's `data`, awaiting returned promises; errors are collected. */
  async function runDataCallbacks(rec, callbacks, what, errors) {
    for (const callback of callbacks) {
      try {
        await callback(rec.data);
      } catch (err) {
        console.error(`[hmr] ${what} callback of ${rec.id} threw`, err);
        errors.push({ id: rec.id, err });
      }
    }
  }
