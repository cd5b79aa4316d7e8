  // ---------------------------------------------------------------------------------------------
  // events.js: the event bus behind `import.meta.hot.on/off`: Vite's `vite:*` lifecycle events
  // and custom events from the server, listeners called in registration order. Knows nothing of
  // where events come from.
  // ---------------------------------------------------------------------------------------------

  /** @param {Logger} logger */
  function createEventBus(logger) {
    /** @type {Map<string, Function[]>} event → listeners, in registration order. */
    const listeners = new Map();

    function on(event, fn) {
      const fns = listeners.get(event);
      if (fns) fns.push(fn);
      else listeners.set(event, [fn]);
    }

    function off(event, fn) {
      const fns = listeners.get(event);
      if (!fns) return;
      const at = fns.indexOf(fn);
      if (at !== -1) fns.splice(at, 1);
      if (fns.length === 0) listeners.delete(event);
    }

    /** Calls every listener of `event`; a throwing listener is logged and does not stop the rest. */
    function emit(event, payload) {
      const fns = listeners.get(event);
      if (!fns) return;
      for (const fn of fns.slice()) {
        try {
          fn(payload);
        } catch (err) {
          logger.error(`a "${event}" listener threw`, err);
        }
      }
    }

    /** Whether `event` has a listener. */
    const has = (event) => listeners.has(event);

    return { on, off, emit, has };
  }

  if (typeof module === "object" && module) module.exports = createEventBus;
