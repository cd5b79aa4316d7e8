// The real create-vite starters (create-vite@9.3.0 from the npm registry, installed with their
// own package.json, served unchanged by the real `hotloop dev`) in real headless Chromium:
// render, click, edit, break and fix, as a new user would. See lib/starters.mjs. One browser
// serves every starter's tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Tab, browserAvailable, editFile, launchBrowser, overlayText as visibleOverlay } from './lib/harness.mjs';
import { StarterApp, starter } from './lib/starters.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

let browser;
before(async () => {
  if (!skip) browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The text of `selector` inside `<my-element>`'s shadow root (null until it renders). */
const inShadow = (selector) => document.querySelector('my-element')?.shadowRoot?.querySelector(selector)?.textContent ?? null;

/** The error overlay's text, once it shows. */
const overlayText = () => {
  const el = document.querySelector('hotloop-error-overlay');
  return el && el.shadowRoot && el.shadowRoot.textContent;
};

describe('lit-ts: legacy decorators from tsconfig.json, no plugin', { skip, concurrency: false }, () => {
  let app, tab;
  const edit = (...replacements) => editFile(app.file('src/my-element.ts'), ...replacements);

  before(async () => {
    app = await StarterApp.start('lit-ts');
    tab = await Tab.open(browser, app.url);
    await tab.untilLog('[hmr] connected');
  });

  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  test('renders my-element into its shadow DOM', async () => {
    // `@customElement('my-element')` defined it; `@property() count = 0` went through lit's
    // accessor (fields assigned, `useDefineForClassFields: false`), so the count renders.
    await tab.until(inShadow, 'button.counter');
    assert.equal((await tab.page.evaluate(inShadow, 'button.counter')).trim(), 'Count is 0');
    assert.match(await tab.page.evaluate(inShadow, 'p'), /Edit\s+src\/my-element\.ts\s+and save to test/);
    assert.ok(await tab.page.evaluate(() => customElements.get('my-element') !== undefined));
    assert.deepEqual(tab.log.filter((l) => l.startsWith('[pageerror]')), []);
  });

  test('the counter counts three clicks', async () => {
    const button = tab.page.locator('my-element').locator('button.counter');
    for (let i = 0; i < 3; i++) await button.click();
    await tab.until(() => document.querySelector('my-element').shadowRoot.querySelector('button.counter').textContent.trim() === 'Count is 3');
  });

  test('editing the element reloads the page (lit has no HMR) and says why', async () => {
    const from = tab.mark();
    const navs = tab.navigations;
    edit('and save to test', 'and save to see hotloop');
    await tab.untilLog(/^\[hmr\] full reload: \/src\/my-element\.ts changed and no module accepts it/, { from });
    await tab.until(() => /save to see hotloop/.test(document.querySelector('my-element')?.shadowRoot?.querySelector('p')?.textContent ?? ''));
    assert.ok(tab.navigations > navs, 'the page reloaded');
    await tab.untilLog('[hmr] connected', { from });
    // A reload starts the element afresh.
    assert.equal((await tab.page.evaluate(inShadow, 'button.counter')).trim(), 'Count is 0');
  });

  test('a syntax error shows the overlay with file, line and code frame, keeps the page, and the fix clears it', async () => {
    const button = tab.page.locator('my-element').locator('button.counter');
    await button.click();
    await tab.until(() => document.querySelector('my-element').shadowRoot.querySelector('button.counter').textContent.trim() === 'Count is 1');
    const navs = tab.navigations;
    const from = tab.mark();
    edit('    this.count++', '    const = this.count++');
    await tab.untilLog(/^\[hmr\] error \/src\/my-element\.ts:\d+:\d+/, { from });
    const overlay = await tab.until(overlayText);
    assert.match(overlay, /\/src\/my-element\.ts/);
    const line = fs.readFileSync(app.file('src/my-element.ts'), 'utf8').split('\n').findIndex((l) => l.includes('const = this.count++')) + 1;
    assert.match(overlay, new RegExp(`/src/my-element\\.ts:${line}:\\d+`), `the line of the error (${line})`);
    assert.match(overlay, new RegExp(`> ${line} \\|\\s+const = this\\.count\\+\\+`), 'a code frame at the error');
    assert.equal(tab.navigations, navs, 'no reload while broken');
    assert.equal((await tab.page.evaluate(inShadow, 'button.counter')).trim(), 'Count is 1', 'last good page kept');
    edit('    const = this.count++', '    this.count++');
    // The fixed module is the code the page already runs: the overlay goes, nothing reloads.
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    assert.equal(tab.navigations, navs, 'no reload');
    await button.click();
    await tab.until(() => document.querySelector('my-element').shadowRoot.querySelector('button.counter').textContent.trim() === 'Count is 2');
  });
});

test('edits to a starter copy leave the cached starter as create-vite wrote it', { skip }, () => {
  const cached = starter('lit-ts');
  assert.match(fs.readFileSync(path.join(cached, 'src/my-element.ts'), 'utf8'), /and save to test/);
  assert.ok(fs.existsSync(path.join(cached, '.gitignore')), '`_gitignore` renamed as create-vite does');
  assert.ok(fs.existsSync(path.join(cached, 'node_modules/lit/package.json')), 'installed');
});

describe("preact-ts: Preact's JSX runtime, from @preact/preset-vite's config (tsconfig.app.json's, a solution-style tsconfig.json, agrees)", { skip, concurrency: false }, () => {
  let app, tab;

  before(async () => {
    app = await StarterApp.start('preact-ts');
    tab = await Tab.open(browser, app.url);
    await tab.untilLog('[hmr] connected');
  });

  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  test('renders with preact/jsx-dev-runtime, not React', async () => {
    await tab.until(() => document.querySelector('#app h1')?.textContent === 'Get started');
    assert.equal((await tab.text('#app button.counter')).trim(), 'Count is 0');
    const errors = tab.log.filter((l) => l.startsWith('[pageerror]') || /react\/jsx-dev-runtime/.test(l));
    assert.deepEqual(errors, []);
  });

  test('the counter counts three clicks', async () => {
    for (let i = 0; i < 3; i++) await tab.page.click('#app button.counter');
    await tab.until(() => document.querySelector('#app button.counter').textContent.trim() === 'Count is 3');
  });

  test('editing the component updates it in place with its state (prefresh, from @preact/preset-vite)', async () => {
    // prefresh's output calls the page's `self.$RefreshReg$`, and its `hot.accept` re-renders
    // the component with its hooks' state; frameworks.test.mjs has the rest of this starter.
    const from = tab.mark();
    const navs = tab.navigations;
    editFile(app.file('src/app.tsx'), '<h1>Get started</h1>', '<h1>Get started with hotloop</h1>');
    await tab.untilLog('[hmr] updated /src/app.tsx', { from });
    await tab.until(() => document.querySelector('#app h1')?.textContent === 'Get started with hotloop');
    assert.equal(tab.navigations, navs, 'no full reload');
    assert.equal((await tab.text('#app button.counter')).trim(), 'Count is 3');
  });

  test("editing tsconfig.app.json's JSX reloads the page, and @preact/preset-vite's JSX still wins, as under Vite", async () => {
    // The preset's `config` hook sets the automatic runtime from `preact` (`oxc.jsx`), which
    // Vite's transform takes over the tsconfig's: a classic runtime with Preact's `h` written
    // there changes nothing the page runs (it would fail with `h is not defined`).
    const from = tab.mark();
    const tsconfig = app.file('tsconfig.app.json');
    const original = fs.readFileSync(tsconfig, 'utf8');
    editFile(tsconfig, '"jsx": "react-jsx",', '"jsx": "react", "jsxFactory": "h", "jsxFragmentFactory": "Fragment",');
    // The reason is the tsconfig, or a resync when the update came while the page was loading.
    const reloaded = /^\[hmr\] full reload: (\/tsconfig\.app\.json changed|the page missed updates)/;
    await tab.untilLog(reloaded, { from });
    await tab.untilLog('[hmr] connected', { from: tab.log.findIndex((l, i) => i >= from && reloaded.test(l)) });
    await tab.until(() => document.querySelector('#app h1')?.textContent === 'Get started with hotloop');
    await tab.page.click('#app button.counter');
    await tab.until(() => document.querySelector('#app button.counter').textContent.trim() === 'Count is 1');
    assert.deepEqual(tab.log.slice(from).filter((l) => /is not defined|jsx-dev-runtime|\[pageerror\]/.test(l)), []);
    fs.writeFileSync(tsconfig, original);
  });

  test("preact/debug runs in the page: the preset found the entry as index.html's script, as under Vite", async () => {
    // @preact/preset-vite puts `import "preact/debug"` into the first module it sees resolved
    // for an `.html` importer; preact/debug then reports a `<tr>` outside a table body.
    const from = tab.mark();
    editFile(app.file('src/app.tsx'), '<h1>Get started with hotloop</h1>', '<h1>Get started with hotloop</h1><table><tr><td /></tr></table>');
    await tab.untilLog(/Improper nesting of table/, { from });
  });
});

// vite-plugin-qwik splits each component into segments it loads itself (`this.load` from its
// `transform`) and serves by id; its `handleHotUpdate` marks the edited component's segments
// stale (`moduleGraph.invalidateModule`) and asks for a full reload, as under Vite. The
// template asks for @builder.io/qwik ^1.20.2, which the registry does not have yet: 1.20.1,
// whose peer range stops below vite 8 (hence --legacy-peer-deps), runs it the same.
describe('qwik-ts: vite-plugin-qwik (segments by this.load, its own full reloads)', { skip, concurrency: false }, () => {
  let app, tab;
  const QWIK = { dependencies: { '@builder.io/qwik': '1.20.1' }, npmArgs: ['--legacy-peer-deps'] };
  const edit = (...replacements) => editFile(app.file('src/app.tsx'), ...replacements);
  const heading = () => document.querySelector('h1')?.textContent ?? null;

  before(async () => {
    app = await StarterApp.start('qwik-ts', QWIK);
    tab = await Tab.open(browser, app.url);
    await tab.untilLog('[hmr] connected');
  });

  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  test('renders, and the counter (a segment loaded on the first click) counts three clicks', async () => {
    await tab.until(() => document.querySelector('h1')?.textContent === 'Get started');
    for (let i = 0; i < 3; i++) await tab.page.click('button.counter');
    await tab.until(() => document.querySelector('button.counter').textContent.trim() === 'Count is 3');
    assert.deepEqual(tab.log.filter((l) => l.startsWith('[pageerror]') || /\[hmr\] error/.test(l)), []);
  });

  test("an edit reloads the page once, with the component's new segments", async () => {
    const navs = tab.navigations;
    const from = tab.mark();
    edit('<h1>Get started</h1>', '<h1>Get started with hotloop</h1>');
    await tab.until(() => document.querySelector('h1')?.textContent === 'Get started with hotloop');
    await tab.untilLog('[hmr] connected', { from });
    assert.equal(tab.navigations, navs + 1, 'one reload (the plugin asked for it with the edit)');
    await tab.page.click('button.counter');
    await tab.until(() => document.querySelector('button.counter').textContent.trim() === 'Count is 1');
  });

  test('a syntax error shows the plugin, file, line and code frame once, keeps the page; the fix clears it', async () => {
    const navs = tab.navigations;
    const from = tab.mark();
    const marker = 'const = useSignal(0)';
    edit('const count = useSignal(0)', marker);
    await tab.untilLog(/^\[hmr\] error \/src\/app\.tsx:\d+:\d+/, { from });
    const overlay = await tab.until(visibleOverlay);
    const line = fs.readFileSync(app.file('src/app.tsx'), 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
    assert.match(overlay, new RegExp(`/src/app\\.tsx:${line}:\\d+`));
    assert.match(overlay, /\[plugin vite-plugin-qwik\]/);
    assert.match(overlay, /^1 error/, 'the segments failing with their component are one problem');
    assert.equal(tab.navigations, navs, 'no reload while broken');
    assert.equal(await tab.page.evaluate(heading), 'Get started with hotloop', 'the last good page');
    const fixed = tab.mark();
    edit(marker, 'const count = useSignal(0)');
    // The fix reloads the page (the plugin's choice, as under Vite) with the segments that
    // failed with the component compiled again.
    await tab.untilLog('[hmr] connected', { from: fixed });
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    await tab.until(() => document.querySelector('h1')?.textContent === 'Get started with hotloop');
    await tab.page.click('button.counter');
    await tab.until(() => document.querySelector('button.counter').textContent.trim() === 'Count is 1');
    assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[pageerror]')), []);
  });
});
