// Vite's own TS/JSX transform as a step of the `transform` chain: `vite:oxc` (Vite 8) or
// `vite:esbuild` (Vite 7 and before), which Vite runs after the `pre` plugins and before the
// normal and `post` ones. A plugin of those sees JavaScript under Vite, and many parse what
// they get (`@rollup/plugin-inject` in vite-plugin-node-polyfills, with `this.parse`), so
// hotloop runs the same step, with the project's own `vite` and the config's `oxc`/`esbuild`
// options, before the first of them in a module's chain. A module no such plugin transforms
// never comes here: hotloop compiles its TS and JSX itself.
//
// React Fast Refresh stays hotloop's (it registers the components of the step's output), so
// the step never adds Oxc's refresh registrations.

const SCRIPT_RE = /\.(m?ts|[jt]sx)$/;
const JSX_RE = /\.(?:j|t)sx\b/;

const cleanUrl = (id) => id.replace(/[?#].*$/, '');

/**
 * The step for this config (after its `config` hooks), or null when the config turns it off
 * (`oxc: false`; `esbuild: false` before Vite 8) or the project's vite has no transform to
 * offer. `vite`: the project's own module; `rolldown`: whether it is Vite 8 (Rolldown).
 * The step: `{ plugin, admits(id), forgetTsconfigs() }`, `plugin` a transform hook named as
 * Vite names it (errors and warnings say `vite:oxc`).
 */
export function scriptStep(vite, config, rolldown) {
  if (!vite || typeof vite.createFilter !== 'function') return null;
  if (rolldown && typeof vite.transformWithOxc === 'function') return oxcStep(vite, config);
  if (typeof vite.transformWithEsbuild === 'function') return esbuildStep(vite, config);
  return null;
}

function oxcStep(vite, config) {
  let oxc = config.oxc;
  // Vite 8 takes `esbuild` options over when no `oxc` ones are set.
  if (config.esbuild && !config.oxc) oxc = oxcFromEsbuild(config.esbuild);
  if (oxc === false) return null;
  const { jsxInject, include, exclude, jsxRefreshInclude, jsxRefreshExclude, ...options } = oxc ?? {};
  const jsx = typeof options.jsx === 'string' ? options.jsx : { development: true, ...options.jsx, refresh: false };
  const filter = vite.createFilter(include || SCRIPT_RE, exclude || /\.js$/);
  // Oxc's tsconfig cache is per config object: a new one after a tsconfig edit.
  let cacheKey = {};
  const warned = new Set();
  return {
    admits: (id) => filter(id) || filter(cleanUrl(id)),
    forgetTsconfigs() { cacheKey = {}; },
    plugin: {
      name: 'vite:oxc',
      async transform(code, id) {
        // (Its errors are Rolldown's, under a summary: the host reports the first.)
        const result = await vite.transformWithOxc(code, id, { ...options, jsx, sourcemap: true }, undefined, cacheKey);
        for (const w of result.warnings ?? []) {
          const message = typeof w === 'string' ? w : w?.message;
          if (message && !warned.has(message)) {
            warned.add(message);
            this.warn(message);
          }
        }
        return { code: inject(jsxInject, id, result.code), map: result.map, moduleType: 'js' };
      },
    },
  };
}

function esbuildStep(vite, config) {
  if (config.esbuild === false) return null;
  const { jsxInject, include, exclude, ...rest } = { jsxDev: true, charset: 'utf8', legalComments: 'none', ...config.esbuild };
  const options = {
    target: 'esnext',
    charset: 'utf8',
    ...rest,
    minify: false,
    minifyIdentifiers: false,
    minifySyntax: false,
    minifyWhitespace: false,
    treeShaking: false,
    keepNames: false,
    supported: { 'dynamic-import': true, 'import-meta': true, ...rest.supported },
  };
  const filter = vite.createFilter(include || SCRIPT_RE, exclude || /\.js$/);
  return {
    admits: (id) => filter(id) || filter(cleanUrl(id)),
    forgetTsconfigs() {},
    plugin: {
      name: 'vite:esbuild',
      async transform(code, id) {
        const result = await vite.transformWithEsbuild(code, id, options);
        return { code: inject(jsxInject, id, result.code), map: result.map, moduleType: 'js' };
      },
    },
  };
}

/** Vite's `jsxInject`: prepended to JSX files. */
function inject(jsxInject, id, code) {
  return jsxInject && JSX_RE.test(id) ? `${jsxInject};${code}` : code;
}

/** Vite 8's reading of `esbuild` options as `oxc` ones (the JSX part, which is what differs). */
function oxcFromEsbuild(esbuild) {
  const { jsxInject, include, exclude, jsx, jsxImportSource, jsxFactory, jsxFragment, jsxDev, define } = esbuild;
  const oxc = { jsxInject, include, exclude };
  if (jsx === 'preserve') {
    oxc.jsx = 'preserve';
  } else {
    const options = {};
    if (jsx === 'automatic') {
      options.runtime = 'automatic';
      if (jsxImportSource) options.importSource = jsxImportSource;
    } else if (jsx === 'transform') {
      options.runtime = 'classic';
      if (jsxFactory) options.pragma = jsxFactory;
      if (jsxFragment) options.pragmaFrag = jsxFragment;
    }
    if (jsxDev !== undefined) options.development = jsxDev;
    oxc.jsx = options;
  }
  if (define) oxc.define = define;
  return oxc;
}
