// Lazy chunks in real headless Chromium against the real `hotloop dev` binary, on a React app
// whose routes are `React.lazy(() => import('./routes/X.jsx'))` (the shape react-router-dom's
// lazy routes take): the page's chunk holds only what the entry reaches statically, each route
// is compiled and fetched when the page first navigates to it, and hot updates reach exactly
// the routes a page has loaded, and only the tabs that loaded them (the WebSocket frames each tab
// receives are recorded by the harness). "No reload" is asserted by a marker the page keeps
// (routes are pushState navigations, which count as main-frame navigations). A second server,
// with one big route, shows the background warm-up cancelled by an edit and going on after.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { Server, Tab, browserAvailable, closeAll, copyFixture, editFile, installPackages, launchBrowser, serveAndOpen, waitFor, writeFile } from './lib/harness.mjs';

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

/** Message ids of the server's frames (hotloop-protocol's wire.rs). */
const UPDATE = 0x02;
const ERRORS = 0x03;
/** An `Errors` message that adds and clears nothing: id, revision u32, two empty lists. */
const REVISION_ONLY_BYTES = 13;

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
    process.env.HMR_LOG = 'warn,hotloop_engine::devloop=info,hotloop::clients=debug';
    ({ server, browser, tab } = await serveAndOpen(root));
    await tab.until(() => document.getElementById('home')?.textContent === 'home');
    await tab.page.evaluate(() => { window.sameDocument = true; });
  });

  after(async () => {
    if (process.env.HOTLOOP_E2E_VERBOSE) console.error(tab?.log.join('\n'));
    await closeAll({ tab, browser, server });
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
    const lines = server.lines.length;
    edit('src/routes/B.jsx', 'route b v1', 'route b v2');
    // The server's output shows it saw the edit without compiling anything for it, before
    // the page asks for the route (an edit that lands while the route loads is the test of
    // react-refresh.test.mjs's "a render begun before a refresh").
    await server.untilLine(/^change: src\/routes\/B\.jsx/, { from: lines });
    await server.untilLine(/^no change: nothing the browser runs changed/, { from: lines });
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

  // The loading race: the engine resends an edit made while the route's chunk was on its way
  // (`Cause::Resend`), then `ChunkSynced`; the page holds the `import()` until then, so React
  // never renders the route's older version (rendered but not yet committed, a refresh could
  // not reach it).
  test('a chunk served before an edit to its modules landed gets that edit once the page loaded it (the loading race)', async () => {
    // The route's chunk is held on its way to the page: fetched from the server now (route f
    // v1), handed to the page only after an edit to F.jsx is built.
    let held;
    const requested = new Promise((resolve) => {
      held = resolve;
    });
    const url = (u) => u.pathname === '/_hotloop/lazy.js' && u.searchParams.get('id') === '/src/routes/F.jsx';
    await tab.page.route(url, (route) => held(route));
    try {
      await navigate('/f');
      const route = await requested;
      const response = await route.fetch();
      const body = await response.text();
      assert.match(body, /route f v1/);
      const edited = server.lines.length;
      edit('src/routes/F.jsx', 'route f v1', 'route f v2');
      await server.untilLine(/^change: src\/routes\/F\.jsx/, { from: edited });
      // Built and published (the report line; "build failed" counts the missing import the
      // fixture keeps): no page has loaded the route, so no page was sent it.
      await server.untilLine(/^(hot update|no change|build failed)( r\d+)?:/, { from: edited });
      // Every text the route shows from now on.
      await tab.page.evaluate(() => {
        window.routeFTexts = [];
        new MutationObserver(() => {
          const el = document.getElementById('route-f');
          if (el) window.routeFTexts.push(el.textContent);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      await route.fulfill({ response, body });
      // The page ran the older chunk's defines, said which snapshot it came from, was sent the
      // edit, then ChunkSynced: the route's first render is the edited one (with the bug, React
      // committed v1 and kept it).
      await tab.until(() => document.getElementById('route-f')?.textContent === 'route f v2 only in f');
      const rendered = await tab.page.evaluate(() => [...new Set(window.routeFTexts)]);
      assert.deepEqual(rendered, ['route f v2 only in f'], 'the route never showed its older version');
      await assertNoReload();
      assert.deepEqual(problems(), []);
    } finally {
      await tab.page.unroute(url);
    }
  });

  test('an edit that lands while React renders a route it just loaded shows (React committed the old version)', async () => {
    // The page evaluated the route's chunk and said so; React renders the route in slices
    // (each row spins), and the edit's update lands between two: the refresh finds nothing
    // committed to re-render, then React commits the version it resolved before the update.
    const loaded = server.lines.length;
    await navigate('/slow');
    await server.untilLine(/^client \d+ loaded the lazy chunk of \/src\/routes\/Slow\.jsx/, { from: loaded });
    const from = tab.mark();
    edit('src/routes/Slow.jsx', 'route slow v1', 'route slow v2');
    await tab.untilLog('[hmr] updated /src/routes/Slow.jsx', { from });
    await tab.until(() => document.getElementById('route-slow')?.textContent === 'route slow v2');
    await assertNoReload();
    assert.deepEqual(problems(), []);
  });

  test('an edit in a route one tab loaded updates that tab in place; the other tab gets no update and sees the edit on its first visit', async () => {
    const other = await Tab.open(browser, server.url + '/');
    try {
      await other.untilLog('[hmr] connected');
      await other.until(() => document.getElementById('home')?.textContent === 'home');
      const loadedLine = server.lines.length;
      await navigate('/e');
      await tab.until(() => document.getElementById('route-e')?.textContent === 'route e v1 only in e');
      // The engine knows this tab loaded the route (the --no-tui log says so).
      await server.untilLine(/^client \d+ loaded the lazy chunk of \/src\/routes\/E\.jsx \(2 modules\)/, { from: loadedLine });
      for (let i = 0; i < 2; i++) await tab.page.click('#count-e');
      await tab.until(() => document.getElementById('count-e').textContent === 'count 2');

      const from = tab.mark();
      const otherFrames = other.frames.length;
      edit('src/routes/E.jsx', 'route e v1', 'route e v2');
      await tab.untilLog('[hmr] updated /src/routes/E.jsx', { from });
      await tab.until(() => document.getElementById('route-e').textContent === 'route e v2 only in e');
      assert.equal(await tab.text('#count-e'), 'count 2', 'state kept');
      await assertNoReload();

      // The other tab heard only that the revision moved: no update frame, nothing applied.
      const sinceEdit = () => other.frames.slice(otherFrames);
      await waitFor(() => sinceEdit().some((f) => f.id === ERRORS && f.bytes === REVISION_ONLY_BYTES), {
        subscribe: (f) => other.subscribe(f),
        describe: () => `the revision-only frame; frames: ${JSON.stringify(sinceEdit())}`,
      });
      assert.deepEqual(sinceEdit().filter((f) => f.id === UPDATE), [], 'no update frame');
      assert.deepEqual(other.log.filter((l) => l.startsWith('[hmr] updated')), [], 'no update applied');

      // Its first visit shows the edited route.
      await other.page.evaluate(() => window.navigate('/e'));
      await other.until(() => document.getElementById('route-e')?.textContent === 'route e v2 only in e');
      assert.equal(await other.page.evaluate(() => window.sameDocument), undefined, 'a tab of its own');
      assert.deepEqual(other.log.filter((l) => l.startsWith('[pageerror]') || l.startsWith('[hmr] updated')), []);
    } finally {
      await other.close();
    }
  });

  // Last: the page reloads. React.lazy keeps the rejected import() of a module that failed to
  // load (an error boundary shows it), so the fix of that module reloads the page, as under
  // Vite; a hot update of it would leave the error on screen with the overlay closed.
  test('a lazy route that failed on an import of a missing file: creating the file reloads the page, which renders the route', async () => {
    await navigate('/needs-helper');
    await tab.until(() => document.getElementById('route-error')?.textContent.includes("'./helper.js'"));
    const from = tab.mark();
    writeFile(file('src/routes/helper.js'), "export const helper = 'helper here';\n");
    await tab.untilLog('[hmr] full reload: a module that an import() failed to load has new code', { from });
    await tab.until(() => document.getElementById('route-needs-helper')?.textContent === 'needs helper here');
    assert.equal(await tab.page.evaluate(() => window.sameDocument), undefined, 'the page reloaded');
  });
});

describe('the background warm-up in the browser', { skip, concurrency: false }, () => {
  const BIG = 1500;
  let root, server, browser, tab;

  before(async () => {
    root = copyFixture('lazy');
    installPackages(root, ['react', 'react-dom', 'scheduler']);
    // One route of many modules: its background compile takes long enough for an edit to land in it.
    const imports = [];
    for (let i = 0; i < BIG; i++) {
      writeFile(path.join(root, `src/big/m${i}.js`), `export const v${i} = 'big module ${i}';\n`);
      imports.push(`import { v${i} } from '../big/m${i}.js';`);
    }
    const sum = Array.from({ length: BIG }, (_, i) => `v${i}.length`).join(' + ');
    writeFile(
      path.join(root, 'src/routes/Big.jsx'),
      `${imports.join('\n')}\nexport default function Big() { return <p id="big">{${sum}}</p>; }\n`,
    );
    editFile(path.join(root, 'src/App.jsx'), "'/b': lazy", "'/big': lazy(() => import('./routes/Big.jsx')),\n  '/b': lazy");
    process.env.HMR_LOG = 'warn,hotloop_engine::devloop=info,hotloop::clients=debug';
    server = await Server.start(root);
    browser = await launchBrowser();
  });

  after(async () => {
    if (process.env.HOTLOOP_E2E_VERBOSE) console.error(tab?.log.join('\n'));
    await closeAll({ tab, browser, server });
  });

  test('an edit made while the warm-up runs cancels it; the route shows the edit on its first visit; the warm-up then goes through', async () => {
    const started = server.lines.length;
    tab = await Tab.open(browser, server.url + '/');
    await tab.untilLog('[hmr] connected');
    // The page connected: the lazy chunks compile in the background.
    await server.untilLine(/compiling \d+ lazy chunks in the background/, { from: started });
    const edited = server.lines.length;
    editFile(path.join(root, 'src/routes/B.jsx'), 'route b v1', 'route b v2');
    await server.untilLine(/the background compile of \d+ lazy chunks was cancelled by a change/, { from: edited });
    await server.untilLine(/^change: src\/routes\/B\.jsx/, { from: edited });
    await tab.page.evaluate(() => window.navigate('/b'));
    await tab.until(() => document.getElementById('route-b')?.textContent === 'route b v2');
    await server.untilLine(/compiled \d+ lazy chunks in the background/, { from: edited, timeout: 120_000 });
    assert.deepEqual(tab.log.filter((l) => l.startsWith('[pageerror]')), []);
  });

  test('a big route comes in parts the page loads at once; an edit in it is a hot update', async () => {
    const pieces = () => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.startsWith('/_hotloop/piece/'));
    await tab.page.evaluate(() => performance.clearResourceTimings());
    const sum = (edited) => Array.from({ length: BIG }, (_, i) => `big module ${i}`.length).reduce((a, b) => a + b, 0) + edited;
    await tab.page.evaluate(() => window.navigate('/big'));
    await tab.until((want) => document.getElementById('big')?.textContent === want, String(sum(0)));
    assert.ok((await tab.page.evaluate(pieces)).length >= 2, 'the chunk came in parts');
    const from = tab.mark();
    editFile(path.join(root, 'src/big/m7.js'), "'big module 7'", "'big module 7, edited'");
    await tab.untilLog('[hmr] updated', { from });
    await tab.until((want) => document.getElementById('big')?.textContent === want, String(sum(', edited'.length)));
    assert.deepEqual(tab.log.filter((l) => l.startsWith('[pageerror]')), []);
  });
});
