  // ---------------------------------------------------------------------------------------------
  // react-refresh.js: the page host's React Fast Refresh. Installs a refresh runtime
  // (react-refresh/runtime's API) before any app module runs and gives the core its
  // `RefreshHooks`: register what modules export, say whether a module the engine treated as a
  // refresh boundary really is one (every export a component, as Vite's plugin-react decides),
  // and run `performReactRefresh()`. When to do each is the core's (refresh-boundaries.js).
  //
  // Where the refresh runtime comes from, in order of preference:
  //   1. the app's own `react-refresh/runtime`: the chunk defines it like any module and names it
  //      in `__hotloop.start(entries, { refreshRuntime: "<module id>" })`;
  //   2. the copy embedded in hotloop: `/_hotloop/react-refresh.js`, loaded by a script tag after
  //      the runtime, offers itself through `__hotloop.useRefreshRuntime(exports, { embedded:
  //      true })` and is installed by `start` when the chunk names none.
  // Either way `injectIntoGlobalHook(globalThis)` runs inside `start`, before the entries, so it
  // precedes React DOM's own evaluation (React looks for the hook once, when it loads).
  //
  // For 2 s after a refresh (`RECHECK_MS`), every commit's tree is checked: a component committed
  // in an older version than its family's (a render React began before the update) gets its
  // renderer's refresh again.
  // ---------------------------------------------------------------------------------------------

  /** Overlay key of errors thrown while React re-rendered after an update. */
  const RENDER_ERROR_ID = "React";

  /** How long after a refresh React's commits are checked for a render that began before it. */
  const RECHECK_MS = 2000;

  /** Modules whose exports an idle callback registers between looks at the time it has left. */
  const IDLE_SLICE = 64;

  /** An idle callback stops registering when less than this is left of its idle period (ms). */
  const IDLE_MARGIN_MS = 1;

  const REFRESH_API = [
    "injectIntoGlobalHook",
    "register",
    "createSignatureFunctionForTransform",
    "performReactRefresh",
    "isLikelyComponentType",
  ];

  /** @param {{ logger: Logger, clearError: (id: string) => void }} page */
  function createReactRefresh(page) {
    const { logger } = page;
    const refresh = {
      /** The installed runtime, or null: `$RefreshReg$`/`$RefreshSig$` are no-ops. */
      runtime: null,
      /** The embedded copy, offered before `start`; installed by `start` unless the app has one. */
      offered: null,
      /** Where the installed runtime came from: a module id, "embedded" or "custom"; null if none. */
      source: null,
      /** How many times `performReactRefresh` ran (inspection and tests). */
      count: 0,
      /** `start` began evaluating the entries: a runtime installed now comes too late for React. */
      entriesStarted: false,
      /** The project's root directory, when the start call says it (a project with plugins):
       * a module's id as Vite's plugins know it is `root + id` (`ignoredExports`). */
      root: null,
      /** Each renderer's refresh helpers (React DOM's `scheduleRefresh`), by renderer id. */
      renderers: new Map(),
      /** Until when React's commits are checked for stale components (`afterCommit`); 0: not. */
      recheckUntil: 0,
      /** `performReactRefresh` is running: its commits are the refresh's own, never rechecked. */
      performing: false,
    };

    function isRefreshRuntime(runtime) {
      return runtime != null && REFRESH_API.every((name) => typeof runtime[name] === "function");
    }

    /**
     * Makes `runtime` the page's refresh runtime: hooks it into React's global DevTools hook,
     * then routes `$RefreshReg$`/`$RefreshSig$` to it. The first runtime installed stays.
     */
    function install(runtime, source) {
      if (!isRefreshRuntime(runtime)) {
        throw new TypeError(
          `${source} is not a React Refresh runtime (it lacks one of ${REFRESH_API.join(", ")})`,
        );
      }
      if (refresh.runtime !== null) {
        if (refresh.runtime !== runtime) {
          logger.warn(`a React Refresh runtime (${refresh.source}) is installed already; ${source} ignored`);
        }
        return;
      }
      if (refresh.entriesStarted) {
        logger.warn(
          `React Refresh installed after the page started (${source}): components loaded before it do not hot-update`,
        );
      }
      runtime.injectIntoGlobalHook(globalThis);
      refresh.runtime = runtime;
      refresh.source = source;
      watchCommits(globalThis.__REACT_DEVTOOLS_GLOBAL_HOOK__);
    }

    /**
     * A render React began before a refresh commits the components it resolved then: a lazy
     * route whose module loaded just before an update of it came renders in slices, the update
     * lands between two, and the refresh (which looks at the committed tree, where the route is
     * not yet) re-renders nothing; the page would show the old version under "updated". So for
     * a while after each refresh, every commit's tree is looked at: the components committed in
     * an older version than their family's get their renderer's refresh again (what
     * `performReactRefresh` asks of it), once.
     */
    function watchCommits(hook) {
      if (!hook || typeof hook.onCommitFiberRoot !== "function" || typeof hook.inject !== "function") return;
      const inject = hook.inject;
      hook.inject = function (helpers) {
        const id = inject.apply(this, arguments);
        if (helpers && typeof helpers.scheduleRefresh === "function") refresh.renderers.set(id, helpers);
        return id;
      };
      const commit = hook.onCommitFiberRoot;
      hook.onCommitFiberRoot = function (id, root) {
        const result = commit.apply(this, arguments);
        if (refresh.recheckUntil !== 0 && !refresh.performing) afterCommit(id, root);
        return result;
      };
    }

    function afterCommit(rendererId, root) {
      if (performance.now() > refresh.recheckUntil) {
        refresh.recheckUntil = 0;
        return;
      }
      const helpers = refresh.renderers.get(rendererId);
      const stale = helpers ? staleFamilies(root && root.current) : [];
      if (stale.length === 0) return;
      refresh.recheckUntil = 0;
      // Outside React's commit: the refresh renders synchronously.
      setTimeout(() => {
        try {
          helpers.scheduleRefresh(root, { updatedFamilies: new Set(stale), staleFamilies: new Set() });
        } catch (err) {
          logger.error("React Refresh failed to re-render a component committed in its old version", err);
        }
      }, 0);
    }

    /** The families of the components in the fiber tree at `fiber` committed in an old version. */
    function staleFamilies(fiber) {
      const runtime = refresh.runtime;
      const found = new Set();
      if (typeof runtime.getFamilyByType !== "function") return [];
      const check = (type) => {
        if (typeof type !== "function") return;
        const family = runtime.getFamilyByType(type);
        if (family && family.current !== type) found.add(family);
      };
      let node = fiber;
      walk: while (node) {
        const type = node.type;
        if (type !== null && typeof type === "object") {
          check(type.render); // forwardRef
          check(type.type); // memo
        } else {
          check(type);
        }
        if (node.child) {
          node = node.child;
          continue;
        }
        while (!node.sibling) {
          if (!node.return || node.return === fiber || node === fiber) break walk;
          node = node.return;
        }
        node = node === fiber ? null : node.sibling;
      }
      return [...found];
    }

    /**
     * `__hotloop.useRefreshRuntime(runtime, { embedded })`. The embedded copy only offers itself
     * (the app's own copy, named by the chunk, wins); any other runtime is installed at once.
     */
    function useRefreshRuntime(runtime, options) {
      if (options && options.embedded) {
        if (!isRefreshRuntime(runtime)) throw new TypeError("the embedded React Refresh runtime is incomplete");
        if (refresh.entriesStarted && refresh.runtime === null) install(runtime, "embedded");
        else refresh.offered = runtime;
        return;
      }
      install(runtime, "custom");
    }

    /**
     * The exports of module `id` a plugin asked React Refresh to leave out of its boundary check,
     * through plugin-react's `window.__getReactRefreshIgnoredExports({ id })` (TanStack Router's
     * `Route` of a route file, which its own `hot.accept` updates). The plugin names the module
     * by its Vite id: the file's absolute path.
     */
    function ignoredExports(id) {
      const hook = globalThis.__getReactRefreshIgnoredExports;
      if (typeof hook !== "function" || typeof id !== "string") return [];
      const viteId = id.startsWith("/@fs/") ? id.slice(4) : refresh.root !== null ? refresh.root + id : id;
      try {
        const list = hook({ id: viteId });
        return Array.isArray(list) ? list : [];
      } catch (err) {
        logger.error("__getReactRefreshIgnoredExports threw", err);
        return [];
      }
    }

    /**
     * Called by the page's start before the entries: installs the app's copy (module
     * `moduleId`, evaluated through `core`), else the embedded one; keeps the project's `root`
     * when the start call says it (`ignoredExports`).
     */
    function installForStart(moduleId, core, root) {
      if (typeof root === "string") refresh.root = root;
      if (typeof moduleId === "string" && moduleId !== "") {
        try {
          install(core.require(moduleId), moduleId);
          refresh.entriesStarted = true;
          return;
        } catch (err) {
          logger.error(`cannot use the app's React Refresh runtime ${moduleId}`, err);
          core.reportError(err, moduleId, "while installing React Refresh");
        }
      }
      if (refresh.offered !== null && refresh.runtime === null) install(refresh.offered, "embedded");
      refresh.entriesStarted = true;
    }

    /**
     * Shows what the page's first render throws that no component catches: React unmounts the
     * root (React 19 reports it through `reportError`, a window "error" event; React 18 throws
     * it from a task) and the page stays blank, its reason only in the console. Watched from
     * the entries' start until the page's first idle moment (the returned function stops it),
     * on a page React renders; the next refresh clears it (a fixed component renders again: the
     * refresh runtime re-renders failed roots).
     */
    function watchFirstRender(core) {
      if (typeof addEventListener !== "function" || typeof removeEventListener !== "function") return () => {};
      const onError = (event) => {
        const err = event && "error" in event ? event.error : null;
        if (refresh.renderers.size === 0 || refresh.performing || !(err instanceof Error)) return;
        core.reportError(err, RENDER_ERROR_ID, "while React rendered the page");
      };
      addEventListener("error", onError);
      return () => removeEventListener("error", onError);
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
     * Exports of evaluated modules not registered yet, `[id, exports, registered]`: on a page
     * (`requestIdleCallback`) registering them waits for an idle moment, so a navigation that
     * evaluates thousands of modules does not pay for it before React renders; an update
     * registers what is still waiting before anything re-evaluates (`flush`), so an old
     * component and its new version land in one family.
     */
    let pendingExports = [];
    /** How many of `pendingExports` are registered already (an idle callback's slices). */
    let pendingDone = 0;
    let idleScheduled = false;

    function registerExports(id, exports, registered) {
      for (const name of exportNames(exports)) {
        const value = readExport(exports, name);
        if (registered && registered.includes(value)) continue;
        if (refresh.runtime.isLikelyComponentType(value)) refresh.runtime.register(value, id + " export " + name);
      }
    }

    /**
     * Registers the waiting exports up to `end`, each counted before it runs (one whose
     * registration throws is not tried again).
     */
    function registerUpTo(end) {
      while (pendingDone < end) {
        const [id, exports, registered] = pendingExports[pendingDone++];
        registerExports(id, exports, registered);
      }
    }

    function flushExports() {
      registerUpTo(pendingExports.length);
      pendingExports = [];
      pendingDone = 0;
    }

    /**
     * Registers waiting exports while the idle period lasts, a slice of `IDLE_SLICE` modules at
     * a time, then waits for the next one: thousands of modules (a lazy route of a big app)
     * took ~8 ms in one callback, which delayed the next navigation's scripts by as much.
     */
    function flushWhileIdle(deadline) {
      idleScheduled = false;
      do {
        registerUpTo(Math.min(pendingExports.length, pendingDone + IDLE_SLICE));
      } while (pendingDone < pendingExports.length && deadline.timeRemaining() > IDLE_MARGIN_MS);
      if (pendingDone < pendingExports.length) scheduleIdleFlush();
      else flushExports();
    }

    function scheduleIdleFlush() {
      if (idleScheduled) return;
      idleScheduled = true;
      requestIdleCallback(flushWhileIdle);
    }

    /** @type {RefreshHooks} */
    const hooks = {
      runtime: () => refresh.runtime,

      /**
       * A module that registered components evaluated: register its component exports too
       * (components made by HOCs such as `memo(...)` or `styled(...)` that the transform cannot
       * see). An export its `$RefreshReg$` calls registered (`registered`: the usual `export
       * default function App`) is skipped, as the runtime would ignore it, without asking
       * whether it is a component.
       */
      evaluated(id, exports, registered) {
        if (typeof requestIdleCallback !== "function") {
          registerExports(id, exports, registered);
          return;
        }
        pendingExports.push([id, exports, registered]);
        scheduleIdleFlush();
      },

      /** Registers the exports still waiting for an idle moment (before an update evaluates). */
      flush: flushExports,

      /**
       * Why the new evaluation of a module the engine treated as a refresh boundary cannot be
       * one (Vite's plugin-react rules), or null when it is: the same export names as before, at
       * least one, and each a component or unchanged.
       */
      boundaryProblem(previous, next, id) {
        const ignored = ignoredExports(id);
        const before = exportNames(previous).filter((name) => !ignored.includes(name));
        const after = exportNames(next).filter((name) => !ignored.includes(name));
        const removed = before.find((name) => !after.includes(name));
        if (removed !== undefined) return `Could not Fast Refresh (export "${removed}" removed)`;
        const added = after.find((name) => !before.includes(name));
        if (added !== undefined) return `Could not Fast Refresh (new export "${added}")`;
        if (after.length === 0) return "Could not Fast Refresh (no exports)";
        for (const name of after) {
          const value = readExport(next, name);
          if (refresh.runtime.isLikelyComponentType(value)) continue;
          if (value === readExport(previous, name)) continue;
          return `Could not Fast Refresh ("${name}" export is not a component)`;
        }
        return null;
      },

      /** The page's next task, without a timer's clamping: a message to itself. */
      nextTask:
        typeof MessageChannel === "function"
          ? () =>
              new Promise((resolve) => {
                const channel = new MessageChannel();
                channel.port1.onmessage = () => {
                  channel.port1.close();
                  resolve();
                };
                channel.port2.postMessage(null);
              })
          : null,

      /**
       * One `performReactRefresh()`. React renders synchronously inside it and reports an error
       * no component caught through `reportError` (a window "error" event), after unmounting the
       * tree: such errors are returned, so a blank page always comes with its reason. The next
       * refresh clears them (a fixed component renders again: the refresh runtime re-renders
       * failed roots).
       */
      perform() {
        flushExports();
        refresh.count += 1;
        page.clearError(RENDER_ERROR_ID);
        const thrown = [];
        const onError = (event) => thrown.push(event && "error" in event ? event.error : event);
        const listens = typeof addEventListener === "function" && typeof removeEventListener === "function";
        if (listens) addEventListener("error", onError);
        refresh.performing = true;
        try {
          refresh.runtime.performReactRefresh();
        } catch (err) {
          thrown.push(err);
        } finally {
          refresh.performing = false;
          if (listens) removeEventListener("error", onError);
        }
        refresh.recheckUntil = performance.now() + RECHECK_MS;
        return thrown.map((err) => ({ id: RENDER_ERROR_ID, err, context: "while React re-rendered the updated components" }));
      },
    };

    return {
      hooks,
      useRefreshRuntime,
      installForStart,
      watchFirstRender,
      get runtime() {
        return refresh.runtime;
      },
      inspect: () => ({ source: refresh.source, refreshes: refresh.count }),
    };
  }
