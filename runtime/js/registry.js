  // ---------------------------------------------------------------------------------------------
  // registry.js: the module registry. `define` stores factories; `require` evaluates them once,
  // maps each specifier through the importer's deps map and hands back `module.exports`
  // (CommonJS interop, import cycles with partial exports, swc's getter exports as live
  // bindings); a re-evaluation that throws puts the last good module back. Top-level await and
  // `import()` come from async-modules.js. What a module's `import.meta` holds and what happens
  // after it evaluated are the core's to say (`meta`, `evaluated`): the registry never talks to
  // the host.
  // ---------------------------------------------------------------------------------------------

  /**
   * One module.
   *
   * state: "defined" (factory stored, never run) | "evaluating" | "evaluated" | "failed" (the
   * first evaluation threw: requiring it rethrows) | "stale" (disposed by an update, waiting to be
   * re-evaluated; `module` still holds the last good exports).
   *
   * `inChunk`: defined by a chunk (the page's or a lazy one), so the modules it statically
   * imports are defined too; a module only an update brought (another tab loaded its lazy
   * chunk) is not, and `import()` of it loads its chunk first (async-modules.js).
   * `staticDeps`: the first that many entries of `deps` (all: Infinity) are static imports
   * (async-modules.js evaluates them ahead of a module that waits for top-level await).
   * `pending`: that evaluation while it runs; `pendingModule`: the `module` it will evaluate
   * into (an import cycle back to it gets these partial exports).
   *
   * @typedef {{
   *   id: string,
   *   deps: Record<string, string | null>,
   *   staticDeps: number,
   *   inChunk: boolean,
   *   pending: Promise<void> | null,
   *   pendingModule: { exports: any, id: string } | null,
   *   factory: Function,
   *   kind: string,
   *   state: string,
   *   module: { exports: any, id: string } | null,
   *   hot: HotState | null,
   *   data: object,
   *   error: unknown,
   *   require: (spec: string) => any,
   *   refreshReg: (type: unknown, localId: string) => void,
   *   refreshRegistrations: number,
   *   refreshTypes: unknown[],
   * }} ModuleRecord
   */

  /**
   * @param {{
   *   createAsyncModules: typeof createAsyncModules,
   *   hotContext: (rec: ModuleRecord) => HotState,
   *   meta: (rec: ModuleRecord, hot: HotState) => object,
   *   refreshRuntime: () => object | null,
   *   evaluated: (rec: ModuleRecord) => void,
   *   loadChunk?: (id: string) => Promise<void> | null,
   * }} options
   */
  function createRegistry(options) {
    /** @type {Map<string, ModuleRecord>} */
    const records = new Map();

    /** Set while an update re-evaluates modules: whether it met a module mid-evaluation. */
    let activeUpdate = null;

    /** Error object → id of the innermost module whose evaluation threw it. */
    const failedIn = new WeakMap();

    const asyncModules = options.createAsyncModules(records, {
      requireId,
      evaluate,
      loadChunk: (id) => (options.loadChunk ? options.loadChunk(id) : null),
      noteCycle() {
        if (activeUpdate) activeUpdate.cycle = true;
      },
    });
    const { isAsyncFactory, noteFactory, waitsForAsync, requireWaiting } = asyncModules;

    /**
     * `require.esm(exports, bindings)`: the first statement of an ES module's factory (the engine
     * folds swc's CommonJS export prologue into it, `engine/src/transform/esm_exports.rs`).
     * Marks `exports` as an ES module's (`__esModule`, not enumerable) and makes each
     * `name: () => local` an enumerable live binding (the function is its getter), before any
     * import of the module runs.
     */
    function esmExports(exports, bindings) {
      Object.defineProperty(exports, "__esModule", { value: true });
      for (const name in bindings) {
        Object.defineProperty(exports, name, { enumerable: true, get: bindings[name] });
      }
    }

    function identitySignature(type) {
      return type;
    }

    /** `$RefreshSig$`: the refresh runtime's signature function, or the identity. */
    function refreshSig() {
      const runtime = options.refreshRuntime();
      return runtime ? runtime.createSignatureFunctionForTransform() : identitySignature;
    }

    function newRecord(id, deps, factory, kind, staticDeps) {
      /** @type {ModuleRecord} */
      const rec = {
        id,
        deps: deps || {},
        staticDeps: staticDepCount(staticDeps),
        inChunk: false,
        pending: null,
        pendingModule: null,
        factory,
        kind,
        state: "defined",
        module: null,
        hot: null,
        data: {},
        error: undefined,
        require: null,
        refreshReg: null,
        /** `$RefreshReg$` calls made by the current evaluation. */
        refreshRegistrations: 0,
        /** What those calls registered (their exports need no registering again). */
        refreshTypes: [],
      };
      rec.require = function require(spec) {
        const target = rec.deps && Object.hasOwn(rec.deps, spec) ? rec.deps[spec] : null;
        if (target == null) {
          throw new Error(`Cannot find module '${spec}' imported by ${rec.id}`);
        }
        return requireId(target, rec.id, spec);
      };
      // `import()`, as the engine lowers it.
      rec.require.dynamic = function dynamic(spec, candidates) {
        return asyncModules.dynamicImport(rec, spec, candidates);
      };
      // `import * as ns from spec` as an expression: what an eager `import.meta.glob` entry is.
      rec.require.namespace = function namespace(spec) {
        return asyncModules.namespaceOf(rec.require(spec));
      };
      rec.require.esm = esmExports;
      // `$RefreshReg$(type, "<local>")` registers `type` as "<module id> <local>".
      rec.refreshReg = function $RefreshReg$(type, localId) {
        rec.refreshRegistrations += 1;
        rec.refreshTypes.push(type);
        const runtime = options.refreshRuntime();
        if (runtime) runtime.register(type, rec.id + " " + localId);
      };
      return rec;
    }

    /** Stores (or replaces) a module's factory and deps; never evaluates. */
    function setFactory(id, deps, factory, kind, staticDeps) {
      const rec = records.get(id);
      if (rec) {
        rec.deps = deps || {};
        rec.staticDeps = staticDepCount(staticDeps);
        rec.factory = factory;
        if (kind) rec.kind = kind;
      } else {
        records.set(id, newRecord(id, deps, factory, kind || "js", staticDeps));
      }
      noteFactory(factory);
    }

    /** Left out means every dep is static (no count needed: the chunk's common case). */
    function staticDepCount(staticDeps) {
      return typeof staticDeps === "number" ? staticDeps : Infinity;
    }

    /**
     * A chunk's `define`: stores the factory of a module this registry does not have yet. A
     * module a chunk defined (the page's chunk, another lazy chunk) or that ran is never
     * defined again: it is evaluated once per page. A module only an update brought, never
     * run, takes the chunk's code: the server sends a page the updates of a lazy chunk's
     * modules only once it loaded the chunk, so that factory may be older than the chunk's
     * (and when the chunk is the older one, the server sends the newer code again on
     * `Loaded`, from the chunk's snapshot).
     */
    function defineFromChunk(id, deps, factory, staticDeps) {
      const rec = records.get(id);
      if (!rec || (!rec.inChunk && rec.state === "defined")) setFactory(id, deps, factory, "js", staticDeps);
      records.get(id).inChunk = true;
    }

    /** Drops a module that left the graph. */
    function remove(id) {
      records.delete(id);
      asyncModules.noteRemoved();
    }

    /** Returns the exports of module `id`, evaluating it first when needed. */
    function requireId(id, importer, spec) {
      const rec = records.get(id);
      if (!rec) {
        throw new Error(
          importer
            ? `Cannot find module '${spec}' (${id}) imported by ${importer}: it was never sent to the page`
            : `Cannot find module ${id}`,
        );
      }
      switch (rec.state) {
        case "evaluated":
          return rec.module.exports;
        case "evaluating":
          // An import cycle: hand out the partial exports. swc's hoisted getter exports make the
          // bindings live, as in ESM.
          if (activeUpdate) activeUpdate.cycle = true;
          return rec.module.exports;
        case "failed":
          throw rec.error;
        default:
          if (waitsForAsync(rec)) return requireWaiting(rec, importer);
          evaluate(rec);
          return rec.module.exports;
      }
    }

    /**
     * Runs the factory of `rec` with a fresh `module`, fresh exports and a fresh hot context
     * (which keeps `data`). If it throws, a re-evaluation puts the last good module back
     * (importers keep working) while a first evaluation leaves the module "failed". The factory
     * of a module using top-level await returns a promise: `evaluate` then returns one that
     * settles the same way.
     */
    function evaluate(rec, module = { exports: {}, id: rec.id }) {
      const previous =
        rec.state === "stale"
          ? { module: rec.module, hot: rec.hot, refreshRegistrations: rec.refreshRegistrations }
          : null;
      const hot = options.hotContext(rec);
      rec.module = module;
      rec.hot = hot;
      rec.state = "evaluating";
      rec.error = undefined;
      rec.refreshRegistrations = 0;
      rec.refreshTypes = [];
      const fail = (err) => {
        hot.detach();
        if (err !== null && typeof err === "object" && !failedIn.has(err)) failedIn.set(err, rec.id);
        if (previous) {
          rec.module = previous.module;
          rec.hot = previous.hot;
          rec.refreshRegistrations = previous.refreshRegistrations;
          rec.state = "evaluated";
        } else {
          rec.state = "failed";
          rec.error = err;
        }
        throw err;
      };
      const succeed = () => {
        if (previous) previous.hot.detach();
        rec.state = "evaluated";
        options.evaluated(rec);
      };
      let result;
      try {
        result = rec.factory.call(
          module.exports,
          module,
          module.exports,
          rec.require,
          options.meta(rec, hot),
          rec.refreshReg,
          refreshSig,
        );
      } catch (err) {
        fail(err);
      }
      if (isAsyncFactory(rec.factory)) return Promise.resolve(result).then(succeed, fail);
      succeed();
      return undefined;
    }

    /** Runs `fn` as an update's re-evaluation; returns its result and whether it met a cycle. */
    async function withinUpdate(fn) {
      const update = { cycle: false };
      activeUpdate = update;
      try {
        const result = await fn();
        return { result, cycle: update.cycle };
      } finally {
        activeUpdate = null;
      }
    }

    /** The module an error belongs to: the innermost one whose evaluation threw it, else `id`. */
    function ownerOf(err, id) {
      return (err !== null && typeof err === "object" && failedIn.get(err)) || id;
    }

    return {
      records,
      setFactory,
      defineFromChunk,
      remove,
      requireId,
      waitsForAsync,
      evaluateAsync: asyncModules.evaluateAsync,
      loadModule: asyncModules.loadModule,
      withinUpdate,
      ownerOf,
    };
  }

  if (typeof module === "object" && module) module.exports = createRegistry;
