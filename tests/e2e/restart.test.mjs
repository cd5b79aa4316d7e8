// A restart of hotloop in real headless Chromium: the page of the last session
// (`engine/src/last_page.rs`) is served while the restart builds; the page that loaded it is a
// live page (hot updates reach it), and when the build finds it stale (a change no file of the
// record shows), the page reloads by itself into the current code. The build waits for a page
// that loaded the record to render (`engine/src/devloop/first_render.rs`), up to a second for
// one to connect; a page opened once the build is done is the built page, so each test also
// passes when the browser is that slow: it then checks the same end state, and says which page
// it got.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Server, Tab, browserAvailable, launchBrowser, tempDir, writeFile } from './lib/harness.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

/** Modules enough that a restart's build (from the compile cache) outlasts the page's request. */
const FILLER = 3000;

function writeProject(root) {
  // A linked stylesheet blocks the first render: the last session's page brings its text.
  writeFile(path.join(root, 'index.html'), '<!doctype html><link rel="stylesheet" href="/src/linked.css"><p id="v"></p><p id="count"></p><script type="module" src="/src/main.js"></script>\n');
  writeFile(path.join(root, 'src/linked.css'), '#v { color: rgb(1, 2, 3); }\n');
  const imports = [];
  for (let i = 0; i < FILLER; i++) {
    writeFile(path.join(root, `src/filler/m${i}.js`), `export const m${i} = ${i};\n`);
    imports.push(`import { m${i} } from './filler/m${i}.js';`);
  }
  writeFile(path.join(root, 'src/filler.js'), `${imports.join('\n')}\nexport const count = ${Array.from({ length: FILLER }, (_, i) => `m${i}`).join(' + ')};\n`);
  writeFile(path.join(root, 'src/v.ts'), "export const v: string = 'ts';\n");
  writeFile(path.join(root, 'src/main.js'), [
    "import { v } from './v';",
    "import { count } from './filler.js';",
    "document.getElementById('v').textContent = v;",
    "document.getElementById('count').textContent = String(count);",
    'if (import.meta.hot) import.meta.hot.accept();',
    '',
  ].join('\n'));
}

describe('a restart serves the page of the last session', { skip, concurrency: false }, () => {
  let root, browser;

  before(async () => {
    root = tempDir('restart');
    writeProject(root);
    browser = await launchBrowser();
    // The first session: builds, records its page when it stops.
    const server = await Server.start(root);
    const tab = await Tab.open(browser, server.url + '/');
    await tab.until(() => document.getElementById('v').textContent === 'ts');
    await tab.close();
    await server.stop();
  });

  after(async () => {
    await browser?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Starts hotloop and opens its page as soon as it is served; returns both, and whether a header said the page was the last session's. */
  async function startAndOpen() {
    const context = await browser.newContext();
    const page = await context.newPage();
    const tab = new Tab(context, page);
    const server = await Server.start(root);
    const response = await page.goto(server.url + '/');
    // Said by a header when the record was read by the time the page was asked for; a page
    // asked for before streams its head at once and the record's pieces then (no header).
    const header = response.headers()['x-hotloop-page'] === 'last-session';
    return { server, tab, header };
  }

  /** Which page the tab got, once the build is done: the last session's or the build's. */
  function pageSource(server, header) {
    return header || server.lines.some((l) => /a page rendered it in/.test(l)) ? 'last session' : 'built';
  }

  test('the page of the last session renders, then takes hot updates', async () => {
    const { server, tab, header } = await startAndOpen();
    let source = header ? 'last session' : 'unknown yet';
    try {
      await tab.until(() => document.getElementById('v').textContent === 'ts');
      assert.equal(await tab.text('#count'), String((FILLER * (FILLER - 1)) / 2));
      assert.equal(await tab.page.evaluate(() => getComputedStyle(document.getElementById('v')).color), 'rgb(1, 2, 3)');
      await server.untilLine(/ready at .*the page of the last session was served meanwhile/);
      source = pageSource(server, header);
      if (header) {
        // The build waited for the page to render (it only confirms it): it took no core from it.
        assert.ok(server.lines.some((l) => /served meanwhile \(a page rendered it in [\d.]+ m?s, then the build ran\)/.test(l)), server.lines.join('\n'));
      }
      await tab.untilLog('[hmr] connected');
      const navigations = tab.navigations;
      const from = tab.mark();
      writeFile(path.join(root, 'src/main.js'), fs.readFileSync(path.join(root, 'src/main.js'), 'utf8').replace("textContent = v;", "textContent = v + '!';"));
      await tab.untilLog('[hmr] updated /src/main.js', { from });
      await tab.until(() => document.getElementById('v').textContent === 'ts!');
      assert.equal(tab.navigations, navigations, `a hot update, no reload (the ${source} page)`);
    } catch (e) {
      // What the server did meanwhile (a revision published before the page's hello?).
      e.message += `\nthe ${source} page; server output:\n${server.lines.join('\n')}`;
      throw e;
    } finally {
      await tab.close();
      await server.stop();
    }
  });

  test('a tab left open across a restart reloads at once into the page of the last session, and the build waits for it', async () => {
    const first = await Server.start(root);
    const context = await browser.newContext();
    const page = await context.newPage();
    const tab = new Tab(context, page);
    let next;
    try {
      await page.goto(first.url + '/');
      await tab.until(() => document.getElementById('v').textContent === 'ts!');
      await tab.untilLog('[hmr] connected');
      const port = first.port;
      const navigations = tab.navigations;
      // Which page each navigation from now on got: the last session's (said by a header, or,
      // asked for before the record was read, streamed: no length), or the build's.
      const documents = [];
      const requests = [];
      page.on('request', (r) => requests.push(r.url().replace(/^https?:\/\/[^/]+/, '')));
      page.on('requestfinished', (r) => requests.push(`done ${r.url().replace(/^https?:\/\/[^/]+/, '')}`));
      page.on('requestfailed', (r) => requests.push(`failed ${r.url().replace(/^https?:\/\/[^/]+/, '')} ${r.failure()?.errorText}`));
      page.on('response', (r) => {
        if (!r.request().isNavigationRequest()) return;
        const h = r.headers();
        documents.push(h['x-hotloop-page'] ?? (h['content-length'] === undefined ? 'streamed during the build' : 'built'));
      });
      await first.stop();
      await tab.untilLog('[hmr] disconnected');
      // The tab retries; the new server tells it at once that it restarted (its build has not
      // run yet), the tab reloads into the page served meanwhile, and the build waits for that
      // page to render.
      next = await Server.start(root, { port });
      // The developer switches back to the tab (its runtime reconnects at once then, rather
      // than at its next retry, 1–2 s apart by now).
      await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
      await next.untilLine(/ready at .*the page of the last session was served meanwhile/);
      assert.ok(
        next.lines.some((l) => /\(a page rendered it in [\d.]+ m?s, then the build ran\)/.test(l)),
        `the build did not wait for the reloaded tab:\n${next.lines.join('\n')}\nthe tab's log:\n${tab.log.join('\n')}\nits pages: ${documents.join(', ')}\nrequests: ${requests.join(' | ')}`,
      );
      await tab.until(() => document.getElementById('v').textContent === 'ts!');
      assert.ok(tab.navigations > navigations, 'the tab reloaded');
      // At once: into the page served while the build waited, not after the build.
      assert.notEqual(documents[0] ?? 'built', 'built', `the pages the tab got: ${documents.join(', ')}`);
      assert.ok(tab.log.some((l) => l.includes('full reload: server restarted')), tab.log.join('\n'));
    } finally {
      await tab.close();
      await next?.stop();
    }
  });

  test('after a restart from the compile cache, devtools still get every module\'s source map', async () => {
    // A start from the compile cache keeps the modules' maps on disk (`ModuleMap::Stored`)
    // until a map is asked for.
    const server = await Server.start(root);
    try {
      const map = await (await fetch(server.url + '/_hotloop/chunk.js.map')).json();
      // Every script (the filler, filler.js, v.ts, main.js) came from the cache.
      const reused = server.lines.map((l) => /, (\d+) from the compile cache/.exec(l)).find(Boolean);
      assert.equal(Number(reused?.[1]), FILLER + 3, server.lines.join('\n'));
      const v = fs.readFileSync(path.join(root, 'src/v.ts'), 'utf8');
      const section = map.sections.find((s) => s.map.sources.some((source) => source.endsWith('/src/v.ts')));
      assert.ok(section, JSON.stringify(map.sections.map((s) => s.map.sources)));
      assert.deepEqual(section.map.sourcesContent, [v]);
      assert.ok(section.map.mappings.length > 0);
      assert.equal(map.sections.filter((s) => s.map.sources.some((source) => /\/src\/filler\/m\d+\.js$/.test(source))).length, FILLER);
      const own = await (await fetch(server.url + '/_hotloop/map/src/v.ts')).json();
      assert.deepEqual(own, section.map);
    } finally {
      await server.stop();
    }
  });

  test('a stale page of the last session reloads into the current code by itself', async () => {
    // `./v` now finds v.js (before .ts): no file the record lists changed.
    writeFile(path.join(root, 'src/v.js'), "export const v = 'js';\n");
    const { server, tab, header } = await startAndOpen();
    try {
      await server.untilLine(/served meanwhile, was out of date \(\/src\/v\.ts changed\): pages that loaded it reload/);
      await tab.until(() => document.getElementById('v').textContent === 'js!');
      await tab.untilLog('[hmr] connected');
      // The ready line says nothing of a render when the page was stale: the header, or the
      // reload itself, tells.
      if (header || tab.navigations >= 2) {
        assert.ok(tab.navigations >= 2, `the page from the last session reloaded (${tab.navigations} navigations)`);
        assert.ok(tab.log.some((l) => l.includes('full reload: the page missed updates')), tab.log.join('\n'));
      } else {
        console.log('# the browser got the built page (the build won the race): the reload was not exercised');
      }
    } finally {
      await tab.close();
      await server.stop();
    }
  });
});
