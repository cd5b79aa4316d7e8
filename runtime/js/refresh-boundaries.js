  // ---------------------------------------------------------------------------------------------
  // refresh-boundaries.js: the core's side of React Fast Refresh. Notes which evaluations
  // registered components (`$RefreshReg$`), decides after an update which refresh boundaries
  // must invalidate themselves, and asks for one refresh per update. What a component is, and
  // the refresh itself, come from the host's `RefreshHooks` (the page's react-refresh.js); a
  // host without them (a worker, node) has no refresh runtime.
  // ---------------------------------------------------------------------------------------------

  /** @param {() => RefreshHooks | null} hooks the current host's hooks */
  function createRefreshBoundaries(hooks) {
    /** A module that registered components was evaluated since the last refresh. */
    let due = false;

    /** The installed refresh runtime (react-refresh/runtime's API), or null. */
    function runtime() {
      const h = hooks();
      return h ? h.runtime() : null;
    }

    /** After a module evaluated: a refresh is due if it registered components. */
    function evaluated(rec) {
      if (rec.refreshRegistrations === 0 || runtime() === null) return;
      due = true;
      hooks().evaluated(rec.id, rec.module.exports, rec.refreshTypes);
    }

    /** The page's first evaluation: registrations create component families, nothing to refresh. */
    function settle() {
      due = false;
    }

    /**
     * Boundaries the engine planned as self-accepting: the refresh boundaries, whose exports
     * decide after re-evaluation (`check` looks only at those that registered components).
     * One with a `hot.accept(cb)` of its own too (TanStack Router's route files) is checked as
     * well, after its callbacks ran, as plugin-react's accept runs beside the module's under
     * Vite: a changed non-component export (a route file's `queryOptions`) still invalidates,
     * or its importers would keep the old value. Captured before the update.
     */
    function candidates(plan) {
      // Exports the host has not registered yet are registered before anything re-evaluates.
      const h = hooks();
      if (h && h.flush) h.flush();
      const out = [];
      // (Without a refresh runtime on the page, no plugin-react accept would run beside a
      // module's own: a Svelte component's PascalCase function registers, but svelte-hmr's
      // accept is the whole story.)
      const withRuntime = runtime() !== null;
      for (const { rec, acceptedId, callbacks } of plan) {
        if (acceptedId !== rec.id || (callbacks.length > 0 && !withRuntime)) continue;
        out.push({ rec, previous: rec.module ? rec.module.exports : undefined, module: rec.module });
      }
      return out;
    }

    /**
     * After the boundaries re-evaluated: a candidate that registered components but is not a
     * valid boundary invalidates itself, so the update propagates to its importers (never stale
     * UI). Returns how many invalidated.
     */
    function check(list) {
      let invalidated = 0;
      for (const { rec, previous, module } of list) {
        if (rec.state !== "evaluated" || rec.module === module) continue; // re-evaluation failed
        if (rec.refreshRegistrations === 0) continue;
        const problem =
          runtime() === null
            ? "React Refresh is not installed on this page"
            : hooks().boundaryProblem(previous, rec.module.exports, rec.id);
        if (problem === null) continue;
        invalidated += 1;
        rec.hot.api.invalidate(problem);
      }
      return invalidated;
    }

    /**
     * One refresh when components were re-registered since the last one. Skipped while an
     * invalidation is on its way: the update it causes re-evaluates the importers and then
     * refreshes everything at once. What went wrong while re-rendering joins `errors`.
     * `afterCallbacks`: the update ran accept callbacks, which may have started work the
     * re-rendered components read (TanStack Router's handler loads the route's new `loader`
     * data): the refresh waits for the host's next task (`nextTask`), as Vite's React plugin
     * refreshes 16 ms after an update. Components alone refresh at once.
     */
    async function perform(errors, invalidated, afterCallbacks = false) {
      if (!due || runtime() === null || invalidated > 0) return;
      const nextTask = afterCallbacks ? hooks().nextTask : null;
      if (nextTask) await nextTask();
      if (!due || runtime() === null) return;
      due = false;
      errors.push(...hooks().perform());
    }

    return { runtime, evaluated, settle, candidates, check, perform };
  }

  if (typeof module === "object" && module) module.exports = createRefreshBoundaries;
