  // ---------------------------------------------------------------------------------------------
  // module-meta.js: `$meta`, what a module sees as `import.meta`: `url`, `hot` (left
  // out where the host has no hot updates: a worker), `env`, `refresh`, and the stylesheet hooks
  // the engine emits for CSS, `css(text)` and `cssModule(text, names, composed)`. Styles reach
  // the page only through the host's `css`.
  // ---------------------------------------------------------------------------------------------

  /**
   * @param {{
   *   host: () => Host,
   *   env: () => object,
   *   hot: () => boolean,
   *   refreshRuntime: () => object | null,
   * }} core
   * @returns {(rec: ModuleRecord, hot: HotState) => object}
   */
  function createModuleMeta(core) {
    /**
     * A CSS Module (`*.module.css`): injects its style like any imported stylesheet and returns
     * its exports: each name as written → its scoped class(es), one export per name and all of
     * them as `default`. `composed` lists classes composed from other CSS Modules,
     * `[name, theirExports, theirName]`, appended here because those modules ran first. An
     * importer holds the names it read when it ran, so when a re-evaluation changes them the
     * module invalidates itself: its importers re-run.
     */
    function cssModuleExports(rec, hot, text, names, composed) {
      core.host().css(rec.id, text);
      const classes = Object.assign({}, names);
      for (const [name, dep, depName] of composed || []) {
        const value = dep && dep.default ? dep.default[depName] : undefined;
        if (typeof value === "string") classes[name] += " " + value;
        else core.host().logger.warn(`${rec.id}: "${name}" composes "${depName}", which its file does not define`);
      }
      const key = JSON.stringify(classes);
      const changed = rec.cssModuleKey !== undefined && rec.cssModuleKey !== key;
      rec.cssModuleKey = key;
      if (changed) hot.api.invalidate("its class names changed");
      // Its namespace: the names and `default`, an ES module's (a default import reads
      // `default`, with Node's interop too: `Object.keys(styles)` lists the class names alone).
      return core.esmNamespace({ ...classes, default: classes });
    }

    /**
     * One evaluation's `import.meta`: `url` and `env`, `hot` (its hot context's API, made on the
     * first read: most modules never read it), `refresh`, and the stylesheet hooks. One small
     * object per evaluation; the rest lives on the prototype.
     */
    class ModuleMeta {
      #rec;
      #hot;
      constructor(rec, hot) {
        this.#rec = rec;
        this.#hot = hot;
        this.env = core.env();
      }
      get url() {
        const host = core.host();
        return host.moduleUrl ? host.moduleUrl(this.#rec.id) : host.origin + this.#rec.id;
      }
      /** Node's `import.meta.filename`/`dirname` where modules run from files (the host's). */
      get filename() {
        const host = core.host();
        return host.moduleFile ? host.moduleFile(this.#rec.id) : undefined;
      }
      get dirname() {
        const file = this.filename;
        return file === undefined ? undefined : file.slice(0, Math.max(file.lastIndexOf("/"), 1));
      }
      get hot() {
        return core.hot() ? this.#hot.api : undefined;
      }
      css(text) {
        this.#rec.kind = "css";
        core.host().css(this.#rec.id, text);
      }
      cssModule(text, names, composed) {
        this.#rec.kind = "css";
        return cssModuleExports(this.#rec, this.#hot, text, names, composed);
      }
      /** The Fast Refresh runtime, or null: the React integration's hook point. */
      get refresh() {
        return core.refreshRuntime();
      }
    }

    return function meta(rec, hot) {
      return new ModuleMeta(rec, hot);
    };
  }

  if (typeof module === "object" && module) module.exports = createModuleMeta;
