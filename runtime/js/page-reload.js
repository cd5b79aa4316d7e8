  // ---------------------------------------------------------------------------------------------
  // page-reload.js: how the page host reloads. Leaves the reason in `sessionStorage` for the
  // next page to log and show as a note, and holds a reload the page decides on its own back
  // when it reloads in a loop (more than RELOAD_LOOP_LIMIT within RELOAD_LOOP_MS): the page
  // says so and reloads once the window has passed, never left stale. A reload the server asks
  // for (a save that needs one) always goes at once. Which reloads happen is the core's to
  // decide.
  // ---------------------------------------------------------------------------------------------

  /** `sessionStorage` key under which a full reload leaves its reason for the next page. */
  const RELOAD_REASON_KEY = "hotloop:full-reload-reason";
  const RELOAD_HISTORY_KEY = "hotloop:reload-history";
  const RELOAD_LOOP_LIMIT = 5;
  const RELOAD_LOOP_MS = 10000;

  /** @param {{ logger: Logger, showNote: (text: string) => void }} page */
  function createPageReload(page) {
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

    /** The reload held back by the loop guard, due when the window has passed. */
    let held = null;

    /** Reloads the page (returns true), or, when the reload-loop guard holds it back, reloads
     * once the window has passed (returns false). A reload the server asks for (an edit that
     * needs one: `name: "Server"`) answers a save of its own, so it cannot loop: it is neither
     * held nor counted (a page where every edit reloads, a Lit element's, reloads on every
     * save, as under Vite). The guard is for the reloads a page decides on its own (it missed
     * updates, the server restarted), which a stale copy of the page (a service worker's)
     * would repeat for ever. */
    function reload(reason) {
      const text = reason.text;
      const store = storage();
      if (reason.name === "Server") {
        go(store, null, text);
        return true;
      }
      const history = reloadHistory(store);
      if (history.length >= RELOAD_LOOP_LIMIT) {
        const wait = Math.max(0, history[history.length - RELOAD_LOOP_LIMIT] + RELOAD_LOOP_MS - Date.now());
        const seconds = Math.ceil(wait / 1000);
        page.logger.warn(`reloading in ${seconds} s (${text}): ${history.length} reloads in ${RELOAD_LOOP_MS / 1000} s`);
        page.showNote(`${text} (the page reloaded ${history.length} times in ${RELOAD_LOOP_MS / 1000} s: reloading in ${seconds} s)`);
        if (held === null) {
          held = setTimeout(() => {
            held = null;
            go(store, reloadHistory(store), text);
          }, wait);
        }
        return false;
      }
      go(store, history, text);
      return true;
    }

    /** Reloads, leaving the reason for the next page; `history` (null: not counted) gets this
     * reload's time. */
    function go(store, history, text) {
      try {
        if (store) {
          store.setItem(RELOAD_REASON_KEY, text);
          if (history !== null) store.setItem(RELOAD_HISTORY_KEY, JSON.stringify([...history, Date.now()]));
        }
      } catch {
        // Storage full or denied: the reason is only lost for the next page's log.
      }
      location.reload();
    }

    /** After a full reload: log its reason and show it as a note. */
    function announce() {
      const store = storage();
      let text = null;
      try {
        text = store && store.getItem(RELOAD_REASON_KEY);
        if (text !== null && store) store.removeItem(RELOAD_REASON_KEY);
      } catch {
        text = null;
      }
      if (text === null || text === undefined) return;
      page.logger.info(`full reload: ${text}`);
      page.showNote(text);
    }

    return { reload, announce };
  }
