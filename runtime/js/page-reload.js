  // ---------------------------------------------------------------------------------------------
  // page-reload.js: how the page host reloads. Leaves the reason in `sessionStorage` for the
  // next page to log and show as a note, and refuses to reload in a loop (more than
  // RELOAD_LOOP_LIMIT reloads within RELOAD_LOOP_MS): the page then stays and says why. Which
  // reloads happen is the core's to decide.
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

    /** Reloads the page (returns true), unless the reload-loop guard refuses (returns false). */
    function reload(reason) {
      const text = reason.text;
      const store = storage();
      const history = reloadHistory(store);
      if (history.length >= RELOAD_LOOP_LIMIT) {
        page.logger.warn(`not reloading (${text}): ${history.length} reloads in ${RELOAD_LOOP_MS / 1000} s`);
        page.showNote(`${text} (not reloaded: the page was reloading in a loop; reload by hand)`);
        return false;
      }
      try {
        if (store) {
          store.setItem(RELOAD_REASON_KEY, text);
          store.setItem(RELOAD_HISTORY_KEY, JSON.stringify([...history, Date.now()]));
        }
      } catch {
        // Storage full or denied: the reason is only lost for the next page's log.
      }
      location.reload();
      return true;
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
