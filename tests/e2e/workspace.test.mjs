// A monorepo in real headless Chromium: the app imports workspace packages that its
// node_modules links to (npm/yarn workspaces, `npm link`, pnpm's nested links). Their real
// paths are outside the app and outside every node_modules, so they are source code: watched,
// and hot-updated like the app's own files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { browserAvailable, closeAll, editFile, serveAndOpen, tempDir, writeFile } from './lib/harness.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

/** Writes the workspace: `app/` (the project hotloop serves) and `packages/*`, linked. */
function workspace() {
  const ws = tempDir('ws');
  const w = (rel, text) => writeFile(path.join(ws, rel), text);
  w('app/package.json', JSON.stringify({ name: 'app', private: true, type: 'module' }));
  w('app/index.html', '<!doctype html><html><body><div id="ui"></div><div id="ts"></div><div id="deep"></div>' +
    '<script type="module" src="/src/main.js"></script></body></html>\n');
  w('app/src/main.js', [
    "import * as ui from '@acme/ui';",
    "import { tsLabel } from '@acme/ts-ui';",
    "import { deepLabel } from '@acme/deep';",
    "document.getElementById('ui').textContent = ui.label + (ui.extra ? ' ' + ui.extra : '');",
    "document.getElementById('ts').textContent = tsLabel;",
    "document.getElementById('deep').textContent = deepLabel;",
    'if (import.meta.hot) import.meta.hot.accept();',
    '',
  ].join('\n'));
  // An ESM package with `main`.
  w('packages/ui/package.json', JSON.stringify({ name: '@acme/ui', type: 'module', main: 'src/index.js' }));
  w('packages/ui/src/index.js', "export const label = 'ui v1';\n");
  // A TS package whose `exports` point at its `.ts` source.
  w('packages/ts-ui/package.json', JSON.stringify({ name: '@acme/ts-ui', type: 'module', exports: { '.': './src/index.ts' } }));
  w('packages/ts-ui/src/index.ts', "export const tsLabel: string = 'ts v1';\n");
  w('packages/ts-ui/src/next.ts', "export const tsLabel: string = 'ts next';\n");
  // Reached through pnpm-style nested links.
  w('packages/deep/package.json', JSON.stringify({ name: '@acme/deep', type: 'module', main: 'index.js' }));
  w('packages/deep/index.js', "export const deepLabel = 'deep v1';\n");
  fs.mkdirSync(path.join(ws, 'app/node_modules/@acme'), { recursive: true });
  fs.symlinkSync('../../../packages/ui', path.join(ws, 'app/node_modules/@acme/ui'));
  fs.symlinkSync('../../../packages/ts-ui', path.join(ws, 'app/node_modules/@acme/ts-ui'));
  const store = path.join(ws, 'app/node_modules/.pnpm/@acme+deep@link/node_modules/@acme');
  fs.mkdirSync(store, { recursive: true });
  fs.symlinkSync('../../../../../../packages/deep', path.join(store, 'deep'));
  fs.symlinkSync('../.pnpm/@acme+deep@link/node_modules/@acme/deep', path.join(ws, 'app/node_modules/@acme/deep'));
  return ws;
}

describe('workspace packages linked into node_modules', { skip, concurrency: false }, () => {
  let ws, server, browser, tab;
  const file = (rel) => path.join(ws, rel);

  before(async () => {
    ws = workspace();
    ({ server, browser, tab } = await serveAndOpen(file('app')));
    assert.equal(await tab.text('#ui'), 'ui v1');
    assert.equal(await tab.text('#ts'), 'ts v1');
    assert.equal(await tab.text('#deep'), 'deep v1');
  });

  after(async () => {
    await closeAll({ tab, browser, server });
  });

  test('an edit in a linked package is a hot update', async () => {
    const navs = tab.navigations;
    editFile(file('packages/ui/src/index.js'), 'ui v1', 'ui v2');
    await tab.until(() => document.getElementById('ui').textContent === 'ui v2');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('an edit to a TS package whose exports point at .ts source is a hot update', async () => {
    const navs = tab.navigations;
    editFile(file('packages/ts-ui/src/index.ts'), 'ts v1', 'ts v2');
    await tab.until(() => document.getElementById('ts').textContent === 'ts v2');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a package reached through nested pnpm-style links updates too', async () => {
    const navs = tab.navigations;
    editFile(file('packages/deep/index.js'), 'deep v1', 'deep v2');
    await tab.until(() => document.getElementById('deep').textContent === 'deep v2');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a new file added inside a linked package can be imported', async () => {
    const navs = tab.navigations;
    writeFile(file('packages/ui/src/extra.js'), "export const extra = 'and extra';\n");
    editFile(file('packages/ui/src/index.js'), "export const label = 'ui v2';", "export const label = 'ui v2';\nexport { extra } from './extra.js';");
    await tab.until(() => document.getElementById('ui').textContent === 'ui v2 and extra');
    editFile(file('packages/ui/src/extra.js'), 'and extra', 'and more');
    await tab.until(() => document.getElementById('ui').textContent === 'ui v2 and more');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('editing a linked package\'s package.json exports re-resolves it', async () => {
    editFile(file('packages/ts-ui/package.json'), './src/index.ts', './src/next.ts');
    await tab.until(() => document.getElementById('ts').textContent === 'ts next');
    await tab.untilLog('[hmr] connected');
  });
});

// npm/yarn/pnpm workspaces hoist the dependencies to a `node_modules` above the app: a package's
// stylesheet there names its fonts and images relatively (`@fontsource/*`), and Tailwind rebases
// such URLs to `../../node_modules/…`. Both are served by their absolute path (`/@fs/…`), the
// workspace root being allowed by default, as Vite's `server.fs.allow` is.
describe('a workspace whose dependencies are hoisted above the app', { skip, concurrency: false }, () => {
  let ws, server, browser, tab;

  before(async () => {
    ws = tempDir('hoisted');
    const w = (rel, text) => writeFile(path.join(ws, rel), text);
    w('package.json', JSON.stringify({ name: 'repo', private: true, workspaces: ['app'] }));
    w('package-lock.json', JSON.stringify({ name: 'repo', lockfileVersion: 3, packages: {} }));
    w('node_modules/@acme/look/package.json', JSON.stringify({ name: '@acme/look', style: 'look.css' }));
    w('node_modules/@acme/look/look.css', '.pkg { background-image: url(./img/dot.svg); }\n');
    w('node_modules/@acme/look/img/dot.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
    w('app/package.json', JSON.stringify({ name: 'app', private: true, type: 'module' }));
    w('app/index.html', '<!doctype html><html><body><div class="pkg" id="pkg"></div><div class="rebased" id="rebased"></div>' +
      '<script type="module" src="/src/main.js"></script></body></html>\n');
    w('app/src/main.js', "import '@acme/look/look.css';\nimport './app.css';\n");
    w('app/src/app.css', '.rebased { background-image: url(../../node_modules/@acme/look/img/dot.svg); }\n');
    ({ server, browser, tab } = await serveAndOpen(path.join(ws, 'app')));
  });

  after(async () => {
    await closeAll({ tab, browser, server });
  });

  test("a hoisted package's image, named by its stylesheet or rebased above the app, is served", async () => {
    const real = fs.realpathSync(ws);
    const image = () => Promise.all(['pkg', 'rebased'].map(async (id) => {
      const url = getComputedStyle(document.getElementById(id)).backgroundImage.replace(/^url\("(.*)"\)$/, '$1');
      return [new URL(url).pathname, (await fetch(url)).status];
    }));
    const expected = `/@fs${real}/node_modules/@acme/look/img/dot.svg`;
    assert.deepEqual(await tab.page.evaluate(image), [[expected, 200], [expected, 200]]);
  });
});
