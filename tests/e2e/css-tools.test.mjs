// The CSS tools real projects set up through Vite (issue #16), in the real create-vite react-ts
// starter with the tools installed from the npm registry (one cached install for every case,
// `lib/css-tools.mjs`), each set up as its own docs say for Vite, served by the real
// `hotloop dev` and driven in real headless Chromium (one browser for the file):
//
// - Tailwind CSS v4 through `@tailwindcss/vite`: the heading styled by `text-3xl font-bold`; a
//   class no file used before, added to `App.tsx`, restyles it in the same update as the
//   component's (count kept, no reload); a new file only Tailwind's sources take in (nothing
//   imports it) with a new class restyles the page (no reload); a new `@theme` colour applies;
// - Tailwind CSS v4 through `@tailwindcss/postcss` in `postcss.config.mjs`, the same;
// - Tailwind CSS v4 through `@tailwindcss/vite` imported by an inline `<style>` of `index.html`:
//   styled, and restyled in place by a new class;
// - Tailwind CSS v3 with its `content` globs through PostCSS (`tailwindcss` + `autoprefixer`);
// - Sass (`App.scss` with a partial: the partial's edit applies in place; a syntax error in the
//   partial names the partial's file and line in the overlay, the page keeps its styles, the
//   fix clears it; the served CSS maps back to the `.scss` and the partial), a `*.module.scss`
//   (its class map; its map through the CSS Modules pass), a `.scss?inline` (the compiled CSS as a string), Less, and `autoprefixer`
//   through `postcss.config.js`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Tab, browserAvailable, editFile, launchBrowser, overlayText, writeFile } from './lib/harness.mjs';
import { StarterApp } from './lib/starters.mjs';
import { CSS_TOOLS } from './lib/css-tools.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

let browser;
before(async () => {
  if (!skip) browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const counterText = () => document.querySelector('button.counter')?.textContent.trim() ?? null;
/** `[prop, selector]` → the element's computed value of `prop`. */
const styleOf = ([prop, selector]) => {
  const el = document.querySelector(selector);
  return el ? getComputedStyle(el)[prop] : null;
};

const H1 = '<h1>Get started</h1>';
const TAILWIND_H1 = '<h1 className="text-3xl font-bold">Get started</h1>';

/** A source map's `mappings`, per generated line: `{ column, source, line }` segments (0-based). */
function decodeMappings(mappings) {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const state = [0, 0, 0, 0];
  return mappings.split(';').map((line) => {
    state[0] = 0;
    return line.split(',').filter(Boolean).map((seg) => {
      const fields = [];
      let value = 0, shift = 0;
      for (const c of seg) {
        const digit = B64.indexOf(c);
        value += (digit & 31) << shift;
        if (digit & 32) { shift += 5; continue; }
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0; shift = 0;
      }
      fields.slice(0, 4).forEach((f, i) => { state[i] += f; });
      return { column: state[0], source: state[1], line: state[2] };
    });
  });
}

/** A starter copy with the CSS tools installed, `prepare` run on it before hotloop starts. */
function startApp(prepare) {
  return StarterApp.start('react-ts', { devDependencies: CSS_TOOLS, flavour: 'css-tools', prepare });
}

/** Opens a tab on `app`, waits for the runtime, and clicks the counter to 2. */
async function openCounted(app) {
  const tab = await Tab.open(browser, app.url);
  await tab.untilLog('[hmr] connected');
  await tab.until(() => document.querySelector('h1')?.textContent === 'Get started');
  for (let i = 0; i < 2; i++) await tab.page.click('button.counter');
  await tab.until(() => document.querySelector('button.counter')?.textContent.trim() === 'Count is 2');
  return tab;
}

/** No page errors, no failed or full-reload lines from `from` on. */
function assertClean(tab, from = 0) {
  assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[pageerror]') || /\[hmr\] (error|full reload)/.test(l)), []);
}

/**
 * The Tailwind checks every setup shares: the heading is styled by `text-3xl font-bold`, and a
 * class no file used before, added to the component, restyles it in place with the count kept.
 */
function tailwindBasics(getApp, getTab) {
  test('the heading is styled by text-3xl font-bold', async () => {
    const tab = getTab();
    // 1.875rem at the default 16px; font-weight 700.
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === '30px', ['fontSize', 'h1']);
    assert.equal(await tab.page.evaluate(styleOf, ['fontWeight', 'h1']), '700');
    assertClean(tab);
  });

  test('a class no file used before, added to App.tsx, restyles the heading: count kept, no reload', async () => {
    const app = getApp();
    const tab = getTab();
    const navs = tab.navigations;
    const from = tab.mark();
    const fromLine = app.server.lines.length;
    assert.notEqual(await tab.page.evaluate(styleOf, ['letterSpacing', 'h1']), '7px');
    editFile(app.file('src/App.tsx'), 'text-3xl font-bold"', 'text-3xl font-bold tracking-[7px]"');
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === '7px', ['letterSpacing', 'h1']);
    await tab.untilLog('[hmr] updated /src/App.tsx', { from });
    // One update: the stylesheet Tailwind generates, recompiled because its scan read App.tsx,
    // went with the component.
    await app.server.untilLine(/hot update r\d+: 2 modules .*\(\/src\/index\.css, \/src\/App\.tsx\)/, { from: fromLine });
    await tab.untilLog('[hmr] updated /src/index.css', { from });
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2', 'the count is kept');
    assert.equal(tab.navigations, navs, 'no full reload');
    assertClean(tab, from);
  });

  test('a new file only Tailwind scans (nothing imports it) with a new class restyles the page: count kept, no reload', async () => {
    const app = getApp();
    const tab = getTab();
    const navs = tab.navigations;
    const from = tab.mark();
    // An element whose class no source names yet (made here, not by a source).
    await tab.page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<p id="scanned" class="tracking-[9px]">scanned</p>'));
    assert.notEqual(await tab.page.evaluate(styleOf, ['letterSpacing', '#scanned']), '9px');
    // Under src/ (v4's automatic sources; v3's `./src/**/*.{js,ts,jsx,tsx}`), imported by no one.
    writeFile(app.file('src/Later.tsx'), 'export const later = <p className="tracking-[9px]">later</p>\n');
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === '9px', ['letterSpacing', '#scanned']);
    await tab.untilLog('[hmr] updated /src/index.css', { from });
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2', 'the count is kept');
    assert.equal(tab.navigations, navs, 'no full reload');
    assertClean(tab, from);
  });
}

describe('Tailwind CSS v4 through @tailwindcss/vite', { skip, concurrency: false }, () => {
  let app, tab;
  before(async () => {
    app = await startApp((root) => {
      // https://tailwindcss.com/docs/installation/using-vite
      editFile(path.join(root, 'vite.config.ts'),
        ["import { defineConfig } from 'vite'", "import { defineConfig } from 'vite'\nimport tailwindcss from '@tailwindcss/vite'"],
        ['plugins: [react()]', 'plugins: [react(), tailwindcss()]']);
      writeFile(path.join(root, 'src/index.css'), '@import "tailwindcss";\n\n@theme {\n  --color-brand: rgb(10, 20, 30);\n}\n');
      editFile(path.join(root, 'src/App.tsx'), H1, TAILWIND_H1);
    });
    tab = await openCounted(app);
  });
  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  tailwindBasics(() => app, () => tab);

  test('a new @theme colour applies to the class that names it', async () => {
    const navs = tab.navigations;
    let from = tab.mark();
    // The class first: no such colour yet, so no utility and no change.
    const before = await tab.page.evaluate(styleOf, ['color', 'h1']);
    editFile(app.file('src/App.tsx'), 'tracking-[7px]"', 'tracking-[7px] text-hotloop"');
    await tab.untilLog('[hmr] updated /src/App.tsx', { from });
    assert.equal(await tab.page.evaluate(styleOf, ['color', 'h1']), before);
    from = tab.mark();
    editFile(app.file('src/index.css'), '--color-brand: rgb(10, 20, 30);', '--color-brand: rgb(10, 20, 30);\n  --color-hotloop: rgb(1, 2, 3);');
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === 'rgb(1, 2, 3)', ['color', 'h1']);
    await tab.untilLog('[hmr] updated /src/index.css', { from });
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2');
    assert.equal(tab.navigations, navs, 'no full reload');
    assertClean(tab, from);
  });

  test('an unknown @apply class shows in the overlay with the stylesheet; the page keeps its styles; the fix clears it', async () => {
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(app.file('src/index.css'), '@theme {', '.oops {\n  @apply not-a-utility;\n}\n\n@theme {');
    const overlay = await tab.until(overlayText);
    // Tailwind's error names no place; the overlay points at the `@apply` its message quotes.
    const line = fs.readFileSync(app.file('src/index.css'), 'utf8').split('\n').findIndex((l) => l.includes('@apply not-a-utility')) + 1;
    assert.match(overlay, new RegExp(`/src/index\\.css:${line}:10`), overlay);
    assert.match(overlay, /not-a-utility/, overlay);
    assert.match(overlay, /@tailwindcss\/vite/, `the plugin is named:\n${overlay}`);
    assert.equal(await tab.page.evaluate(styleOf, ['fontSize', 'h1']), '30px', 'the last good styles stay');
    editFile(app.file('src/index.css'), '@apply not-a-utility;', '@apply underline;');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    assert.equal(await tab.page.evaluate(styleOf, ['color', 'h1']), 'rgb(1, 2, 3)');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2');
    assert.equal(tab.navigations, navs, 'no full reload');
    assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[pageerror]') || /full reload/.test(l)), []);
  });
});

describe('Tailwind CSS v4 through @tailwindcss/postcss', { skip, concurrency: false }, () => {
  let app, tab;
  before(async () => {
    app = await startApp((root) => {
      // https://tailwindcss.com/docs/installation/using-postcss
      writeFile(path.join(root, 'postcss.config.mjs'), 'export default {\n  plugins: {\n    "@tailwindcss/postcss": {},\n  },\n};\n');
      writeFile(path.join(root, 'src/index.css'), '@import "tailwindcss";\n');
      editFile(path.join(root, 'src/App.tsx'), H1, TAILWIND_H1);
    });
    tab = await openCounted(app);
  });
  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  tailwindBasics(() => app, () => tab);
});

describe("Tailwind CSS v4 through @tailwindcss/vite, imported by index.html's inline <style>", { skip, concurrency: false }, () => {
  let app, tab;
  before(async () => {
    app = await startApp((root) => {
      editFile(path.join(root, 'vite.config.ts'),
        ["import { defineConfig } from 'vite'", "import { defineConfig } from 'vite'\nimport tailwindcss from '@tailwindcss/vite'"],
        ['plugins: [react()]', 'plugins: [react(), tailwindcss()]']);
      editFile(path.join(root, 'index.html'), '</head>', '  <style>\n      @import "tailwindcss";\n    </style>\n  </head>');
      // (The starter's own unlayered `h1` rules would win over Tailwind's utilities.)
      writeFile(path.join(root, 'src/index.css'), '');
      editFile(path.join(root, 'src/App.tsx'), H1, TAILWIND_H1);
    });
    tab = await openCounted(app);
  });
  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  test('the heading is styled; a class no file used before, added to App.tsx, restyles it in place: count kept, no reload', async () => {
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === '30px', ['fontSize', 'h1']);
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(app.file('src/App.tsx'), 'text-3xl font-bold"', 'text-3xl font-bold tracking-[7px]"');
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === '7px', ['letterSpacing', 'h1']);
    await tab.untilLog('[hmr] updated /src/App.tsx', { from });
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2', 'the count is kept');
    assert.equal(tab.navigations, navs, 'no full reload');
    assertClean(tab, from);
  });
});

describe('Tailwind CSS v3: content globs, PostCSS with autoprefixer', { skip, concurrency: false }, () => {
  let app, tab;
  before(async () => {
    app = await startApp((root) => {
      // Tailwind v3 as `npm install -D tailwindcss@3` leaves it (the cached install has v3
      // under another name beside v4).
      const modules = path.join(root, 'node_modules');
      fs.rmSync(path.join(modules, 'tailwindcss'), { recursive: true, force: true });
      fs.symlinkSync('tailwindcss-v3', path.join(modules, 'tailwindcss'));
      // https://v3.tailwindcss.com/docs/guides/vite
      writeFile(path.join(root, 'tailwind.config.js'),
        "/** @type {import('tailwindcss').Config} */\nexport default {\n  content: ['./index.html', './src/**/*.{js,ts,jsx,tsx}'],\n  theme: { extend: {} },\n  plugins: [],\n};\n");
      writeFile(path.join(root, 'postcss.config.js'), 'export default {\n  plugins: {\n    tailwindcss: {},\n    autoprefixer: {},\n  },\n};\n');
      writeFile(path.join(root, 'src/index.css'), '@tailwind base;\n@tailwind components;\n@tailwind utilities;\n');
      editFile(path.join(root, 'src/App.tsx'), H1, TAILWIND_H1);
    });
    tab = await openCounted(app);
  });
  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  tailwindBasics(() => app, () => tab);
});

describe("PostCSS's own config in a project without a vite.config", { skip, concurrency: false }, () => {
  let app, tab;
  before(async () => {
    app = await startApp((root) => {
      // Vite needs no config to run a PostCSS config, and a package.json need not list
      // `postcss` (Vite brings it): only the config says the stylesheets go through it.
      fs.rmSync(path.join(root, 'vite.config.ts'));
      const manifest = path.join(root, 'package.json');
      const json = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      json.devDependencies = { vite: json.devDependencies.vite };
      fs.writeFileSync(manifest, JSON.stringify(json, null, 2));
      writeFile(path.join(root, 'postcss.config.cjs'),
        "module.exports = {\n  plugins: [{ postcssPlugin: 'red-to-green', Declaration: { color: (d) => { if (d.value === 'red') d.value = 'rgb(0, 128, 0)'; } } }],\n};\n");
      fs.appendFileSync(path.join(root, 'src/index.css'), '\nh1 { color: red; }\n');
    });
    tab = await openCounted(app);
  });
  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  test("the stylesheet goes through the config's plugins, also after an edit", async () => {
    assert.equal(await tab.page.evaluate(styleOf, ['color', 'h1']), 'rgb(0, 128, 0)');
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(app.file('src/index.css'), 'h1 { color: red; }', 'h1 { color: red; word-spacing: 7px; }');
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === '7px', ['wordSpacing', 'h1']);
    assert.equal(await tab.page.evaluate(styleOf, ['color', 'h1']), 'rgb(0, 128, 0)');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2');
    assert.equal(tab.navigations, navs, 'no full reload');
    assertClean(tab, from);
  });
});

describe('Sass with a partial, a *.module.scss, Less, autoprefixer through postcss.config.js', { skip, concurrency: false }, () => {
  let app, tab;
  const PARTIAL = 'src/styles/_theme.scss';
  before(async () => {
    app = await startApp((root) => {
      const file = (rel) => path.join(root, rel);
      writeFile(file('postcss.config.js'), 'export default {\n  plugins: {\n    autoprefixer: {},\n  },\n};\n');
      writeFile(file(PARTIAL), '$heading: rgb(200, 0, 0);\n$gap: 3px;\n');
      writeFile(file('src/App.scss'),
        "@use './styles/theme';\n\nh1 {\n  color: theme.$heading;\n  word-spacing: theme.$gap;\n}\n\n.no-select {\n  user-select: none;\n}\n");
      writeFile(file('src/Card.module.scss'), '$green: rgb(0, 128, 0);\n\n.title {\n  color: $green;\n  &.big { font-size: 40px; }\n}\n');
      writeFile(file('src/inline.scss'), '$c: rgb(9, 9, 9);\n\n.inl {\n  color: $c;\n  user-select: none;\n}\n');
      writeFile(file('src/extra.less'), '@blue: rgb(0, 0, 200);\n\n#less-box {\n  color: @blue;\n  .inner { margin-left: (2px * 3); }\n}\n');
      editFile(file('src/App.tsx'),
        ["import './App.css'", "import './App.css'\nimport './App.scss'\nimport './extra.less'\nimport card from './Card.module.scss'\nimport inlineCss from './inline.scss?inline'"],
        [H1, `${H1}\n          <p id="card" className={\`\${card.title} \${card.big}\`}>card</p>\n          <div id="less-box"><span className="inner">less</span></div>\n          <p id="plain" className="no-select">plain</p>\n          <pre id="inline">{inlineCss}</pre>`]);
    });
    tab = await openCounted(app);
  });
  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  test('App.scss with its partial, the module class map, the Less file and the prefixes reach the page', async () => {
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === 'rgb(200, 0, 0)', ['color', 'h1']);
    assert.equal(await tab.page.evaluate(styleOf, ['wordSpacing', 'h1']), '3px');
    // The CSS Module's class map: scoped names, applied.
    const cls = await tab.page.evaluate(() => document.querySelector('#card').className);
    assert.match(cls, /^\S*title\S* \S*big\S*$/, `scoped class names, got ${JSON.stringify(cls)}`);
    assert.doesNotMatch(cls, /undefined/);
    assert.equal(await tab.page.evaluate(styleOf, ['color', '#card']), 'rgb(0, 128, 0)');
    assert.equal(await tab.page.evaluate(styleOf, ['fontSize', '#card']), '40px');
    assert.equal(await tab.page.evaluate(styleOf, ['color', '#less-box']), 'rgb(0, 0, 200)');
    assert.equal(await tab.page.evaluate(styleOf, ['marginLeft', '#less-box .inner']), '6px');
    // autoprefixer (the default browserslist still lists Safari, which needs -webkit-user-select).
    const css = await tab.page.evaluate(() => [...document.querySelectorAll('style[data-hotloop-id]')].map((s) => s.textContent).join('\n'));
    assert.match(css, /-webkit-user-select:\s*none/, 'autoprefixer ran on the Sass output');
    assertClean(tab);
  });

  test("the compiled CSS carries its map back to the .scss and the partial (devtools show their lines)", async () => {
    const text = await tab.page.evaluate(() => document.querySelector('style[data-hotloop-id="/src/App.scss"]')?.textContent ?? '');
    const m = text.match(/\/\*# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+) \*\/\s*$/);
    const map = m && JSON.parse(Buffer.from(m[1], 'base64').toString('utf8'));
    assert.ok(map, 'a sourceMappingURL comment ends the style');
    assert.deepEqual([...map.sources].sort(), ['/src/App.scss', '/src/styles/_theme.scss']);
    const content = (source) => map.sourcesContent[map.sources.indexOf(source)];
    assert.equal(content('/src/App.scss'), fs.readFileSync(app.file('src/App.scss'), 'utf8'));
    assert.match(content('/src/styles/_theme.scss'), /\$heading:/);
    // The served line with `word-spacing` maps to the `.scss` line that wrote it.
    const generated = text.split('\n').findIndex((l) => l.includes('word-spacing'));
    const segment = decodeMappings(map.mappings)[generated]?.[0];
    assert.ok(segment, `a mapping on served line ${generated}`);
    assert.equal(map.sources[segment.source], '/src/App.scss');
    assert.equal(content('/src/App.scss').split('\n')[segment.line], '  word-spacing: theme.$gap;');
  });

  test('a *.module.scss keeps its map through the CSS Modules pass (devtools show the .scss line of a scoped rule)', async () => {
    const text = await tab.page.evaluate(() => document.querySelector('style[data-hotloop-id="/src/Card.module.scss"]')?.textContent ?? '');
    const m = text.match(/\/\*# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+) \*\/\s*$/);
    const map = m && JSON.parse(Buffer.from(m[1], 'base64').toString('utf8'));
    assert.ok(map, `a sourceMappingURL comment ends the style:\n${text}`);
    assert.deepEqual(map.sources, ['/src/Card.module.scss']);
    assert.equal(map.sourcesContent[0], fs.readFileSync(app.file('src/Card.module.scss'), 'utf8'));
    // The scoped `.title.big` rule, as served, maps to the `&.big` line of the module.
    const generated = text.split('\n').findIndex((l) => /_title\S*_big\S* \{|_big\S*_title\S* \{/.test(l));
    assert.ok(generated >= 0, `the scoped .big rule is served:\n${text}`);
    const segment = decodeMappings(map.mappings)[generated]?.[0];
    assert.ok(segment, `a mapping on served line ${generated}`);
    assert.equal(map.sourcesContent[0].split('\n')[segment.line], '  &.big { font-size: 40px; }');
  });

  test('a .scss?inline import is the compiled, prefixed CSS as a string; its edit re-runs the importer', async () => {
    const text = await tab.page.evaluate(() => document.getElementById('inline')?.textContent ?? null);
    assert.match(text, /\.inl \{/, text);
    assert.match(text, /color: rgb\(9, 9, 9\)/, text);
    assert.match(text, /-webkit-user-select:\s*none/, `PostCSS ran on ?inline:\n${text}`);
    assert.doesNotMatch(text, /\$c/, text);
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(app.file('src/inline.scss'), 'rgb(9, 9, 9)', 'rgb(8, 8, 8)');
    await tab.until(() => document.getElementById('inline')?.textContent.includes('color: rgb(8, 8, 8)'));
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2');
    assert.equal(tab.navigations, navs, 'no full reload');
    assertClean(tab, from);
  });

  test('an edit of the partial restyles the page in place: count kept, no reload', async () => {
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(app.file(PARTIAL), 'rgb(200, 0, 0)', 'rgb(0, 150, 0)');
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === 'rgb(0, 150, 0)', ['color', 'h1']);
    await tab.untilLog('[hmr] updated /src/App.scss', { from });
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2');
    assert.equal(tab.navigations, navs, 'no full reload');
    assertClean(tab, from);
  });

  test('an edit of the *.module.scss restyles in place; its class map stays', async () => {
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(app.file('src/Card.module.scss'), 'rgb(0, 128, 0)', 'rgb(0, 0, 128)');
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === 'rgb(0, 0, 128)', ['color', '#card']);
    assert.equal(await tab.page.evaluate(styleOf, ['fontSize', '#card']), '40px');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2');
    assert.equal(tab.navigations, navs, 'no full reload');
    assertClean(tab, from);
  });

  test('an edit of the .less file restyles in place', async () => {
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(app.file('src/extra.less'), '@blue: rgb(0, 0, 200);', '@blue: rgb(0, 0, 100);');
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === 'rgb(0, 0, 100)', ['color', '#less-box']);
    await tab.untilLog('[hmr] updated /src/extra.less', { from });
    assert.equal(tab.navigations, navs, 'no full reload');
    assertClean(tab, from);
  });

  test('a Sass syntax error in the partial names the partial and its line; the page keeps its styles; the fix clears it', async () => {
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(app.file(PARTIAL), '$gap: 3px;', '$gap: 3px;\n$broken: (1px;');
    const overlay = await tab.until(overlayText);
    assert.match(overlay, /_theme\.scss/, `the partial is named:\n${overlay}`);
    assert.match(overlay, /_theme\.scss:3\b/, `the partial's line 3:\n${overlay}`);
    assert.match(overlay, /\$broken: \(1px;/, `the partial's code frame:\n${overlay}`);
    // The last good styles stay meanwhile.
    assert.equal(await tab.page.evaluate(styleOf, ['color', 'h1']), 'rgb(0, 150, 0)');
    assert.equal(tab.navigations, navs, 'no reload while broken');
    editFile(app.file(PARTIAL), '\n$broken: (1px;', '\n$size: 5px;');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    editFile(app.file(PARTIAL), 'rgb(0, 150, 0)', 'rgb(0, 0, 150)');
    await tab.until(([p, s]) => getComputedStyle(document.querySelector(s))[p] === 'rgb(0, 0, 150)', ['color', 'h1']);
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2');
    assert.equal(tab.navigations, navs, 'no full reload');
    assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[pageerror]') || /full reload/.test(l)), []);
  });
});
