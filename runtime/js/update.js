  // ---------------------------------------------------------------------------------------------
  // update.js: applying one hot update. Install the new factories, dispose the invalidated
  // modules, re-evaluate each boundary (stale modules on its path re-evaluate through `require`,
  // so nobody reads old exports), call the accept callbacks, check the React Refresh boundaries,
  // prune, swap stylesheets, then one React refresh.
  // ---------------------------------------------------------------------------------------------

  /** The ids `start` required: a page whose first evaluation failed retries them after updates. */
  let entryIds = [];

  function wasEvaluated(rec) {
    return rec !== undefined && (rec.state === "evaluated" || rec.state === "stale");
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

  function installModules(message, errors) {
    for (const m of message.modules) {
      let factory;
      try {
        factory = compileFactory(m.id, m.code, message.revision);
      } catch (err) {
        errors.push({ id: m.id, err, context: "while compiling the new code" });
        continue;
      }
      setFactory(m.id, m.deps, factory, m.kind, m.staticDeps);
    }
  }

  /** Runs the dispose callbacks of an evaluated module and marks it stale. */
  async function disposeModule(rec, errors) {
    await runDataCallbacks(rec, rec.hot.disposes, "dispose", errors);
    rec.state = "stale";
  }

  function callAccepts(boundary, callbacks, acceptedId, exports, errors) {
    let ok = true;
    const fail = (err) => {
      ok = false;
      errors.push({ id: boundary.id, err, context: "in its hot.accept() callback" });
    };
    for (const { deps, fn } of callbacks) {
      try {
        const result = fn(deps.map((dep) => (dep === acceptedId ? exports : undefined)));
        if (result && typeof result.then === "function") {
          result.then(undefined, (err) => reportRuntimeError(err, boundary.id, "in its hot.accept() callback"));
        }
      } catch (err) {
        fail(err);
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
    const update = { cycle: false };
    const failed = [];
    const updated = [];
    activeUpdate = update;
    try {
      for (const { rec, acceptedId, callbacks } of plan) {
        let exports;
        try {
          const target = records.get(acceptedId);
          if (target && target.state !== "evaluated" && waitsForAsync(target)) {
            await evaluateAsync(target, new Set());
            exports = target.module.exports;
          } else {
            exports = requireId(acceptedId, rec.id, acceptedId);
          }
        } catch (err) {
          const entry = { id: acceptedId, err, context: "while re-evaluating it for a hot update" };
          errors.push(entry);
          failed.push(entry);
          continue;
        }
        if (callAccepts(rec, callbacks, acceptedId, exports, errors)) {
          if (acceptedId !== rec.id) clearRuntimeError(rec.id);
          updated.push(rec.id);
        }
      }
    } finally {
      activeUpdate = null;
    }
    return { cycle: update.cycle, failed, updated };
  }

  /** After a failed first evaluation of the page, retries the entries (the update may fix it). */
  async function retryFailedStart(errors) {
    const pending = entryIds.filter((id) => {
      const rec = records.get(id);
      return rec !== undefined && (rec.state === "failed" || rec.state === "defined");
    });
    if (pending.length === 0) return;
    for (const rec of records.values()) if (rec.state === "failed") rec.state = "defined";
    for (const id of pending) {
      try {
        await loadModule(id);
        log(`updated ${id}`);
      } catch (err) {
        errors.push({ id, err, context: "while starting the page" });
      }
    }
  }

  async function pruneModules(ids, errors) {
    for (const id of ids) {
      const rec = records.get(id);
      if (!rec) continue;
      if (rec.hot) {
        if (wasEvaluated(rec)) await runDataCallbacks(rec, rec.hot.prunes, "prune", errors);
        detachListeners(rec.hot);
      }
      removeModuleCss(id);
      records.delete(id);
      noteRemoved();
      clearRuntimeError(id);
    }
  }

  /**
   * Applies a decoded update message. Returns `{ ok, error }` for the ack, or `{ reloading: true }`
   * when a failure inside an import cycle turned it into a full reload.
   */
  async function applyUpdate(message) {
    const payload = describeUpdate(message, Date.now());
    emit("vite:beforeUpdate", payload);
    const errors = [];

    installModules(message, errors);

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
      if (!wasEvaluated(rec)) continue; // never loaded in this tab
      const acceptedId = b.acceptedDep == null ? b.id : b.acceptedDep;
      const callbacks = rec.hot.accepts.filter((a) => a.deps.includes(acceptedId));
      plan.push({ rec, acceptedId, callbacks });
    }
    const refreshBoundaries = refreshCandidates(plan);
    for (const { acceptedId } of plan) {
      const target = records.get(acceptedId);
      if (target && target.state === "evaluated") await disposeModule(target, errors);
      else if (target && target.state === "failed") target.state = "defined";
    }

    const outcome = await runBoundaries(plan, errors);
    if (outcome.failed.length > 0 && outcome.cycle) {
      const first = outcome.failed[0];
      console.error(`[hmr] failed to update ${first.id} inside an import cycle`, first.err);
      if (fullReload(`an update inside an import cycle failed: ${errorMessage(first.err)}`)) {
        return { reloading: true };
      }
    }

    const invalidated = checkRefreshBoundaries(refreshBoundaries);
    await retryFailedStart(errors);
    await pruneModules(message.removed, errors);
    for (const link of message.cssLinks) swapStylesheet(link.href, link.version);
    performRefresh(errors, invalidated);
    // Logged once the page shows the change: with DevTools (or any CDP client) attached a
    // console line costs about half a millisecond.
    for (const id of outcome.updated) log(`updated ${id}`);

    for (const { id, err, context } of errors) {
      console.error(`[hmr] failed to update ${id}`, err);
      reportRuntimeError(err, id, context);
    }
    emit("vite:afterUpdate", payload);
    return { ok: errors.length === 0, error: errors.length === 0 ? null : errorMessage(errors[0].err) };
  }
