// Live HMR in real headless Chromium against the real `hotloop dev` binary: the behaviours
// issue #3 lists, each asserted through the DOM and the runtime's lifecycle log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Server, Tab, browserAvailable, closeAll, copyFixture, editFile, overlayText, recordOverlayTexts, serveAndOpen, tempDir, waitFor, writeFile, writeFileAtomic } from './lib/harness.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

describe('hot updates in the browser', { skip, concurrency: false }, () => {
  let root, server, browser, tab, editorDir;
  const file = (rel) => path.join(root, rel);
  const edit = (rel, from, to) => editFile(file(rel), from, to);

  before(async () => {
    root = copyFixture('plain');
    // The "editor" the overlay's links open: a script that writes what it was called with.
    editorDir = tempDir('editor');
    const editor = path.join(editorDir, 'open-in-editor.sh');
    fs.writeFileSync(editor, '#!/bin/sh\nprintf \'%s\\n\' "$@" > "$(dirname "$0")/opened.tmp" && mv "$(dirname "$0")/opened.tmp" "$(dirname "$0")/opened.txt"\n', { mode: 0o755 });
    ({ server, browser, tab } = await serveAndOpen(root, { env: { LAUNCH_EDITOR: editor } }));
    assert.equal(await tab.text('#leaf'), 'leaf v1');
  });

  after(async () => {
    await closeAll({ tab, browser, server });
  });

  test('a self-accepting leaf updates the DOM without a reload', async () => {
    const from = tab.mark();
    const navs = tab.navigations;
    edit('src/leaf.js', 'leaf v1', 'leaf v2');
    await tab.untilLog('[hmr] updated /src/leaf.js', { from });
    await tab.until(() => document.getElementById('leaf').textContent === 'leaf v2');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('hot.data survives and dispose runs before re-evaluation', async () => {
    const navs = tab.navigations;
    for (let i = 0; i < 3; i++) await tab.page.click('#inc');
    assert.equal(await tab.text('#count'), '3');
    const from = tab.mark();
    edit('src/counter.js', 'label v1', 'label v2');
    await tab.untilLog('[hmr] updated /src/counter.js', { from });
    await tab.until(() => document.getElementById('counter-label').textContent === 'label v2');
    assert.equal(await tab.text('#count'), '3', 'count kept through hot.data');
    assert.equal(await tab.page.evaluate(() => document.body.dataset.disposals), '1');
    await tab.page.click('#inc');
    assert.equal(await tab.text('#count'), '4', 'exactly one click handler after the update');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('an edit two importers below an accepting module re-evaluates the middle module', async () => {
    const from = tab.mark();
    edit('src/child.js', 'child v1', 'child v2');
    await tab.untilLog('[hmr] updated /src/parent.js', { from });
    await tab.until(() => document.getElementById('parent').textContent === '[child v2]');
    assert.equal(await tab.page.evaluate(() => document.body.dataset.acceptCalls), '1');
  });

  test('an edit with no boundary up to the entry reloads and says why', async () => {
    const from = tab.mark();
    const navs = tab.navigations;
    edit('src/root-only.js', 'root v1', 'root v2');
    await tab.untilLog(/^\[hmr\] full reload: .*root-only\.js/, { from });
    await tab.until(() => document.getElementById('root-only').textContent === 'root v2');
    assert.ok(tab.navigations > navs, 'the page reloaded');
    await tab.untilLog('[hmr] connected', { from });
  });

  test('a reload takes the runtime from the browser cache without asking the server', async () => {
    const from = tab.mark();
    await tab.page.reload();
    await tab.untilLog('[hmr] connected', { from });
    const runtime = await tab.page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname === '/_hotloop/runtime.js')
      .map((e) => ({ url: e.name, transferSize: e.transferSize })));
    assert.equal(runtime.length, 1, JSON.stringify(runtime));
    assert.match(runtime[0].url, /\/_hotloop\/runtime\.js\?v=[0-9a-f]{16}$/, 'the page names the runtime by its version');
    // 0: from the cache, no request (a revalidation's 304 would count its headers).
    assert.equal(runtime[0].transferSize, 0, JSON.stringify(runtime));
  });

  test('.env variables reach import.meta.env, an edit reloads with the new value, the rest stays private', async () => {
    assert.equal(await tab.text('#env'), 'hello from .env');
    const exposed = await tab.page.evaluate(async () => ({
      chunk: await (await fetch('/_hotloop/chunk.js')).text(),
      dotenv: (await fetch('/.env')).status,
    }));
    assert.ok(!exposed.chunk.includes('s3cret-value'), 'an unprefixed variable reached the page');
    assert.notEqual(exposed.dotenv, 200, '.env itself is not served');
    const from = tab.mark();
    edit('.env', 'hello from .env', 'hello again');
    await tab.untilLog(/^\[hmr\] full reload: \/\.env changed/, { from });
    await tab.until(() => document.getElementById('env').textContent === 'hello again');
    await tab.untilLog('[hmr] connected', { from });
  });

  test('removing an import runs prune on the removed module', async () => {
    const from = tab.mark();
    writeFile(file('src/pruner.js'), "document.getElementById('pruner').textContent = 'without pruned';\nimport.meta.hot.accept();\n");
    await tab.untilLog('[hmr] updated /src/pruner.js', { from });
    await tab.until(() => document.getElementById('pruner').textContent === 'without pruned');
    await tab.until(() => document.body.dataset.pruned === 'yes');
  });

  test('invalidate() propagates to the importer that accepts the module', async () => {
    const from = tab.mark();
    const navs = tab.navigations;
    edit('src/invalidator.js', 'inv v1', 'inv v2');
    await tab.until(() => document.getElementById('inv').textContent === 'inv v2');
    await tab.untilLog('[hmr] updated /src/inv-parent.js', { from });
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('decline() is a no-op as in Vite: the accepting importer takes the update, no reload', async () => {
    const navs = tab.navigations;
    assert.equal(await tab.text('#declined'), 'declined v1');
    const from = tab.mark();
    edit('src/declining.js', 'declined v1', 'declined v2');
    await tab.until(() => document.getElementById('declined').textContent === 'declined v2');
    await tab.untilLog('[hmr] updated /src/decline-parent.js', { from });
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a syntax error shows the overlay, keeps the page, and the fix clears it', async () => {
    const navs = tab.navigations;
    const count = await tab.text('#count');
    let from = tab.mark();
    edit('src/leaf.js', "textContent = 'leaf v2';", "textContent = ('leaf v3';");
    await tab.untilLog(/^\[hmr\] error \/src\/leaf\.js:1:\d+/, { from });
    const overlay = await tab.until(() => {
      const el = document.querySelector('hotloop-error-overlay');
      return el && el.shadowRoot && el.shadowRoot.textContent;
    });
    assert.match(overlay, /leaf\.js/);
    assert.match(overlay, /1 \|/, 'a code frame is shown');
    // The file's place opens in the developer's editor (LAUNCH_EDITOR: file, line, column).
    const place = await tab.page.evaluate(() => {
      const link = document.querySelector('hotloop-error-overlay').shadowRoot.querySelector('a.file');
      link.click();
      return link.textContent;
    });
    const [, line, column] = place.match(/^\/src\/leaf\.js:(\d+):(\d+)$/);
    const opened = path.join(editorDir, 'opened.txt');
    const args = await waitFor(() => fs.existsSync(opened) && fs.readFileSync(opened, 'utf8').trim().split('\n'), {
      subscribe: (check) => { const w = fs.watch(editorDir, check); return () => w.close(); },
      describe: () => `the editor was not started for ${place}`,
    });
    assert.deepEqual(args, [fs.realpathSync(file('src/leaf.js')), line, column]);
    assert.equal(tab.navigations, navs, 'the click does not navigate');
    assert.equal(await tab.text('#leaf'), 'leaf v2', 'last good state kept');
    assert.equal(await tab.text('#count'), count);
    from = tab.mark();
    edit('src/leaf.js', "textContent = ('leaf v3';", "textContent = 'leaf v4';");
    await tab.untilLog('[hmr] updated /src/leaf.js', { from });
    await tab.until(() => document.getElementById('leaf').textContent === 'leaf v4');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a page whose module never compiled shows the build error, at no moment the missing module, and starts on the fix', async () => {
    // Another server, on a copy whose leaf is broken from the start (no last good version).
    const broken = copyFixture('plain');
    editFile(path.join(broken, 'src/leaf.js'), "textContent = 'leaf v1';", "textContent = ('leaf v1';");
    const other = await Server.start(broken);
    let late;
    try {
      late = await Tab.open(browser, other.url + '/', { initScript: recordOverlayTexts });
      await late.untilLog(/^\[hmr\] error \/src\/leaf\.js:1:\d+/);
      assert.match(await late.until(overlayText), /leaf\.js/);
      const shown = await late.page.evaluate(() => window.__overlayTexts);
      assert.ok(shown.length > 0, 'the recorder saw the overlay');
      assert.ok(!shown.some((t) => /not in the page/.test(t)), `the overlay showed the missing module:\n${shown.join('\n---\n')}`);
      // The page never started: the fix starts it (the server reloads it).
      editFile(path.join(broken, 'src/leaf.js'), "textContent = ('leaf v1';", "textContent = 'leaf fixed';");
      await late.until(() => document.getElementById('leaf')?.textContent === 'leaf fixed' && !document.querySelector('hotloop-error-overlay'));
    } finally {
      await late?.close();
      await other.stop();
    }
  });

  test('importing a file type hotloop does not compile names the importer, the line and what handles it', async () => {
    const navs = tab.navigations;
    writeFile(file('src/Widget.vue'), '<template><p>hi</p></template>\n');
    let from = tab.mark();
    edit('src/leaf.js', "document.getElementById('leaf')", "import Widget from './Widget.vue';\nconsole.log(Widget);\ndocument.getElementById('leaf')");
    const overlay = await tab.until(() => {
      const el = document.querySelector('hotloop-error-overlay');
      const text = el && el.shadowRoot && el.shadowRoot.textContent;
      return text && text.includes('Widget.vue') && text;
    });
    assert.match(overlay, /`\.vue` files need `@vitejs\/plugin-vue` in vite\.config/);
    assert.match(overlay, /\/src\/leaf\.js/, 'names the importer');
    assert.match(overlay, /1 \|.*Widget\.vue/, 'a code frame at the import');
    assert.equal(await tab.text('#leaf'), 'leaf v4', 'last good state kept');
    from = tab.mark();
    edit('src/leaf.js', "import Widget from './Widget.vue';\nconsole.log(Widget);\n", '');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    assert.equal(await tab.text('#leaf'), 'leaf v4');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('an export renamed away from its importer shows in the overlay at the import; renaming it back clears it', async () => {
    const navs = tab.navigations;
    const shown = await tab.text('#parent');
    edit('src/child.js', 'export const message', 'export const messsage');
    const overlay = await tab.until(() => {
      const el = document.querySelector('hotloop-error-overlay');
      const text = el && el.shadowRoot && el.shadowRoot.textContent;
      return text && text.includes('does not provide') && text;
    });
    assert.match(overlay, /The requested module '\.\/child\.js' does not provide an export named 'message': it exports 'messsage'/);
    assert.match(overlay, /\/src\/middle\.js/, 'names the importer');
    assert.match(overlay, /1 \|.*import \{ message \} from '\.\/child\.js'/, 'a code frame at the import');
    assert.equal(await tab.text('#parent'), shown, 'the renamed module is withheld: the last good state stays');
    const from = tab.mark();
    edit('src/child.js', 'export const messsage', "export const message");
    await tab.untilLog('[hmr] updated /src/parent.js', { from });
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    assert.equal(await tab.text('#parent'), shown);
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test("new URL('./wood.svg', import.meta.url) follows the file: replacing it shows the new one", async () => {
    const navs = tab.navigations;
    const before = await tab.page.evaluate(() => document.getElementById('asset-url').src);
    // The file's own URL, as Vite's (session 50: it carried `?v=<hash>` from the start).
    assert.match(before, /\/src\/wood\.svg$/, 'the file\'s URL');
    assert.equal(await tab.page.evaluate(async (src) => (await fetch(src)).text(), before), fs.readFileSync(file('src/wood.svg'), 'utf8'));
    writeFile(file('src/wood.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="6" height="6"/>\n');
    const after = await tab.until((old) => {
      const src = document.getElementById('asset-url').src;
      return src !== old && src;
    }, before);
    // Saved: a URL the browser has not loaded, so the page shows the new file.
    assert.match(after, /\/src\/wood\.svg\?v=\w+$/);
    await tab.until(() => document.getElementById('asset-url').naturalWidth === 6);
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('an import of a URL is loaded by the browser, and the importer waits for it', async () => {
    assert.equal(await tab.page.evaluate(() => document.body.dataset.urlImport), '42');
  });

  test('a URL that does not load shows in the overlay with its importer; the fix clears it', async () => {
    const navs = tab.navigations;
    const dataUrl = "'data:text/javascript,export const answer = 42;';";
    // Port 9 (discard) refuses the connection at once.
    edit('src/url-import.js', dataUrl, "'http://127.0.0.1:9/answer.js';\nimport.meta.hot.accept();");
    const shown = await tab.until(overlayText);
    assert.match(shown, /Cannot load http:\/\/127\.0\.0\.1:9\/answer\.js imported by \/src\/url-import\.js/);
    edit('src/url-import.js', "'http://127.0.0.1:9/answer.js';", dataUrl);
    await tab.until(() => !document.querySelector('hotloop-error-overlay')?.shadowRoot?.textContent.includes('Cannot load'));
    assert.equal(await tab.page.evaluate(() => document.body.dataset.urlImport), '42');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a CSS edit changes the computed style without a reload', async () => {
    const navs = tab.navigations;
    const color = (id) => tab.page.evaluate((i) => getComputedStyle(document.getElementById(i)).color, id);
    assert.equal(await color('styled'), 'rgb(255, 0, 0)');
    edit('src/style.css', 'rgb(255, 0, 0)', 'rgb(0, 128, 0)');
    await tab.until(() => getComputedStyle(document.getElementById('styled')).color === 'rgb(0, 128, 0)');
    assert.equal(await color('linked'), 'rgb(0, 0, 255)');
    edit('src/linked.css', 'rgb(0, 0, 255)', 'rgb(0, 0, 128)');
    await tab.until(() => getComputedStyle(document.getElementById('linked')).color === 'rgb(0, 0, 128)');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('an edit anywhere in a <link>ed sheet\'s @import chain is swapped in, the importing sheets\' rules kept', async () => {
    const navs = tab.navigations;
    const color = (id) => tab.page.evaluate((i) => getComputedStyle(document.getElementById(i)).color, id);
    assert.equal(await color('linked-leaf'), 'rgb(128, 0, 0)');
    assert.equal(await color('linked-mid'), 'rgb(0, 128, 0)');
    edit('src/linked-leaf.css', 'rgb(128, 0, 0)', 'rgb(64, 0, 0)');
    await tab.until(() => getComputedStyle(document.getElementById('linked-leaf')).color === 'rgb(64, 0, 0)');
    assert.equal(await color('linked-mid'), 'rgb(0, 128, 0)', 'the middle sheet still applies');
    assert.equal(await color('linked'), 'rgb(0, 0, 128)', 'the linked sheet still applies');
    edit('src/linked-mid.css', 'rgb(0, 128, 0)', 'rgb(0, 64, 0)');
    await tab.until(() => getComputedStyle(document.getElementById('linked-mid')).color === 'rgb(0, 64, 0)');
    assert.equal(await color('linked-leaf'), 'rgb(64, 0, 0)', 'the leaf keeps its last edit');
    // Still exactly one linked stylesheet element for the chain (old links removed after swap).
    assert.equal(await tab.page.evaluate(() => document.querySelectorAll('link[rel=stylesheet]').length), 1);
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a ?raw import shows the file\'s text and an edit of the file updates it', async () => {
    const navs = tab.navigations;
    assert.equal(await tab.text('#raw'), 'raw v1');
    const from = tab.mark();
    edit('src/message.txt', 'raw v1', 'raw v2');
    await tab.untilLog('[hmr] updated /src/raw.js', { from });
    await tab.until(() => document.getElementById('raw').textContent === 'raw v2');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('?inline gives a stylesheet\'s text without applying it and an image as a data: URL', async () => {
    const navs = tab.navigations;
    await tab.until(() => {
      const img = document.getElementById('inline-img');
      return img.complete && img.naturalWidth === 24;
    });
    assert.match(await tab.page.evaluate(() => document.getElementById('inline-img').src), /^data:image\/svg\+xml;base64,/);
    const sheet = await tab.text('#inline-css');
    assert.match(sheet, /color: rgb\(1, 2, 3\)/);
    assert.match(sheet, /url\("?\/src\/badge\.svg/, 'relative url() made absolute');
    assert.notEqual(
      await tab.page.evaluate(() => getComputedStyle(document.getElementById('inline-css')).color),
      'rgb(1, 2, 3)',
      'an ?inline stylesheet is not applied',
    );
    const from = tab.mark();
    edit('src/inline.css', 'rgb(1, 2, 3)', 'rgb(4, 5, 6)');
    await tab.untilLog('[hmr] updated /src/raw.js', { from });
    await tab.until(() => document.getElementById('inline-css').textContent.includes('rgb(4, 5, 6)'));
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('import.meta.glob lists the plugins and follows one added, edited and deleted, and its pattern edited', async () => {
    const navs = tab.navigations;
    assert.equal(await tab.text('#glob'), './plugins/alpha.js=alpha ./plugins/beta.js=beta');
    await tab.until(() => document.getElementById('glob').dataset.lazy === 'alpha,beta');

    let from = tab.mark();
    writeFile(file('src/plugins/gamma.js'), "export const name = 'gamma';\n");
    await tab.untilLog('[hmr] updated /src/glob.js', { from });
    await tab.until(() => document.getElementById('glob').textContent ===
      './plugins/alpha.js=alpha ./plugins/beta.js=beta ./plugins/gamma.js=gamma');
    await tab.until(() => document.getElementById('glob').dataset.lazy === 'alpha,beta,gamma');
    // A variable import() reaches the new file; a name no file has is a clear rejection.
    assert.equal(await tab.page.evaluate(() => window.loadPlugin('gamma').then((m) => m.name)), 'gamma');
    assert.equal(await tab.page.evaluate(() => window.loadPluginFromRoot('gamma').then((m) => m.name)), 'gamma');
    assert.match(
      await tab.page.evaluate(() => window.loadPlugin('delta').then(() => 'loaded', (e) => e.message)),
      /^Unknown variable dynamic import: '\.\/plugins\/delta\.js' in \/src\/glob\.js \(the pattern matches \.\/plugins\/alpha\.js, \.\/plugins\/beta\.js, \.\/plugins\/gamma\.js\)$/,
    );

    from = tab.mark();
    edit('src/plugins/beta.js', "'beta'", "'beta 2'");
    await tab.untilLog('[hmr] updated /src/glob.js', { from });
    await tab.until(() => document.getElementById('glob').dataset.lazy === 'alpha,beta 2,gamma');

    from = tab.mark();
    fs.rmSync(file('src/plugins/alpha.js'));
    await tab.untilLog('[hmr] updated /src/glob.js', { from });
    await tab.until(() => document.getElementById('glob').textContent ===
      './plugins/beta.js=beta 2 ./plugins/gamma.js=gamma');

    // The pattern edited: the listing follows it (the importer's code is the same).
    from = tab.mark();
    edit('src/glob.js', "import.meta.glob('./plugins/*.js', { eager", "import.meta.glob('./plugins/g*.js', { eager");
    await tab.untilLog('[hmr] updated /src/glob.js', { from });
    await tab.until(() => document.getElementById('glob').textContent === './plugins/gamma.js=gamma');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('web workers run their compiled modules, and an edit to worker code reloads the page', async () => {
    await tab.until(() => document.getElementById('worker').textContent === 'double 42');
    await tab.until(() => document.getElementById('worker-url').textContent === 'echo hi');
    const from = tab.mark();
    const navs = tab.navigations;
    edit('src/workers/double.ts', 'n * 2', 'n * 3');
    await tab.untilLog(/^\[hmr\] full reload: \/src\/workers\/double\.ts runs in a web worker/, { from });
    await tab.until(() => document.getElementById('worker').textContent === 'double 63');
    assert.ok(tab.navigations > navs, 'the page reloaded');
    await tab.untilLog('[hmr] connected', { from });
  });

  test('two tabs both get the update', async () => {
    const second = await Tab.open(browser, server.url + '/');
    try {
      await second.untilLog('[hmr] connected');
      edit('src/leaf.js', 'leaf v4', 'leaf v5');
      await tab.until(() => document.getElementById('leaf').textContent === 'leaf v5');
      await second.until(() => document.getElementById('leaf').textContent === 'leaf v5');
    } finally {
      await second.close();
    }
  });

  test('a page that loaded before an edit and connects after it gets the update, not a second reload', async () => {
    // The page's WebSocket is held (Playwright routes it) until the edit has gone out: a save
    // that lands while the page reloads for the one before.
    const context = await browser.newContext();
    let held;
    const socket = new Promise((resolve) => { held = resolve; });
    await context.routeWebSocket(/\/_hotloop\/ws/, (ws) => held(ws));
    const late = new Tab(context, await context.newPage());
    try {
      await late.page.goto(server.url + '/');
      const route = await socket;
      await late.until(() => document.getElementById('leaf')?.textContent === 'leaf v5');
      edit('src/leaf.js', 'leaf v5', 'leaf v5 saved meanwhile');
      await tab.until(() => document.getElementById('leaf').textContent === 'leaf v5 saved meanwhile');
      const from = late.mark();
      route.connectToServer();
      await late.until(() => document.getElementById('leaf').textContent === 'leaf v5 saved meanwhile');
      await late.untilLog('[hmr] updated /src/leaf.js', { from });
      assert.equal(late.navigations, 1, 'no reload');
      assert.ok(!late.log.some((l) => l.includes('full reload')), late.log.join('\n'));
    } finally {
      await late.close();
    }
    edit('src/leaf.js', 'leaf v5 saved meanwhile', 'leaf v5');
    await tab.until(() => document.getElementById('leaf').textContent === 'leaf v5');
  });

  test('an atomic save (write a temp file, rename it over) updates', async () => {
    const text = fs.readFileSync(file('src/leaf.js'), 'utf8');
    writeFileAtomic(file('src/leaf.js'), text.replace('leaf v5', 'leaf v6'));
    await tab.until(() => document.getElementById('leaf').textContent === 'leaf v6');
  });

  test('20 rapid saves end with the last content shown', async () => {
    const text = fs.readFileSync(file('src/leaf.js'), 'utf8');
    for (let i = 1; i <= 20; i++) writeFile(file('src/leaf.js'), text.replace('leaf v6', `leaf burst ${i}`));
    await tab.until(() => document.getElementById('leaf').textContent === 'leaf burst 20');
    // A later stale update would overwrite it: wait for the server to go quiet, then re-check.
    const from = tab.mark();
    edit('src/counter.js', 'label v2', 'label v3');
    await tab.untilLog('[hmr] updated /src/counter.js', { from });
    assert.equal(await tab.text('#leaf'), 'leaf burst 20');
  });

  test('after a server restart the tab reconnects and shows the latest code', async () => {
    const port = server.port;
    await server.stop();
    await tab.untilLog('[hmr] disconnected');
    const text = fs.readFileSync(file('src/leaf.js'), 'utf8');
    writeFile(file('src/leaf.js'), text.replace(/leaf burst 20/, 'leaf after restart'));
    server = await Server.start(root, { port });
    await tab.until(() => document.getElementById('leaf').textContent === 'leaf after restart', undefined, { timeout: 20_000 });
  });
});

// A service worker that keeps a copy of the page and serves it for navigations (what
// vite-plugin-pwa's dev worker does with `index.html`): after an edit, a reload through it runs
// the current code, once, with no reload loop.
describe('a page a service worker keeps a copy of', { skip, concurrency: false }, () => {
  let root, server, browser, tab;

  before(async () => {
    root = tempDir('sw');
    writeFile(path.join(root, 'index.html'), '<!doctype html><html><body><p id="text"></p><script type="module" src="/src/main.js"></script></body></html>\n');
    writeFile(path.join(root, 'src/main.js'), [
      "document.getElementById('text').textContent = 'sw v1';",
      "navigator.serviceWorker.register('/sw.js');",
      'if (import.meta.hot) import.meta.hot.accept();',
      '',
    ].join('\n'));
    writeFile(path.join(root, 'public/sw.js'), [
      "self.addEventListener('install', (e) => { self.skipWaiting(); e.waitUntil(caches.open('page').then((c) => c.add('/'))); });",
      "self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));",
      "self.addEventListener('fetch', (e) => { if (e.request.mode === 'navigate') e.respondWith(caches.match('/')); });",
      '',
    ].join('\n'));
    ({ server, browser, tab } = await serveAndOpen(root));
    await tab.until(() => navigator.serviceWorker.controller !== null);
  });

  after(async () => {
    await closeAll({ tab, browser, server });
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test("after an edit, a reload through the worker's copy runs the new code, with no reload loop", async () => {
    editFile(path.join(root, 'src/main.js'), 'sw v1', 'sw v2');
    await tab.until(() => document.getElementById('text').textContent === 'sw v2');
    const navs = tab.navigations;
    const from = tab.mark();
    await tab.page.reload();
    await tab.untilLog('[hmr] connected', { from });
    await tab.until(() => document.getElementById('text').textContent === 'sw v2');
    // Served by the worker, from its copy.
    assert.equal(await tab.page.evaluate(() => navigator.serviceWorker.controller !== null), true);
    // One more edit round trip: the page is live and did not reload again meanwhile.
    const later = tab.mark();
    editFile(path.join(root, 'src/main.js'), 'sw v2', 'sw v3');
    await tab.untilLog('[hmr] updated /src/main.js', { from: later });
    await tab.until(() => document.getElementById('text').textContent === 'sw v3');
    assert.equal(tab.navigations, navs + 1, 'the one reload asked for');
    assert.deepEqual(tab.log.slice(from).filter((l) => /full reload|missed updates/.test(l)), []);
  });
});

// Scripts of the project asked for by their URL at run time, as plugin systems and code that
// adds scripts do: an `import()` of a path only known then, and a `<script type="module" src>`
// added by code. Under Vite the server compiles the module at that URL; here it is a lazy chunk
// of the page's registry, sharing the app's module instances, and an edit hot-updates it.
describe('scripts asked for by their URL at run time', { skip, concurrency: false }, () => {
  let root, server, browser, tab;
  const file = (rel) => path.join(root, rel);

  before(async () => {
    root = tempDir('by-url');
    writeFile(file('index.html'), '<!doctype html><html><body><p id="plugin"></p><p id="added"></p><script type="module" src="/src/main.ts"></script></body></html>\n');
    writeFile(file('src/store.ts'), 'export const store = { loads: 0 };\n');
    writeFile(file('src/main.ts'), [
      "import { store } from './store';",
      'const name = (n: string) => `/src/plugins/${n}.ts`;',
      "(window as any).loadPlugin = async (n: string) => (await import(/* @vite-ignore */ name(n))).label;",
      '(window as any).appStore = store;',
      'document.body.dataset.currentScript = String(document.currentScript);',
      'if (import.meta.hot) import.meta.hot.accept();',
      '',
    ].join('\n'));
    writeFile(file('src/plugins/greet.ts'), [
      "import { store } from '../store';",
      'store.loads += 1;',
      "export const label: string = 'greet v1';",
      "document.getElementById('plugin')!.textContent = label;",
      'if (import.meta.hot) import.meta.hot.accept();',
      '',
    ].join('\n'));
    writeFile(file('src/added.ts'), [
      "import { store } from './store';",
      "document.getElementById('added')!.textContent = `added sees ${store.loads} load`;",
      '',
    ].join('\n'));
    ({ server, browser, tab } = await serveAndOpen(root));
  });

  after(async () => {
    await closeAll({ tab, browser, server });
  });

  test('an entry sees document.currentScript null, as a native module does', async () => {
    assert.equal(await tab.page.evaluate(() => document.body.dataset.currentScript), 'null');
  });

  test("an import() of a path only known at run time loads the project's module, compiled, with the app's instances", async () => {
    assert.equal(await tab.page.evaluate(() => window.loadPlugin('greet')), 'greet v1');
    assert.equal(await tab.page.evaluate(() => window.appStore.loads), 1, 'the app\'s store');
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(file('src/plugins/greet.ts'), 'greet v1', 'greet v2');
    await tab.untilLog('[hmr] updated /src/plugins/greet.ts', { from });
    await tab.until(() => document.getElementById('plugin').textContent === 'greet v2');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a module script added by code runs the compiled module in the page\'s registry', async () => {
    await tab.page.evaluate(() => {
      const script = document.createElement('script');
      script.type = 'module';
      script.src = '/src/added.ts';
      document.body.append(script);
    });
    await tab.until(() => document.getElementById('added').textContent === 'added sees 2 load');
  });
});
