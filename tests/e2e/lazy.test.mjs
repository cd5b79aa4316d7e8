// Lazy chunks in real headless Chromium against the real `hotloop dev` binary, on a React app
// whose routes are `React.lazy(() => import('./routes/X.jsx'))` (the shape react-router-dom's
// lazy routes take): the page's chunk holds only what the entry reaches statically, each route
// is compiled and fetched when the page first navigates to it, and hot updates reach exactly
// the routes a page has loaded. "No reload" is asserted by a marker the page keeps (routes are
// pushState navigations, which count as main-frame navigations).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { Server, Tab, browserAvailable, copyFixture, editFile, installPackages, launchBrowser } from './lib/harness.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

/** The lazy chunks the page fetched, as their module ids, in order. */
const lazyFetches = () =>
  performance
    .getEntriesByType('resource')
    .map((e) => new URL(e.name))
    .filter((u) => u.pathname === '/_hotloop/lazy.js')
    .map((u) => u.searchParams.get('id'));

const overlayText = () => {
  const overlay = document.querySelector('hotloop-error-overlay');
  if (overlay === null || overlay.hidden || overlay.style.display === 'none') return null;
  return (overlay.shadowRoot ?? overlay).textContent;
};

const overlayHidden = () => {
  const overlay = document.querySelector('hotloop-error-overlay');
  return overlay === null || overlay.hidden || overlay.style.display === 'none';
};

describe('lazy routes in the browser', { skip, concurrency: false }, () => {
  let root, server, browser, tab;
  const file = (rel) => path.join(root, rel);
  const edit = (rel, ...replacements) => editFile(file(rel), ...replacements);
  const navigate = (to) => tab.page.evaluate((p) => window.navigate(p), to);
  const assertNoReload = async () => assert.equal(await tab.page.evaluate(() => window.sameDocument), true, 'no reload');
  const problems = () => tab.log.filter((l) => l.startsWith('[pageerror]') || /failed to update|internal error/.test(l));

  before(async () => {
    root = copyFixture('lazy');
    installPackages(root, ['react', 'react-dom', 'scheduler']);
    // The background warm-up says when it went through every lazy chunk (an info line).
    process.env.HMR_LOG = 'warn,hotloop_engine::devloop=info';
    server = await Server.start(root);
    browser = await launchBrowser();
    tab = await Tab.open(browser, server.url + '/');
    await tab.untilLog('[hmr] connected');
    await tab.until(() => document.getElementById('home')?.textContent === 'home');
    await tab.page.evaluate(() => { window.sameDocument = true; });
  });

  after(async () => {
    if (process.env.HOTLOOP_E2E_VERBOSE) console.error(tab?.log.join('\n'));
    await tab?.close();
    await browser?.close();
    await server?.stop();
  });

  test('the first page gets only what its entry reaches statically', async () => {
    const chunk = await (await fetch(server.url + '/_hotloop/chunk.js')).text();
    assert.match(chunk, /__hotloop\.define\("\/src\/App\.jsx"/);
    assert.doesNotMatch(chunk, /__hotloop\.define\("\/src\/routes\//);
    assert.doesNotMatch(chunk, /__hotloop\.define\("\/src\/shared\//);
    assert.deepEqual(await tab.page.evaluate(lazyFetches), []);
    assert.equal(await tab.page.evaluate(() => window.sharedEvaluations), undefined);
  });

  test('after the first render, the lazy chunks are compiled in the background', async () => {
    await server.untilLine(/compiled \d+ lazy chunks in the background/);
  });

  test('a route is compiled and loaded when the page navigates to it', async () => {
    await navigate('/a');
    await tab.until(() => document.getElementById('route-a')?.textContent === 'route a v1 only in a');
    assert.equal(await tab.text('#label-a'), 'label v1');
    assert.deepEqual(await tab.page.evaluate(lazyFetches), ['/src/routes/A.jsx']);
    assert.equal(await tab.page.evaluate(() => window.sharedEvaluations), 1);
  });

  test('an edit in a loaded route is a Fast Refresh update that keeps its state', async () => {
    for (let i = 0; i < 3; i++) await tab.page.click('#count-a');
    await tab.until(() => document.getElementById('count-a').textContent === 'count 3');
    const from = tab.mark();
    edit('src/routes/A.jsx', 'route a v1', 'route a v2');
    await tab.untilLog('[hmr] updated /src/routes/A.jsx', { from });
    await tab.until(() => document.getElementById('route-a').textContent === 'route a v2 only in a');
    assert.equal(await tab.text('#count-a'), 'count 3', 'state kept');
    await assertNoReload();
  });

  test('an edit to a module shared by a loaded and an unvisited route is one update; the other gets it on its first visit', async () => {
    const from = tab.mark();
    edit('src/shared/label.js', 'label v1', 'label v2');
    // The route that imports it is the Fast Refresh boundary.
    await tab.untilLog('[hmr] updated /src/routes/A.jsx', { from });
    await tab.until(() => document.getElementById('label-a').textContent === 'label v2');
    assert.equal(tab.log.slice(from).filter((l) => l.startsWith('[hmr] updated')).length, 1);
    await navigate('/d');
    await tab.until(() => document.getElementById('label-d')?.textContent === 'label v2');
    await assertNoReload();
  });

  test('an edit to a route no page has visited shows on its first visit; a module two routes share runs once', async () => {
    const from = tab.mark();
    edit('src/routes/B.jsx', 'route b v1', 'route b v2');
    // The server's output shows it saw the edit without compiling anything for it.
    await navigate('/b');
    await tab.until(() => document.getElementById('route-b')?.textContent === 'route b v2');
    assert.equal(await tab.page.evaluate(() => window.sharedEvaluations), 1, 'shared.jsx evaluated once');
    assert.equal(await tab.page.evaluate(() => document.querySelectorAll('.shared').length), 1);
    assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[hmr] updated')), [], 'no update for an unloaded route');
  });

  test('a lazy chunk that uses import() itself loads its own lazy chunk', async () => {
    await navigate('/nested');
    await tab.until(() => document.getElementById('inner')?.textContent === 'inner route');
    const fetched = await tab.page.evaluate(lazyFetches);
    assert.deepEqual(fetched.slice(-2), ['/src/routes/Nested.jsx', '/src/routes/Inner.jsx']);
  });

  test('a lazy import.meta.glob loads each match when it is called', async () => {
    assert.equal(await tab.page.evaluate(() => window.loadPage('about')), 'about page');
    const fetched = await tab.page.evaluate(lazyFetches);
    assert.equal(fetched.at(-1), '/src/pages/about.js');
    assert.ok(!fetched.includes('/src/pages/contact.js'), 'the other match is not loaded');
  });

  test('a variable import() loads the chunk of the file it names', async () => {
    assert.equal(await tab.page.evaluate(() => window.loadVariable('contact')), 'contact page');
    assert.equal((await tab.page.evaluate(lazyFetches)).at(-1), '/src/pages/contact.js');
    const message = await tab.page.evaluate(() => window.loadVariable('nope').then(() => 'resolved', (err) => err.message));
    assert.match(message, /Unknown variable dynamic import: '\.\/pages\/nope\.js'/);
  });

  test('a syntax error in a lazy route shows in the overlay when it is requested; the fix applies without a reload', async () => {
    assert.equal(await tab.page.evaluate(overlayText), null);
    await navigate('/broken');
    await tab.until(() => document.getElementById('route-error')?.textContent.includes('/src/routes/Broken.jsx'));
    const overlay = await tab.until(overlayText);
    assert.match(overlay, /Broken\.jsx/);
    assert.equal(await tab.text('#title'), 'lazy routes', 'the rest of the page runs');
    const from = tab.mark();
    edit('src/routes/Broken.jsx', 'export const oops = ;', 'export const oops = 1;');
    await tab.untilLog('[hmr] updated', { from });
    await tab.until(() => document.getElementById('route-broken')?.textContent === 'broken route');
    await tab.until(overlayHidden);
    await assertNoReload();
  });

  test('an import() of a missing file rejects naming the file and the importer; the overlay shows it; the page runs on', async () => {
    const message = await tab.page.evaluate(() => window.tryMissing().then(() => 'resolved', (err) => err.message));
    assert.match(message, /'\.\/does-not-exist\.js'/);
    assert.match(message, /\/src\/missing-importer\.js/);
    const overlay = await tab.until(overlayText);
    assert.match(overlay, /does-not-exist\.js/);
    await navigate('/a');
    await tab.until(() => document.getElementById('route-a')?.textContent === 'route a v2 only in a');
    assert.deepEqual(problems(), []);
  });
});
