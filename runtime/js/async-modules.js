  // ---------------------------------------------------------------------------------------------
  // async-modules.js: modules that wait for top-level await, and `import()`. The engine emits an
  // async factory for a module using top-level `await`; a module that statically imports one
  // (directly or through other static imports) waits too. Such a module is evaluated by
  // `evaluateAsync`: its static imports first, in source order (awaiting the waiting ones), then
  // its own factory, so that when its body `require`s them they are done, as in ESM. Pages
  // without top-level await never take these paths (`anyAsync` stays false). Also `import()`
  // (`require.dynamic`) and the namespace interop it shares with `require.namespace`.
  // Works on the registry's records through the functions registry.js passes in; no host.
  //
  // Lazy chunks: the page's chunk holds what its entries reach through static imports; what
  // sits behind an `import()` is a lazy chunk of its own, compiled by the server when asked
  // for. `import()` of a module the registry does not have from a chunk first loads the
  // target's chunk (`loadChunk`, the host's fetch, once per target), then evaluates it; a
  // chunk that cannot be loaded rejects that `import()` with the server's reason, naming the
  // module and its importer. Hosts without `loadChunk` (a worker, Node) have everything.
  //
  // An `import()` that rejected because a module failed its first evaluation (an import it
  // cannot find, a throw at its top level) leaves those modules noted (`failedImports`): the
  // app keeps that rejection (React.lazy caches it, a router shows its error page), so an
  // update that fixes one of them reloads the page instead (`update.js`), as under Vite.
  // ---------------------------------------------------------------------------------------------

  /**
   * @param {Map<string, ModuleRecord>} records
   * @param {{
   *   requireId: (id: string, importer?: string, spec?: string) => any,
   *   depTarget: (rec: ModuleRecord, spec: string) => string | null,
   *   evaluate: (rec: ModuleRecord, module: object) => Promise<void> | undefined,
   *   noteCycle: () => void,
   *   loadChunk: (id: string) => Promise<void> | null,
   *   isUrlModule: (id: string) => boolean,
   * }} registry
   */
  function createAsyncModules(records, registry) {
    const { requireId, depTarget, evaluate, noteCycle, loadChunk, isUrlModule, isEsModule } = registry;

    /** Lazy chunks asked for, by target id: the promise of each load. */
    const chunkLoads = new Map();

    /** Modules whose failed first evaluation rejected an `import()`, by id. */
    const rejectedImports = new Set();

    /** An `import()` rejected with `err`: the modules that failed with it are noted. */
    function noteRejected(err) {
      for (const rec of records.values()) {
        if (rec.state === "failed" && rec.error === err) rejectedImports.add(rec.id);
      }
    }

    /** The modules noted by `noteRejected` that have not evaluated since (still failed). */
    function failedImports() {
      for (const id of rejectedImports) {
        const rec = records.get(id);
        if (rec === undefined || rec.state !== "failed") rejectedImports.delete(id);
      }
      return rejectedImports;
    }

    /**
     * Makes sure module `id` and what it statically imports are defined: nothing to do when a
     * chunk defined it (or it ran); otherwise its lazy chunk is loaded (`null` when the host
     * cannot: then it has everything it will get).
     */
    function ensureChunk(id, importer, spec) {
      const rec = records.get(id);
      if (rec && (rec.inChunk || rec.state !== "defined")) return null;
      let load = chunkLoads.get(id);
      if (load === undefined) {
        const loading = loadChunk(id);
        if (loading == null) return null;
        load = loading.then(
          () => undefined,
          (err) => {
            chunkLoads.delete(id); // a later import() asks again (after a fix, say)
            const reason = err && typeof err === "object" && "message" in err ? err.message : String(err);
            throw new Error(`Cannot load module '${spec}' (${id}) imported by ${importer}: ${reason}`);
          },
        );
        chunkLoads.set(id, load);
      }
      return load;
    }

    const AsyncFunction = (async function () {}).constructor;

    /** Set once any async factory was defined; until then nothing here runs. */
    let anyAsync = false;

    /** Ids of the modules that wait for top-level await; null = recompute on next use. */
    let asyncSet = null;

    function isAsyncFactory(factory) {
      return factory instanceof AsyncFunction;
    }

    /** Called whenever a factory or deps map is stored. */
    function noteFactory(factory) {
      if (isAsyncFactory(factory)) anyAsync = true;
      asyncSet = null;
    }

    /** Called whenever a module is removed. */
    function noteRemoved() {
      asyncSet = null;
    }

    /** The ids `rec` statically imports, in source order (unresolved ones left out). */
    function staticTargets(rec) {
      const out = [];
      const specs = Object.keys(rec.deps);
      for (let i = 0; i < specs.length && i < rec.staticDeps; i++) {
        const target = depTarget(rec, specs[i]);
        if (target != null) out.push(target);
      }
      return out;
    }

    /**
     * Every module with an async factory and every module that reaches one through static
     * imports (a walk over the reversed static edges, so cycles are covered).
     */
    function computeAsyncSet() {
      const importers = new Map();
      const set = new Set();
      const queue = [];
      for (const rec of records.values()) {
        if (isAsyncFactory(rec.factory)) {
          set.add(rec.id);
          queue.push(rec.id);
        }
        for (const target of staticTargets(rec)) {
          const list = importers.get(target);
          if (list) list.push(rec.id);
          else importers.set(target, [rec.id]);
        }
      }
      while (queue.length > 0) {
        for (const importer of importers.get(queue.pop()) || []) {
          if (!set.has(importer)) {
            set.add(importer);
            queue.push(importer);
          }
        }
      }
      return set;
    }

    /** Whether evaluating `rec` has to wait for top-level await somewhere below it. */
    function waitsForAsync(rec) {
      if (!anyAsync) return false;
      if (rec.pending) return true;
      if (asyncSet === null) asyncSet = computeAsyncSet();
      return asyncSet.has(rec.id);
    }

    /**
     * A synchronous `require` met a module that waits for top-level await and has not finished.
     * Inside an import cycle whose evaluation already started it gets the partial exports, as any
     * cycle does; otherwise (a `require()` call, or a cycle entered before the module started) the
     * value cannot exist yet: a clear error, as Node's ERR_REQUIRE_ASYNC_MODULE.
     */
    function requireWaiting(rec, importer) {
      const partial = rec.state === "evaluating" ? rec.module : rec.pendingModule;
      if (partial) {
        noteCycle();
        return partial.exports;
      }
      throw new Error(
        `${importer || "The page"} requires ${rec.id} synchronously, but ${rec.id} waits for ` +
          "top-level await (its own or an import's). Load it with a static import or import(); " +
          "if the two modules import each other, break the cycle.",
      );
    }

    /**
     * Evaluates `rec` after its static imports, in source order: those that wait are awaited, the
     * others are required in turn. `path` holds the modules whose static imports are being
     * evaluated on the way here (an import cycle back to one of them is skipped, and a `require`
     * of one gets its partial exports, as in any cycle). Resolves when `rec` is evaluated; rejects
     * with the error of the import or the module that failed, leaving `rec` as a failed `require`
     * would.
     */
    function evaluateAsync(rec, path) {
      if (rec.state === "evaluated") return Promise.resolve();
      if (rec.state === "failed") return Promise.reject(rec.error);
      if (rec.pending) return rec.pending;
      const here = new Set(path);
      here.add(rec.id);
      const stale = rec.state === "stale";
      const module = { exports: {}, id: rec.id };
      const run = async () => {
        try {
          // As native ES modules evaluate: a dependency that waits starts, and the ones after
          // it that do not wait on it run meanwhile (a slow top-level await does not hold a
          // sibling up); this module runs once all of them are done.
          const waiting = [];
          for (const target of staticTargets(rec)) {
            const dep = records.get(target);
            if (!dep || here.has(target) || dep.state === "evaluated") continue;
            if (waitsForAsync(dep)) waiting.push(evaluateAsync(dep, here));
            else requireId(target, rec.id, target);
          }
          if (waiting.length) await Promise.all(waiting);
        } catch (err) {
          // An import failed before the module ran: what a failed `require` in its body does.
          if (stale) rec.state = "evaluated";
          else {
            rec.state = "failed";
            rec.error = err;
          }
          throw err;
        }
        await evaluate(rec, module);
      };
      rec.pendingModule = module;
      const pending = run();
      rec.pending = pending;
      const done = () => {
        if (rec.pending !== pending) return;
        rec.pending = null;
        rec.pendingModule = null;
      };
      pending.then(done, done);
      return pending;
    }

    /** The exports of module `id` once it (and whatever it waits for) is evaluated. */
    function loadModule(id, importer, spec) {
      const rec = records.get(id);
      if (rec && rec.state !== "evaluated" && waitsForAsync(rec)) {
        return evaluateAsync(rec, new Set()).then(() => rec.module.exports);
      }
      return requireId(id, importer, spec);
    }

    /**
     * Namespace objects of CommonJS modules, one per exports object, handed out by `import()`
     * and by static namespace imports (`require.w`).
     */
    const namespaces = new WeakMap();

    /**
     * What `import()` resolves to for these exports, and what `import * as ns` reads
     * (`require.w`, which swc's `_interop_require_wildcard` is folded into): an ES module's
     * exports object as it is; a CommonJS module's wrapped as `{ ...named, default:
     * module.exports }`, accessors kept.
     */
    function namespaceOf(exports) {
      if (exports && exports.__esModule) return exports;
      return wrapCommonJs(exports, namespaces);
    }

    /** Namespaces of CommonJS modules as Node's interop makes them (`namespaceOfNode`). */
    const nodeNamespaces = new WeakMap();

    /**
     * `namespaceOf` for a module that is an ES module by Node's rules (`require.esm`'s flags):
     * a CommonJS module is wrapped even when it says `__esModule`, its `default` the whole
     * `module.exports`, as in Node and Vite 8.
     */
    function namespaceOfNode(exports) {
      if (isEsModule(exports)) return exports;
      return wrapCommonJs(exports, nodeNamespaces);
    }

    function wrapCommonJs(exports, cache) {
      if (exports === null || (typeof exports !== "object" && typeof exports !== "function")) {
        return { default: exports };
      }
      const cached = cache.get(exports);
      if (cached) return cached;
      const ns = { __proto__: null };
      for (const key in exports) {
        if (key === "default" || !Object.hasOwn(exports, key)) continue;
        const desc = Object.getOwnPropertyDescriptor(exports, key);
        if (desc && (desc.get || desc.set)) Object.defineProperty(ns, key, desc);
        else ns[key] = exports[key];
      }
      ns.default = exports;
      cache.set(exports, ns);
      return ns;
    }

    /**
     * A specifier only known at run time that the browser loads itself, as under Vite: a URL,
     * one of Vite's own (`/@vite/client`, `/@id/...`), a root path the server answers as it is
     * (a `public/` file, one a plugin's middleware serves: vite-plugin-static-copy's), or a
     * bare name (an import map's). Not a relative path: that one means a module of the app.
     */
    function nativeSpecifier(spec) {
      return /^((https?|data|blob):|\/@(vite|id)\/)/i.test(spec) || (spec.startsWith("/") && !spec.startsWith("//")) || !/^\.{1,2}\//.test(spec);
    }

    /** A root path of a script file hotloop compiles (`/src/plugins/a.ts`). */
    function isScriptPath(spec) {
      return /^\/(?!\/|@)[^?#]*\.(m|c)?(j|t)sx?([?#]|$)/.test(spec);
    }

    /**
     * `import()` of a root path only known at run time that names a script of the project
     * (`` import(`/src/plugins/${name}.ts`) ``): its module, compiled as a lazy chunk (the
     * server takes it in as one), as Vite serves it; the browser's own `import()` when the server
     * has no such script (a `public/` file) or the host loads no chunks (Node).
     */
    function urlScriptImport(rec, spec) {
      const id = spec.replace(/[?#].*$/, "");
      return Promise.resolve().then(() => {
        const loading = records.has(id) ? null : ensureChunk(id, rec.id, spec);
        if (loading === null) {
          return records.has(id) ? Promise.resolve(loadModule(id, rec.id, spec)).then(namespaceFor(rec)) : import(spec);
        }
        return loading.then(
          () => {
            if (!records.has(id)) {
              throw new Error(`Cannot load module '${spec}' imported by ${rec.id}: it does not compile (the error overlay shows why)`);
            }
            return Promise.resolve(loadModule(id, rec.id, spec)).then(namespaceFor(rec));
          },
          () => import(spec),
        );
      });
    }

    /** The engine named `spec` and could not resolve it (the overlay says why). */
    function knownUnresolved(rec, spec) {
      return rec.deps != null && Object.hasOwn(rec.deps, spec);
    }

    /**
     * `import(spec)` from module `rec` (the engine lowers it to `require.dynamic(spec)`): a promise
     * of the namespace, evaluated in a later microtask, waiting for top-level await.
     */
    function dynamicImport(rec, spec, candidates) {
      return importOf(rec, spec, candidates).catch((err) => {
        noteRejected(err);
        throw err;
      });
    }

    function importOf(rec, spec, candidates) {
      if (candidates !== undefined) return variableImport(rec, spec, candidates);
      const target = depTarget(rec, spec);
      // A URL the engine left to the browser (`import('https://esm.sh/x')`), and, for a
      // specifier only known at run time, a URL or one of Vite's own (`/@vite/client`,
      // `/@id/...`) that tools import by name: the browser's own `import()`, its namespace as
      // it is.
      const native =
        target != null
          ? isUrlModule(target) && target
          : typeof spec === "string" && !knownUnresolved(rec, spec) && nativeSpecifier(spec) && spec;
      if (native && target == null && isScriptPath(spec)) return urlScriptImport(rec, spec);
      if (native) return Promise.resolve().then(() => import(native));
      return Promise.resolve()
        .then(() => {
          if (target != null) {
            const loading = ensureChunk(target, rec.id, spec);
            if (loading === null) return loadModule(target, rec.id, spec);
            return loading.then(() => {
              if (!records.has(target)) {
                throw new Error(
                  `Cannot load module '${spec}' (${target}) imported by ${rec.id}: it does not compile (the error overlay shows why)`,
                );
              }
              return loadModule(target, rec.id, spec);
            });
          }
          throw new Error(`Cannot find module '${spec}' imported by ${rec.id}`);
        })
        .then(namespaceFor(rec));
    }

    /** What `rec`'s `import()` resolves to for a module's exports (`setNodeInterop`'s flag 2). */
    function namespaceFor(rec) {
      return rec.nodeInterop & 2 ? namespaceOfNode : namespaceOf;
    }

    /** Vite's default `resolve.extensions`, in its order. */
    const RESOLVE_EXTENSIONS = [".mjs", ".js", ".mts", ".ts", ".jsx", ".tsx", ".json"];

    /**
     * A variable import (`./locales/${lang}.json` as a template literal): the engine lists the
     * files the pattern can name in a glob module, `candidates`
     * (`{ "./locales/en.json": () => import(...) }`); a path outside that list is an error naming
     * what was there, but a root-absolute one (`/plugins/x.js`, a `public/` file) is the
     * browser's to load, as under Vite.
     */
    function variableImport(rec, path, candidates) {
      const key = String(path);
      const plain = key.replace(/[?#].*$/, "");
      // A path without its extension (`./lang/${name}`) names the file Vite's resolver finds
      // for it, trying `resolve.extensions`' defaults in order.
      const named = [key, plain, ...RESOLVE_EXTENSIONS.map((ext) => plain + ext)].find((k) => Object.hasOwn(candidates, k));
      const load = named === undefined ? null : candidates[named];
      if (load) return load();
      if (key.startsWith("/") && !key.startsWith("//")) return import(key);
      const known = Object.keys(candidates);
      const listed = known.length
        ? `the pattern matches ${known.slice(0, 10).join(", ")}${known.length > 10 ? ", ..." : ""}`
        : "the pattern matches no files";
      return Promise.reject(
        new Error(`Unknown variable dynamic import: '${key}' in ${rec.id} (${listed})`),
      );
    }

    return {
      isAsyncFactory,
      noteFactory,
      noteRemoved,
      waitsForAsync,
      requireWaiting,
      evaluateAsync,
      loadModule,
      ensureChunk,
      namespaceOf,
      namespaceOfNode,
      dynamicImport,
      urlScriptImport,
      failedImports,
    };
  }

  if (typeof module === "object" && module) module.exports = createAsyncModules;
