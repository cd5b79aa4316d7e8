// Vite's module graph as plugins read it (`server.moduleGraph`, `this.environment.moduleGraph`,
// `this.getModuleInfo`): a `ModuleNode` per module with the fields plugins use, found by id, by
// URL and by file in constant time.
//
// Nodes come from two sides. A module the plugins see (`load`, `transform`, a hot update) gets
// one when they first do. The import edges (`importedModules`, `importers`) are hotloop's: it
// resolves most imports itself, so the engine sends what changed in the page's graph
// (`setEdges`, the `moduleGraph` notification: all of it first, then the modules whose imports
// changed and those that left), named by their URLs on the page, which are Vite's
// `ModuleNode.url` (`/src/App.vue`, `/@id/__x00__virtual:routes`, `/@fs/abs/file.js`). Vue
// DevTools' and vite-plugin-inspect's graphs draw these edges; plugin-vue's hot update reads a
// component's `importers`.

import path from 'node:path';

const CSS_RE = /\.(css|less|sass|scss|styl|stylus|pcss|postcss|sss)(?:$|\?)/;

export class ModuleGraph {
  #root = '/';
  #metaOf;
  #onInvalidate;
  #byId = new Map();
  #byUrl = new Map();
  /** file → Set of nodes: Vite's `fileToModulesMap`, which plugins read directly. */
  fileToModulesMap = new Map();

  /**
   * `metaOf(id)`: the plugin meta of a module (`this.getModuleInfo(id).meta`);
   * `onInvalidate(ids)`: a plugin marked modules stale (hotloop compiles them again).
   */
  constructor({ metaOf, onInvalidate }) {
    this.#metaOf = metaOf;
    this.#onInvalidate = onInvalidate;
  }

  /** A config loaded (again): no nodes, the project's root. */
  reset(root) {
    this.#root = root.split(path.sep).join('/');
    this.#byId.clear();
    this.#byUrl.clear();
    this.fileToModulesMap.clear();
  }

  /** The URL Vite gives module `id` (`/@id/` for a virtual one, `/@fs/` outside the root). */
  urlOf(id) {
    const root = this.#root;
    if (id.startsWith(root + '/')) return id.slice(root.length);
    if (path.isAbsolute(id)) return '/@fs' + id;
    return '/@id/' + id.replace(/\0/g, '__x00__');
  }

  /** The id of the module at `url` (what `urlOf` made, or the engine named). */
  idOfUrl(url) {
    const known = this.#byUrl.get(url);
    if (known) return known.id;
    if (url.startsWith('/@id/')) {
      const id = url.slice('/@id/'.length).replace(/__x00__/g, '\0');
      return id.startsWith('__x2f__') ? '/' + id.slice('__x2f__'.length) : id;
    }
    if (url.startsWith('/@fs/')) return url.slice('/@fs'.length);
    return this.#root + url;
  }

  /** The node of module `id`, made on first use. */
  node(id) {
    let m = this.#byId.get(id);
    if (m) return m;
    // Vite's `cleanUrl(id)`, for a virtual module too: vite-plugin-pages finds its routes module
    // with `getModulesByFile('virtual:vite-plugin-pages/generated-pages')`.
    const file = id.replace(/[?#].*$/, '');
    const url = this.urlOf(id);
    m = {
      id, url, file,
      type: CSS_RE.test(url) && /[?&]direct\b/.test(url) ? 'css' : 'js',
      importers: new Set(), importedModules: new Set(), clientImportedModules: new Set(),
      acceptedHmrDeps: new Set(), isSelfAccepting: undefined, lastHMRTimestamp: 0,
      transformResult: null, meta: this.#metaOf(id), info: undefined,
    };
    this.#byId.set(id, m);
    this.#byUrl.set(url, m);
    let same = this.fileToModulesMap.get(file);
    if (!same) this.fileToModulesMap.set(file, (same = new Set()));
    same.add(m);
    return m;
  }

  ids() {
    return this.#byId.keys();
  }

  getModuleById(id) {
    return this.#byId.get(id);
  }

  getModulesByFile(file) {
    return this.fileToModulesMap.get(file);
  }

  async getModuleByUrl(url) {
    return this.#byUrl.get(url);
  }

  /**
   * `importers` watched the file of `nodes` (`this.addWatchFile`): each imports them, as Vite's
   * import analysis adds a transform's watched files to its imports. Until the engine sends
   * the importer's edges again.
   */
  addWatchImporters(nodes, importers) {
    for (const importer of importers) {
      for (const node of nodes) {
        if (node === importer) continue;
        importer.importedModules.add(node);
        node.importers.add(importer);
      }
    }
  }

  /** A module a plugin marks stale gets compiled again by hotloop, as its next request would
   * be under Vite (vite-plugin-qwik's segments of an edited component, before its full reload). */
  invalidateModule(mod) {
    if (typeof mod?.id === 'string') this.#onInvalidate([mod.id]);
  }

  invalidateAll() {}

  /** Every module's imports, as `setEdges` takes them (a worker thread's first graph). */
  edges() {
    const all = [];
    for (const m of this.#byId.values()) {
      if (m.importedModules.size) all.push([m.url, [...m.importedModules].map((d) => d.url)]);
    }
    return all;
  }

  /**
   * What changed in the page's graph: `modules`, `[url, importUrls]` of the modules that are new
   * or whose imports changed (each with all its imports), and `removed`, the URLs of those that
   * left (their edges go; a node a plugin holds stays usable).
   */
  setEdges({ modules = [], removed = [] }) {
    for (const [url, imports] of modules) {
      const m = this.node(this.idOfUrl(url));
      for (const dep of m.importedModules) dep.importers.delete(m);
      m.importedModules.clear();
      m.clientImportedModules.clear();
      for (const depUrl of imports) {
        const dep = this.node(this.idOfUrl(depUrl));
        m.importedModules.add(dep);
        m.clientImportedModules.add(dep);
        dep.importers.add(m);
      }
    }
    for (const url of removed) {
      const m = this.#byId.get(this.idOfUrl(url));
      if (!m) continue;
      for (const dep of m.importedModules) dep.importers.delete(m);
      for (const importer of m.importers) {
        importer.importedModules.delete(m);
        importer.clientImportedModules.delete(m);
      }
      m.importedModules.clear();
      m.clientImportedModules.clear();
      m.importers.clear();
    }
  }
}
