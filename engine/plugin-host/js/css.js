// css.js: Vite's own CSS pipeline for what hotloop does not compile itself — Sass/SCSS, Less,
// Stylus, and PostCSS (a `postcss.config.*`, `.postcssrc*`, `package.json`'s `postcss` or
// `css.postcss`; Tailwind CSS through `@tailwindcss/postcss` or v3's PostCSS plugin) — run by
// the project's own installed `vite` (`preprocessCSS`, what Vite's `vite:css` runs), so the
// compilers, their options (`css.preprocessorOptions`, `additionalData`) and the PostCSS
// plugins are the project's. It takes the place Vite gives `vite:css`: after the `pre` plugins,
// before the normal ones. Its output is CSS, which hotloop serves and hot-swaps as any
// stylesheet (and scopes as a CSS Module when the file is a `*.module.*`: Vite's own modules
// pass is turned off here), with the map back to the source; the partials, `@import`s and
// PostCSS `dependency`/`dir-dependency` files it read are watched (`this.addWatchFile`), and an
// error in a partial names the partial (`id`).

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { sourceAt } from './sourcemap.js';

/** Stylesheet languages that always need a preprocessor (Vite's `cssLangs` minus plain CSS). */
export const PREPROCESSED = /\.(?:s[ac]ss|less|styl|stylus|pcss|postcss|sss)(?:$|\?)/;
/** Plain CSS, which needs PostCSS only when the project configures it. */
export const PLAIN_CSS = /\.css(?:$|\?)/;

const POSTCSS_CONFIGS = [
  'postcss.config.js', 'postcss.config.cjs', 'postcss.config.mjs', 'postcss.config.ts',
  'postcss.config.mts', 'postcss.config.cts', '.postcssrc', '.postcssrc.json', '.postcssrc.js',
  '.postcssrc.cjs', '.postcssrc.mjs', '.postcssrc.ts', '.postcssrc.yaml', '.postcssrc.yml',
];

/** Whether the project configures PostCSS (where Vite looks: the root and its parents). */
export function hasPostcssConfig(root, config) {
  if (config.css?.postcss) return true;
  for (let dir = root; ; dir = path.dirname(dir)) {
    if (POSTCSS_CONFIGS.some((name) => fs.existsSync(path.join(dir, name)))) return true;
    try {
      if (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).postcss) return true;
    } catch {
      // no package.json here
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/** The project's `vite` module, imported from its own `node_modules`. */
export async function importVite(root) {
  const require = createRequire(path.join(root, 'package.json'));
  let pkgFile;
  try {
    pkgFile = require.resolve('vite/package.json');
  } catch {
    return null;
  }
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  const entry = pkg.exports?.['.'];
  const target = typeof entry === 'string' ? entry : entry?.import?.default ?? entry?.import ?? entry?.default ?? pkg.module ?? pkg.main;
  return import(pathToFileURL(path.join(path.dirname(pkgFile), typeof target === 'string' ? target : 'index.js')).href);
}

/**
 * The map with the text of each source (the module's own `code`, the partials read from disk),
 * so devtools show the `.scss` without fetching it; `null` for no map.
 */
function withSourcesContent(map, id, code) {
  if (!map || !Array.isArray(map.sources)) return null;
  const file = id.replace(/[?#].*$/, '');
  const dir = path.dirname(file);
  const sourcesContent = map.sources.map((source, i) => {
    if (map.sourcesContent?.[i] != null) return map.sourcesContent[i];
    const abs = path.resolve(dir, map.sourceRoot ?? '', source);
    if (abs === file) return code;
    try {
      return fs.readFileSync(abs, 'utf8');
    } catch {
      return null;
    }
  });
  return { ...map, sourcesContent };
}

/** A `url(...)` in CSS, quoted or not: its value is group 2. */
const CSS_URL = /\burl\(\s*(['"]?)([^'")\s]+)\1\s*\)/g;

/**
 * `code` with each relative `url()` that came from another file than `id` (a file PostCSS's
 * `@import` inlined) made relative to `id`'s directory, as Vite's pipeline rewrites it from
 * the declaration's own file: hotloop resolves the stylesheet's URLs from `id` afterwards, where
 * `url('../../assets/hero.png')` of `styles/partials/card.css` pointed two directories too
 * high. Sass, Less and Stylus partials are rebased by Vite's own importers already (so only
 * plain CSS comes here). The generated position of each URL finds its file in `map`.
 */
export function rebaseImportedUrls(code, map, id) {
  if (!map || !code.includes('url(')) return code;
  const file = id.replace(/[?#].*$/, '');
  const dir = path.dirname(file);
  const from = sourceAt(map);
  const lineStarts = [0];
  for (let i = code.indexOf('\n'); i >= 0; i = code.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const positionOf = (offset) => {
    let lo = 0, hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return [lo + 1, offset - lineStarts[lo]];
  };
  return code.replace(CSS_URL, (whole, quote, url, offset) => {
    if (/^(?:[a-z][a-z0-9+.-]*:|\/|#|~|@)/i.test(url)) return whole;
    const source = from(...positionOf(offset));
    if (source == null) return whole;
    const sourceFile = path.resolve(dir, map.sourceRoot ?? '', source);
    if (sourceFile === file) return whole;
    let rebased = path.relative(dir, path.resolve(path.dirname(sourceFile), url)).split(path.sep).join('/');
    if (!rebased.startsWith('.')) rebased = './' + rebased;
    return `url(${quote}${rebased}${quote})`;
  });
}

const viteConfigs = new WeakMap();

/**
 * Vite's own resolved config for the config hotloop loaded (`config`, after its `config`
 * hooks), made once by the project's installed `vite` (null without one): what `hotloop:css`
 * compiles stylesheets with, and whose `createResolver` answers the resolver options hotloop's
 * own resolver does not follow (Vite's Sass resolver's partials, `_theme.scss` for
 * `@use 'theme'`). One config for both: Vite's in-process Sass compiler keeps the resolvers of
 * the first config that compiled Sass in the process (`preprocessCSS`'s shared worker), so a
 * stylesheet compiled first under a config that cannot resolve partials broke every `@use`
 * after it.
 */
export function viteConfig(root, config) {
  let made = viteConfigs.get(config);
  if (!made) {
    made = (async () => {
      const vite = await importVite(root);
      if (!vite || typeof vite.resolveConfig !== 'function') return null;
      return vite.resolveConfig(
        {
          root,
          mode: config.mode,
          configFile: false,
          logLevel: 'error',
          // CSS Modules (`*.module.scss`) are scoped by hotloop's own pass after this one, as
          // a `*.module.css` is, so Vite's postcss-modules must leave the names alone; the
          // map of the compiled CSS back to the `.scss`/`.less` source is always wanted.
          css: { ...config.css, modules: false, devSourcemap: true },
          resolve: { alias: config.resolve?.alias },
          // Vite's CSS resolvers (`@import`, Sass's `@use`) are Rolldown's, which keep what
          // they found on disk unless a dev server's watcher clears it: this config has no
          // watcher, so a file created after an import of it failed was never found (the
          // error stayed, through every save, until a restart). Without `server.watch` they
          // look at the disk each time, as hotloop's own resolver does after a change.
          server: { watch: null },
          plugins: [],
        },
        'serve',
      );
    })();
    // (A failure is asked again next time, not kept.)
    made.catch(() => viteConfigs.delete(config));
    viteConfigs.set(config, made);
  }
  return made;
}

/**
 * The `hotloop:css` plugin for `config` (after its `config` hooks): a transform filtered to the
 * stylesheets that need Vite's pipeline.
 */
export function cssPlugin(root, config) {
  const include = hasPostcssConfig(root, config) ? [PREPROCESSED, PLAIN_CSS] : [PREPROCESSED];
  let vite;
  return {
    name: 'hotloop:css',
    transform: {
      filter: { id: { include } },
      async handler(code, id) {
        vite ??= await importVite(root);
        if (!vite || typeof vite.preprocessCSS !== 'function') {
          this.error(
            `${id} needs Vite's CSS pipeline (a preprocessor or PostCSS), which hotloop runs from the project's own \`vite\` package: install it (npm install -D vite)`,
          );
        }
        const resolved = await viteConfig(root, config);
        let result;
        try {
          result = await vite.preprocessCSS(code, id, resolved);
        } catch (e) {
          // Sass's modern API names the file of the error (a partial) only in its span.
          if (e && !e.id && !e.loc?.file && e.span?.url) {
            try {
              e.id = fileURLToPath(e.span.url);
            } catch {
              // not a file: URL
            }
          }
          throw e;
        }
        for (const dep of result.deps ?? []) this.addWatchFile(dep);
        const css = PLAIN_CSS.test(id) ? rebaseImportedUrls(result.code, result.map, id) : result.code;
        return { code: css, map: withSourcesContent(result.map, id, code) };
      },
    },
  };
}
