  // ---------------------------------------------------------------------------------------------
  // update.js: applying one decoded hot update, in the order Vite's client does. Install the new
  // factories, dispose the invalidated modules (dispose before re-import), re-evaluate each
  // boundary (stale modules on its path re-evaluate through `require`, so nobody reads old
  // exports), call the accept callbacks (after re-import), check the refresh boundaries, prune,
  // patch or swap linked stylesheets, then one React refresh. Styles, errors and reloads go through the
  // host; the result is the ack's.
  // ---------------------------------------------------------------------------------------------

  /**
   * One failure while applying an update: shown by the host, the first one named in the ack.
   * @typedef {{ id: string, err: unknown, context: string }} UpdateError
   */

  /**
   * @param {{
   *   registry: ReturnType<typeof createRegistry>,
   *   bus: { emit: Function },
   *   refresh: ReturnType<typeof createRefreshBoundaries>,
   *   host: () => Host,
   *   reportError: (err: unknown, id: string, context: string) => void,
   *   reload: (reason: ReloadReason) => boolean,
   *   reasons: typeof RELOAD_REASONS,
   *   entries: () => string[],
   *   errorMessage: (err: unknown) => string,
   * }} core
   */
  function createUpdater(core) {
    const { registry, bus, refresh } = core;
    const { records } = registry;
    const logger = () => core.host().logger;

    function wasEvaluated(rec) {
      return rec !== undefined && (rec.state === "evaluated" || rec.state === "stale");
    }

    /** Turns factory source from an update into a function, named for DevTools and source maps. */
    function compileFactory(id, code, revision) {
      const { sourceComments } = core.host();
      if (sourceComments) return (0, eval)(code + sourceComments(id, revision));
      const source =
        code +
        "\n//# sourceURL=" +
        core.host().origin +
        id +
        "?hotloop-rev=" +
        revision +
        "\n//# sourceMappingURL=" +
        core.host().origin +
        "/_hotloop/map" +
        id +
        "?v=" +
        revision;
      return (0, eval)(source);
    }

    /** The `vite:beforeUpdate`/`vite:afterUpdate` payload. */
    function describeUpdate(message, timestamp) {
      const kinds = new Map(message.modules.map((m) => [m.id, m.kind]));
      const kindOf = (id) => kinds.get(id) || (records.get(id) && records.get(id).kind) || "js";
      const updates = message.boundaries.map((b) => {
        const acceptedPath = b.acceptedDep == null ? b.id : b.acceptedDep;
        const type = kindOf(acceptedPath) === "css" ? "css-update" : "js-update";
        return { type, path: b.id, acceptedPath, timestamp };
      });
      for (const link of message.cssLinks) {
        updates.push({ type: "css-update", path: link.href, acceptedPath: link.href, timestamp });
      }
      return { type: "update", updates };
    }

    /**
     * Whether an `eval` threw `EvalError` once (the page's Content-Security-Policy forbids it):
     * from then on every update's factories are loaded as scripts, without trying `eval` (each
     * try is a CSP violation in the console).
     */
    let evalBlocked = false;

    /**
     * Makes the update's factories and stores them. Returns false, storing none, when they
     * cannot be made here: the page forbids `eval` and the host cannot load them as scripts
     * either (or the server no longer has this revision's code).
     */
    async function installModules(message, errors) {
      let factories = evalBlocked ? null : compileFactories(message, errors);
      if (factories === null) {
        evalBlocked = true;
        factories = await loadFactories(message);
        if (factories === null) return false;
      }
      for (const [m, factory] of factories) registry.setFactory(m.id, m.deps, factory, m.kind, m.staticDeps);
      return true;
    }

    /** The factories made with `eval`, or null at the first `EvalError`. */
    function compileFactories(message, errors) {
      const factories = [];
      for (const m of message.modules) {
        try {
          factories.push([m, compileFactory(m.id, m.code, message.revision)]);
        } catch (err) {
          if (err instanceof EvalError) return null;
          errors.push({ id: m.id, err, context: "while compiling the new code" });
        }
      }
      return factories;
    }

    /** The factories the host loads as scripts (all at once), or null when any cannot be. */
    async function loadFactories(message) {
      const { loadFactory } = core.host();
      if (!loadFactory) return null;
      try {
        const loaded = await Promise.all(message.modules.map((m) => loadFactory(m.id, message.revision)));
        return message.modules.map((m, i) => [m, loaded[i]]);
      } catch (err) {
        logger().error("cannot load the update's code as scripts", err);
        return null;
      }
    }

    /** Runs callbacks with the module's `data`, awaiting returned promises; errors are collected. */
    async function runDataCallbacks(rec, callbacks, what, errors) {
      for (const callback of callbacks) {
        if (rec.data === null) rec.data = {};
        try {
          await callback(rec.data);
        } catch (err) {
          logger().error(`${what} callback of ${rec.id} threw`, err);
          errors.push({ id: rec.id, err });
        }
      }
    }

    /** Runs the dispose callbacks of an evaluated module and marks it stale. */
    async function disposeModule(rec, errors) {
      await runDataCallbacks(rec, rec.hot.disposes, "dispose", errors);
      rec.state = "stale";
    }

    function callAccepts(boundary, callbacks, acceptedId, exports, errors) {
      let ok = true;
      for (const { deps, fn } of callbacks) {
        try {
          const result =
            deps === null
              ? fn && fn(exports)
              : fn(deps.map((dep) => (dep === acceptedId ? exports : undefined)));
          if (result && typeof result.then === "function") {
            result.then(undefined, (err) => core.reportError(err, boundary.id, "in its hot.accept() callback"));
          }
        } catch (err) {
          ok = false;
          errors.push({ id: boundary.id, err, context: "in its hot.accept() callback" });
        }
      }
      return ok;
    }

    /**
     * Re-evaluates the boundaries and calls their accept callbacks, synchronously (no other code
     * runs while modules are half replaced) unless a boundary waits for top-level await. The
     * callbacks are those registered by the evaluation that was current when the update arrived,
     * as in Vite.
     */
    async function runBoundaries(plan, errors) {
      const failed = [];
      const updated = [];
      const { cycle } = await registry.withinUpdate(async () => {
        for (const { rec, acceptedId, callbacks } of plan) {
          let exports;
          try {
            const target = records.get(acceptedId);
            if (target && target.state !== "evaluated" && registry.waitsForAsync(target)) {
              await registry.evaluateAsync(target, new Set());
              exports = target.module.exports;
            } else {
              exports = registry.requireId(acceptedId, rec.id, acceptedId);
            }
          } catch (err) {
            const entry = { id: acceptedId, err, context: "while re-evaluating it for a hot update" };
            errors.push(entry);
            failed.push(entry);
            continue;
          }
          if (callAccepts(rec, callbacks, acceptedId, exports, errors)) {
            if (acceptedId !== rec.id) core.host().clearError(rec.id);
            updated.push(rec.id);
          }
        }
      });
      return { cycle, failed, updated };
    }

    // The ids of the modules of a `preact` package (its entry among them), listed again only
    // when the registry grew: every module's exports looked at on each update cost ~1.5 ms of
    // a leaf edit's save → DOM on a page of 10,000 modules.
    let preactIds = [];
    let preactIdsAt = -1;

    /** The exports of the evaluated modules of a `preact` package: where Preact may be. */
    function* preactExports() {
      if (preactIdsAt !== records.size) {
        preactIds = [];
        for (const id of records.keys()) if (id.includes("/preact/")) preactIds.push(id);
        preactIdsAt = records.size;
      }
      for (const id of preactIds) {
        const rec = records.get(id);
        if (rec && rec.state === "evaluated" && rec.module) yield rec.module.exports;
      }
    }

    /**
     * The module that exports `component`, the update's boundaries looked at first; else the
     * first boundary the update ran (a component the module keeps to itself), as the file the
     * overlay names.
     */
    function moduleOfComponent(component, updated) {
      if (typeof component === "function") {
        for (const id of [...updated, ...records.keys()]) {
          const rec = records.get(id);
          if (rec && rec.state === "evaluated" && rec.module && exportsValue(rec.module.exports, component)) return id;
        }
      }
      return updated.length > 0 ? updated[0] : "render";
    }

    function exportsValue(exports, value) {
      if (exports === value) return true;
      if (exports === null || typeof exports !== "object") return false;
      for (const key of Object.keys(exports)) {
        try {
          if (exports[key] === value) return true;
        } catch {
          // an export not initialised yet
        }
      }
      return false;
    }

    /** After a failed first evaluation of the page, retries the entries (the update may fix it). */
    async function retryFailedStart(errors) {
      const pending = core.entries().filter((id) => {
        const rec = records.get(id);
        return rec !== undefined && (rec.state === "failed" || rec.state === "defined");
      });
      if (pending.length === 0) return;
      for (const rec of records.values()) if (rec.state === "failed") rec.state = "defined";
      for (const id of pending) {
        try {
          await registry.loadModule(id);
          logger().info(`updated ${id}`);
        } catch (err) {
          errors.push({ id, err, context: core.host().starting });
        }
      }
    }

    async function pruneModules(ids, errors) {
      for (const id of ids) {
        const rec = records.get(id);
        if (!rec) continue;
        if (rec.hot) {
          if (wasEvaluated(rec)) await runDataCallbacks(rec, rec.hot.prunes, "prune", errors);
          rec.hot.detach();
        }
        core.host().removeCss(id);
        registry.remove(id);
        core.host().clearError(id);
      }
    }

    /**
     * A module whose failed first evaluation rejected an `import()` (`failedImports`) that the
     * update brings new code for, or a module it imports: the app holds that rejection (React.lazy
     * caches it, an error boundary shows it) and nothing in place can make it import again, so
     * the page reloads. Null when there is none.
     */
    function failedImportIn(message) {
      const failed = registry.failedImports();
      if (failed.size === 0) return null;
      const touched = new Set(message.invalidate);
      for (const m of message.modules) touched.add(m.id);
      for (const id of failed) {
        if (touched.has(id)) return id;
        const deps = records.get(id).deps;
        for (const spec in deps) if (touched.has(deps[spec])) return id;
      }
      return null;
    }

    /**
     * Applies a decoded update message. Returns `{ ok, error }` for the ack, or
     * `{ reloading: true }` when it turned into a full reload: it fixes a module whose failed
     * first evaluation rejected an `import()` (`failedImportIn`), or a failure inside an import
     * cycle.
     */
    async function applyUpdate(message) {
      const fixedImport = failedImportIn(message);
      if (fixedImport !== null) {
        const base = core.reasons.FailedImportFixed;
        logger().info(`${fixedImport} failed to load before: reloading for its new code`);
        if (core.reload({ ...base, text: `${base.text}: ${fixedImport}` })) return { reloading: true };
      }
      const payload = describeUpdate(message, Date.now());
      bus.emit("vite:beforeUpdate", payload);
      const errors = [];

      // A stylesheet module's `css(text)` call (when its factory re-runs) applies its patch.
      const cssPatches = message.cssPatches || [];
      if (!(await installModules(message, errors))) {
        // The page's Content-Security-Policy forbids eval and the update's scripts did not
        // load either: the update reaches it as a reload (as a worker's does).
        logger().error("the page's Content-Security-Policy forbids eval: reloading for the update");
        if (core.reload(core.reasons.EvalBlocked)) return { reloading: true };
        return { ok: false, error: core.reasons.EvalBlocked.text };
      }
      core.host().cssPatches(cssPatches);

      for (const id of message.invalidate) {
        const rec = records.get(id);
        if (!rec) continue;
        if (rec.state === "evaluated") await disposeModule(rec, errors);
        else if (rec.state === "failed") rec.state = "defined";
      }

      // Capture each boundary's callbacks before anything re-evaluates, and dispose what the
      // invalidate list did not (the boundary itself, or the accepted dependency).
      const plan = [];
      for (const b of message.boundaries) {
        const rec = records.get(b.id);
        if (!wasEvaluated(rec)) continue; // never loaded here
        const acceptedId = b.acceptedDep == null ? b.id : b.acceptedDep;
        const callbacks = rec.hot.accepts.filter((a) =>
          a.deps === null ? acceptedId === rec.id : a.deps.includes(acceptedId),
        );
        plan.push({ rec, acceptedId, callbacks });
      }
      const refreshBoundaries = refresh.candidates(plan);
      // Accept callbacks of the modules' own (a refresh boundary's plain `accept()` has none).
      const callbacksRun = plan.some((p) => p.callbacks.some((c) => typeof c.fn === "function"));
      for (const { acceptedId } of plan) {
        const target = records.get(acceptedId);
        if (target && target.state === "evaluated") await disposeModule(target, errors);
        else if (target && target.state === "failed") target.state = "defined";
      }

      // What the renders the accept callbacks schedule throw uncaught (Preact's, in a microtask
      // after prefresh's callback) is this update's error: collected until it is applied.
      const { watchRenders } = core.host();
      const stopWatchingRenders = watchRenders ? watchRenders(preactExports()) : null;
      const outcome = await runBoundaries(plan, errors);
      if (outcome.failed.length > 0 && outcome.cycle) {
        const first = outcome.failed[0];
        logger().error(`failed to update ${first.id} inside an import cycle`, first.err);
        const base = core.reasons.CycleUpdateFailed;
        if (core.reload({ ...base, text: `${base.text}: ${core.errorMessage(first.err)}` })) {
          return { reloading: true };
        }
      }

      const invalidated = refresh.check(refreshBoundaries);
      await retryFailedStart(errors);
      await pruneModules(message.removed, errors);
      await pruneModules(registry.unusedUrlModules(), errors);
      core.host().cssPatches([]);
      for (const link of message.cssLinks) {
        const patch = cssPatches.find((p) => p.target === "link" && p.id === link.href);
        core.host().swapLink(link.href, link.version, patch);
      }
      await refresh.perform(errors, invalidated, callbacksRun);
      // (The awaits since the callbacks ran let the microtasks they queued run first.)
      if (stopWatchingRenders !== null) {
        for (const { err, component } of stopWatchingRenders()) {
          const name = component === null ? "a component" : `<${component.displayName || component.name || "Anonymous"}>`;
          errors.push({
            id: moduleOfComponent(component, outcome.updated),
            err,
            context: `while ${name} re-rendered after the update`,
          });
        }
      }
      // Logged once the page shows the change: with DevTools (or any CDP client) attached a
      // console line costs about half a millisecond.
      for (const id of outcome.updated) logger().info(`updated ${id}`);

      for (const { id, err, context } of errors) {
        logger().error(`failed to update ${id}`, err);
        core.reportError(err, id, context);
      }
      bus.emit("vite:afterUpdate", payload);
      return { ok: errors.length === 0, error: errors.length === 0 ? null : core.errorMessage(errors[0].err) };
    }

    return applyUpdate;
  }

  if (typeof module === "object" && module) module.exports = createUpdater;
