// A multi-page app in real headless Chromium against the real `hotloop dev` binary:
// `index.html`, `about.html` (a linked stylesheet, a counter), `nested/index.html` (a relative
// entry) and `strict.html` (a CSP that forbids inline scripts and eval: its updates load as
// scripts), each opened in its own tab. Each page runs its own entries (not `index.html`'s), `/about` and `/nested/` answer as
// under Vite, and hot updates reach the tabs that run the edited module: an edit to about's
// entry updates the about tab alone, keeping its count, and one no module accepts reloads the
// about tab alone; one to a module every page shares updates all three (strict.html, closed by
// then, has an entry that accepts nothing: it reloads no tab); the linked sheet is swapped in
// place; a syntax error shows in the overlay and its fix clears it; an edit of the page's HTML
// reloads that page alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { Server, Tab, browserAvailable, copyFixture, editFile, launchBrowser, overlayText, tempDir, waitFor, writeFile } from './lib/harness.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

/**
 * A project of `files` (path → text) in a temp dir, served, with a tab on its page: `file(rel)`
 * its paths, `close()` the tab, its browser and the server.
 */
async function openProject(name, files) {
  const root = tempDir(name);
  const file = (rel) => path.join(root, rel);
  for (const [rel, text] of Object.entries(files)) writeFile(file(rel), text);
  const server = await Server.start(root);
  const browser = await launchBrowser();
  const tab = await Tab.open(browser, server.url + '/');
  return {
    file,
    tab,
    async close() {
      await tab.close();
      await browser.close();
      await server.stop();
    },
  };
}

/** Message ids of the server's frames (hotloop-protocol's wire.rs). */
const UPDATE = 0x02;
const ERRORS = 0x03;
/** An `Errors` message that adds and clears nothing: id, revision u32, two empty lists. */
const REVISION_ONLY_BYTES = 13;

/** The page's error overlay is there and shown. */
function overlayShown() {
  const overlay = document.querySelector('hotloop-error-overlay');
  return overlay !== null && !overlay.hidden && overlay.style.display !== 'none';
}

describe('a multi-page app in the browser', { skip, concurrency: false }, () => {
  let root, server, browser, home, about, nested;
  const file = (rel) => path.join(root, rel);
  const edit = (rel, ...replacements) => editFile(file(rel), ...replacements);
  const updates = (tab) => tab.frames.filter((f) => f.id === UPDATE).length;
  const titleColor = () => getComputedStyle(document.getElementById('title')).color;

  before(async () => {
    root = copyFixture('pages');
    server = await Server.start(root);
    browser = await launchBrowser();
    home = await Tab.open(browser, server.url + '/');
    await home.untilLog('[hmr] connected');
  });

  after(async () => {
    if (process.env.HOTLOOP_E2E_VERBOSE) {
      for (const tab of [home, about, nested]) console.error(tab?.log.join('\n'));
    }
    for (const tab of [home, about, nested]) await tab?.close();
    await browser?.close();
    await server?.stop();
  });

  test('another page runs its own entry, with its linked stylesheet compiled', async () => {
    about = await Tab.open(browser, server.url + '/about.html');
    await about.untilLog('[hmr] connected');
    await about.until(() => document.getElementById('about').textContent === 'about v1 shared v1');
    assert.equal(await about.page.evaluate(titleColor), 'rgb(255, 0, 0)');
    assert.equal(await about.page.evaluate(() => window.mainRuns), undefined, "index.html's entry did not run");
    assert.equal(await home.text('#home'), 'home shared v1');
    assert.equal(await home.page.evaluate(() => window.mainRuns), 1);
    for (let i = 0; i < 3; i++) await about.page.click('#count');
    assert.equal(await about.text('#count'), '3');
  });

  test('pages answer without their extension, nested ones with relative entries', async () => {
    nested = await Tab.open(browser, server.url + '/nested/');
    await nested.untilLog('[hmr] connected');
    await nested.until(() => document.getElementById('nested').textContent === 'nested shared v1');
    // A page whose CSP forbids inline scripts runs its own entries too.
    const strict = await Tab.open(browser, server.url + '/strict.html');
    try {
      await strict.until(() => document.getElementById('strict').textContent === 'strict shared v1');
      assert.equal(await strict.text('#plain'), 'plain shared v1');
      assert.equal(await strict.page.evaluate(() => window.mainRuns), undefined, "index.html's entry did not run");
      // Nor may an update's code be made there with eval: it loads as scripts of the page's
      // origin, which the policy allows, and updates the page in place (twice: the second
      // goes straight to scripts).
      await strict.untilLog('[hmr] connected');
      const navs = strict.navigations;
      await strict.page.evaluate(() => {
        window.kept = 'state';
      });
      edit('src/strict.js', '`strict ${label}`', '`strict! ${label}`');
      await strict.until(() => document.getElementById('strict')?.textContent === 'strict! shared v1');
      edit('src/strict.js', '`strict! ${label}`', '`strict!! ${label}`');
      await strict.until(() => document.getElementById('strict')?.textContent === 'strict!! shared v1');
      assert.equal(strict.navigations, navs, 'not reloaded');
      assert.equal(await strict.page.evaluate(() => window.kept), 'state');
      assert.ok(!strict.log.some((l) => l.includes('failed to update')), strict.log.join('\n'));
    } finally {
      await strict.close();
    }
    const page = await fetch(server.url + '/about', { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<meta name="hotloop-page-entries" content="\[&quot;\/src\/about\.js&quot;,&quot;\/src\/about-extra\.js&quot;\]">/);
  });

  test("an edit to a page's own module updates that page alone, its state kept", async () => {
    const [homeUpdates, nestedUpdates] = [updates(home), updates(nested)];
    const navs = about.navigations;
    const from = about.mark();
    edit('src/greeting.js', 'about v1', 'about v2');
    await about.untilLog('[hmr] updated /src/about.js', { from });
    await about.until(() => document.getElementById('about').textContent === 'about v2 shared v1');
    assert.equal(await about.text('#count'), '3', 'count kept');
    assert.equal(about.navigations, navs, 'no reload');
    assert.equal(updates(home), homeUpdates, 'the home tab got no update');
    assert.equal(updates(nested), nestedUpdates, 'the nested tab got no update');
  });

  test('an edit no module of the page accepts reloads the tabs that run it alone', async () => {
    await about.until(() => document.getElementById('extra').textContent === 'extra v1');
    const navs = about.navigations;
    const others = [home.navigations, nested.navigations];
    edit('src/about-extra.js', "'extra v1'", "'extra v2'");
    await about.until(() => document.getElementById('extra')?.textContent === 'extra v2');
    assert.ok(about.navigations > navs, 'reloaded');
    await about.until(() => document.getElementById('about')?.textContent === 'about v2 shared v1');
    assert.deepEqual([home.navigations, nested.navigations], others, 'the other pages did not reload');
    for (let i = 0; i < 3; i++) await about.page.click('#count');
  });

  test('an edit to a module every page shares updates every tab (and no page no tab shows)', async () => {
    const navs = [home.navigations, about.navigations, nested.navigations];
    const homeUpdates = updates(home);
    edit('src/shared.js', 'shared v1', 'shared v2');
    await home.until(() => document.getElementById('home').textContent === 'home shared v2');
    assert.equal(updates(home), homeUpdates + 1, 'one update frame');
    await about.until(() => document.getElementById('about').textContent === 'about v2 shared v2');
    await nested.until(() => document.getElementById('nested').textContent === 'nested shared v2');
    assert.deepEqual([home.navigations, about.navigations, nested.navigations], navs, 'no reload');
    assert.equal(await about.text('#count'), '3');
  });

  test("the page's linked stylesheet is swapped in place", async () => {
    const navs = about.navigations;
    edit('src/about.css', 'rgb(255, 0, 0)', 'rgb(0, 0, 255)');
    await about.until((color) => getComputedStyle(document.getElementById('title')).color === color, 'rgb(0, 0, 255)');
    assert.equal(about.navigations, navs, 'no reload');
  });

  test('a syntax error in the page shows in its overlay, and the fix clears it', async () => {
    const navs = about.navigations;
    edit('src/about.js', '`${greeting} ${label}`', '`${greeting} ${label}` +');
    const shown = await about.until(overlayText);
    assert.match(shown, /src\/about\.js/);
    assert.equal(await about.text('#about'), 'about v2 shared v2', 'the last good state stays');
    edit('src/about.js', '`${greeting} ${label}` +', '`${greeting}, ${label}`');
    await about.until(() => document.getElementById('about').textContent === 'about v2, shared v2');
    await about.until(() => {
      const overlay = document.querySelector('hotloop-error-overlay');
      return overlay === null || overlay.hidden || overlay.style.display === 'none';
    });
    assert.equal(about.navigations, navs, 'no reload');
  });

  test("a syntax error in a module only index.html runs shows on its tab, not on another page's", async () => {
    const from = about.mark();
    edit('src/main.js', '`home ${label}`', '`home ${label}` +');
    assert.match(await home.until(overlayText), /src\/main\.js/);
    // The about tab heard of it (its chunk defines index.html's modules, never runs them) and
    // keeps it out of its overlay.
    await about.untilLog('[hmr] error in /src/main.js, which only other pages run: not shown here', { from });
    assert.equal(await about.page.evaluate(overlayShown), false);
    edit('src/main.js', '`home ${label}` +', '`home ${label}`');
    await home.until(() => !document.querySelector('hotloop-error-overlay') || document.querySelector('hotloop-error-overlay').hidden || document.querySelector('hotloop-error-overlay').style.display === 'none');
    assert.equal(await about.page.evaluate(overlayShown), false);
  });

  test("an edit of the page's HTML reloads that page alone into the new page", async () => {
    const navs = about.navigations;
    const others = [home.navigations, nested.navigations];
    const homeFrames = home.frames.length;
    for (const tab of [home, nested]) await tab.page.evaluate(() => { window.sameDocument = true; });
    edit('about.html', '<h1 id="title">About</h1>', '<h1 id="title">About us</h1>');
    await about.until(() => document.getElementById('title')?.textContent === 'About us');
    assert.ok(about.navigations > navs, 'reloaded');
    await about.until(() => document.getElementById('about').textContent === 'about v2, shared v2');
    assert.ok(about.log.some((l) => l.includes('full reload: about.html changed')), about.log.join('\n'));
    // The other tabs heard of the revision (its errors message, with nothing in it) and kept
    // running.
    await waitFor(() => home.frames.slice(homeFrames).some((f) => f.id === ERRORS && f.bytes === REVISION_ONLY_BYTES), {
      subscribe: (f) => home.subscribe(f),
      describe: () => `a revision-only message; frames: ${JSON.stringify(home.frames.slice(homeFrames))}`,
    });
    assert.deepEqual([home.navigations, nested.navigations], others, 'the other pages did not reload');
    for (const tab of [home, nested]) assert.equal(await tab.page.evaluate(() => window.sameDocument), true);
  });
});

// Vite's `html.cspNonce`: a page whose Content-Security-Policy allows only scripts and styles
// that carry its nonce (no `'self'`, no eval, no inline code) runs, styles and hot-updates in
// place, and shows the overlay, with no violation reported.
describe("a page whose CSP allows only the config's nonce", { skip, concurrency: false }, () => {
  let project, file, tab;

  before(async () => {
    project = await openProject('nonce', {
      'index.html': [
        '<!doctype html><html><head><meta charset="utf-8">',
        `<meta http-equiv="Content-Security-Policy" content="script-src 'nonce-e2e-n0nce'; style-src 'nonce-e2e-n0nce'">`,
        '</head><body><p id="out"></p><script type="module" src="/src/main.js"></script></body></html>',
        '',
      ].join('\n'),
      'src/main.js': [
        "import './app.css';",
        "import { label } from './label.js';",
        "document.getElementById('out').textContent = label;",
        'import.meta.hot.accept();',
        '',
      ].join('\n'),
      'src/label.js': "export const label = 'nonce v1';\n",
      'src/app.css': '#out { color: rgb(255, 0, 0); }\n',
      // Plain data: read without Node.
      'vite.config.js': "export default { html: { cspNonce: 'e2e-n0nce' } };\n",
    });
    ({ file, tab } = project);
    await tab.untilLog('[hmr] connected');
  });

  after(() => project?.close());

  const outColor = () => getComputedStyle(document.getElementById('out')).color;
  const refused = () => tab.log.filter((l) => /Content Security Policy|Refused to/i.test(l));

  test('runs, styles, hot-updates and shows its overlay under the policy', async () => {
    await tab.until(() => document.getElementById('out')?.textContent === 'nonce v1');
    assert.equal(await tab.page.evaluate(outColor), 'rgb(255, 0, 0)');
    const navs = tab.navigations;
    await tab.page.evaluate(() => { window.kept = 'state'; });
    // An update's code cannot be made with eval here: it loads as scripts with the nonce.
    editFile(file('src/label.js'), 'nonce v1', 'nonce v2');
    await tab.until(() => document.getElementById('out')?.textContent === 'nonce v2');
    editFile(file('src/app.css'), 'rgb(255, 0, 0)', 'rgb(0, 0, 255)');
    await tab.until((color) => getComputedStyle(document.getElementById('out')).color === color, 'rgb(0, 0, 255)');
    editFile(file('src/label.js'), "'nonce v2'", "'nonce v2' +");
    assert.match(await tab.until(overlayText), /src\/label\.js/);
    // The overlay's own styles apply (its sheet carries the nonce): it covers the page.
    assert.equal(
      await tab.page.evaluate(() => getComputedStyle(document.querySelector('hotloop-error-overlay')).position),
      'fixed',
    );
    editFile(file('src/label.js'), "'nonce v2' +", "'nonce v3'");
    await tab.until(() => document.getElementById('out')?.textContent === 'nonce v3');
    assert.equal(tab.navigations, navs, 'not reloaded');
    assert.equal(await tab.page.evaluate(() => window.kept), 'state');
    assert.deepEqual(refused(), [], tab.log.join('\n'));
  });
});

// An inline module script that imports (a relative path, a bare package) is compiled as Vite
// compiles it: an entry of the page in document order, sharing the app's module instances.
describe('an inline module script with imports', { skip, concurrency: false }, () => {
  let project, file, tab;
  const page = (body) => [
    '<!doctype html><html><head><meta charset="utf-8"></head><body><p id="inline"></p><p id="main"></p>',
    '<script type="module">',
    "import { store } from './src/store.js';",
    "import { who } from 'tiny-pkg';",
    body,
    '</script>',
    '<script type="module" src="/src/main.js"></script>',
    '</body></html>',
    '',
  ].join('\n');

  before(async () => {
    project = await openProject('inline', {
      'index.html': page("document.getElementById('inline').textContent = `${who} saw ${store.count}`;"),
      'src/store.js': 'window.storeRuns = (window.storeRuns || 0) + 1;\nexport const store = { count: 0 };\n',
      'src/main.js': "import { store } from './store.js';\nstore.count += 1;\ndocument.getElementById('main').textContent = `main made ${store.count}`;\n",
      'node_modules/tiny-pkg/package.json': '{ "name": "tiny-pkg", "type": "module", "exports": "./index.js" }\n',
      'node_modules/tiny-pkg/index.js': "export const who = 'tiny-pkg';\n",
    });
    ({ file, tab } = project);
    await tab.untilLog('[hmr] connected');
  });

  after(() => project?.close());

  test('runs before the entry after it, with the same module instances', async () => {
    await tab.until(() => document.getElementById('main')?.textContent === 'main made 1');
    assert.equal(await tab.text('#inline'), 'tiny-pkg saw 0');
    assert.equal(await tab.page.evaluate(() => window.storeRuns), 1, 'one instance of the shared module');
    assert.deepEqual(tab.log.filter((l) => /Failed to resolve|pageerror/.test(l)), []);
  });

  test('a syntax error in it is shown at its line in the page, and the fix runs it', async () => {
    writeFile(file('index.html'), page('document.getElementById(\'inline\').textContent = ;'));
    const shown = await tab.until(overlayText);
    assert.match(shown, /index\.html:5:49/);
    writeFile(file('index.html'), page("document.getElementById('inline').textContent = `${who} fixed`;"));
    await tab.until(() => document.getElementById('inline')?.textContent === 'tiny-pkg fixed');
  });
});

// A service worker registered at a TypeScript source's URL (vite-plugin-pwa's `injectManifest`
// in development points its `/dev-sw.js?dev-sw` at one) gets the file compiled with its imports,
// as Vite serves the module there.
describe('a service worker registered at a TypeScript file', { skip, concurrency: false }, () => {
  let project, tab;

  before(async () => {
    project = await openProject('sw-ts', {
      'index.html': '<!doctype html><html><body><p id="out"></p><script type="module" src="/src/main.js"></script></body></html>\n',
      'src/main.js': [
        "const out = document.getElementById('out');",
        "navigator.serviceWorker.addEventListener('message', (event) => { out.textContent = event.data; });",
        "navigator.serviceWorker.register('/src/sw.ts', { type: 'module' })",
        // (Its scope is /src/: the page is not in it, so no `ready`; the worker itself is asked.)
        "  .then((reg) => { const sw = reg.installing || reg.waiting || reg.active; sw.postMessage('ping'); })",
        "  .catch((err) => { out.textContent = 'failed: ' + err.message; });",
        '',
      ].join('\n'),
      'src/sw.ts': [
        "import { cacheName } from './names';",
        'declare const self: { addEventListener(type: string, fn: (e: any) => void): void };',
        "self.addEventListener('message', (event: any) => event.source.postMessage(`pong ${cacheName} ${import.meta.env.MODE}`));",
        '',
      ].join('\n'),
      'src/names.ts': "export const cacheName: string = 'cache-v1';\n",
    });
    ({ tab } = project);
  });

  after(() => project?.close());

  test('registers, runs its imports and answers', async () => {
    await tab.until(() => document.getElementById('out')?.textContent !== '');
    assert.equal(await tab.text('#out'), 'pong cache-v1 development');
  });
});
