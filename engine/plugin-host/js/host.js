// hotloop's Node.js plugin host: runs a project's `vite.config.*` and its Vite plugins for
// hotloop, which talks to it over stdio with the frames of `protocol.js` (the Rust side is
// `engine/plugin-host/src/`). Plain JS, no npm dependencies of its own: the plugins, and
// `vite` where they import it, come from the project's `node_modules`.
//
// Requests from hotloop: `loadConfig`, `resolveId`, `resolveIds` (a module's specifiers in
// one round trip, its own query sub-modules' `load` and `transform` answered with them when
// asked: `preloadSubModules`), `load`, `transform`, `loadTransform` (both chains of one module in one
// round trip), `transformIndexHtml`, `hotUpdate`. Requests to hotloop: `resolve` (hotloop's
// own resolver, `this.resolve`'s fallback). Notifications to hotloop: `warning` ({ plugin, hook, message }),
// `custom` (`server.ws.send` events), `invalidate` ({ ids }: a plugin's `server.ws.send({ type:
// 'update' })` for modules of its own), `reload` ({ plugin }: its `{ type: 'full-reload' }`),
// `log`, `workers` ({ ready }: the workers took over).
// Notifications from hotloop: `clientEvent` ({ client, event, data }: a page's
// `import.meta.hot.send`, for the `server.ws.on` listeners; `client.send` answers it alone
// with a `custom` notification naming the client), `clientGone` ({ client }: that page
// disconnected), `filesChanged` ({ changed, created, removed, structural }: after a batch of
// edits, before the build; every thread's kept Tailwind scanners hear it, see `tailwind.js`),
// `moduleGraph` ({ modules, removed }: the page's import edges, see `module-graph.js`),
// `pageRendered` (a page rendered after the cold build: idle work may begin, see `warm-up.js`).
// Requests from hotloop also include `settled` (answered once the plugins heard the last
// `filesChanged` out).
// Anything a plugin uses that this host does not support is one `warning` naming the plugin
// and the hook, never silence.
//
// stdout carries frames only: everything else written to it (console.log of a plugin) goes to
// stderr, which hotloop logs. The frames sent in one turn of the event loop leave in one write
// (`FrameWriter`). `HOTLOOP_PLUGIN_HOST_PROFILE=DIR`: the host's CPU profiles (`profile.js`).
//
// Workers (`worker_threads`, this same script): once the per-module requests (`load`,
// `transform`, `loadTransform`) have named `workers.after` distinct files, the primary (the main thread)
// starts `workers.count` workers, each loading the same config into plugins of its own
// (`config`, `configResolved`, `configureServer` with a server whose middlewares go nowhere,
// `buildStart`). From then on each file not seen before is owned by one worker (a stable hash
// of its path without the query) and every `load`/`transform` of it and its query sub-modules
// (`App.vue?vue&type=style...`), and its `hotUpdate`, run there, where the plugins' caches of
// it live (plugin-vue's descriptors). The primary keeps the rest: the files it served before
// the workers were ready, `resolveId`, `transformIndexHtml`, the middlewares, and its
// requests and notifications to hotloop, which the workers' go through. A worker that dies
// ends the process (hotloop restarts the host, config loaded again, workers started again
// when needed); a worker that hangs is a hung request, which hotloop's time-out ends the same
// way. Threads die with the process, so no worker outlives it.

import { EventEmitter } from 'node:events';
import module from 'node:module';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { FrameReader, FrameWriter } from './protocol.js';
import { startProfile } from './profile.js';
import {
  flattenPlugins, filterServePlugins, sortByEnforce, pluginsWithHook, hotUpdatePlugins, hookHandler, mergeConfig, indexHtmlPlugins,
  aliased, resolverKind, normalizeAlias, normalizeHookFilter, filterMatches, unsupportedOptions, pluginsForEnvironment, fsDenyGlob,
  NATIVE_BUILTINS, NATIVE_INDEX_HTML, withoutNativeTransforms, configSeenBy, httpsOptions, depsDefine, depsBanner,
} from './config.js';
import { composeMaps, originalPosition, toMap } from './sourcemap.js';
import { cssPlugin, importVite, viteConfig } from './css.js';
import { keepTailwindScanners, noteFilesChanged } from './tailwind.js';
import { alignedPosition, firstOfSummary, miettePosition, sassPosition, splitMessageFrame, styleBlockStart, withoutOwnPlace } from './errors.js';
import { scriptStep } from './script-step.js';
import { OwnWrites } from './own-writes.js';
import { ModuleGraph } from './module-graph.js';
import { nativeEntries, proxyLayers } from './proxy.js';
import { PageServer } from './page-server.js';
import { WarmUp } from './warm-up.js';
import { askPre, idUrl, listen as listenMiddlewares, markClientWanted, normalizeRoute, routeMatches } from './middlewares.js';

const IS_WORKER = !isMainThread && !!workerData?.hotloopPluginWorker;
const rawWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);
process.env.NODE_ENV ??= 'development';
// V8's code of the project's packages (vite, the plugins, compiler-sfc) kept on disk between
// starts, as Vite's own bin does (Node 22.1+; `NODE_COMPILE_CACHE` says where, else the OS
// temp dir; `NODE_DISABLE_COMPILE_CACHE=1` turns it off): a start compiles them from there.
module.enableCompileCache?.();

// The frames of one turn of the event loop leave in one pipe write (`FrameWriter`).
const writeStats = { ms: 0 };
const PROFILE_DIR = IS_WORKER ? null : process.env.HOTLOOP_PLUGIN_HOST_PROFILE || null;
const out = IS_WORKER
  ? null
  : new FrameWriter(PROFILE_DIR
    ? (bytes) => {
      const t = performance.now();
      rawWrite(bytes);
      writeStats.ms += performance.now() - t;
    }
    : rawWrite);
const profile = PROFILE_DIR
  ? startProfile(PROFILE_DIR, {
    stats: () => `${out.frames} frames out in ${out.writes} pipe writes, ${writeStats.ms.toFixed(1)} ms writing`,
  })
  : null;

/** To hotloop: on stdout, or (a worker) through the primary, which forwards it. */
function send(frame) {
  if (IS_WORKER) parentPort.postMessage(frame);
  else out.send(frame);
}
function notify(method, body) {
  send({ kind: 'notification', id: 0, method, body });
}

// --- requests to hotloop
let nextId = 1;
const waiting = new Map();
function ask(method, body) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    send({ kind: 'request', id, method, body });
  });
}

// --- state: one loaded config at a time
const state = {
  root: process.cwd(),
  watching: null, // the plugins hearing of the last batch's files (`tellWatchers`), or null
  config: null, // the resolved config the plugins see
  plugins: [], // the client environment's, sorted by enforce
  filters: [], // per plugin: { resolveId, load, transform } normalised filters
  ssrPlugins: [], // the ssr environment's (`applyToEnvironment` asked for `ssr`)
  ssrFilters: [],
  server: null,
  wsListeners: null, // `server.ws.on` listeners by event (`onClientEvent`)
  wsClients: new Map(), // page id → its `server.ws.clients` entry (`wsClient`)
  meta: new Map(), // id → plugin meta (this.getModuleInfo(id).meta)
  warned: new Set(),
  // `server.middlewares` handlers: `pre` added in `configureServer`, `post` by the functions
  // it returned (and any added later), as Vite orders them around its own serving.
  middlewares: { pre: [], post: [] },
  middlewareServer: null, // a promise of { server, port }, started with the first handler
  middlewareEndpoint: null, // { port, token } of the (primary's) server while `pre` handlers exist
  parseAst: null, // the project's vite's `parseAst` (`this.parse`), once imported
  viteLoading: null, // a promise: the project's vite imported (requests wait for it)
  scriptStep: null, // Vite's TS/JSX transform for the normal and post plugins (`script-step.js`)
  // file → { code, error }: the text whose hot update threw, and that error (`hotUpdate`).
  failedHotUpdates: new Map(),
  // file → the first `transform` of it this config's plugins ran (a promise): what a query
  // sub-module of the file waits for (`primeFile`).
  transformedFiles: new Map(),
  // The file the plugins' watcher listeners are hearing of (`tellWatchers`), and, per file, the
  // files whose change a plugin answered with that file's own `change` (`server.watcher.emit`).
  hearing: null,
  heardDependencies: new Map(),
  httpServer: null, // `server.httpServer` of the loaded config (`page-server.js`)
  listening: null, // { port, https } of hotloop's server once it listens (`listening`)
};

// Vue's compiler warmed up in the first idle moment (see warm-up.js). The primary's only: on
// 4+ cores the workers compile most files, and are not warmed up. `HOTLOOP_PLUGIN_WARM_UP`:
// `0` turns it off, a number of ms is the quiet time a stopped warm-up waits for (default 300).
const warmUpSetting = process.env.HOTLOOP_PLUGIN_WARM_UP;
const warmUp = IS_WORKER || warmUpSetting === '0'
  ? null
  : new WarmUp({
    compiler: () => state.plugins?.find((p) => p?.name === 'vite:vue')?.api?.options?.compiler ?? null,
    ...(Number(warmUpSetting) > 0 ? { idleMs: Number(warmUpSetting) } : {}),
  });

function warn(plugin, hook, message) {
  const key = `${plugin}\0${hook}\0${message}`;
  if (state.warned.has(key)) return;
  state.warned.add(key);
  notify('warning', { plugin, hook, message });
}

/** An object whose unknown properties warn once (naming the plugin and the hook) when read. */
function guarded(target, what, who) {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'string' && !(prop in t) && prop !== 'then' && prop !== 'toJSON' && !prop.startsWith('__')) {
        const { plugin, hook } = who();
        warn(plugin, hook, `${what}.${prop} is not supported by hotloop's plugin host`);
      }
      return Reflect.get(t, prop, receiver);
    },
  });
}

let current = { plugin: 'config', hook: 'config' };
const who = () => current;

// --- module nodes (Vite's ModuleNode, the fields plugins read; the edges hotloop sends)
const moduleGraph = new ModuleGraph({
  metaOf: (id) => state.meta.get(id) ?? {},
  onInvalidate: (ids) => notify('invalidate', { ids }),
});
const moduleNode = (id) => moduleGraph.node(id);
const moduleIdOfUrl = (url) => moduleGraph.idOfUrl(url);

// --- the plugin context (Rollup's, the parts plugins use)
function pluginContext(plugin, hook, out) {
  const name = plugin.name ?? '(anonymous plugin)';
  const ctx = {
    meta: {
      rollupVersion: '4.0.0', watchMode: true, viteVersion: state.viteVersion,
      ...(state.rolldownVersion ? { rolldownVersion: state.rolldownVersion } : {}),
    },
    // The app's server's requests (`ssr`) see the `ssr` environment, as under Vite.
    environment: out?.ssr ? state.ssrEnvironment : state.environment,
    async resolve(source, importer, options = {}) {
      const skip = options.skipSelf === false ? null : plugin;
      const r = await runResolveId(source, importer, skip, out);
      if (r) return r;
      const id = await ask('resolve', { specifier: source, importer: importer ?? null });
      return id ? { id, external: false, moduleSideEffects: true, meta: {} } : null;
    },
    addWatchFile(file) {
      out.watchFiles.push(file);
    },
    getWatchFiles: () => out.watchFiles.slice(),
    error(e, pos) {
      const err = typeof e === 'string' ? new Error(e) : e instanceof Error ? e : Object.assign(new Error(e.message), e);
      if (pos !== undefined && err.loc == null) err.pos = pos;
      // Rollup (and Vite) name the plugin whose hook failed, whatever the error says
      // (@vitejs/plugin-vue's errors carry `plugin: 'vue'`, shown as `vite:vue`).
      err.plugin = name;
      err.hook = hook;
      throw err;
    },
    warn(w, pos) {
      const message = typeof w === 'string' ? w : typeof w === 'function' ? String(w()) : w.message;
      out.warnings.push(`${name}: ${message}${pos !== undefined ? ` (at ${JSON.stringify(pos)})` : ''}`);
      notify('warning', { plugin: name, hook, message });
    },
    info(m) {
      notify('log', { level: 'info', message: `[${name}] ${typeof m === 'string' ? m : m.message}` });
    },
    debug() {},
    getModuleInfo(id) {
      const m = moduleGraph.getModuleById(id);
      const meta = state.meta.get(id) ?? (state.meta.set(id, {}), state.meta.get(id));
      return {
        id, meta, code: null, ast: null, isEntry: false, isExternal: false, hasDefaultExport: null,
        importers: m ? [...m.importers].map((i) => i.id) : [],
        importedIds: m ? [...m.importedModules].map((i) => i.id) : [], dynamicImporters: [],
        dynamicallyImportedIds: [], exports: null, moduleSideEffects: true,
      };
    },
    // Rollup's `this.load` as Vite's dev server has it: the module's `load` chain and, when one
    // answered, its `transform` chain, then its info (`code`: what the transforms made). The
    // module's own compile still comes when hotloop requests it (vite-plugin-qwik loads the
    // segments it split off a component this way, to have them transformed before the page
    // asks for them).
    async load(options) {
      const id = options?.id;
      if (typeof id !== 'string') throw new TypeError('this.load needs { id }');
      if (options.meta) state.meta.set(id, { ...(state.meta.get(id) ?? {}), ...options.meta });
      const ssr = !!out?.ssr;
      const loaded = await handlers.load({ id, ssr });
      let code = loaded ? loaded.code : null;
      if (code != null) code = (await handlers.transform({ id, code, ssr }))?.code ?? code;
      return { ...ctx.getModuleInfo(id), code };
    },
    getModuleIds: () => moduleGraph.ids(),
    getCombinedSourcemap: () => out.map ?? null,
    emitFile() {
      warn(name, hook, 'this.emitFile is not supported in dev (no bundle is written)');
      return '';
    },
    // Rollup's acorn-compatible parse: the project's own vite's `parseAst` (loaded with the
    // config; hooks wait for it).
    parse(code, options) {
      if (state.parseAst) return state.parseAst(code, options);
      throw new Error(`this.parse needs the project's own vite (its parseAst), which could not be imported from ${state.root}: install it (npm install -D vite)`);
    },
  };
  return guarded(ctx, 'this', () => ({ plugin: name, hook }));
}

/** What a hook run collects; `ssr`: it runs for the app's server (server-side HMR). */
function newOut(ssr = false) {
  return { watchFiles: [], warnings: [], map: null, ssr };
}

/** Turns anything thrown by a hook into Rollup's error shape. */
function rollupError(e, plugin, hook, id, code) {
  let err = e instanceof Error ? e : new Error(String(e?.message ?? e));
  // A summary of a transform's errors (Vite's `transformWithOxc`, esbuild's): its first one.
  const first = e?.loc == null && e?.line == null ? firstOfSummary(e) : null;
  if (first) {
    err = Object.assign(new Error(first.message), { stack: err.stack });
    e = { loc: first.loc, id: first.id, frame: null };
    // (A frame is drawn here only from this module's code; Rust draws another file's.)
    if (first.id && id && first.id !== id) code = null;
  }
  let loc = null;
  // Rollup's `loc` has a 0-based column; an error's own `line`/`column` (PostCSS's, a vfile
  // message's from @mdx-js/rollup) count columns from 1, and so does the `loc` plugin-vue's
  // `createRollupError` makes (with its `file`) of Vue's compiler's position.
  const vueLoc = plugin?.name === 'vite:vue' && e?.loc?.file != null && e.loc.column != null;
  // plugin-vue's `<style>` errors (`transformStyle`): PostCSS's own `line`/`column` are in the
  // block it was given; the `loc` plugin-vue adds is the block's start line plus that line, one
  // too many (the block starts on its tag's line). The block's place goes on, and the engine
  // places it in the file through the load's map, as any query sub-module's error.
  const styleBlock = vueLoc && typeof e.line === 'number' && typeof e.column === 'number';
  // Vue's compiler's own errors (`@vue/compiler-core`, rethrown by other plugins: vite-plugin-
  // vue-inspector) carry `loc.start`, its column from 1 too.
  const start = e?.loc?.line == null && e?.loc?.start?.line != null ? e.loc.start : null;
  const l = styleBlock
    ? { line: e.line, column: e.column - 1 }
    : vueLoc
    ? { line: e.loc.line, column: Number(e.loc.column) - 1 }
    : start
      ? { line: start.line, column: Number(start.column ?? 1) - 1 }
      : e?.loc ?? (e?.line != null ? { line: e.line, column: e.column != null ? Number(e.column) - 1 : 0 } : null);
  if (l && l.line != null) loc = { line: Math.max(1, Number(l.line)), column: Math.max(0, Number(l.column ?? 0)) };
  // swc's report (plugin-react-swc sets only the line, from a Unicode header): its mark's column.
  const swc = miettePosition(err.message);
  if (swc && (!id || swc.file === id.replace(/[?#].*$/, '')) && (!loc || loc.line === swc.line)) {
    loc = { line: swc.line, column: swc.column };
  }
  if (!loc && e?.pos != null && typeof code === 'string') {
    const before = code.slice(0, e.pos).split('\n');
    loc = { line: before.length, column: before[before.length - 1].length };
  }
  // Sass's report passed on in a message alone (vite-plugin-svelte's "Error while
  // preprocessing <file> - [sass] ...", with Sass's snippet drawn again as a mangled frame):
  // the place its trace names first. A file that is the module's own with a suffix
  // (`App.svelte.vite-preprocess.scss`) is the module's `<style>` block, whose lines count from
  // its tag; another file (a partial) is the error's file, whose frame Rust draws.
  let sass = loc ? null : sassPosition(err.message);
  let sassFile = null;
  if (sass) {
    const file = path.resolve(state.root ?? '', sass.file);
    const own = id ? fileOf(id) : null;
    const block = own && file.startsWith(own + '.') ? styleBlockStart(code) : own === file ? { line: 1, column: 0 } : null;
    if (block) {
      loc = { line: block.line + sass.line - 1, column: (sass.line === 1 ? block.column : 0) + sass.column };
    } else if (file !== own && fs.existsSync(file)) {
      sassFile = file;
      loc = { line: sass.line, column: sass.column };
    } else {
      sass = null;
    }
  }
  // One frame: a message that holds its own (compiler-sfc's) gives it up; the error's
  // `frame`, else one made here at `loc` (hotloop's format), else the message's is shown.
  // (PostCSS's message starts with its own `file:line:column: `, the block's: its `reason`.
  // So does `hotloop:css`'s, Vite's `[postcss] <id>:<line>:<column>: <reason>`, whose place is
  // a `.vue` style block's, by its query id and its line in the block: `loc` says where.)
  const postcss = plugin?.name === 'hotloop:css' && e?.name === 'CssSyntaxError' && typeof e.reason === 'string';
  let [message, ownFrame] = splitMessageFrame(
    styleBlock && typeof e.reason === 'string' ? e.reason : postcss ? `[postcss] ${e.reason}` : err.message,
  );
  let frame = e?.frame || null;
  if (sass) {
    message = sass.head;
    frame = null;
  }
  // A frame that is the message (Vite's Sass errors: both are Sass's formatted report): its
  // first line is the message, the rest the frame, each said once.
  if (frame && frame.trim() === message.trim()) {
    const nl = message.indexOf('\n');
    frame = nl > 0 ? message.slice(nl + 1) : null;
    message = nl > 0 ? message.slice(0, nl) : message;
  }
  if (!frame && loc && typeof code === 'string' && !sassFile) frame = codeFrame(code, loc.line, loc.column);
  if (!sass) frame ||= ownFrame;
  // The place the header names, said again at the message's start (vite-plugin-svelte's, its
  // column from 0), goes.
  message = withoutOwnPlace(message, [e?.id, e?.loc?.file, id && fileOf(id)], loc);
  return {
    plugin: plugin?.name ?? e?.plugin ?? '',
    // The hook that ran (a plugin may call `this.error` of a context it kept from another).
    hook: plugin ? hook : e?.hook ?? hook,
    id: sassFile ?? e?.id ?? e?.loc?.file ?? id ?? null,
    message,
    loc,
    frame,
    stack: err.stack ?? null,
  };
}

/**
 * A transform hook's error at a position of the code it was given, traced back through the
 * steps before it (`map`: that code → the module's source, the chain's map so far) to the
 * module's own line and column, as Vite's plugin container does: a rune error in a
 * `.svelte.ts` file names the file's line, not the line of the TS-stripped code the Svelte
 * plugin compiled. A frame hotloop drew from the given code is drawn again from the source
 * (`source`); a plugin's own frame is kept, as under Vite. Only for an error of this module and
 * a chain whose map has one source (the module's).
 */
function traceToSource(err, map, id, given, source) {
  if (!map || !err.loc || (err.id != null && !sameFile(err.id, id))) return;
  const m = toMap(map);
  if (!m || m.sources?.length !== 1) return;
  const at = originalPosition(m, err.loc.line, err.loc.column);
  if (!at) return;
  const drawn = err.frame != null && err.frame === codeFrame(given, err.loc.line, err.loc.column);
  err.loc = { line: at.line, column: at.column };
  if (drawn) err.frame = codeFrame(source, at.line, at.column);
}

/**
 * A transform hook's error at a position of the code it was given, when a step before it
 * changed the code without a source map (vite-plugin-vue-inspector's attributes on every
 * element of a `.vue` template): placed on the source's line by aligning the two texts
 * (`alignedPosition`), and its frame, the plugin's own (compiler-sfc's, drawn from code the user
 * never wrote) or hotloop's, drawn again from the source. Vite draws it from the source at the
 * given column, which lands beyond the line.
 */
function traceAligned(err, id, given, source) {
  if (!err.loc || given === source || (err.id != null && !sameFile(err.id, id))) return;
  const at = alignedPosition(source, given, err.loc.line, err.loc.column);
  if (!at) return;
  err.loc = at;
  err.frame = codeFrame(source, at.line, at.column);
}

/** Whether the error's `id` names module `id`'s file: the same, or relative to the root (the
 * Svelte compiler's `filename`, `src/lib/counter.svelte.ts`). */
function sameFile(errorId, id) {
  const file = fileOf(errorId);
  return file === fileOf(id) || (!path.isAbsolute(file) && path.resolve(state.root ?? '', file) === fileOf(id));
}

function codeFrame(code, line, column) {
  const lines = code.split('\n');
  const from = Math.max(1, line - 2), to = Math.min(lines.length, line + 2);
  const width = String(to).length;
  const out = [];
  for (let n = from; n <= to; n++) {
    out.push(`${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line) out.push(`${' '.repeat(width)} | ${' '.repeat(Math.max(0, column))}^`);
  }
  return out.join('\n');
}

async function callHook(plugin, hook, thisArg, args, id, code) {
  const h = hookHandler(plugin[hook]);
  if (!h) return undefined;
  const prev = current;
  current = { plugin: plugin.name ?? '(anonymous plugin)', hook };
  try {
    return await h.apply(thisArg, args);
  } catch (e) {
    // A hook that failed inside this one (a `this.load`, a `transformRequest`) is the failure.
    if (e?.rollup) throw e;
    throw Object.assign(new Error('plugin hook failed'), { rollup: rollupError(e, plugin, hook, id, code) });
  } finally {
    current = prev;
  }
}

/** The plugins and their filters of the page's (`client`) or the app's server's (`ssr`) environment. */
function envOf(ssr) {
  return ssr ? { plugins: state.ssrPlugins, filters: state.ssrFilters } : { plugins: state.plugins, filters: state.filters };
}

/**
 * Which of the environment's plugins with `hook` run: Rust's verdicts (indices into that
 * environment's list), re-checked here when asked.
 */
function selected(env, hook, only, recheck, id, code) {
  return pluginsWithHook(env.plugins, hook).filter(({ index }) => {
    if (only && !only.includes(index)) return false;
    if (only && !recheck?.includes(index)) return true;
    return filterMatches(env.filters[index]?.[hook], id, code);
  });
}

async function runResolveId(specifier, importer, skip, out, only, recheck) {
  const list = selected(envOf(out?.ssr), 'resolveId', only, recheck, specifier);
  let fileTried = false;
  for (const { plugin } of list) {
    if (plugin === skip) continue;
    // Vite's own resolver (`vite:resolve`) runs after the `pre` plugins and before the others:
    // a path to a file that is there never reaches a normal plugin's `resolveId` (plugin-vue's
    // returns an id with `?vue` as it gets it, so `<style src="./app.css">`'s
    // `./app.css?vue&type=style&src=true` would stay relative).
    if (!fileTried && plugin.enforce !== 'pre') {
      fileTried = true;
      const file = existingFile(specifier, importer);
      if (file) return { id: file, external: false };
    }
    const r = await callHook(plugin, 'resolveId', pluginContext(plugin, 'resolveId', out),
      [specifier, importer ?? undefined, { attributes: {}, isEntry: false, ssr: !!out?.ssr, custom: {} }], importer);
    if (r == null) continue;
    if (r === false) return { id: specifier, external: true };
    if (typeof r === 'string') return { id: r, external: false };
    if (r.meta) state.meta.set(r.id, { ...(state.meta.get(r.id) ?? {}), ...r.meta });
    return { id: r.id, external: !!r.external };
  }
  return null;
}

/**
 * What `vite:resolve` makes of a relative or root-absolute specifier whose file exists (query
 * kept): its absolute path. `null` for anything else (a package, a virtual id, a missing file).
 */
function existingFile(specifier, importer) {
  if (typeof specifier !== 'string') return null;
  const at = specifier.search(/[?#]/);
  const bare = at === -1 ? specifier : specifier.slice(0, at);
  const query = at === -1 ? '' : specifier.slice(at);
  let candidates;
  if (bare.startsWith('./') || bare.startsWith('../')) {
    if (typeof importer !== 'string' || !path.isAbsolute(importer)) return null;
    candidates = [path.resolve(path.dirname(importer.replace(/[?#].*$/, '')), bare)];
  } else if (bare.startsWith('/') && !bare.startsWith('/@') && state.root) {
    // Root-relative first (`/src/app.css`), then the file system path it also is.
    candidates = [path.join(state.root, bare), bare];
  } else {
    return null;
  }
  for (const file of candidates) {
    try {
      // (Real path, as Vite's and hotloop's resolvers give it: one module per file.)
      if (fs.statSync(file).isFile()) return fs.realpathSync(file) + query;
    } catch {}
  }
  return null;
}

/**
 * Vite's `safeModulePaths`: files that may be loaded outside `server.fs.allow` because the app
 * imports them (`isFileLoadingAllowed`, which @vitejs/plugin-vue asks before it reads a `.vue`
 * file). Vite's import analysis adds every import it resolves; hotloop resolves them itself, so
 * a module it asks the plugins to load or transform is added here (`admit`): a `.vue` file of a
 * linked package outside the workspace (`npm link`, a `file:` dependency) is the app's.
 */
class SafeModulePaths extends Set {
  addId(id) {
    this.add(id);
    this.add(id.replace(/[?#].*$/, ''));
  }
}

/** The module `id` hotloop asks the plugins about is one the app imports (`SafeModulePaths`). */
function admit(id) {
  if (typeof id === 'string' && path.isAbsolute(id)) state.config?.safeModulePaths?.addId?.(id);
}

function outputOf(code, out) {
  return {
    code, map: out.map ? JSON.stringify(out.map) : null, watchFiles: out.watchFiles, warnings: out.warnings,
    // Rolldown's `moduleType` of the last hook that said (`js` after Vite's TS/JSX step).
    moduleType: out.moduleType ?? null,
  };
}

const handlers = {
  async loadConfig(body) {
    return loadConfig(body);
  },
  async resolveId({ specifier, importer, plugins, recheck, ssr }) {
    const out = newOut(!!ssr);
    return runResolveId(specifier, importer, null, out, plugins, recheck);
  },
  // A module's specifiers in one request: each one's `resolveId` chain runs concurrently
  // (as Vite's import analysis resolves a module's imports), and each gets its own answer or
  // error (`{ error }`, Rollup's shape), in the order asked.
  // With `subModules: { code }` (`code`: the importer file's text), each answer that is a
  // query sub-module of the importer's own file comes with its `load` and `transform` chains
  // already run (`preload`, see `preloadSubModules`).
  async resolveIds({ importer, specifiers, ssr, subModules }) {
    const results = await Promise.all((specifiers ?? []).map(async ({ specifier, plugins, recheck }) => {
      try {
        return await runResolveId(specifier, importer, null, newOut(!!ssr), plugins, recheck);
      } catch (e) {
        return { error: e?.rollup ?? rollupError(e, null, 'resolveId', importer ?? null) };
      }
    }));
    if (subModules && typeof importer === 'string') await preloadSubModules(importer, subModules.code, results, !!ssr);
    return { results };
  },
  async load({ id, plugins, recheck, ssr }) {
    const served = await servedByMiddlewares(id, ssr);
    if (served) return served;
    const list = selected(envOf(ssr), 'load', plugins, recheck, id);
    moduleNode(id);
    admit(id);
    for (const { plugin } of list) {
      const out = newOut(!!ssr);
      const r = await callHook(plugin, 'load', pluginContext(plugin, 'load', out), [id, { ssr: !!ssr }], id);
      if (r == null) continue;
      const code = typeof r === 'string' ? r : r.code;
      if (typeof r === 'object' && r.meta) state.meta.set(id, { ...(state.meta.get(id) ?? {}), ...r.meta });
      if (typeof r === 'object' && typeof r.moduleType === 'string') out.moduleType = r.moduleType;
      out.map = typeof r === 'object' ? toMap(r.map) : null;
      watchHeard(id, out);
      return outputOf(code, out);
    }
    return null;
  },
  async transform(body) {
    const running = transformChain(body);
    // (A file's own module, for the page: its query sub-modules' `load` may read what it left.)
    if (!body.ssr && fileOf(body.id) === body.id && !state.transformedFiles.has(body.id)) {
      state.transformedFiles.set(body.id, running.then(() => {}, () => {}));
    }
    return running;
  },
  // `load`, then `transform` of what it gave (or of `code` when no `load` answered and
  // `transformUnloaded`): one module's two hook chains in one round trip. A `transform` hook's
  // error is answered beside the `load` answer (hotloop's code frame needs the loaded code).
  async loadTransform(body) {
    return loadThenTransform(body);
  },
  // Nothing: like every request it waits for the plugins to hear the last files out
  // (`state.watching`), which is what hotloop asks it for.
  async settled() {
    return null;
  },
  async transformIndexHtml({ path: urlPath, filename, html }) {
    // A page's own HTML by its path (`/index.html`, `/about/index.html`), which Vite's HTML
    // fallback made of the URL the browser asked for (`/`, `/about/`): its `originalUrl`.
    const originalUrl = urlPath.endsWith('/index.html') ? urlPath.slice(0, -'index.html'.length) : urlPath;
    return transformIndexHtml(urlPath, filename, html, originalUrl);
  },
  async hotUpdate({ file, modules, importers = [], timestamp, text = null }) {
    return hotUpdate(file, modules, timestamp, 'update', importers, text);
  },
};

/** A module's `transform` chain (`handlers.transform`). */
async function transformChain({ id, code, plugins, recheck, ssr }) {
  // The text whose hot update threw is not transformed: its transform answers that error.
  const failed = ssr ? null : state.failedHotUpdates.get(id);
  if (failed && failed.code === code) throw failed.error;
  const env = envOf(ssr);
  const list = selected(env, 'transform', plugins, recheck, id, code);
  moduleNode(id);
  admit(id);
  if (!ssr) warmUp?.saw(id, code);
  const out = newOut(!!ssr);
  let changed = false;
  let noMap = false;
  // A step changed the code without a map: the chain's map no longer says where its code is from.
  let mapless = false;
  // Vite's TS/JSX transform (`script-step.js`) runs once, before the first plugin that is not `pre`.
  let step = state.scriptStep?.admits(id) ? state.scriptStep.plugin : null;
  const source = code;
  const apply = async (plugin) => {
    const given = code;
    let r;
    try {
      r = await callHook(plugin, 'transform', pluginContext(plugin, 'transform', out), [given, id, { ssr: !!ssr }], id, given);
    } catch (e) {
      if (e?.rollup && mapless) traceAligned(e.rollup, id, given, source);
      else if (e?.rollup) traceToSource(e.rollup, out.map, id, given, source);
      throw e;
    }
    if (r == null) return;
    const next = typeof r === 'string' ? r : r.code;
    if (typeof r === 'object' && r.meta) state.meta.set(id, { ...(state.meta.get(id) ?? {}), ...r.meta });
    if (next == null) return;
    if (typeof r === 'object' && typeof r.moduleType === 'string') out.moduleType = r.moduleType;
    const map = typeof r === 'object' ? r.map : null;
    if (map && typeof map === 'object' && map.mappings === '' && !('version' in map)) noMap = true;
    else if (map) out.map = composeMaps(map, out.map);
    if (next !== code && (!map || noMap)) mapless = true;
    if (next !== code) changed = true;
    code = next;
  };
  for (const { plugin, index } of list) {
    if (step && plugin.enforce !== 'pre') {
      await apply(step);
      step = null;
    }
    // a hook later in the chain sees the code the earlier ones produced: re-check its filter
    if (changed && !filterMatches(env.filters[index]?.transform, id, code)) continue;
    await apply(plugin);
  }
  if (!changed) return null;
  if (noMap) out.map = null;
  watchHeard(id, out);
  return outputOf(code, out);
}

/** The files a plugin's `change` of the module's file depended on (`emitter.emit` in
 * `makeServer`), watched by its compile. */
function watchHeard(id, out) {
  for (const dep of state.heardDependencies.get(fileOf(id)) ?? []) {
    if (!out.watchFiles.includes(dep)) out.watchFiles.push(dep);
  }
}

/**
 * Under Vite a query sub-module is asked for only once its file's module was transformed (the
 * page imports it from that module's code), and some plugins' `load` of it reads what that
 * `transform` left: vite-plugin-svelte's `App.svelte?svelte&type=style&lang.css` is the CSS of
 * its last compile of `App.svelte`. hotloop may ask for it first (the file's module kept from
 * the last session, the two confirmed in any order, a build on all cores): its `load` then
 * found nothing and the file's own text went on as CSS (Tailwind's "Invalid declaration" on a
 * Svelte component, a blank page). The file's `transform` runs first, once per config, with
 * `code`, the file's text the engine compiles (hotloop's own request for the file, in flight
 * or later, is the same text); its result is not answered.
 */
function primeFile(file, code) {
  let primed = state.transformedFiles.get(file);
  if (!primed) {
    primed = handlers.transform({ id: file, code }).then(() => {}, () => {});
    state.transformedFiles.set(file, primed);
  }
  return primed;
}

/**
 * Vite serves a page's module by URL, its `pre` middlewares before its own transform: a
 * virtual module one of them answers at `/@id/<id>` with JavaScript is that answer, not its
 * `load` (vite-plugin-svg-icons serves `virtual:svg-icons-register` so; its `load` gives the
 * dev server an empty stub). Asked of the primary's loopback server from any thread, only for
 * the page's ids that are no path, only when a `pre` handler's route takes the URL. The
 * answer as a `load` output marked `fromMiddleware`, or null.
 */
async function servedByMiddlewares(id, ssr) {
  const endpoint = state.middlewareEndpoint;
  if (ssr || !endpoint) return null;
  const url = idUrl(id);
  if (url == null || !state.middlewares.pre.some(({ route }) => routeMatches(route, url))) return null;
  const answer = await askPre(endpoint, url);
  if (answer?.status !== 200 || !/javascript/.test(answer.type)) return null;
  // (hotloop asks again when files no module reads come, go or change: under Vite, a page
  // load asks the middleware again, and vite-plugin-svg-icons reads the icons then.)
  return { ...outputOf(answer.body, newOut(!!ssr)), fromMiddleware: true };
}

/**
 * `loadTransform`'s work. `load`/`transform`: hotloop's selections (`{ plugins, recheck }`,
 * from its filters); absent, every plugin with the hook whose filter admits the id (and, for
 * `transform`, the code) runs, which is the same set: hotloop's filters leave out only what
 * these filters reject, and re-check here whatever they cannot decide.
 */
async function loadThenTransform({ id, code, transformUnloaded, load, transform, ssr }) {
  // Nor is a query sub-module of a file whose hot update threw, of that text (`code`, the
  // file's): unplugin-vue-router's `?definePage` block of a broken page loaded with no meta,
  // and the routes module put the page under another layout. It answers that error.
  const file = fileOf(id);
  const failed = ssr || file === id ? null : state.failedHotUpdates.get(file);
  if (failed && failed.code === code) throw failed.error;
  if (!ssr && file !== id && typeof code === 'string' && path.isAbsolute(file)) await primeFile(file, code);
  const loaded = await handlers.load({ id, plugins: load?.plugins, recheck: load?.recheck, ssr });
  // A middleware's answer is the page's module as it is (Vite transforms nothing it served).
  if (loaded?.fromMiddleware) return { loaded, transformed: null, transformError: null };
  if (!loaded && !transformUnloaded) return { loaded: null, transformed: null, transformError: null };
  let transformed = null, transformError = null;
  if (!transform || transform.plugins.length) {
    try {
      transformed = await handlers.transform({
        id, code: loaded ? loaded.code : code, plugins: transform?.plugins, recheck: transform?.recheck, ssr,
      });
    } catch (e) {
      transformError = e?.rollup ?? rollupError(e, null, 'transform', id);
    }
  }
  return { loaded, transformed, transformError };
}

/**
 * Vite's `server.preTransformRequests` for a module's own query sub-modules: right after a
 * module's imports are resolved, each one that is a query sub-module of the importer's own
 * file (`App.vue?vue&type=style&index=0&lang.css`, resolved by a plugin) gets its `load` and
 * `transform` chains run at once, exactly as the `loadTransform` request hotloop would send
 * for it next (`code`: that file's text, which is the sub-module's; `transformUnloaded`, as
 * for any file on disk), and the answer rides along with its `resolveId` answer as
 * `preload`: `{ loaded, transformed, transformError }`, or `{ loadError }` when a `load` hook
 * threw. hotloop keeps it for the sub-module's compile (`preload.rs`), which then makes no
 * round trip. Under Vite the page's request for the sub-module runs the same hooks in the same
 * order (the importer's transform, its imports resolved, then the sub-module), and its import
 * analysis pre-transforms it at this very point. Left to hotloop's own request: a sub-module
 * no `load` filter admits, and files a worker owns (the plugins' state of them is there).
 */
async function preloadSubModules(importer, code, results, ssr) {
  const file = fileOf(importer);
  if (typeof code !== 'string' || IS_WORKER || pool.owner.get(file)) return;
  await Promise.all(results.map(async (r) => {
    if (!r || r.error || r.external || typeof r.id !== 'string' || r.id === importer || fileOf(r.id) !== file) return;
    if (!selected(envOf(ssr), 'load', null, null, r.id).length) return;
    try {
      r.preload = await loadThenTransform({ id: r.id, code, transformUnloaded: true, ssr });
    } catch (e) {
      r.preload = { loadError: e?.rollup ?? rollupError(e, null, 'loadTransform', r.id) };
    }
  }));
}

// --- transformRequest (`this.environment.transformRequest`, `server.transformRequest`)

/** A Vite URL (`/src/A.svelte?x`, `/@id/__x00__v`, `/@fs/abs`) or an absolute path → its id. */
function idOfUrl(url) {
  const root = state.root.split(path.sep).join('/');
  if (url.startsWith('/@id/__x00__')) return '\0' + url.slice('/@id/__x00__'.length);
  if (url.startsWith('/@id/')) return url.slice('/@id/'.length);
  if (url.startsWith('/@fs/')) return url.slice('/@fs'.length);
  if (url.startsWith(root + '/')) return url;
  return root + (url.startsWith('/') ? url : '/' + url);
}

/**
 * Vite's `transformRequest`: the module's `load` (else its file) through every `transform`
 * hook, so the plugins' caches see the new text (vite-plugin-svelte's hot update re-transforms
 * the component this way before its CSS module is reloaded). hotloop compiles the module again
 * itself when it updates it; the answer here is only for the plugin that asked.
 */
async function transformRequest(url) {
  const id = idOfUrl(url);
  const loaded = await handlers.load({ id });
  let code = loaded?.code;
  if (code == null) {
    if (id.startsWith('\0')) return null;
    try {
      // Synchronous, as in `hotUpdate`'s `read`: on an edit's critical path.
      code = fs.readFileSync(id.replace(/[?#].*$/, ''), 'utf8');
    } catch {
      return null;
    }
  }
  const transformed = await handlers.transform({ id, code });
  return { code: transformed?.code ?? code, map: transformed?.map ? JSON.parse(transformed.map) : null };
}

// --- config

/**
 * Imports the compiled config from a copy beside it, as Vite does (`modules`: the local
 * modules it imports, compiled by hotloop, `[path, code]`, each written where the config's code
 * imports it from). Every copy is removed after the import.
 */
async function importConfig(configFile, code, modules = [], stamp = '') {
  const rand = crypto.randomBytes(4).toString('hex');
  const temp = `${configFile}.timestamp-${Date.now()}-${rand}.mjs`;
  // This import's own copies (a worker thread imports the config at the same time).
  const own = (text) => (stamp ? text.replaceAll(stamp, `${stamp}-${rand}`) : text);
  const written = [];
  const copies = [...modules.map(([f, t]) => [own(f), own(t), f]), [temp, own(code), configFile]];
  try {
    for (const [file, text] of copies) {
      await fsp.writeFile(file, text);
      written.push(file);
    }
    const mod = await import(pathToFileURL(temp).href);
    return { mod, explain: (e) => asConfigError(e, copies, temp, code, configFile) };
  } catch (e) {
    throw asConfigError(e, copies, temp, code, configFile);
  } finally {
    await Promise.all(written.map((file) => fsp.rm(file, { force: true })));
  }
}

/**
 * An error thrown by the config's copy (`temp`, compiled from `configFile` with an inline map)
 * as the user wrote it: placed in the file (`loc`) when its stack runs through the copy, each
 * copy's name (`vite.config.ts.timestamp-….mjs`) its file's, and a package the config imports
 * that is not installed says what to do.
 */
function asConfigError(e, copies, temp, code, configFile) {
  const place = e instanceof Error ? configErrorPlace(e, pathToFileURL(temp).href, code) : null;
  const err = namingTheFiles(e, copies.map(([copy, , file]) => [copy, file]));
  if (place && err.loc == null) err.loc = { file: configFile, line: place.line, column: place.column };
  return err;
}

/**
 * Where in its source the first frame of the copy at `url` in `e`'s stack is (`line` 1-based,
 * `column` 0-based), through the inline map at the end of the copy's `code`; null without one.
 */
function configErrorPlace(e, url, code) {
  const stack = typeof e.stack === 'string' ? e.stack : '';
  const at = stack.indexOf(`${url}:`);
  if (at < 0) return null;
  const frame = /^:(\d+):(\d+)/.exec(stack.slice(at + url.length));
  const marker = '//# sourceMappingURL=data:application/json;base64,';
  const inline = code.lastIndexOf(marker);
  if (!frame || inline < 0) return null;
  try {
    const map = JSON.parse(Buffer.from(code.slice(inline + marker.length).trim(), 'base64').toString('utf8'));
    return originalPosition(map, Number(frame[1]), Number(frame[2]) - 1);
  } catch {
    return null;
  }
}

/**
 * An error of the config's import as the user wrote it: each copy's name (`vite.config.ts.timestamp-…
 * .mjs`) is its file's, and a package the config imports that is not installed says what to do.
 */
function namingTheFiles(e, renames) {
  if (!(e instanceof Error)) return e;
  const rename = (text) => {
    for (const [copy, file] of renames) {
      text = text.replaceAll(pathToFileURL(copy).href, pathToFileURL(file).href).replaceAll(copy, file);
    }
    return text;
  };
  e.message = rename(e.message);
  if (typeof e.stack === 'string') e.stack = rename(e.stack);
  const missing = e.code === 'ERR_MODULE_NOT_FOUND' && /^Cannot find package '([^']+)'/.exec(e.message);
  if (missing) e.message += `: install it in the project (npm install -D ${missing[1]}) or remove its import`;
  return e;
}

/**
 * The `.env` variables of the mode with an exposed prefix, as Vite's resolved config has them
 * in `env` (vite-plugin-ejs's `cfg.env.VITE_X`, a `configResolved` that reads them): read by
 * the project's own `vite` (`loadEnv`); none without it.
 */
async function userEnv(root, mode, envDir, prefixes) {
  try {
    const vite = await importVite(root);
    return typeof vite?.loadEnv === 'function' ? vite.loadEnv(mode, envDir, prefixes) : {};
  } catch (e) {
    warn('', 'config', `the .env files of ${envDir} could not be read for the plugins: ${e?.message ?? e}`);
    return {};
  }
}

function readVersions(root) {
  const versions = {};
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
      try {
        versions[name] = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version ?? '';
      } catch {
        versions[name] = '';
      }
    }
  } catch {}
  return versions;
}

function serialPattern(p) {
  return p instanceof RegExp ? { source: p.source, flags: p.flags } : p;
}

const VITE_EXTENSIONS = ['.mjs', '.js', '.mts', '.ts', '.jsx', '.tsx', '.json'];

// ANSI colour escapes: a plugin's logger output (vite-plugin-checker's TypeScript errors)
// goes to hotloop's log, which would show them as text.
const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;

function makeLogger() {
  // (An empty message, a blank line in Vite's terminal, is no log line: vite-plugin-mock-dev-
  // server's `logger.warn('')`.)
  const text = (msg) => String(msg).replace(ANSI_ESCAPE, '');
  const log = (level) => (msg) => {
    if (text(msg).trim()) notify('log', { level, message: text(msg) });
  };
  const warnedOnce = new Set();
  const logger = {
    hasWarned: false,
    info: log('info'),
    warn: (msg) => {
      logger.hasWarned = true;
      if (text(msg).trim()) notify('warning', { plugin: current.plugin, hook: current.hook, message: text(msg) });
    },
    warnOnce: (msg) => {
      if (warnedOnce.has(msg)) return;
      warnedOnce.add(msg);
      logger.warn(msg);
    },
    error: log('error'),
    clearScreen: () => {},
    hasErrorLogged: () => false,
  };
  return logger;
}

async function loadConfig(body) {
  const { root, configFile, code, mode: modeIn, nativePlugins = [], modules = [], stamp = '' } = body;
  // Where hotloop's server listens, when it did before this host started (a restart).
  if (body.listening) state.listening = body.listening;
  if (!IS_WORKER) {
    stopWorkers();
    pool.options = body.workers ?? null;
    pool.config = { root, configFile, code, mode: modeIn, nativePlugins, modules, stamp };
  }
  state.root = root;
  moduleGraph.reset(root);
  state.meta.clear();
  state.failedHotUpdates.clear();
  state.transformedFiles.clear();
  state.heardDependencies.clear();
  try {
    state.viteVersion = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/vite/package.json'), 'utf8')).version;
  } catch {
    state.viteVersion = undefined;
  }
  // Vite 8 runs on Rolldown and says so in `this.meta.rolldownVersion`, which plugins branch on
  // (vite-plugin-svgr calls `transformWithOxc` then, `transformWithEsbuild`, which needs an
  // esbuild Vite 8 no longer brings, otherwise).
  state.rolldownVersion = undefined;
  for (const dir of ['node_modules/vite/node_modules/rolldown', 'node_modules/rolldown']) {
    try {
      state.rolldownVersion = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8')).version;
      break;
    } catch {}
  }
  const mode = modeIn ?? 'development';
  const env = { command: 'serve', mode, isSsrBuild: false, isPreview: false };
  current = { plugin: 'config', hook: 'config' };
  // Before the config imports Tailwind CSS: its scanner outlives a stylesheet edit.
  keepTailwindScanners(root);
  // An error of the config is shown at its line of the file as written, with its frame.
  const configError = (e) => {
    let text = null;
    try {
      text = fs.readFileSync(configFile, 'utf8');
    } catch {}
    return Object.assign(new Error('config failed'), { rollup: { ...rollupError(e, null, 'config', configFile, text), plugin: '' } });
  };
  let imported;
  try {
    imported = await importConfig(configFile, code, modules, stamp);
  } catch (e) {
    throw configError(e);
  }
  const mod = imported.mod;
  let user = mod.default ?? mod;
  try {
    user = await user;
    if (typeof user === 'function') user = await user(env);
  } catch (e) {
    throw configError(imported.explain(e));
  }
  if (!user || typeof user !== 'object') {
    throw Object.assign(new Error('config failed'), {
      rollup: { plugin: '', hook: 'config', id: configFile, message: 'the config must export an object, a function returning one, or a promise of either', loc: null, frame: null },
    });
  }
  const unsupported = unsupportedOptions(user);
  // Vite's rule: --mode wins over the config's `mode`, which wins over the default; the
  // plugins' hooks see the result.
  env.mode = modeIn ?? user.mode ?? mode;
  let config = { ...user, mode: env.mode };
  // React's plugins made without options: hotloop transforms their modules itself.
  let plugins = withoutNativeTransforms(
    sortByEnforce(filterServePlugins(await flattenPlugins(config.plugins ?? []), config, env)), nativePlugins);

  for (const { plugin } of pluginsWithHook(plugins, 'config')) {
    const r = await callHook(plugin, 'config', minimalContext(plugin, 'config'), [config, env], configFile);
    if (r) config = mergeConfig(config, r);
  }
  // Vite's `configEnvironment` for the client environment (the page's): where
  // vite-plugin-svelte and vite-plugin-solid add their `svelte`/`solid` resolve conditions.
  let clientEnv = mergeConfig({ consumer: 'client', resolve: { ...(config.resolve ?? {}) } }, config.environments?.client ?? {});
  for (const { plugin } of pluginsWithHook(plugins, 'configEnvironment')) {
    const r = await callHook(plugin, 'configEnvironment', minimalContext(plugin, 'configEnvironment'),
      ['client', clientEnv, { ...env, isSsrTargetWebworker: false }], configFile);
    if (r) clientEnv = mergeConfig(clientEnv, r);
  }

  const resolvedRoot = path.resolve(root, config.root ?? '.');
  state.root = resolvedRoot;
  // Vite's CSS pipeline (preprocessors, PostCSS) where Vite has it: after the `pre` plugins.
  const firstNormal = plugins.findIndex((p) => p.enforce !== 'pre');
  plugins.splice(firstNormal === -1 ? plugins.length : firstNormal, 0, cssPlugin(resolvedRoot, config));
  let base = config.base ?? '/';
  if (base.startsWith('.')) base = '/';
  if (!base.startsWith('/')) base = '/' + base;
  if (!base.endsWith('/')) base += '/';
  const publicDir = config.publicDir === false ? null : path.resolve(resolvedRoot, config.publicDir ?? 'public');
  const envDir = path.resolve(resolvedRoot, config.envDir ?? '.');
  const envPrefix = config.envPrefix == null ? ['VITE_'] : [].concat(config.envPrefix);
  const alias = normalizeAlias(config.resolve?.alias ?? []);
  const logger = makeLogger();
  const server = config.server ?? {};
  const resolved = {
    ...config,
    configFile,
    inlineConfig: {},
    root: resolvedRoot,
    base,
    rawBase: config.base ?? '/',
    decodedBase: base,
    publicDir: publicDir ?? '',
    cacheDir: path.resolve(resolvedRoot, config.cacheDir ?? 'node_modules/.vite'),
    command: 'serve',
    mode: config.mode,
    isWorker: false,
    isProduction: false,
    isBundled: false,
    envDir,
    envPrefix,
    env: { ...(await userEnv(resolvedRoot, config.mode, envDir, envPrefix)), BASE_URL: base, MODE: config.mode, DEV: true, PROD: false },
    define: { ...(config.define ?? {}) },
    resolve: {
      mainFields: ['browser', 'module', 'jsnext:main', 'jsnext'],
      conditions: ['module', 'browser', 'development|production'],
      extensions: VITE_EXTENSIONS,
      dedupe: [],
      preserveSymlinks: false,
      ...config.resolve,
      alias,
    },
    server: {
      host: undefined, port: 5173, strictPort: false, hmr: undefined, watch: {}, headers: {},
      middlewareMode: false, preTransformRequests: true, sourcemapIgnoreList: () => false,
      ...server,
      fs: { strict: true, allow: [resolvedRoot], deny: ['.env', '.env.*', '*.{crt,pem}', '**/.git/**'], ...(server.fs ?? {}) },
    },
    preview: config.preview ?? {},
    build: {
      target: 'baseline-widely-available', outDir: 'dist', assetsDir: 'assets', sourcemap: false,
      minify: 'esbuild', ssr: false, watch: null, rollupOptions: {}, rolldownOptions: {}, cssCodeSplit: true,
      commonjsOptions: {}, dynamicImportVarsOptions: {}, lib: false, manifest: false, ssrManifest: false,
      modulePreload: { polyfill: true }, assetsInlineLimit: 4096,
      ...(config.build ?? {}),
    },
    css: { devSourcemap: false, transformer: 'postcss', ...(config.css ?? {}) },
    json: { stringify: 'auto', namedExports: true, ...(config.json ?? {}) },
    esbuild: config.esbuild,
    oxc: config.oxc,
    optimizeDeps: { include: [], exclude: [], esbuildOptions: {}, ...(config.optimizeDeps ?? {}) },
    ssr: { target: 'node', external: [], noExternal: [], ...(config.ssr ?? {}) },
    worker: { format: 'iife', plugins: async () => [], rollupOptions: {}, ...(config.worker ?? {}) },
    experimental: { ...(config.experimental ?? {}) },
    appType: config.appType ?? 'spa',
    logLevel: config.logLevel ?? 'info',
    logger,
    plugins,
    assetsInclude: (file) => [].concat(config.assetsInclude ?? []).some((p) => (p instanceof RegExp ? p.test(file) : false)),
    // As Vite's: the config's aliases, then (unless asked with `aliasOnly`, the third
    // argument) hotloop's own resolver, as the page resolves or, for Vite's CSS resolver
    // options, as a stylesheet's `@import` does (`resolverKind`). Other options (Vite's Sass
    // and Less resolvers': partials, `.scss` extensions, the `sass` field), which hotloop's
    // resolver does not follow, are Vite's own resolver's, from the project's `vite` (the
    // config `hotloop:css` compiles with: vite-plugin-svelte's `vitePreprocess` compiles a
    // `<style lang="scss">` with this config); without one they warn, once, at the first
    // question that needs them.
    createResolver(options) {
      const by = current ?? { plugin: '(a plugin)', hook: 'configResolved' };
      const kind = resolverKind(options, resolved.resolve);
      let vites;
      return async (id, importer, aliasOnly, ssr) => {
        const target = aliased(resolved.resolve.alias, id);
        if (aliasOnly) return target;
        if (kind.unhonoured) {
          vites ??= viteConfig(resolvedRoot, config).then((c) => c?.createResolver(options) ?? null, () => null);
          const vite = await vites;
          if (vite) return vite(id, importer, aliasOnly, ssr);
          warn(by.plugin, by.hook, `config.createResolver() is partial in hotloop: it resolves as the page does, without the options ${kind.unhonoured.join(', ')}`);
        }
        return (await ask('resolve', { specifier: target ?? id, importer: importer ?? null, as: kind.as })) ?? undefined;
      };
    },
    getSortedPlugins: (hook) => pluginsWithHook(plugins, hook).map((x) => x.plugin),
    getSortedPluginHooks: (hook) => pluginsWithHook(plugins, hook).map((x) => hookHandler(x.plugin[hook])),
  };
  // What Vite's `isFileLoadingAllowed` (exported by `vite`, called by plugins) reads.
  resolved.fsDenyGlob = fsDenyGlob(resolved.server.fs.deny);
  resolved.safeModulePaths = new SafeModulePaths();
  // Vite's `dev` options (vite-plugin-svelte's `vitePreprocess` reads `dev.sourcemap.css`).
  resolved.dev = {
    warmup: [], sourcemap: { js: true, css: false }, sourcemapIgnoreList: resolved.server.sourcemapIgnoreList,
    preTransformRequests: true, recoverable: true, moduleRunnerTransform: false, ...(config.dev ?? {}),
  };
  resolved.environments = {
    client: { ...resolved, consumer: 'client', dev: { ...resolved.dev, moduleRunnerTransform: false } },
    // The app's server (`--server`): what plugins see for its modules.
    ssr: { ...resolved, consumer: 'server', dev: { ...resolved.dev, recoverable: false, moduleRunnerTransform: true } },
  };
  // An environment's config is the whole config with its own options, `environments` too:
  // Vite's `preprocessCSS(code, file, this.environment.config)` (analog's component styles)
  // reads `config.environments.client`.
  resolved.environments.client.environments = resolved.environments;
  resolved.environments.ssr.environments = resolved.environments;
  state.config = resolved;
  state.plugins = plugins;
  // Vite 8's "may be served outside server.fs.allow" (plugin-react's refresh runtime): kept
  // where `isFileLoadingAllowed` looks; hotloop serves plugins' modules through its chunks.
  const addSafeModule = (id) => resolved.safeModulePaths.add(id);
  state.environment = guarded({
    name: 'client', mode: 'dev', config: resolved.environments.client, logger,
    moduleGraph, getTopLevelConfig: () => resolved, hot: null, plugins,
    transformRequest: (url) => transformRequest(url),
    addSafeModule, safeModulePaths: resolved.safeModulePaths,
  }, 'this.environment', who);
  state.ssrEnvironment = guarded({
    name: 'ssr', mode: 'dev', config: resolved.environments.ssr, logger,
    moduleGraph, getTopLevelConfig: () => resolved, hot: null, plugins,
    transformRequest: (url) => transformRequest(url),
    addSafeModule, safeModulePaths: resolved.safeModulePaths,
  }, 'this.environment', who);

  for (const { plugin } of pluginsWithHook(plugins, 'configResolved')) {
    await callHook(plugin, 'configResolved', minimalContext(plugin, 'configResolved'), [configSeenBy(plugin, resolved)], configFile);
  }
  // Each environment's plugins (Vite's `applyToEnvironment`, asked for `client` and `ssr`):
  // the page's requests run the client's, the app's server's (`ssr: true`) the ssr's; every
  // hook from here on but `configureServer`, which stays with every plugin, as in Vite.
  const topLevel = plugins;
  const applied = async (environment) => pluginsForEnvironment(topLevel, (plugin) =>
    callHook(plugin, 'applyToEnvironment', minimalContext(plugin, 'applyToEnvironment'), [environment], configFile));
  const forClient = await applied(state.environment);
  const forSsr = await applied(state.ssrEnvironment);
  // A plugin that turned itself off for both (vite-plugin-svelte-inspector, unless enabled)
  // is no news; one made for an environment the config adds is.
  const otherEnvironments = Object.keys(config.environments ?? {}).filter((n) => n !== 'client' && n !== 'ssr');
  for (const name of forClient.skipped.filter((n) => forSsr.skipped.includes(n))) {
    if (!otherEnvironments.length) continue;
    warn(name, 'applyToEnvironment', `applied to neither the client nor the ssr environment, so hotloop does not run it (hotloop has these two environments only, not ${otherEnvironments.join(', ')})`);
  }
  for (const name of new Set([...forClient.native, ...forSsr.native].filter((n) => !NATIVE_BUILTINS.has(n)))) {
    warn(name, 'applyToEnvironment', 'a Rolldown built-in (native) plugin, which hotloop\'s plugin host cannot run: left out');
  }
  plugins = forClient.plugins;
  state.plugins = plugins;
  state.environment.plugins = plugins;
  state.ssrPlugins = forSsr.plugins;
  state.ssrEnvironment.plugins = forSsr.plugins;
  // Hooks that run once per plugin instance: each instance of either environment once.
  const instances = [...new Set([...plugins, ...forSsr.plugins])];
  for (const { plugin } of pluginsWithHook(instances, 'options')) {
    await callHook(plugin, 'options', minimalContext(plugin, 'options'), [{}], configFile);
  }

  // A worker's handlers are never served (the primary's are): they land in a list of their own.
  const middlewares = { pre: [], post: [], phase: 'pre' };
  const serverObject = makeServer(resolved, middlewares);
  state.server = serverObject;
  state.environment.hot ??= serverObject.ws;
  const post = [];
  for (const { plugin } of pluginsWithHook(topLevel, 'configureServer')) {
    const r = await callHook(plugin, 'configureServer', minimalContext(plugin, 'configureServer'), [serverObject], configFile);
    if (typeof r === 'function') post.push([plugin, r]);
  }
  // Vite's proxy comes after the plugins' own handlers: its entries hotloop's proxy cannot
  // express run here (`proxy.js`).
  middlewares.pre.push(...proxyLayers(server.proxy, (message) => warn('vite:proxy', '', message)));
  middlewares.phase = 'post';
  for (const [plugin, f] of post) {
    const prev = current;
    current = { plugin: plugin.name, hook: 'configureServer' };
    try {
      await f();
    } finally {
      current = prev;
    }
  }
  for (const { plugin } of pluginsWithHook(instances, 'buildStart')) {
    await callHook(plugin, 'buildStart', pluginContext(plugin, 'buildStart', newOut()), [{}], configFile);
  }

  // `this.parse` is synchronous: the project's vite is imported now (at no cost when the
  // config imported it already) and every later request waits for it.
  state.parseAst = null;
  state.scriptStep = null;
  state.viteLoading = importVite(resolvedRoot).then(
    (vite) => {
      state.parseAst = typeof vite?.parseAst === 'function' ? vite.parseAst : null;
      state.scriptStep = scriptStep(vite, config, state.rolldownVersion != null);
    },
    () => { state.parseAst = null; },
  );

  const filtersOf = (p) => ({
    resolveId: normalizeHookFilter(p.resolveId, resolvedRoot),
    load: normalizeHookFilter(p.load, resolvedRoot),
    transform: normalizeHookFilter(p.transform, resolvedRoot),
  });
  state.filters = plugins.map(filtersOf);
  state.ssrFilters = forSsr.plugins.map(filtersOf);
  const HOOKS = ['config', 'configResolved', 'options', 'configureServer', 'buildStart', 'resolveId', 'load',
    'transform', 'transformIndexHtml', 'handleHotUpdate', 'hotUpdate', 'watchChange', 'buildEnd', 'closeBundle'];
  const stringify = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  const pluginInfo = (p, i, filters) => ({
    name: p.name ?? `(anonymous plugin ${i})`,
    enforce: p.enforce ?? null,
    // The hooks hotloop will call: not the `transformIndexHtml` it does itself.
    hooks: HOOKS.filter((h) => p[h] != null && !(h === 'transformIndexHtml' && NATIVE_INDEX_HTML.has(p.name))),
    filters: Object.fromEntries(Object.entries(filters).filter(([, f]) => f).map(([h, f]) => [h, { id: f.id, code: f.code }])),
  });
  // A worker's handlers go nowhere; their routes (the primary's) say what it asks the primary.
  if (IS_WORKER) state.middlewares = middlewares;
  setImmediate(announceListening);
  return {
    root: resolvedRoot,
    base,
    publicDir,
    mode: config.mode,
    envDir,
    envPrefix,
    define: Object.fromEntries(Object.entries(config.define ?? {}).map(([k, v]) => [k, stringify(v)])),
    depsDefine: depsDefine(config.optimizeDeps),
    depsBanner: depsBanner(config.optimizeDeps),
    cspNonce: typeof config.html?.cspNonce === 'string' ? config.html.cspNonce : null,
    resolve: {
      alias: alias
        .filter((a) => typeof a.replacement === 'string')
        .map((a) => ({ find: serialPattern(a.find), replacement: a.replacement })),
      conditions: clientEnv.resolve?.conditions ?? null,
      extensions: clientEnv.resolve?.extensions ?? null,
      dedupe: clientEnv.resolve?.dedupe ?? [],
    },
    server: {
      port: server.port ?? null,
      host: server.host ?? null,
      strictPort: server.strictPort ?? null,
      open: server.open ?? null,
      proxy: server.proxy ? jsonable(nativeEntries(server.proxy)) : null,
      allowedHosts: server.allowedHosts ?? null,
      cors: server.cors === undefined ? null : jsonable(server.cors),
      headers: server.headers ? jsonable(server.headers) : null,
      fs: { allow: server.fs?.allow ?? [], deny: server.fs?.deny ?? [] },
      // As `configResolved` left it: @vitejs/plugin-basic-ssl and vite-plugin-mkcert set it there.
      https: httpsOptions(resolved.server.https, unsupported),
      hmrOverlay: typeof server.hmr?.overlay === 'boolean' ? server.hmr.overlay : null,
    },
    // A function (`generateScopedName`, `getJSON`) as `{ $function: true }`: hotloop names it
    // in a warning.
    cssModules: config.css?.modules === undefined ? null : jsonable(config.css.modules, { $function: true }),
    json: config.json === undefined ? null : jsonable(config.json),
    jsx: jsxOverride(config),
    jsxInject: jsxInject(config),
    assetsInclude: [].concat(config.assetsInclude ?? []).map(serialPattern),
    plugins: plugins.map((p, i) => pluginInfo(p, i, state.filters[i])),
    // The app's server's (`ssr` requests): their indices are into this list.
    ssrPlugins: forSsr.plugins.map((p, i) => pluginInfo(p, i, state.ssrFilters[i])),
    unsupported,
    middlewares: IS_WORKER ? null : await middlewaresAnswer(middlewares),
    // The config's directory's (where its plugins are installed), whatever `root` says.
    packageVersions: readVersions(root),
    // hotloop's own key (Vite has no standard one): the app's server entry, as `--server`.
    hotloopServer: typeof config.hotloop?.server === 'string' ? config.hotloop.server : null,
    // Vite 8's `legacy.inconsistentCjsInterop`: the project's files read a CommonJS default
    // Babel's way, as before Vite 8.
    inconsistentCjsInterop: config.legacy?.inconsistentCjsInterop === true,
    // Vite's `appType` as written (hotloop's server falls back for HTML navigations by it).
    appType: typeof config.appType === 'string' ? config.appType : null,
    // A `server.ws.on` listener (added in `configureServer`) hears the pages: this process
    // must keep running for it.
    // (or to the files: `server.watcher` listeners hear of every file hotloop sees change)
    listensToPages: !IS_WORKER && ([...(state.wsListeners?.values() ?? [])].some((l) => l.length > 0)
      || (state.watcher?.eventNames().length ?? 0) > 0
      || (state.httpServer?.listenerCount('upgrade') ?? 0) > 0),
  };
}

/**
 * hotloop's server listens (`state.listening`): the plugins' `server.httpServer` says so (its
 * `listening` event, `address()`) and `server.resolvedUrls` has the page's URL. After the
 * config's answer, as node's server listens after `configureServer`.
 */
function announceListening() {
  const at = state.listening;
  if (!at || !state.httpServer || IS_WORKER) return;
  if (state.server) {
    const base = state.config?.base ?? '/';
    state.server.resolvedUrls = { local: [`${at.https ? 'https' : 'http'}://localhost:${at.port}${base}`], network: [] };
  }
  state.httpServer.listeningAt(at.port);
  if (state.server) printPluginUrls(state.server);
}

/**
 * Whether a plugin's lines of the start-up banner were printed: once, as Vite prints its
 * banner at the start and not when it restarts for a config or `.env` change (they came again
 * before each such change's own line).
 */
let urlsPrinted = false;

/**
 * A plugin that adds lines to Vite's start-up banner wraps `server.printUrls` (Vue DevTools'
 * URL and shortcut): it runs once the page's URL is known, and its lines show in hotloop's
 * log; the stub itself prints nothing (hotloop says where it listens).
 */
function printPluginUrls(server) {
  if (server.printUrls === noPrintUrls || urlsPrinted) return;
  urlsPrinted = true;
  try {
    server.printUrls();
  } catch (err) {
    warn('', 'server.printUrls', `a plugin's printUrls failed: ${err?.message ?? err}`);
  }
}

/** `server.printUrls` as hotloop gives it: its own log already names the URL. */
function noPrintUrls() {}

/**
 * Makes `middlewares` the ones requests run through (a reloaded config replaces them; later
 * `use` calls land in `post`) and says where they run: `null` without any, so hotloop
 * forwards nothing.
 */
async function middlewaresAnswer(middlewares) {
  state.middlewares = middlewares;
  state.middlewareEndpoint = null;
  // (A plugin that only listens for WebSocket upgrades needs the loopback server too.)
  const upgrades = (state.httpServer?.listenerCount('upgrade') ?? 0) > 0;
  if (!middlewares.pre.length && !middlewares.post.length && !upgrades) return null;
  state.middlewareServer ??= listenMiddlewares(
    () => state.middlewares,
    (plugin, err) => warn(plugin, 'middleware', `a server.middlewares handler failed: ${err?.stack ?? err}`),
    (layer) => {
      const prev = current;
      current = { plugin: layer.plugin, hook: 'middleware' };
      return prev;
    },
    (prev) => { current = prev; },
    () => state.httpServer,
  );
  const { port, token } = await state.middlewareServer;
  if (middlewares.pre.length) state.middlewareEndpoint = { port, token };
  const routes = (list) => list.map(({ plugin, route }) => ({ plugin, route }));
  return { port, token, pre: routes(middlewares.pre), post: routes(middlewares.post) };
}

/** Functions and RegExps dropped, so a value crosses as JSON (what Rust can honour). */
function jsonable(v, fn = undefined) {
  return JSON.parse(JSON.stringify(v, (k, x) => (typeof x === 'function' ? fn : x instanceof RegExp ? { source: x.source, flags: x.flags } : x)) ?? 'null');
}

function minimalContext(plugin, hook) {
  return pluginContext(plugin, hook, newOut());
}

/**
 * A page's `import.meta.hot.send(event, data)` (`clientEvent` from hotloop): each
 * `server.ws.on(event)` listener gets `(data, client)`, as under Vite, where `client.send`
 * answers that page alone.
 */
function onClientEvent({ client: id, event, data }) {
  if (!state.wsListeners) return;
  // A page new to the plugins is announced first: a `connection` listener may start listening
  // for this very event (vite-dev-rpc's channel for the page).
  const client = wsClient(id);
  const listeners = [...(state.wsListeners.get(event) ?? [])];
  if (!listeners.length) return;
  let payload = null;
  try {
    payload = JSON.parse(data);
  } catch {
    payload = data;
  }
  for (const listener of listeners) {
    try {
      const r = listener(payload, client);
      if (r && typeof r.then === 'function') r.then(undefined, (e) => warn('', 'server.ws.on', `a listener of '${event}' failed: ${e?.message ?? e}`));
    } catch (e) {
      warn('', 'server.ws.on', `a listener of '${event}' failed: ${e?.message ?? e}`);
    }
  }
}

/**
 * The page `id` as one of Vite's WebSocket clients (`server.ws.clients`), made when it first
 * sends an event: `send` answers it alone; `socket` stands for its connection (open), by which
 * vite-dev-rpc pairs a listener's source with its channel (vite-plugin-inspect's RPC). Made,
 * it is announced to the `connection` listeners, as Vite does when a page connects.
 */
function wsClient(id) {
  let client = state.wsClients.get(id);
  if (client) return client;
  const socket = Object.assign(new EventEmitter(), { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3, readyState: 1 });
  client = {
    socket,
    send(eventOrPayload, more) {
      const p = typeof eventOrPayload === 'string' ? { type: 'custom', event: eventOrPayload, data: more } : eventOrPayload;
      if (p?.type === 'custom') notify('custom', { event: p.event, data: p.data ?? null, client: id });
    },
  };
  state.wsClients.set(id, client);
  state.server?.ws?.clients?.add(client);
  for (const listener of [...(state.wsListeners?.get('connection') ?? [])]) {
    try {
      listener(socket, { url: '/_hotloop/ws', headers: {} });
    } catch (e) {
      warn('', 'server.ws.on', `a listener of 'connection' failed: ${e?.message ?? e}`);
    }
  }
  return client;
}

/** A page disconnected: its `server.ws.clients` entry closes and goes. */
function clientGone({ client: id }) {
  const client = state.wsClients.get(id);
  if (!client) return;
  state.wsClients.delete(id);
  state.server?.ws?.clients?.delete(client);
  client.socket.readyState = client.socket.CLOSED;
  try {
    client.socket.emit('close');
  } catch (e) {
    warn('', 'server.ws', `a 'close' listener failed: ${e?.message ?? e}`);
  }
}

function makeServer(config, middlewares) {
  // A new config's plugins get a server of their own; it listens once hotloop's does.
  state.httpServer = new PageServer();
  const listeners = new Map();
  state.wsListeners = listeners;
  state.wsClients = new Map();
  const ws = {
    send(payload, data) {
      if (typeof payload === 'string') payload = { type: 'custom', event: payload, data };
      if (payload?.type === 'custom') notify('custom', { event: payload.event, data: payload.data ?? null });
      else if (payload?.type === 'update' && Array.isArray(payload.updates)) {
        // A plugin's own module changed without an edit (UnoCSS's CSS when a file brought new
        // classes): hotloop compiles those modules again and updates the pages as for an edit.
        const ids = payload.updates.map((u) => u && moduleIdOfUrl(String(u.path ?? u.acceptedPath ?? ''))).filter(Boolean);
        if (ids.length) notify('invalidate', { ids: [...new Set(ids)] });
      } else if (payload?.type === 'full-reload') {
        // vite-plugin-full-reload's, a template a plugin watches changed: every page reloads.
        notify('reload', { plugin: current.plugin ?? '' });
      } else warn(current.plugin, current.hook, `server.ws.send({ type: '${payload?.type}' }) is not supported: hotloop decides updates and reloads itself`);
    },
    on(event, cb) {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(cb);
    },
    off(event, cb) {
      listeners.set(event, (listeners.get(event) ?? []).filter((f) => f !== cb));
    },
    listen() {},
    close: async () => {},
    clients: new Set(),
  };
  const middlewareStack = guarded({
    use(routeOrFn, fn) {
      const handle = typeof routeOrFn === 'string' ? fn : routeOrFn;
      if (typeof handle !== 'function') {
        warn(current.plugin, current.hook, 'server.middlewares.use: only function handlers are supported (a connect app or an http.Server is not)');
        return middlewareStack;
      }
      const layer = { plugin: current.plugin, route: normalizeRoute(typeof routeOrFn === 'string' ? routeOrFn : ''), handle };
      middlewares[middlewares.phase].push(layer);
      middlewareStack.stack.push({ route: layer.route, handle });
      return middlewareStack;
    },
    stack: [],
  }, 'server.middlewares', who);
  // Vite's chokidar watcher as plugins use it: hotloop watches the project and tells the
  // host what changed (`filesChanged`: `change`, `add`, `unlink` and `all` here). `add` of
  // paths is a no-op: the project is watched whole.
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  emitter.add = () => watcher;
  emitter.unwatch = () => watcher;
  emitter.close = async () => {};
  emitter.getWatched = () => ({});
  // A plugin's own `change` event is a change of that file, as Vite's chokidar listeners take
  // it: vite-plugin-svelte tells of the components whose `<style lang="scss">` `@use`s an
  // edited Sass partial (its preprocessor's dependencies) by `server.watcher.emit('change',
  // component)`. The file's modules compile again and update the pages, with the partial's
  // new text or its error. (hotloop's own events reach the listeners without `emit`:
  // `emitAwaited`.)
  // The file they were hearing of then is one the file's modules depend on from then on: its
  // next compiles name it as watched (`watchHeard`), so hotloop compiles them again on its
  // later changes itself, also on one the plugins are not told of (a save within moments of
  // the last, taken for their own write: `own-writes.js`).
  emitter.emit = function emit(name, ...args) {
    const heard = EventEmitter.prototype.emit.call(this, name, ...args);
    if (name === 'change' && typeof args[0] === 'string') {
      const file = path.resolve(state.root ?? '', args[0]);
      if (state.hearing && state.hearing !== file) {
        let deps = state.heardDependencies.get(file);
        if (!deps) state.heardDependencies.set(file, (deps = new Set()));
        deps.add(state.hearing);
      }
      const nodes = moduleGraph.getModulesByFile(file);
      const ids = [...(nodes ?? [])].map((m) => m.id).filter((id) => typeof id === 'string');
      if (ids.length) notify('invalidate', { ids });
    }
    return heard;
  };
  state.watcher = emitter;
  const watcher = guarded(emitter, 'server.watcher', who);
  const server = {
    config,
    ws: guarded(ws, 'server.ws', who),
    hot: ws,
    middlewares: middlewareStack,
    watcher,
    moduleGraph,
    environments: { client: state.environment, ssr: state.ssrEnvironment },
    httpServer: state.httpServer,
    resolvedUrls: null,
    restart: async () => warn(current.plugin, current.hook, 'server.restart() is not supported: edit the config to restart'),
    // Compiled again and sent to the pages as an edit of it would be (unplugin-vue-router's
    // routes module when a page file appears).
    reloadModule: async (mod) => {
      if (typeof mod?.id === 'string') notify('invalidate', { ids: [mod.id] });
    },
    transformRequest: (url) => transformRequest(url),
    // A middleware that renders a page runs the plugins' `transformIndexHtml` on it, as under
    // Vite; hotloop injects its client into the HTML the middleware answers with, which this
    // call asks for (`middlewares.js`: only such a page gets it, as under Vite).
    async transformIndexHtml(url, html) {
      markClientWanted();
      const urlPath = String(url ?? '/').replace(/[?#].*$/, '');
      const filename = path.join(state.root, urlPath.endsWith('/') ? urlPath + 'index.html' : urlPath);
      return (await transformIndexHtml(urlPath, filename, html))?.html ?? html;
    },
    printUrls: noPrintUrls,
    openBrowser() {},
  };
  return guarded(server, 'server', who);
}

/**
 * The JSX settings the config gives Vite's transform after the plugins' `config` hooks (Vite 8's
 * `oxc.jsx`, earlier `esbuild`), only what it sets: `react({ jsxImportSource: '@emotion/react' })`
 * sets `oxc.jsx.importSource`; `react({ jsxRuntime: 'classic' })` the classic runtime. `null`
 * when nothing (the tsconfig's settings then, as under Vite).
 */
function jsxOverride(config) {
  const oxc = config.oxc && typeof config.oxc === 'object' && config.oxc.jsx && typeof config.oxc.jsx === 'object' ? config.oxc.jsx : null;
  const esbuild = config.esbuild && typeof config.esbuild === 'object' ? config.esbuild : null;
  const text = (v) => (typeof v === 'string' && v ? v : null);
  const importSource = text(oxc?.importSource) ?? text(esbuild?.jsxImportSource);
  const classic = oxc?.runtime === 'classic' || (!oxc && esbuild?.jsx === 'transform');
  const factory = text(oxc?.pragma) ?? text(esbuild?.jsxFactory);
  const fragment = text(oxc?.pragmaFrag) ?? text(esbuild?.jsxFragment);
  if (!importSource && !classic) return null;
  return { importSource: classic ? null : importSource, classic, factory, fragment };
}

/** Vite's `jsxInject`: `oxc`'s, else (no `oxc` options) `esbuild`'s, as Vite 8 reads them. */
function jsxInject(config) {
  const from = config.oxc && typeof config.oxc === 'object' ? config.oxc : config.esbuild && typeof config.esbuild === 'object' && !config.oxc ? config.esbuild : null;
  return typeof from?.jsxInject === 'string' && from.jsxInject ? from.jsxInject : null;
}

// --- index.html

function serializeTag({ tag, attrs, children }) {
  const a = Object.entries(attrs ?? {})
    .filter(([, v]) => v !== false && v != null)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}=${JSON.stringify(String(v))}`))
    .join('');
  const body = children == null ? '' : typeof children === 'string' ? children : children.map(serializeTag).join('');
  const voids = new Set(['link', 'meta', 'base', 'br', 'img', 'input']);
  return voids.has(tag) ? `<${tag}${a}>` : `<${tag}${a}>${body}</${tag}>`;
}

function injectTags(html, tags) {
  for (const where of ['head-prepend', 'head', 'body-prepend', 'body']) {
    const t = tags.filter((x) => (x.injectTo ?? 'head-prepend') === where).map(serializeTag).join('\n');
    if (!t) continue;
    if (where === 'head-prepend') html = html.replace(/<head[^>]*>/i, (m) => `${m}\n${t}`);
    else if (where === 'head') html = html.replace(/<\/head>/i, `${t}\n</head>`);
    else if (where === 'body-prepend') html = html.replace(/<body[^>]*>/i, (m) => `${m}\n${t}`);
    else html = html.replace(/<\/body>/i, `${t}\n</body>`);
  }
  return html;
}

async function transformIndexHtml(urlPath, filename, html, originalUrl = urlPath) {
  let changed = false;
  for (const plugin of indexHtmlPlugins(state.plugins)) {
    const h = plugin.transformIndexHtml;
    const fn = typeof h === 'function' ? h : h.handler ?? h.transform;
    if (typeof fn !== 'function') continue;
    const prev = current;
    current = { plugin: plugin.name, hook: 'transformIndexHtml' };
    let r;
    try {
      r = await fn.call(minimalContext(plugin, 'transformIndexHtml'), html, {
        path: urlPath, filename, server: state.server, originalUrl,
      });
    } catch (e) {
      throw Object.assign(new Error('plugin hook failed'), { rollup: rollupError(e, plugin, 'transformIndexHtml', filename, html) });
    } finally {
      current = prev;
    }
    if (r == null) continue;
    if (typeof r === 'string') html = r;
    else if (Array.isArray(r)) html = injectTags(html, r);
    else {
      if (typeof r.html === 'string') html = r.html;
      if (Array.isArray(r.tags)) html = injectTags(html, r.tags);
    }
    changed = true;
  }
  return changed ? { html } : null;
}

// --- hot updates

/**
 * The plugins' `hotUpdate` (Vite 6's, with `type`) and, for an edit (`update`), the legacy
 * `handleHotUpdate`. A file created or deleted (`create`/`delete`, from `tellWatchers`) asks
 * `hotUpdate` alone, as Vite's watcher does.
 */
async function hotUpdate(file, ids, timestamp, type = 'update', importers = [], engineText = null) {
  let modules = ids.map(moduleNode);
  // The modules whose plugins watched the file (`this.addWatchFile`) import its nodes, as
  // Vite's import analysis records a transform's watched files: an Angular component is
  // among its `templateUrl` node's importers.
  moduleGraph.addWatchImporters(modules, importers.map(moduleNode));
  // Synchronous: the edit waits on this hook, and `fs.promises.readFile` (open, fstat, read,
  // close on libuv's thread pool, each a turn of the event loop) made plugin-vue's hot update
  // 8 ms instead of 2 on the create-vite starter. Read once (a failure below keeps the text).
  // The engine's text of this edit when it sent it: the file may hold a later save already,
  // which is the next batch's (plugin-vue compares with what its `read()` gave last).
  let text = typeof engineText === 'string' ? engineText : undefined;
  const read = async () => (text ??= fs.readFileSync(file, 'utf8'));
  let decided = false;
  const environment = state.environment;
  // One context through each chain, as Vite's: a plugin may replace its `read` for the ones
  // after it (unplugin-vue-markdown gives plugin-vue the `.md` file as an SFC), and each
  // sees the modules the one before answered.
  // In Vite's order: each plugin once, its `hotUpdate`, else (an edit) its legacy
  // `handleHotUpdate` (a plugin with both for older Vites runs the new one alone).
  const hotContext = { type, file, timestamp, modules, read, server: state.server };
  try {
    for (const { plugin } of hotUpdatePlugins(state.plugins)) {
      let r;
      if (plugin.hotUpdate != null) {
        const out = newOut();
        const thisArg = Object.assign(Object.create(pluginContext(plugin, 'hotUpdate', out)), { environment });
        r = await callHook(plugin, 'hotUpdate', thisArg, [hotContext], file);
      } else if (type === 'update') {
        r = await callHook(plugin, 'handleHotUpdate', minimalContext(plugin, 'handleHotUpdate'), [hotContext], file);
      }
      if (Array.isArray(r)) {
        hotContext.modules = modules = r;
        decided = true;
      }
    }
  } catch (e) {
    // Vite shows a hot update's error and transforms nothing of the file for that edit:
    // plugin-vue's `handleHotUpdate` compiles the `<script>`, so a syntax error there throws
    // before its `transform` would cache the broken descriptor. The transform of this text
    // answers the same error without running the plugins (`handlers.transform`), so they keep
    // what they saw last, and the fix is compared with the last good version (a template edit
    // before it stays a re-render that keeps the component's state).
    if (type === 'update') {
      try {
        text ??= fs.readFileSync(file, 'utf8');
        // Said as the transform's: what compiling the file found (compiler-sfc's syntax
        // error), not which hook ran first.
        if (e?.rollup?.hook === 'handleHotUpdate' || e?.rollup?.hook === 'hotUpdate') e.rollup = { ...e.rollup, hook: 'transform' };
        state.failedHotUpdates.set(file, { code: text, error: e });
      } catch {
        // gone: nothing will transform it
      }
    }
    throw e;
  }
  state.failedHotUpdates.delete(file);
  if (!decided) return null;
  // A module the answer marks self-accepting (`mod.isSelfAccepting = true`: analog's Angular
  // components, whose page takes the change from the plugin's custom event) is one Vite's
  // client does nothing for unless its code accepts: left out of the answer (its code goes
  // with the next update that has it), so the page does not reload for it. The mark is the
  // plugin's for this answer only.
  const marked = (m) => m && m.isSelfAccepting === true;
  const answered = [...new Set(modules.filter((m) => m && !marked(m)).map((m) => m.id).filter((id) => typeof id === 'string'))];
  for (const m of modules) if (marked(m)) m.isSelfAccepting = undefined;
  // Vite invalidates every module the answer names: one of another file (wyw-in-js's component
  // that interpolated a value of the edited file; plugin-vue's components that use an edited
  // type) compiles again with this edit, though its own text did not change.
  const own = new Set(ids);
  const others = answered.filter((id) => !own.has(id));
  if (others.length) notify('invalidate', { ids: others });
  return { modules: answered };
}

// --- the watcher (`server.watcher` events, the `watchChange` hook)

/**
 * `emitter.emit(name, ...args)`, then the promises its listeners returned: an async listener
 * (vite-plugin-pages' `unlink`: drop the page, then invalidate its routes module) is part of
 * hearing the event, so what it does belongs to the batch (`tellWatchers` bounds the wait).
 */
async function emitAwaited(emitter, name, args) {
  const pending = [];
  for (const listener of emitter.rawListeners(name)) {
    try {
      const r = listener.apply(emitter, args);
      if (r && typeof r.then === 'function') pending.push(r);
    } catch (e) {
      warn('', 'server.watcher', `a '${name}' listener failed: ${e?.message ?? e}`);
    }
  }
  for (const r of await Promise.allSettled(pending)) {
    if (r.status === 'rejected') warn('', 'server.watcher', `a '${name}' listener failed: ${r.reason?.message ?? r.reason}`);
  }
}

/**
 * What hotloop's watcher saw, as Vite's tells plugins: `server.watcher`'s `change`/`add`/
 * `unlink` (and `all`) events, then each plugin's `watchChange(id, { event })`, in batch
 * order. hotloop's next requests wait for it (`state.watching`, bounded); what a plugin does
 * about it comes back as its own edits (TanStack Router's generator writes
 * `routeTree.gen.ts`), invalidations (`reloadModule`) or a reload; a file they wrote while
 * hearing of it is not told back to them (`ownWrites`). A failing listener or hook is a
 * warning naming it.
 */
function tellWatchers({ changed = [], created = [], removed = [] }) {
  if (!state.plugins) return;
  // A worker's plugins are instances of their own: they hear `watchChange` too (a worker
  // owns the files it compiles), and their `server.watcher` listeners a file's `change`:
  // vite-plugin-svelte's of a Sass partial a component it compiled there `@use`s, which it
  // answers with the component's own `change`. The watcher's other events and the
  // create/delete hot updates are the primary's (its dev server's): route generators'
  // listeners, which write files, run once.
  const primary = !IS_WORKER;
  const events = [
    ...created.map((file) => ['add', 'create', file]),
    ...changed.map((file) => ['change', 'update', file]),
    ...removed.map((file) => ['unlink', 'delete', file]),
  ];
  if (!events.length) return;
  const run = async () => {
    for (const [name, event, file] of events) {
      if (event === 'delete') ownWrites.forget(file);
      else if (ownWrites.isOwn(file)) continue;
      const heard = ownWrites.hearing(file);
      state.hearing = file;
      try {
        if (primary && state.watcher) {
          await emitAwaited(state.watcher, name, [file]);
          await emitAwaited(state.watcher, 'all', [name, file]);
        } else if (state.watcher && name === 'change') {
          await emitAwaited(state.watcher, name, [file]);
        }
      } finally {
        state.hearing = null;
      }
      for (const { plugin } of pluginsWithHook(state.plugins, 'watchChange')) {
        try {
          await callHook(plugin, 'watchChange', pluginContext(plugin, 'watchChange', newOut()), [file, { event }], file);
        } catch (e) {
          const r = e?.rollup ?? {};
          warn(plugin.name ?? '', 'watchChange', `failed for ${file}: ${r.message ?? e?.message ?? e}`);
        }
      }
      // (an edit's own hot update is hotloop's request, before its build)
      if (primary && event !== 'update') {
        const ids = [...(moduleGraph.getModulesByFile(file) ?? [])].map((m) => m.id);
        try {
          await hotUpdate(file, event === 'delete' ? ids : [], Date.now(), event);
        } catch (e) {
          const r = e?.rollup ?? {};
          warn(r.plugin ?? '', 'hotUpdate', `failed for ${file}: ${r.message ?? e?.message ?? e}`);
        }
      }
      heard();
    }
  };
  // What hotloop asks next (the edit's hot update, the build's transforms) waits for this,
  // as Vite's watcher awaits `watchChange` before its hot update: vanilla-extract's compiler
  // forgets a changed file there. Bounded: a listener that never settles holds nothing long.
  const done = run();
  state.watching = Promise.race([done, new Promise((resolve) => setTimeout(resolve, WATCH_WAIT_MS).unref())]);
}

/** What the plugins wrote while hearing of a file is not told back to them (`own-writes.js`). */
const ownWrites = new OwnWrites();

/** How long hotloop's requests wait for the plugins' `watchChange` and watcher listeners. */
const WATCH_WAIT_MS = 2000;

// --- the loop

function answer(frame, promise) {
  promise.then(
    (body) => send({ kind: 'response', id: frame.id, method: frame.method, body: body ?? null }),
    (e) => {
      const body = e?.rollup ?? rollupError(e, null, frame.method, frame.body?.id ?? null);
      send({ kind: 'error', id: frame.id, method: frame.method, body });
    },
  );
}

/** A tsconfig edited, added or removed: Vite's TS/JSX step reads the tsconfigs again. */
function forgetTsconfigs({ changed = [], created = [], removed = [] }) {
  const TSCONFIG = /[\\/][jt]sconfig[^\\/]*\.json$/;
  if ([changed, created, removed].some((files) => files.some((f) => TSCONFIG.test(f)))) state.scriptStep?.forgetTsconfigs();
}

/** One frame from hotloop (or, in a worker, from the primary). */
function onFrame(f) {
  profile?.activity();
  if (f.kind === 'request') {
    warmUp?.activity();
    if (!IS_WORKER && routeToWorker(f)) return;
    const h = handlers[f.method];
    const ready = f.method === 'loadConfig' ? null : Promise.all([state.viteLoading, state.watching]);
    answer(f, h ? Promise.resolve(ready).then(() => h(f.body ?? {})) : Promise.reject(new Error(`unknown method ${f.method}`)));
  } else if (f.kind === 'notification') {
    if (f.method === 'clientEvent' && !IS_WORKER) onClientEvent(f.body ?? {});
    if (f.method === 'clientGone' && !IS_WORKER) clientGone(f.body ?? {});
    if (f.method === 'pageRendered') warmUp?.begin();
    if (f.method === 'listening' && !IS_WORKER) {
      state.listening = f.body ?? null;
      announceListening();
    }
    if (f.method === 'moduleGraph') {
      // Every thread's plugins read the graph (plugin-vue's hot update runs in a file's worker).
      moduleGraph.setEdges(f.body ?? {});
      if (!IS_WORKER) for (const w of pool.workers) if (!w.stopping) w.worker.postMessage(f);
    }
    if (f.method === 'filesChanged') {
      // Before the build that follows, in every thread that may hold a kept Tailwind scanner.
      noteFilesChanged(f.body ?? {});
      forgetTsconfigs(f.body ?? {});
      if (!IS_WORKER) for (const w of pool.workers) if (!w.stopping) w.worker.postMessage(f);
      tellWatchers(f.body ?? {});
    }
  } else if (f.kind === 'response' || f.kind === 'error') {
    const w = waiting.get(f.id);
    if (!w) return;
    waiting.delete(f.id);
    if (f.kind === 'response') w.resolve(f.body);
    else w.reject(new Error(f.body?.message ?? 'hotloop failed'));
  }
}

// --- workers (see the header)

const pool = {
  options: null, // { count, after } from hotloop's loadConfig; null: no workers
  config: null, // the loadConfig body the workers load
  workers: [], // { worker, ready, threadId }
  ready: [], // the workers that loaded the config, in the order they did
  owner: new Map(), // file (id without its query) → a worker, or null for the primary
  inflight: new Map(), // hotloop's request id → { w, method }: a worker runs it
  started: false,
};

const fileOf = (id) => String(id).replace(/[?#].*$/, '');

/** FNV-1a of the file's path: which ready worker takes a file seen first. */
function hashOf(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Sends a per-module request to the worker that owns its file; false: the primary runs it. */
function routeToWorker(f) {
  let file;
  if (f.method === 'load' || f.method === 'transform' || f.method === 'loadTransform') {
    file = fileOf(f.body?.id ?? '');
    if (!pool.owner.has(file)) {
      pool.owner.set(file, pool.ready.length ? pool.ready[hashOf(file) % pool.ready.length] : null);
      if (!pool.started && pool.options && pool.options.count > 0 && pool.owner.size >= pool.options.after) startWorkers();
    }
  } else if (f.method === 'hotUpdate') {
    // Where the file's plugin state is; a file no worker transformed stays with the primary.
    file = fileOf(f.body?.file ?? '');
  } else {
    return false;
  }
  const w = pool.owner.get(file);
  if (!w) return false;
  pool.inflight.set(f.id, { w, method: f.method });
  w.worker.postMessage(f);
  return true;
}

function startWorkers() {
  pool.started = true;
  for (let i = 0; i < pool.options.count; i++) {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { hotloopPluginWorker: true, config: pool.config, middlewares: state.middlewareEndpoint },
      stdout: true,
      stderr: true,
    });
    const w = { worker, ready: false, threadId: worker.threadId, stopping: false };
    // The worker's console output is the primary's stderr (stdout carries frames only).
    worker.stdout.pipe(process.stderr);
    worker.stderr.pipe(process.stderr);
    worker.on('message', (m) => fromWorker(w, m));
    worker.on('error', (e) => workerDied(w, e?.stack ?? String(e)));
    worker.on('exit', (code) => workerDied(w, `it exited with code ${code}`));
    pool.workers.push(w);
  }
}

function fromWorker(w, m) {
  if (m.control === 'ready' || m.control === 'failed') {
    if (m.control === 'ready') {
      w.ready = true;
      pool.ready.push(w);
      // The graph so far (what came while it loaded the config went with its reset).
      w.worker.postMessage({ kind: 'notification', method: 'moduleGraph', body: { modules: moduleGraph.edges() } });
    } else {
      warn('hotloop', 'workers', `a plugin worker could not load the config, so its share stays on the main thread: ${m.message}`);
      w.stopping = true;
      w.worker.terminate();
    }
    w.settled = true;
    if (pool.workers.every((x) => x.settled)) notify('workers', { ready: pool.ready.length });
  } else if (m.kind === 'request') {
    // The worker asks hotloop (`this.resolve`): asked under an id of the primary's.
    ask(m.method, m.body).then(
      (body) => w.worker.postMessage({ kind: 'response', id: m.id, method: m.method, body }),
      (e) => w.worker.postMessage({ kind: 'error', id: m.id, method: m.method, body: { message: e.message } }),
    );
  } else if (m.kind === 'notification' && m.method === 'warning') {
    warn(m.body.plugin, m.body.hook, m.body.message); // once, not once per worker
  } else {
    if (m.kind === 'response' || m.kind === 'error') pool.inflight.delete(m.id);
    send(m); // answers (hotloop's ids) and notifications, in the order the worker sent them
  }
}

function workerDied(w, why) {
  if (w.stopping) return;
  w.stopping = true;
  // Its plugins' state (and its requests in flight) are gone: hotloop restarts the host.
  process.stderr.write(`hotloop plugin host: a plugin worker (thread ${w.threadId}) died: ${why}\n`);
  process.exit(70);
}

/** A new config: the workers of the old one go (new ones start when needed). */
function stopWorkers() {
  for (const w of pool.workers) {
    w.stopping = true;
    w.worker.terminate();
  }
  // What they were running is answered, not left to hotloop's time-out.
  for (const [id, { w, method }] of pool.inflight) {
    send({ kind: 'error', id, method, body: { plugin: '', hook: 'loadConfig', message: `the config was loaded again while a plugin worker (thread ${w.threadId}) ran this request: ask again`, loc: null, frame: null } });
  }
  pool.inflight.clear();
  pool.workers = [];
  pool.ready = [];
  pool.owner.clear();
  pool.started = false;
}

process.on('unhandledRejection', (e) => {
  process.stderr.write(`hotloop plugin host: unhandled rejection: ${e?.stack ?? e}\n`);
});

if (IS_WORKER) {
  // The primary's `pre` middlewares answer for the page's virtual modules (`servedByMiddlewares`).
  state.middlewareEndpoint = workerData.middlewares ?? null;
  parentPort.on('message', onFrame);
  loadConfig(workerData.config).then(
    () => parentPort.postMessage({ control: 'ready' }),
    (e) => parentPort.postMessage({ control: 'failed', message: e?.rollup?.message ?? e?.message ?? String(e) }),
  );
} else {
  // hotloop names the oldest Node it supports (`--min-node=N`) instead of asking `node
  // --version` before every start: an older one ends here, and hotloop then asks it why.
  const min = Number(process.argv.find((a) => a.startsWith('--min-node='))?.slice(11) ?? 0);
  if (Number(process.versions.node.split('.')[0]) < min) {
    process.stderr.write(`hotloop plugin host: Node.js ${process.version} is older than ${min}\n`);
    process.exit(78);
  }
  const reader = new FrameReader();
  process.stdin.on('data', (chunk) => {
    let frames;
    try {
      frames = reader.push(chunk);
    } catch (e) {
      process.stderr.write(`hotloop plugin host: bad frame from hotloop: ${e.message}\n`);
      process.exit(70);
    }
    for (const f of frames) onFrame(f);
  });
  // hotloop closed our stdin: it is gone or done with us.
  process.stdin.on('end', () => process.exit(0));
}
