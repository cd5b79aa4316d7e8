// Top-level await in real headless Chromium against the real `hotloop dev` binary: a module
// awaiting a real fetch, an importer that waits for it, static imports in ESM order, `import()`
// of a module that awaits, and hot updates through all of them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { browserAvailable, closeAll, copyFixture, editFile, serveAndOpen, writeFile } from './lib/harness.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

describe('top-level await in the browser', { skip, concurrency: false }, () => {
  let root, server, browser, tab;
  const file = (rel) => path.join(root, rel);
  const edit = (rel, from, to) => editFile(file(rel), from, to);
  const overlayShown = () => tab.page.evaluate(() => {
    const overlay = document.querySelector('hotloop-error-overlay');
    return overlay !== null && !overlay.hidden && overlay.style.display !== 'none';
  });

  before(async () => {
    root = copyFixture('tla');
    ({ server, browser, tab } = await serveAndOpen(root));
  });

  after(async () => {
    await closeAll({ tab, browser, server });
  });

  test('the page waits for each awaiting module; a sibling that does not wait runs meanwhile, as native modules do', async () => {
    await tab.until(() => document.getElementById('lazy').textContent === 'lazy v1');
    assert.equal(await tab.text('#app'), 'hello from public v1');
    assert.equal(await tab.text('#order'), 'later ran before config');
    assert.equal(await overlayShown(), false);
  });

  test('editing the awaiting module re-runs it and its accepting importer without a reload', async () => {
    const from = tab.mark();
    const navs = tab.navigations;
    edit('src/config.ts', "'v1'", "'v2'");
    await tab.untilLog('[hmr] updated /src/main.ts', { from });
    await tab.until(() => document.getElementById('app').textContent === 'hello from public v2');
    assert.equal(await tab.text('#order'), 'later ran before config');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('editing a module loaded through import() updates what the importer shows', async () => {
    const from = tab.mark();
    const navs = tab.navigations;
    edit('src/lazy.ts', 'lazy v1', 'lazy v2');
    await tab.untilLog('[hmr] updated /src/main.ts', { from });
    await tab.until(() => document.getElementById('lazy').textContent === 'lazy v2');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a public file edit reaches the next evaluation of the awaiting module', async () => {
    // The greeting comes from public/: a fetch, not a module. Editing config.ts again re-runs
    // the fetch and shows the new text.
    writeFile(file('public/greeting.txt'), 'hello again\n');
    const from = tab.mark();
    edit('src/config.ts', "'v2'", "'v3'");
    await tab.untilLog('[hmr] updated /src/main.ts', { from });
    await tab.until(() => document.getElementById('app').textContent === 'hello again v3');
  });
});
