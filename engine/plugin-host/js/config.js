// Config helpers of the plugin host, pure (no IO): flattening and ordering plugins, Vite's
// `mergeConfig`, hook filters (normalised, serialised for Rust, evaluated here), and the
// options hotloop honours natively. Tested by `js/tests/config.test.mjs`.

import path from 'node:path';

/** Flattens `plugins`: nested arrays, falsy entries and promises, in order. */
export async function flattenPlugins(list) {
  const out = [];
  for (const item of Array.isArray(list) ? list : [list]) {
    const p = await item;
    if (!p) continue;
    if (Array.isArray(p)) out.push(...(await flattenPlugins(p)));
    else out.push(p);
  }
  return out;
}

/** Keeps the plugins that apply to `vite serve` (`apply: 'serve'`, no `apply`, or a function). */
export function filterServePlugins(plugins, config, env) {
  return plugins.filter((p) => {
    if (!p.apply) return true;
    if (typeof p.apply === 'function') return !!p.apply(config, env);
    return p.apply === 'serve';
  });
}

/** Sorts by `enforce`: pre, then normal, then post; stable within each. */
export function sortByEnforce(plugins) {
  const rank = (p) => (p.enforce === 'pre' ? 0 : p.enforce === 'post' ? 2 : 1);
  return plugins.map((p, i) => [p, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map((x) => x[0]);
}

/** The plugins that have `hook`, ordered by the object hook's `order` (pre, normal, post). */
export function pluginsWithHook(plugins, hook) {
  return sortedBy(plugins, (p) => p[hook]);
}

/**
 * The plugins a hot update asks, in Vite's order (its `getSortedPluginsByHotUpdateHook`): each
 * plugin once, by the `order` of its `hotUpdate`, else of its legacy `handleHotUpdate`, which
 * Vite calls only when the plugin has no `hotUpdate`.
 */
export function hotUpdatePlugins(plugins) {
  return sortedBy(plugins, (p) => p.hotUpdate ?? p.handleHotUpdate);
}

/** The plugins that have the hook `hookOf` gives, `pre` first, `post` last, else in order. */
function sortedBy(plugins, hookOf) {
  const rank = (p) => {
    const h = hookOf(p);
    const order = h && typeof h === 'object' ? h.order : undefined;
    return order === 'pre' ? 0 : order === 'post' ? 2 : 1;
  };
  return plugins
    .map((p, i) => [p, i])
    .filter(([p]) => hookOf(p) != null)
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1])
    .map(([p, i]) => ({ plugin: p, index: i }));
}

/**
 * The plugins whose `transformIndexHtml` hotloop does itself: `@vitejs/plugin-react`'s and
 * `@vitejs/plugin-react-swc`'s React Refresh preamble (an inline module script importing
 * `/@react-refresh` and stubbing `window.$RefreshReg$`), which would clash with the refresh
 * runtime hotloop injects.
 */
export const NATIVE_INDEX_HTML = new Set([
  'vite:react-refresh', 'vite:react-refresh-fbm', 'vite:react-swc', 'vite:react-swc:resolve-runtime',
  // The same preamble, for Vite 8's bundled dev mode.
  'vite:react-swc:refresh-bundled-dev',
]);

/**
 * Per package, its plugins whose `transform` hotloop does itself when the config makes them
 * without options (hotloop's `nativePlugins`, read from the config's text in Rust):
 * `@vitejs/plugin-react-swc`'s swc JSX + Fast Refresh transform, and `@vitejs/plugin-react`'s
 * Babel one (Vite before 8; on Vite 8 its refresh is a Rolldown built-in, left out anyway).
 */
export const NATIVE_TRANSFORMS = new Map([
  ['@vitejs/plugin-react-swc', ['vite:react-swc']],
  ['@vitejs/plugin-react', ['vite:react-babel']],
]);

/**
 * The React plugins whose Fast Refresh code hotloop's own replaces when their `transform` runs
 * (made with options: Emotion's `jsxImportSource`, decorators, swc or Babel plugins). Their
 * code expects Vite's preamble (`window.$RefreshReg$`, `/@react-refresh`), which hotloop's
 * page has not ("can't detect preamble", a blank page), and registers components with a
 * runtime hotloop does not drive. They see the config Vite gives them when it serves without
 * HMR (`server.hmr: false`), so they compile JSX alone, and hotloop's refresh transform runs
 * on their output as on any other module's.
 */
export const REFRESH_BY_HOTLOOP = new Set(['vite:react-swc', 'vite:react-babel']);

/** The resolved config `plugin`'s `configResolved` gets (see [REFRESH_BY_HOTLOOP]; one whose
 * transform hotloop does itself, made without options, sees it as it is). */
export function configSeenBy(plugin, resolved) {
  if (!REFRESH_BY_HOTLOOP.has(plugin?.name) || plugin.transform == null) return resolved;
  return { ...resolved, server: { ...resolved.server, hmr: false } };
}

/**
 * `plugins` with the `transform` of [NATIVE_TRANSFORMS]' plugins of `packages` left out (a copy
 * of each such plugin; the others as they are). Their other hooks still run.
 */
export function withoutNativeTransforms(plugins, packages = []) {
  const names = new Set(packages.flatMap((p) => NATIVE_TRANSFORMS.get(p) ?? []));
  return plugins.map((p) => (names.has(p.name) && p.transform != null ? { ...p, transform: undefined } : p));
}

/**
 * The plugins whose `transformIndexHtml` runs, in Vite's order (`order`, or the older
 * `enforce`, inside the hook object: pre, normal, post; stable), hotloop's own left out.
 */
export function indexHtmlPlugins(plugins) {
  const rank = (h) => {
    const order = h && typeof h === 'object' ? h.order ?? h.enforce : undefined;
    return order === 'pre' ? 0 : order === 'post' ? 2 : 1;
  };
  return plugins
    .map((p, i) => [p, i])
    .filter(([p]) => p.transformIndexHtml != null && !NATIVE_INDEX_HTML.has(p.name))
    .sort((a, b) => rank(a[0].transformIndexHtml) - rank(b[0].transformIndexHtml) || a[1] - b[1])
    .map(([p]) => p);
}

/** A hook's function, whether the hook is a function or `{ handler, order, filter }`. */
export function hookHandler(h) {
  if (typeof h === 'function') return h;
  if (h && typeof h.handler === 'function') return h.handler;
  return null;
}

const isObject = (v) => Object.prototype.toString.call(v) === '[object Object]';
const arraify = (v) => (Array.isArray(v) ? v : [v]);

function normalizeSingleAlias({ find, replacement, customResolver }) {
  if (typeof find === 'string' && find.endsWith('/') && typeof replacement === 'string' && replacement.endsWith('/')) {
    find = find.slice(0, -1);
    replacement = replacement.slice(0, -1);
  }
  const alias = { find, replacement };
  if (customResolver) alias.customResolver = customResolver;
  return alias;
}

/** `resolve.alias` as Vite normalises it: an array of `{ find, replacement }`. */
export function normalizeAlias(o = []) {
  return Array.isArray(o)
    ? o.map(normalizeSingleAlias)
    : Object.keys(o).map((find) => normalizeSingleAlias({ find, replacement: o[find] }));
}

/**
 * `id` rewritten by the first of `entries` (`resolve.alias`, normalised) that matches it, as
 * Vite's alias plugin matches (a string: the id itself or a path under it; a RegExp: its
 * test), or undefined when none does: what Vite's `config.createResolver()` resolvers answer
 * when asked with `aliasOnly` (@tailwindcss/vite's, for a stylesheet's `@import`; its own
 * resolution does the rest).
 */
export function aliased(entries, id) {
  for (const { find, replacement } of entries ?? []) {
    if (find instanceof RegExp) {
      if (find.test(id)) return id.replace(find, replacement);
    } else if (typeof find === 'string' && (id === find || id.startsWith(`${find}/`))) {
      return id.replace(find, () => replacement);
    }
  }
  return undefined;
}

/**
 * How hotloop answers for a `config.createResolver(options)` resolver: `{ as: 'script' }` when
 * the options are the config's own `resolve` (none, or a copy of them: the page's resolution,
 * which hotloop does), `{ as: 'css' }` for Vite's CSS resolver options (`.css`, the `style`
 * field and condition, no index files: @tailwindcss/vite's), else `{ as: 'script', unhonoured }`
 * naming the options hotloop does not follow.
 */
export function resolverKind(options, configResolve = {}) {
  const differing = Object.keys(options ?? {}).filter((key) => options[key] !== configResolve[key] && key !== 'idOnly' && key !== 'scan');
  if (differing.length === 0) return { as: 'script' };
  const same = (list, expected) => Array.isArray(list) && list.length === expected.length && list.every((x, i) => x === expected[i]);
  const css =
    same(options.extensions, ['.css']) &&
    (options.mainFields === undefined || same(options.mainFields, ['style'])) &&
    (options.conditions === undefined || (Array.isArray(options.conditions) && options.conditions.includes('style'))) &&
    differing.every((key) => ['extensions', 'mainFields', 'conditions', 'tryIndex', 'preferRelative'].includes(key)) &&
    options.tryIndex !== true;
  return css ? { as: 'css' } : { as: 'script', unhonoured: differing };
}

function mergeAlias(a, b) {
  if (!a) return b;
  if (!b) return a;
  if (isObject(a) && isObject(b)) return { ...a, ...b };
  // the order is flipped: aliases are matched top-down, and the later config wins
  return [...normalizeAlias(b), ...normalizeAlias(a)];
}

function mergeRecursively(defaults, overrides, rootPath) {
  const merged = { ...defaults };
  for (const key in overrides) {
    const value = overrides[key];
    if (value == null) continue;
    const existing = merged[key];
    if (existing == null) {
      merged[key] = value;
      continue;
    }
    if (key === 'alias' && (rootPath === 'resolve' || rootPath === '')) {
      merged[key] = mergeAlias(existing, value);
      continue;
    } else if (key === 'assetsInclude' && rootPath === '') {
      merged[key] = [].concat(existing, value);
      continue;
    } else if (key === 'noExternal' && (rootPath === 'ssr' || rootPath === 'resolve') && (existing === true || value === true)) {
      merged[key] = true;
      continue;
    } else if (key === 'allowedHosts' && rootPath === 'server') {
      merged[key] = existing === true || value === true ? true : [...arraify(existing), ...arraify(value)];
      continue;
    }
    if (Array.isArray(existing) || Array.isArray(value)) {
      merged[key] = [...arraify(existing), ...arraify(value)];
      continue;
    }
    if (isObject(existing) && isObject(value)) {
      merged[key] = mergeRecursively(existing, value, rootPath ? `${rootPath}.${key}` : key);
      continue;
    }
    merged[key] = value;
  }
  return merged;
}

/** Vite's `mergeConfig(defaults, overrides, isRoot = true)`. */
export function mergeConfig(defaults, overrides, isRoot = true) {
  if (typeof defaults === 'function' || typeof overrides === 'function') {
    throw new Error('Cannot merge config in form of callback');
  }
  return mergeRecursively(defaults, overrides, isRoot ? '' : '.');
}

// --- hook filters (Vite 6.3+, Rolldown's): `{ id, code }`, each a string, RegExp, array, or
// `{ include, exclude }`. Normalised to `{ include: Pattern[], exclude: Pattern[] }`, where a
// Pattern is a string (id: a picomatch glob, made absolute against the root; code: a
// substring) or `{ source, flags }` (a RegExp).

function toPattern(p, kind, root) {
  if (p instanceof RegExp) return { source: p.source, flags: p.flags };
  if (typeof p !== 'string') return null;
  if (kind === 'id' && !path.isAbsolute(p)) return path.posix.join(root.split(path.sep).join('/'), p);
  return p;
}

function normalizeStringFilter(f, kind, root) {
  if (f == null) return null;
  const list = (v) => (v == null ? [] : arraify(v)).map((p) => toPattern(p, kind, root)).filter((p) => p != null);
  if (typeof f === 'string' || f instanceof RegExp || Array.isArray(f)) return { include: list(f), exclude: [] };
  if (typeof f === 'object') return { include: list(f.include), exclude: list(f.exclude) };
  return null;
}

/** A hook's `filter`, normalised (null when the hook has none). */
export function normalizeHookFilter(hook, root) {
  if (!hook || typeof hook !== 'object' || !hook.filter) return null;
  const id = normalizeStringFilter(hook.filter.id, 'id', root);
  const code = normalizeStringFilter(hook.filter.code, 'code', root);
  if (!id && !code) return null;
  return { id, code };
}

const globCache = new Map();
/** A picomatch glob (`*`, `**`, `?`, `[...]`, `{a,b}`; `dot: true`) as a RegExp. */
export function globToRegExp(glob) {
  let re = globCache.get(glob);
  if (re) return re;
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body[0] === '!') body = '^' + body.slice(1);
        out += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else if (c === '\\' && i + 1 < glob.length) out += '\\' + glob[++i];
    else out += c.replace(/[.+^$()|\]\\]/g, '\\$&');
  }
  re = new RegExp('^' + out + '$');
  globCache.set(glob, re);
  return re;
}

/**
 * Vite's `config.fsDenyGlob`: whether an absolute path is under `server.fs.deny` (a pattern
 * without a `/` matches at any depth; case-insensitive). `isFileLoadingAllowed`, which
 * plugins import from `vite` (@vitejs/plugin-vue 6.1 before it reads a file), calls it.
 */
export function fsDenyGlob(patterns) {
  const res = patterns.map((p) => {
    const re = globToRegExp(p.includes('/') ? p : `**/${p}`);
    return new RegExp(re.source, 'i');
  });
  return (file) => res.some((re) => re.test(file));
}

function patternMatches(p, value, kind) {
  if (typeof p === 'string') return kind === 'id' ? globToRegExp(p).test(value) : value.includes(p);
  const re = new RegExp(p.source, p.flags.replace(/[gy]/g, ''));
  return re.test(value);
}

function stringFilterMatches(f, value, kind) {
  if (!f) return true;
  if (f.exclude.some((p) => patternMatches(p, value, kind))) return false;
  if (f.include.length === 0) return true;
  return f.include.some((p) => patternMatches(p, value, kind));
}

/** Whether a normalised filter lets the hook run for `id` (and `code`, for transform). */
export function filterMatches(filter, id, code) {
  if (!filter) return true;
  if (!stringFilterMatches(filter.id, id.split('\\').join('/'), 'id')) return false;
  if (code !== undefined && filter.code && !stringFilterMatches(filter.code, code, 'code')) return false;
  return true;
}

// --- what hotloop honours natively, and what it reports as not honoured

const HONOURED = new Set([
  'appType', 'root', 'base', 'publicDir', 'mode', 'envDir', 'envPrefix', 'define', 'plugins', 'json',
  'assetsInclude', 'configFile',
  'resolve.alias', 'resolve.conditions', 'resolve.extensions', 'resolve.dedupe',
  // tsconfig `paths` resolve always (engine/src/resolver.rs), as Vite 8 with it `true`.
  'resolve.tsconfigPaths',
  'server.port', 'server.host', 'server.strictPort', 'server.open', 'server.proxy',
  'server.allowedHosts', 'server.cors', 'server.fs', 'server.https', 'server.headers',
  'css.modules',
  // Vite's CSS pipeline runs them (`css.js`: the project's `vite`, `preprocessCSS`).
  'css.preprocessorOptions', 'css.postcss', 'css.preprocessorMaxWorkers', 'css.devSourcemap',
  // hotloop's own options (`hotloop: { server: 'src/server.ts' }`; README).
  'hotloop.server',
  // The served pages' tags carry it (engine/src/queries/html.rs), as under Vite.
  'html.cspNonce',
  // Vite 8's CommonJS interop, or the one before it (engine/src/transform/mod.rs's NodeInterop).
  'legacy.inconsistentCjsInterop',
  // Its JSX settings (host.js's `jsxOverride`) and `jsxInject` (engine/src/transform/jsx_inject.rs),
  // Vite 8's and the esbuild names before it.
  'oxc.jsx', 'oxc.jsxInject',
  'esbuild.jsx', 'esbuild.jsxFactory', 'esbuild.jsxFragment', 'esbuild.jsxImportSource', 'esbuild.jsxInject',
]);
const NESTED = new Set(['resolve', 'server', 'css', 'hotloop', 'html', 'legacy', 'oxc', 'esbuild']);

/** node's `https` options hotloop's TLS takes (`server.https`); any other is named. */
const HTTPS_OPTIONS = new Set(['cert', 'key']);

/** PEM text of a node TLS option: a string, a Buffer, or a list of them (or of `{ pem }`). */
function pemText(value) {
  if (value == null) return null;
  const one = (v) => {
    if (typeof v === 'string') return v;
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    if (v && typeof v === 'object' && v.pem != null) return one(v.pem);
    return '';
  };
  return [].concat(value).map(one).join('\n');
}

/**
 * `server.https` as hotloop serves it: `{ cert, key }` as PEM text, `null` when off. Options
 * of node's `https` it does not take (`pfx`, `passphrase`, `ca`, ...) are pushed to
 * `unsupported` as `server.https.<name>`.
 */
export function httpsOptions(https, unsupported) {
  if (!https) return null;
  if (typeof https !== 'object') return { cert: null, key: null };
  for (const key of Object.keys(https)) {
    if (https[key] !== undefined && !HTTPS_OPTIONS.has(key)) unsupported.push(`server.https.${key}`);
  }
  return { cert: pemText(https.cert), key: pemText(https.key) };
}

/**
 * The `optimizeDeps` options hotloop honours (`config.rs`'s `DEPS_DEFINES` mirrors them): what
 * Vite's dependency pre-bundling replaces in npm packages, esbuild's `define` and Vite 8's name
 * for it (which wins). hotloop compiles npm packages one by one, with these after `define`.
 */
const DEPS_DEFINES = ['optimizeDeps.esbuildOptions.define', 'optimizeDeps.rolldownOptions.transform.define'];

/**
 * The `DEPS_DEFINES` of `optimizeDeps`, merged: each value JS code as esbuild takes it (a value
 * that is not a string is left out, as esbuild refuses it).
 */
export function depsDefine(optimizeDeps) {
  const out = {};
  for (const name of DEPS_DEFINES) {
    const define = name.split('.').slice(1).reduce((v, key) => v?.[key], optimizeDeps);
    if (!isObject(define)) continue;
    for (const [key, value] of Object.entries(define)) {
      if (typeof value === 'string') out[key] = value;
    }
  }
  return out;
}

/** Every `optimizeDeps` option hotloop honours: the defines, and esbuild's banner. */
const DEPS_HONOURED = [...DEPS_DEFINES, 'optimizeDeps.esbuildOptions.banner.js'];

/**
 * The code Vite's dependency pre-bundling puts before every pre-bundled chunk: esbuild's
 * `banner.js`, and the `banner` of `rolldownOptions.plugins` (vite-plugin-node-polyfills'
 * `globalThis.Buffer = …` with the imports of its shims). hotloop has no pre-bundled chunk: it
 * runs the code once, before the page's entries. `null` when there is none (a function banner
 * is left out: it is asked per chunk).
 */
export function depsBanner(optimizeDeps) {
  const parts = [];
  const esbuild = optimizeDeps?.esbuildOptions?.banner?.js;
  if (typeof esbuild === 'string') parts.push(esbuild);
  for (const plugin of [optimizeDeps?.rolldownOptions?.plugins].flat(Infinity)) {
    if (isObject(plugin) && typeof plugin.banner === 'string') parts.push(plugin.banner);
  }
  const banner = parts.join('\n').trim();
  return banner === '' ? null : banner;
}

/**
 * The options under `name` (whose value is `value`) that are not `DEPS_HONOURED`, as dotted
 * names: an object is gone into only where one of those lies below it (hotloop has no
 * pre-bundling step, so the rest of `optimizeDeps` means nothing to it).
 */
function unhonouredUnder(value, name, out) {
  if (DEPS_HONOURED.includes(name)) return;
  if (!isObject(value) || !DEPS_HONOURED.some((d) => d.startsWith(`${name}.`))) {
    out.push(name);
    return;
  }
  for (const key of Object.keys(value)) {
    if (value[key] !== undefined) unhonouredUnder(value[key], `${name}.${key}`, out);
  }
}

/** The options a user's config sets that hotloop does not honour, as dotted names. */
export function unsupportedOptions(userConfig) {
  const out = [];
  for (const key of Object.keys(userConfig ?? {})) {
    if (userConfig[key] === undefined) continue;
    if (key === 'optimizeDeps' && isObject(userConfig[key])) {
      unhonouredUnder(userConfig[key], key, out);
    } else if (NESTED.has(key) && isObject(userConfig[key])) {
      for (const sub of Object.keys(userConfig[key])) {
        const value = userConfig[key][sub];
        if (value === undefined) continue;
        if (key === 'server' && sub === 'hmr' && isObject(value)) {
          // `overlay` is honoured (the page's start options); the connection's own settings
          // (`port`, `clientPort`, `host`, `path`, `protocol`, ...) are not.
          for (const option of Object.keys(value)) {
            if (value[option] !== undefined && option !== 'overlay') out.push(`server.hmr.${option}`);
          }
        } else if (key === 'oxc' && sub === 'jsx' && !isObject(value)) {
          // `'preserve'`: hotloop compiles the JSX (the rest of Vite's chain would not).
          out.push('oxc.jsx');
        } else if (!HONOURED.has(`${key}.${sub}`)) out.push(`${key}.${sub}`);
      }
    } else if (!HONOURED.has(key)) out.push(key);
  }
  return out;
}

/**
 * Vite's `applyToEnvironment` for one environment (`resolveEnvironmentPlugins`): a plugin
 * whose hook answers a falsy value is left out, one that answers a plugin (or a list or a
 * promise of them) is replaced by them in its place, `true` or no hook keeps it. `call(plugin)`
 * runs the hook (the host brackets it for its warnings). Returns the plugins, the names of
 * those left out, and the names of Rolldown built-in (native) plugins, which are left out too.
 */
export async function pluginsForEnvironment(plugins, call) {
  const out = [];
  const skipped = [];
  const native = [];
  const keep = (plugin) => {
    // Rolldown's built-in plugins (`builtin:*`, native code Vite 8 hands out) cannot run here.
    if (typeof plugin.name === 'string' && plugin.name.startsWith('builtin:')) native.push(plugin.name);
    else out.push(plugin);
  };
  for (const plugin of plugins) {
    if (typeof plugin.applyToEnvironment !== 'function') {
      keep(plugin);
      continue;
    }
    const applied = await call(plugin);
    if (!applied) {
      skipped.push(plugin.name ?? '(anonymous plugin)');
    } else if (applied === true) {
      keep(plugin);
    } else {
      for (const p of await flattenPlugins(applied)) keep(p);
    }
  }
  return { plugins: out, skipped, native };
}

/**
 * Rolldown built-in plugins whose work hotloop does natively: `@vitejs/plugin-react`'s React
 * Refresh wrapper (Vite 8), which hotloop's own React transform and refresh runtime replace.
 */
export const NATIVE_BUILTINS = new Set(['builtin:vite-react-refresh-wrapper']);
