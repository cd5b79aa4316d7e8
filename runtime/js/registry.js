  // ---------------------------------------------------------------------------------------------
  // registry.js: the module registry. `define` stores factories; `require` evaluates them once,
  // maps each specifier through the importer's deps map and hands back `module.exports`
  // (CommonJS interop, import cycles with partial exports, swc's getter exports as live
  // bindings); a re-evaluation that throws puts the last good module back. Top-level await and
  // `import()` come from async-modules.js. What a module's `import.meta` holds and what happens
  // after it evaluated are the core's to say (`meta`, `evaluated`): the registry never talks to
  // the host.
  //
  // ES module namespaces share one null-prototype prototype (`ESM_NAMESPACE`), hold values and
  // live getters, and are frozen once the module evaluated. A chunk's define of a module the page
  // already has is ignored (`defineFromChunk`): two lazy chunks may share modules.
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
   *   deps: Record<string, string | 1 | null>,
   *   staticDeps: number,
   *   inChunk: boolean,
   *   pending: Promise<void> | null,
   *   pendingModule: { exports: any, id: string } | null,
   *   factory: Function,
   *   kind: string,
   *   state: string,
   *   module: { exports: any, id: string } | null,
   *   hot: HotState | null,
   *   data: object | null,
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
   *   assetsAsWritten?: () => boolean,
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
      isEsModule,
      requireId,
      depTarget,
      evaluate,
      loadChunk: (id) => (options.loadChunk ? options.loadChunk(id) : null),
      isUrlModule: (id) => urlModules.has(id),
      noteCycle() {
        if (activeUpdate) activeUpdate.cycle = true;
      },
    });
    const { isAsyncFactory, noteFactory, waitsForAsync, requireWaiting } = asyncModules;

    /**
     * The exports of the module whose factory `evaluate` is calling, until its `require.esm`
     * takes them: that call is the factory's first statement, so no other evaluation starts in
     * between.
     */
    let esmTarget = null;
    /** The record whose factory `evaluate` is calling, for `require.esm` too. */
    let esmRecord = null;

    /**
     * `require.esm(bindings)`: the first statement of an ES module's factory (the engine folds
     * swc's CommonJS export prologue into it, `engine/src/transform/esm_exports.rs`), before
     * any import of the module runs. Makes the module's exports a namespace
     * ([`ESM_NAMESPACE`]) with each binding an enumerable property, in the prologue's order:
     * `name: () => local` a live binding (the function is its getter), `name: 0` a value the
     * factory stores when its local gets it (`exports.name = local`: a local written once,
     * `engine/src/transform/export_values.rs`), `undefined` until then.
     */
    function esmExports(bindings, nodeInterop) {
      const exports = esmTarget;
      if (exports === null) {
        throw new Error("require.esm() is the first statement of an ES module's factory, and only that");
      }
      esmTarget = null;
      const rec = esmRecord;
      esmRecord = null;
      if (rec !== null && (nodeInterop || rec.nodeInterop)) setNodeInterop(rec, nodeInterop | 0);
      Object.setPrototypeOf(exports, ESM_NAMESPACE);
      for (const name in bindings) {
        const binding = bindings[name];
        if (binding === 0) exports[name] = undefined;
        else Object.defineProperty(exports, name, { enumerable: true, get: binding });
      }
    }

    /**
     * Whether `exports` are an ES module's evaluated here (`require.esm`): what Node's interop
     * hands out as they are (a CommonJS module that says `__esModule` is not one of them).
     */
    function isEsModule(exports) {
      return typeof exports === "object" && exports !== null && Object.getPrototypeOf(exports) === ESM_NAMESPACE;
    }

    /**
     * `require.d(exports)`: what a default import reads, the exports of an ES module or
     * `{ default: exports }` of a CommonJS one; swc's `_interop_require_default`, which the
     * engine folds into this call (`engine/src/transform/interop.rs`).
     */
    function interopDefault(obj) {
      return obj && obj.__esModule ? obj : { default: obj };
    }

    /**
     * `require.d` of a module that is an ES module by Node's rules (`require.esm`'s flags, see
     * `engine/src/transform/mod.rs`'s `NodeInterop`): a CommonJS module's default is its
     * `module.exports`, `__esModule` or not, as in Node and Vite 8.
     */
    function interopDefaultNode(obj) {
      return isEsModule(obj) ? obj : { default: obj };
    }

    /**
     * How `rec`'s imports read a CommonJS default from now on: `flags` 1 for its static imports
     * (`require.d`, `require.w`), 2 for its `import()`s (Node's way when set).
     */
    function setNodeInterop(rec, flags) {
      rec.nodeInterop = flags;
      const require = rec.require;
      require.d = flags & 1 ? interopDefaultNode : interopDefault;
      require.w = flags & 1 ? asyncModules.namespaceOfNode : asyncModules.namespaceOf;
    }

    /** A record's `refreshTypes` while its evaluation registered nothing (never written). */
    const NO_TYPES = Object.freeze([]);

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
        /** `import.meta.hot.data`, made on the first read (most modules never read it). */
        data: null,
        error: undefined,
        require: null,
        refreshReg: null,
        /** `$RefreshReg$` calls made by the current evaluation. */
        refreshRegistrations: 0,
        /** What those calls registered (their exports need no registering again). */
        refreshTypes: NO_TYPES,
        /** `setNodeInterop`'s flags (0: Babel's interop). */
        nodeInterop: 0,
      };
      return rec;
    }

    /**
     * The `require` a module's factory gets, made at its first evaluation (a page defines
     * modules it may never run): its deps map's specifiers. What else the engine calls on it
     * (`require.dynamic`, `.u`, `.namespace`, `.esm`, `.d`, `.w`) comes from one shared
     * prototype ([`REQUIRE_METHODS`]) that finds the module through `require.rec`: one function
     * per module instead of four and six properties, which a page's first evaluation made for
     * every module (~1 µs each).
     */
    function requireOf(rec) {
      if (rec.require !== null) return rec.require;
      const require = function require(spec) {
        const target = depTarget(rec, spec);
        if (target == null) {
          const err = new Error(`Cannot find module '${spec}' imported by ${rec.id}`);
          if (rec.deps !== null && rec.deps[spec] === null) {
            // An import the engine could not resolve (`null` in the deps map): the importer's
            // own build error says why (the overlay shows that alone), as for a module that
            // did not compile.
            err.missingModule = rec.id;
            err.unresolved = spec;
          }
          throw err;
        }
        return requireId(target, rec.id, spec);
      };
      require.rec = rec;
      Object.setPrototypeOf(require, REQUIRE_METHODS);
      rec.require = require;
      return require;
    }

    /**
     * The methods of every module's `require` (a function: `Function.prototype` behind them),
     * called on it as the engine writes them, so `this` is that `require`:
     * - `dynamic(spec, candidates)`: `import()` as the engine lowers it;
     * - `namespace(spec)`: a namespace as an expression (an eager `import.meta.glob` entry);
     * - `u(spec, written)`: `new URL('./tex.png', import.meta.url)` as the engine writes it
     *   (`engine/src/transform/asset_url.rs`): the file's `?url` module, or the specifier as
     *   written when the file is not there (the browser resolves it, as under Vite) or where
     *   `import.meta.url` is the module's file (Node: the URL is the asset's file);
     * - `esm(bindings)`: the ES module prologue;
     * - `d(exports)`: the interop of a default import; `w(exports)`: of a namespace import,
     *   swc's `_interop_require_wildcard` folded into this call
     *   (`engine/src/transform/interop.rs`), the namespace `import()` gives too, one per exports
     *   object. Both writable: a module by Node's rules gets its own (`setNodeInterop`).
     */
    const REQUIRE_METHODS = Object.create(Function.prototype, {
      dynamic: {
        value: function dynamic(spec, candidates) {
          return asyncModules.dynamicImport(this.rec, spec, candidates);
        },
      },
      namespace: {
        value: function namespace(spec) {
          return asyncModules.namespaceOf(this(spec));
        },
      },
      u: {
        value: function assetUrl(spec, written) {
          if (options.assetsAsWritten && options.assetsAsWritten()) return written;
          return depTarget(this.rec, spec) == null ? written : this(spec);
        },
      },
      esm: { value: esmExports },
      d: { value: interopDefault, writable: true },
      w: { value: asyncModules.namespaceOf, writable: true },
    });

    /**
     * `$RefreshReg$(type, "<local>")` of `rec`, made at the first evaluation of a factory that
     * declares it: registers `type` as "<module id> <local>".
     */
    function refreshRegOf(rec) {
      if (rec.refreshReg !== null) return rec.refreshReg;
      rec.refreshReg = function $RefreshReg$(type, localId) {
        rec.refreshRegistrations += 1;
        if (rec.refreshTypes === NO_TYPES) rec.refreshTypes = [];
        rec.refreshTypes.push(type);
        const runtime = options.refreshRuntime();
        if (runtime) runtime.register(type, rec.id + " " + localId);
      };
      return rec.refreshReg;
    }

    /**
     * Stores (or replaces) a module's factory and deps; never evaluates. `urls` false: the deps
     * name no URL (a chunk's define says when one does), so none is looked for.
     */
    function setFactory(id, deps, factory, kind, staticDeps, urls = true) {
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
      if (!urls) return;
      const stored = records.get(id).deps;
      for (const spec in stored) {
        const target = stored[spec];
        // Module ids start with one `/`; only a URL does not (the cheap test first: this runs
        // for every dep of every module a chunk defines).
        if (typeof target === "string" && (target.charCodeAt(0) !== 47 || target.charCodeAt(1) === 47)) {
          defineUrlModule(target);
        }
      }
    }

    /**
     * A dep the engine left to the browser (`import x from 'https://esm.sh/x'`: its deps map
     * names the URL): a module of its own that waits for the URL's native `import()`, so its
     * importers wait for it as for top-level await; its exports are the namespace's, marked as
     * an ES module's (`__esModule`, not enumerable).
     */
    function defineUrlModule(target) {
      if (records.has(target) || !/^(https?:|data:|\/\/)/i.test(target)) return;
      const factory = async function urlModule(module) {
        let namespace;
        try {
          namespace = await import(target);
        } catch (err) {
          throw urlModuleError(target, err);
        }
        module.exports = Object.defineProperty(Object.assign({}, namespace), "__esModule", { value: true });
      };
      records.set(target, newRecord(target, {}, factory, "js", 0));
      urlModules.add(target);
      noteFactory(factory);
    }

    /**
     * Why the URL `target` did not load, naming the modules that import it (the browser's own
     * "Failed to fetch dynamically imported module" names the URL alone).
     */
    function urlModuleError(target, err) {
      const importers = [];
      for (const rec of records.values()) {
        for (const spec in rec.deps) {
          if (rec.deps[spec] === target && !importers.includes(rec.id)) importers.push(rec.id);
        }
      }
      const reason = err && typeof err === "object" && "message" in err ? err.message : String(err);
      const by = importers.length ? ` imported by ${importers.join(", ")}` : "";
      const error = new Error(
        `Cannot load ${target}${by}: ${reason} (check the URL, and that this browser can reach it)`,
        { cause: err },
      );
      if (err && typeof err === "object" && err.stack) error.stack = `${error.message}\n${String(err.stack).split("\n").slice(1).join("\n")}`;
      return error;
    }

    /** The URL modules `defineUrlModule` made (none on most pages). */
    const urlModules = new Set();

    /**
     * The URL modules no module imports any more (an edit removed or changed the import): the
     * updater drops them, and with them an error one of them showed (a URL that failed to load
     * stays in the overlay otherwise, as no module of the graph is its to clear).
     */
    function unusedUrlModules() {
      if (urlModules.size === 0) return [];
      const used = new Set();
      for (const rec of records.values()) {
        for (const spec in rec.deps) {
          if (urlModules.has(rec.deps[spec])) used.add(rec.deps[spec]);
        }
      }
      return [...urlModules].filter((id) => !used.has(id));
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
     * `Loaded`, from the chunk's snapshot). `urls` 1: some dep is a URL, made a module here.
     */
    function defineFromChunk(id, deps, factory, staticDeps, urls) {
      const rec = records.get(id);
      if (!rec || (!rec.inChunk && rec.state === "defined")) setFactory(id, deps, factory, "js", staticDeps, urls === 1);
      records.get(id).inChunk = true;
    }

    /** Drops a module that left the graph. */
    function remove(id) {
      records.delete(id);
      urlModules.delete(id);
      asyncModules.noteRemoved();
    }

    /** Returns the exports of module `id`, evaluating it first when needed. */
    function requireId(id, importer, spec) {
      const rec = records.get(id);
      if (!rec) {
        const err = new Error(
          importer
            ? `Cannot find module '${spec}' (${id}) imported by ${importer}: it is not in the page (it did not compile, or the page is out of date)`
            : `Cannot find module ${id}`,
        );
        // The module the page lacks (one that did not compile: its build error says why).
        err.missingModule = id;
        throw err;
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
      rec.refreshTypes = NO_TYPES;
      const factory = rec.factory;
      let result;
      esmTarget = module.exports;
      esmRecord = rec;
      try {
        // `$RefreshReg$`/`$RefreshSig$` only for a factory that declares them (FACTORY_HEADER).
        result =
          factory.length > 4
            ? factory.call(
                module.exports,
                module,
                module.exports,
                requireOf(rec),
                options.meta(rec, hot),
                refreshRegOf(rec),
                refreshSig,
              )
            : factory.call(module.exports, module, module.exports, requireOf(rec), options.meta(rec, hot));
      } catch (err) {
        evaluationFailed(rec, hot, previous, err);
      }
      if (isAsyncFactory(factory)) {
        return Promise.resolve(result).then(
          () => evaluationSucceeded(rec, previous),
          (err) => evaluationFailed(rec, hot, previous, err),
        );
      }
      evaluationSucceeded(rec, previous);
      return undefined;
    }

    /**
     * `evaluate`'s end when the factory returned (or its promise resolved). An ES module's
     * exports are frozen then, as a module namespace object is sealed: assigning to one or
     * adding a name throws in strict code (a module's own stores ran during its evaluation;
     * its live bindings stay live, as getters).
     */
    function evaluationSucceeded(rec, previous) {
      if (previous) previous.hot.detach();
      rec.state = "evaluated";
      const exports = rec.module.exports;
      if (isEsModule(exports)) Object.freeze(exports);
      options.evaluated(rec);
    }

    /**
     * `evaluate`'s end when the factory threw (or its promise rejected): that evaluation's hot
     * context detached, the last good module back, or "failed" on a first evaluation; rethrows
     * `err`.
     */
    function evaluationFailed(rec, hot, previous, err) {
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
      unusedUrlModules,
      defineFromChunk,
      remove,
      requireId,
      waitsForAsync,
      evaluateAsync: asyncModules.evaluateAsync,
      loadModule: asyncModules.loadModule,
      ensureChunk: asyncModules.ensureChunk,
      failedImports: asyncModules.failedImports,
      /** `import(spec)` of a script of the project by its root path, from a page's own script. */
      importUrl: (spec) => asyncModules.urlScriptImport({ id: "a script of the page" }, spec),
      withinUpdate,
      ownerOf,
    };
  }

  /**
   * The prototype of every ES module's exports (`require.esm`), shared: `__esModule` (what
   * CommonJS interop reads) and the `Module` tag (`[object Module]`, as a module namespace
   * object says what it is: vue-router's and others' `isESModule` look at it), neither
   * enumerable, and no `Object.prototype` behind them, as a namespace has none. One prototype
   * for all instead of two properties on each keeps the exports of modules with the same names
   * one shape, and marks them as ES modules' with no table of its own.
   */
  const ESM_NAMESPACE = Object.create(null, {
    __esModule: { value: true },
    [Symbol.toStringTag]: { value: "Module" },
  });

  /**
   * The module id `spec` leads to from module `rec` through its deps map, or null when the map
   * has no target for it. A relative specifier the engine wrote as `1` is joined to the
   * module's directory here, where it is looked up (a page's first evaluation looks up each
   * once; expanding every map at `define` cost more than the lookups).
   */
  function depTarget(rec, spec) {
    const deps = rec.deps;
    if (!deps) return null;
    // One lookup: a map's values are ids, `1` or null, and what a map inherits
    // (`constructor`, `__proto__`) is neither an id nor `1`.
    const target = deps[spec];
    if (target === 1) return joinRelative(rec.id, spec);
    return typeof target === "string" ? target : null;
  }

  /**
   * `spec` (`./x` or `../x`) joined to the directory of the module id `importer`, segment by
   * segment (`.` skipped, `..` drops one; an empty segment, or `..` past the root, is null): the
   * rule of the engine's `join_relative` (`engine/src/queries/emit.rs`), which writes a dep as
   * `1` only where this rule gives its target's id (`tests/data/join-relative.json` holds the
   * cases both are tested on). The common shape (leading `./` and `../` segments, then plain
   * ones) takes string indices only; anything else takes the segment walk.
   */
  function joinRelative(importer, spec) {
    let dirEnd = importer.lastIndexOf("/");
    if (dirEnd === -1) return null;
    let at;
    if (spec.startsWith("./")) at = 2;
    else if (spec.startsWith("../")) at = 0;
    else return null;
    for (;;) {
      if (spec.startsWith("./", at)) {
        at += 2;
      } else if (spec.startsWith("../", at)) {
        const up = dirEnd > 0 ? importer.lastIndexOf("/", dirEnd - 1) : -1;
        if (up === -1) return null;
        dirEnd = up;
        at += 3;
      } else {
        break;
      }
    }
    const rest = spec.slice(at);
    return isPlainPath(rest) ? importer.slice(0, dirEnd) + "/" + rest : joinSegments(importer, spec);
  }

  /**
   * Whether `path` is plain segments: none empty, `.` or `..` (so no leading, trailing or
   * doubled `/`). One pass over its characters: this runs for every import a page's first
   * evaluation follows.
   */
  function isPlainPath(path) {
    const length = path.length;
    let start = 0;
    for (let i = 0; i <= length; i++) {
      if (i < length && path.charCodeAt(i) !== 47) continue;
      const segment = i - start;
      if (segment === 0) return false;
      if (path.charCodeAt(start) === 46 && (segment === 1 || (segment === 2 && path.charCodeAt(start + 1) === 46))) {
        return false;
      }
      start = i + 1;
    }
    return true;
  }

  /** [`joinRelative`] segment by segment. */
  function joinSegments(importer, spec) {
    const slash = importer.lastIndexOf("/");
    const segments = importer.slice(0, slash).split("/");
    for (const segment of spec.split("/")) {
      if (segment === ".") continue;
      if (segment === "..") {
        if (segments.length < 2) return null;
        segments.pop();
      } else if (segment === "") {
        return null;
      } else {
        segments.push(segment);
      }
    }
    return segments.join("/");
  }

  createRegistry.joinRelative = joinRelative;
  createRegistry.depTarget = depTarget;
  /** An ES module namespace of `props`' enumerable properties (what `require.esm` makes). */
  createRegistry.esmNamespace = (props) => Object.assign(Object.create(ESM_NAMESPACE), props);

  if (typeof module === "object" && module) module.exports = createRegistry;
