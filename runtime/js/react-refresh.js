  // ---------------------------------------------------------------------------------------------
  // react-refresh.js: React Fast Refresh. Installs a refresh runtime (react-refresh/runtime's API)
  // before any app module runs, registers what modules export, decides at run time whether a
  // module the engine treated as a refresh boundary really is one (every export a component, as
  // Vite's plugin-react decides) and runs one `performReactRefresh()` after each update that
  // re-evaluated a module which registered components.
  //
  // Where the refresh runtime comes from, in order of preference:
  //   1. the app's own `react-refresh/runtime`: the chunk defines it like any module and names it
  //      in `__hotloop.start(entries, { refreshRuntime: "<module id>" })`;
  //   2. the copy embedded in hotloop: `/_hotloop/react-refresh.js`, loaded by a script tag after
  //      the runtime, offers itself through `__hotloop.useRefreshRuntime(exports, { embedded:
  //      true })` and is installed by `start` when the chunk names none.
  // Either way `injectIntoGlobalHook(globalThis)` runs inside `start`, before the entries, so it
  // precedes React DOM's own evaluation (React looks for the hook once, when it loads).
  // ---------------------------------------------------------------------------------------------

  const refresh = {
    /** The embedded copy, offered before `start`; installed by `start` unless the app has one. */
    offered: null,
    /** Where the installed runtime came from: a module id, "embedded" or "custom"; null if none. */
    source: null,
    /** A module that registered components was evaluated since the last refresh. */
    dirty: false,
    /** How many times `performReactRefresh` ran (inspection and tests). */
    count: 0,
    /** `start` began evaluating the entries: a runtime installed now comes too late for React. */
    entriesStarted: false,
  };

  const REFRESH_API = [
    "injectIntoGlobalHook",
    "register",
    "createSignatureFunctionForTransform",
    "performReactRefresh",
    "isLikelyComponentType",
  ];

  function isRefreshRuntime(runtime) {
    return runtime != null && REFRESH_API.every((name) => typeof runtime[name] === "function");
  }

  /**
   * Makes `runtime` the page's refresh runtime: hooks it into React's global DevTools hook, then
   * routes `$RefreshReg$`/`$RefreshSig$` to it. The first runtime installed stays.
   */
  function installRefreshRuntime(runtime, source) {
    if (!isRefreshRuntime(runtime)) {
      throw new TypeError(
        `${source} is not a React Refresh runtime (it lacks one of ${REFRESH_API.join(", ")})`,
      );
    }
    if (refreshRuntime !== null) {
      if (refreshRuntime !== runtime) {
        console.warn(`[hmr] a React Refresh runtime (${refresh.source}) is installed already; ${source} ignored`);
      }
      return;
    }
    if (refresh.entriesStarted) {
      console.warn(
        `[hmr] React Refresh installed after the page started (${source}): components loaded before it do not hot-update`,
      );
    }
    runtime.injectIntoGlobalHook(globalThis);
    refreshRuntime = runtime;
    refresh.source = source;
  }

  /**
   * `__hotloop.useRefreshRuntime(runtime, { embedded })`. The embedded copy only offers itself
   * (the app's own copy, named by the chunk, wins); any other runtime is installed at once.
   */
  function useRefreshRuntime(runtime, options) {
    if (options && options.embedded) {
      if (!isRefreshRuntime(runtime)) throw new TypeError("the embedded React Refresh runtime is incomplete");
      if (refresh.entriesStarted && refreshRuntime === null) installRefreshRuntime(runtime, "embedded");
      else refresh.offered = runtime;
      return;
    }
    installRefreshRuntime(runtime, "custom");
  }

  /** Called by `start` before the entries: installs the app's copy, else the embedded one. */
  function installRefreshForStart(refreshModuleId) {
    if (typeof refreshModuleId === "string" && refreshModuleId !== "") {
      try {
        installRefreshRuntime(requireId(refreshModuleId), refreshModuleId);
        refresh.entriesStarted = true;
        return;
      } catch (err) {
        console.error(`[hmr] cannot use the app's React Refresh runtime ${refreshModuleId}`, err);
        reportRuntimeError(err, refreshModuleId, "while installing React Refresh");
      }
    }
    if (refresh.offered !== null && refreshRuntime === null) {
      installRefreshRuntime(refresh.offered, "embedded");
    }
    refresh.entriesStarted = true;
  }

  /** The export names of a module, `__esModule` left out. */
  function exportNames(exports) {
    if (exports === null || (typeof exports !== "object" && typeof exports !== "function")) return [];
    return Object.keys(exports).filter((name) => name !== "__esModule");
  }

  /** Reads one export; a getter that throws (a binding still in its TDZ) reads as `undefined`. */
  function readExport(exports, name) {
    try {
      return exports[name];
    } catch {
      return undefined;
    }
  }

  /**
   * After a module evaluated: if it registered components, register its component exports too
   * (components made by HOCs such as `memo(...)` or `styled(...)` that the transform cannot see;
   * the runtime ignores types it knows already) and note that a refresh is due.
   */
  function noteRefreshEvaluation(rec) {
    if (rec.refreshRegistrations === 0 || refreshRuntime === null) return;
    refresh.dirty = true;
    const exports = rec.module.exports;
    for (const name of exportNames(exports)) {
      const value = readExport(exports, name);
      if (refreshRuntime.isLikelyComponentType(value)) refreshRuntime.register(value, rec.id + " export " + name);
    }
  }

  /**
   * Why the new evaluation of a module the engine treated as a refresh boundary cannot be one
   * (Vite's plugin-react rules), or null when it is: the same export names as before, at least
   * one, and each a component or unchanged.
   */
  function refreshBoundaryProblem(previous, next) {
    if (refreshRuntime === null) return "React Refresh is not installed on this page";
    const before = exportNames(previous);
    const after = exportNames(next);
    const removed = before.find((name) => !after.includes(name));
    if (removed !== undefined) return `Could not Fast Refresh (export "${removed}" removed)`;
    const added = after.find((name) => !before.includes(name));
    if (added !== undefined) return `Could not Fast Refresh (new export "${added}")`;
    if (after.length === 0) return "Could not Fast Refresh (no exports)";
    for (const name of after) {
      const value = readExport(next, name);
      if (refreshRuntime.isLikelyComponentType(value)) continue;
      if (value === readExport(previous, name)) continue;
      return `Could not Fast Refresh ("${name}" export is not a component)`;
    }
    return null;
  }

  /**
   * Boundaries the engine planned as self-accepting without any `hot.accept()` of their own: the
   * refresh boundaries, whose exports decide after re-evaluation. Captured before the update.
   */
  function refreshCandidates(plan) {
    const candidates = [];
    for (const { rec, acceptedId, callbacks } of plan) {
      if (acceptedId !== rec.id || callbacks.length > 0) continue;
      candidates.push({ rec, previous: rec.module ? rec.module.exports : undefined, module: rec.module });
    }
    return candidates;
  }

  /**
   * After the boundaries re-evaluated: a candidate that registered components but is not a valid
   * boundary invalidates itself, so the update propagates to its importers (never stale UI).
   * Returns how many invalidated.
   */
  function checkRefreshBoundaries(candidates) {
    let invalidated = 0;
    for (const { rec, previous, module } of candidates) {
      if (rec.state !== "evaluated" || rec.module === module) continue; // re-evaluation failed
      if (rec.refreshRegistrations === 0) continue;
      const problem = refreshBoundaryProblem(previous, rec.module.exports);
      if (problem === null) continue;
      invalidated += 1;
      rec.hot.api.invalidate(problem);
    }
    return invalidated;
  }

  /** Overlay key of errors thrown while React re-rendered after an update. */
  const RENDER_ERROR_ID = "React";

  /**
   * One `performReactRefresh()` when components were re-registered since the last one. Skipped
   * while an invalidation is on its way: the update it causes re-evaluates the importers and then
   * refreshes everything at once.
   *
   * React renders synchronously inside the refresh and reports an error no component caught
   * through `reportError` (a window "error" event), after unmounting the tree: such errors are
   * collected and shown, so a blank page always comes with its reason. The next refresh clears
   * them (a fixed component renders again: the refresh runtime re-renders failed roots).
   */
  function performRefresh(errors, invalidated) {
    if (!refresh.dirty || refreshRuntime === null || invalidated > 0) return;
    refresh.dirty = false;
    refresh.count += 1;
    clearRuntimeError(RENDER_ERROR_ID);
    const thrown = [];
    const onError = (event) => thrown.push(event && "error" in event ? event.error : event);
    const listens = typeof addEventListener === "function" && typeof removeEventListener === "function";
    if (listens) addEventListener("error", onError);
    try {
      refreshRuntime.performReactRefresh();
    } catch (err) {
      thrown.push(err);
    } finally {
      if (listens) removeEventListener("error", onError);
    }
    for (const err of thrown) {
      errors.push({ id: RENDER_ERROR_ID, err, context: "while React re-rendered the updated components" });
    }
  }
