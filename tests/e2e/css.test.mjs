// CSS patches in real headless Chromium against the real `hotloop dev` binary: an edit of one
// rule reaches the page as CSSOM edits of that rule (the sheet object and the other elements'
// styles stay), a `<link>`ed sheet is patched once the page knows its version, and a patch the
// browser cannot apply falls back to the whole text.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { browserAvailable, closeAll, copyFixture, editFile, serveAndOpen, tempDir, writeFile } from './lib/harness.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

const BIG = '/src/big.css';
const colorOf = (id) => getComputedStyle(document.getElementById(id)).color;

describe('CSS patches in the browser', { skip, concurrency: false }, () => {
  let root, server, browser, tab;
  const file = (rel) => path.join(root, rel);
  const edit = (rel, from, to) => editFile(file(rel), from, to);
  const color = (id) => tab.page.evaluate((i) => getComputedStyle(document.getElementById(i)).color, id);

  before(async () => {
    root = copyFixture('css');
    ({ server, browser, tab } = await serveAndOpen(root));
    assert.equal(await color('r150'), 'rgb(150, 0, 0)');
  });

  after(async () => {
    await closeAll({ tab, browser, server });
  });

  /** Remembers the big sheet's style element, sheet and text, and samples other elements' colours every frame. */
  function watchBigSheet() {
    return tab.page.evaluate((id) => {
      const style = document.querySelector(`style[data-hotloop-id="${id}"]`);
      const watched = { style, sheet: style.sheet, text: style.textContent, frames: 0, flashes: [] };
      const expected = { r10: 'rgb(10, 0, 0)', r299: 'rgb(43, 1, 0)' };
      const tick = () => {
        watched.frames += 1;
        for (const [el, c] of Object.entries(expected)) {
          const now = getComputedStyle(document.getElementById(el)).color;
          if (now !== c) watched.flashes.push(`${el}: ${now}`);
        }
        if (!watched.stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      window.__watched = watched;
    }, BIG);
  }

  function bigSheetAfter() {
    return tab.page.evaluate((id) => {
      const w = window.__watched;
      w.stop = true;
      const style = document.querySelector(`style[data-hotloop-id="${id}"]`);
      return {
        sameElement: style === w.style,
        sameSheet: style.sheet === w.sheet,
        textKept: style.textContent === w.text,
        rules: style.sheet.cssRules.length,
        frames: w.frames,
        flashes: w.flashes,
        styles: document.querySelectorAll(`style[data-hotloop-id="${id}"]`).length,
      };
    }, BIG);
  }

  test('one rule edited in a large sheet is patched in place; every other element keeps its style', async () => {
    const navs = tab.navigations;
    await watchBigSheet();
    edit('src/big.css', '#r150 { color: rgb(150, 0, 0); }', '#r150 { color: rgb(0, 150, 0); }');
    await tab.until((id) => getComputedStyle(document.getElementById(id)).color === 'rgb(0, 150, 0)', 'r150');
    const seen = await bigSheetAfter();
    assert.deepEqual(
      { ...seen, frames: seen.frames > 0 },
      {
        sameElement: true,
        sameSheet: true,
        textKept: true, // the CSSOM was edited: the text was not replaced (no re-parse, no full restyle)
        rules: 301,
        frames: true,
        flashes: [],
        styles: 1,
      },
    );
    for (const [id, c] of [['r149', 'rgb(149, 0, 0)'], ['r151', 'rgb(151, 0, 0)'], ['r0', 'rgb(0, 0, 0)']]) {
      assert.equal(await color(id), c, id);
    }
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a reload gets the edited sheet as a whole', async () => {
    const mark = tab.mark();
    await tab.page.reload();
    await tab.untilLog('[hmr] connected', { from: mark });
    assert.equal(await color('r150'), 'rgb(0, 150, 0)');
    const text = await tab.page.evaluate((id) => document.querySelector(`style[data-hotloop-id="${id}"]`).textContent, BIG);
    assert.equal(text, fs.readFileSync(file('src/big.css'), 'utf8'));
  });

  test('a rule added inside an @layer, and one edited in an @media inside it, are patched inside them', async () => {
    const navs = tab.navigations;
    const LAYERS = '/src/layers.css';
    const style = (prop, id) => tab.page.evaluate(([p, i]) => getComputedStyle(document.getElementById(i))[p], [prop, id]);
    assert.equal(await color('l1'), 'rgb(200, 0, 0)');
    await tab.page.evaluate((id) => {
      const style = document.querySelector(`style[data-hotloop-id="${id}"]`);
      const layer = style.sheet.cssRules[2];
      window.__layers = { sheet: style.sheet, text: style.textContent, layer, media: layer.cssRules[2] };
    }, LAYERS);
    const kept = () =>
      tab.page.evaluate((id) => {
        const style = document.querySelector(`style[data-hotloop-id="${id}"]`);
        const w = window.__layers;
        const layer = style.sheet.cssRules[2];
        return {
          sameSheet: style.sheet === w.sheet,
          textKept: style.textContent === w.text,
          sameLayer: layer === w.layer,
          sameMedia: layer.cssRules[layer.cssRules.length - 1] === w.media,
          layerRules: layer.cssRules.length,
        };
      }, LAYERS);

    edit('src/layers.css', '  .u-pad { padding: 1px; }\n', '  .u-pad { padding: 1px; }\n  .u-new { color: rgb(0, 0, 77); }\n');
    await tab.until(() => getComputedStyle(document.getElementById('l2')).color === 'rgb(0, 0, 77)');
    // The layer block was edited (one insertRule), not replaced by a new copy of it.
    assert.deepEqual(await kept(), { sameSheet: true, textKept: true, sameLayer: true, sameMedia: true, layerRules: 4 });

    edit('src/layers.css', 'margin-left: 2px', 'margin-left: 3px');
    await tab.until(() => getComputedStyle(document.getElementById('l3')).marginLeft === '3px');
    assert.deepEqual(await kept(), { sameSheet: true, textKept: true, sameLayer: true, sameMedia: true, layerRules: 4 });
    assert.equal(await color('l1'), 'rgb(200, 0, 0)');
    assert.equal(await style('fontStyle', 'l1'), 'italic');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a <link>ed sheet is swapped in at its version first, then patched in place', async () => {
    const navs = tab.navigations;
    const links = () => tab.page.evaluate(() => Array.from(document.querySelectorAll('link[rel=stylesheet]'), (l) => l.getAttribute('href')));
    assert.deepEqual(await links(), ['/src/site.css']);
    edit('src/site.css', 'rgb(0, 0, 200)', 'rgb(0, 0, 201)');
    await tab.until(() => getComputedStyle(document.getElementById('s1')).color === 'rgb(0, 0, 201)');
    await tab.until(() => document.querySelectorAll('link[rel=stylesheet]').length === 1);
    const [href] = await links();
    assert.match(href, /^\/src\/site\.css\?hotloop-v=[0-9a-f]{8}$/, 'the page HTML\'s link had no known version: swapped');

    await tab.page.evaluate(() => {
      const link = document.querySelector('link[rel=stylesheet]');
      window.__link = { link, sheet: link.sheet };
    });
    edit('src/site.css', 'rgb(0, 0, 100)', 'rgb(0, 0, 101)');
    await tab.until(() => getComputedStyle(document.getElementById('s2')).color === 'rgb(0, 0, 101)');
    const kept = await tab.page.evaluate(() => {
      const link = document.querySelector('link[rel=stylesheet]');
      return {
        links: document.querySelectorAll('link[rel=stylesheet]').length,
        sameLink: link === window.__link.link,
        sameSheet: link.sheet === window.__link.sheet,
      };
    });
    assert.deepEqual(kept, { links: 1, sameLink: true, sameSheet: true });
    assert.deepEqual(await links(), [href], 'patched: nothing fetched');
    assert.equal(await color('s1'), 'rgb(0, 0, 201)');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a CSS Module edit patches its scoped rules; a change of its names re-runs the importer', async () => {
    const navs = tab.navigations;
    const CARD = '/src/card.module.css';
    assert.equal(await color('card'), 'rgb(1, 2, 3)');
    await tab.page.evaluate((id) => {
      const style = document.querySelector(`style[data-hotloop-id="${id}"]`);
      window.__card = { sheet: style.sheet, text: style.textContent };
    }, CARD);
    edit('src/card.module.css', 'rgb(1, 2, 3)', 'rgb(3, 2, 1)');
    await tab.until(() => getComputedStyle(document.getElementById('card')).color === 'rgb(3, 2, 1)');
    const kept = await tab.page.evaluate((id) => {
      const style = document.querySelector(`style[data-hotloop-id="${id}"]`);
      return { sameSheet: style.sheet === window.__card.sheet, textKept: style.textContent === window.__card.text };
    }, CARD);
    assert.deepEqual(kept, { sameSheet: true, textKept: true }, 'the scoped rule was patched');
    assert.equal(await tab.page.evaluate(() => document.getElementById('card').dataset.names), 'card title');

    edit('src/card.module.css', '.title {', '.extra { color: rgb(9, 9, 9); }\n.title {');
    await tab.until(() => document.getElementById('card').dataset.names === 'card extra title');
    assert.equal(await color('card'), 'rgb(3, 2, 1)');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  // A CSS Module caught mid-typing: lightningcss would drop the rules it cannot read, and
  // their names with them (the elements would lose their classes).
  test('a CSS Module with a block left open keeps its last good version and names; the overlay says where; the fix applies', async () => {
    const navs = tab.navigations;
    const overlay = () => {
      const el = document.querySelector('hotloop-error-overlay');
      return el === null ? null : el.shadowRoot.textContent;
    };
    const before = await tab.page.evaluate(() => document.getElementById('card').dataset.names);
    edit('src/card.module.css', '.title {', '.typing {\n  color: rgb(7, 7, 7);\n.title {');
    assert.match(await tab.until(overlay), /card\.module\.css:\d+:\d+[^]*Unclosed block/);
    assert.equal(await tab.page.evaluate(() => document.getElementById('card').dataset.names), before);
    assert.notEqual(await color('card'), 'rgb(0, 0, 0)', 'the card keeps its class and its color');
    edit('src/card.module.css', '.typing {\n  color: rgb(7, 7, 7);\n.title {', '.typing {\n  color: rgb(7, 7, 7);\n}\n.title {');
    await tab.until(() => document.getElementById('card').dataset.names.split(' ').includes('typing'));
    await tab.until(() => document.querySelector('hotloop-error-overlay') === null);
    assert.equal(tab.navigations, navs, 'no reload');
  });

  // Vite keeps the importer's last good code, which uses the sheet: its styles stay too.
  test('a deleted CSS Module keeps its styles in the page behind the overlay; restored, it applies again', async () => {
    const navs = tab.navigations;
    const overlay = () => document.querySelector('hotloop-error-overlay')?.shadowRoot.textContent ?? null;
    const before = await color('card');
    const text = fs.readFileSync(file('src/card.module.css'), 'utf8');
    fs.rmSync(file('src/card.module.css'));
    try {
      assert.match(await tab.until(overlay), /card\.module\.css/);
      assert.equal(await color('card'), before, 'the card keeps its style');
      assert.equal(await tab.page.evaluate(() => document.querySelectorAll('style[data-hotloop-id="/src/card.module.css"]').length), 1);
    } finally {
      writeFile(file('src/card.module.css'), text.replace(before, 'rgb(4, 5, 6)'));
    }
    await tab.until(() => getComputedStyle(document.getElementById('card')).color === 'rgb(4, 5, 6)');
    await tab.until(() => document.querySelector('hotloop-error-overlay') === null);
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a patch the browser cannot apply falls back to the whole text, and so does the next one', async () => {
    const navs = tab.navigations;
    // A rule with a selector Chromium rejects: insertRule throws, the page takes the whole text
    // (and drops that rule, so the sheet has one rule fewer than the file).
    await watchBigSheet();
    edit('src/big.css', '#r20 { color: rgb(20, 0, 0); }', '#r20:::nope { color: red; }\n#r20 { color: rgb(0, 20, 0); }');
    await tab.until((id) => getComputedStyle(document.getElementById(id)).color === 'rgb(0, 20, 0)', 'r20');
    let seen = await bigSheetAfter();
    assert.deepEqual(
      { sameElement: seen.sameElement, textKept: seen.textKept, rules: seen.rules, flashes: seen.flashes },
      { sameElement: true, textKept: false, rules: 301, flashes: [] },
    );
    const whole = () =>
      tab.page.evaluate((id) => document.querySelector(`style[data-hotloop-id="${id}"]`).textContent, BIG);
    assert.equal(await whole(), fs.readFileSync(file('src/big.css'), 'utf8'));

    // The next patch counts 302 rules where the page has 301: the whole text again.
    edit('src/big.css', '#r30 { color: rgb(30, 0, 0); }', '#r30 { color: rgb(0, 30, 0); }');
    await tab.until((id) => getComputedStyle(document.getElementById(id)).color === 'rgb(0, 30, 0)', 'r30');
    assert.equal(await whole(), fs.readFileSync(file('src/big.css'), 'utf8'));
    assert.equal(await color('r20'), 'rgb(0, 20, 0)');
    assert.equal(tab.navigations, navs, 'no reload');
  });
});

describe("index.html's inline <style> that imports a sheet", { skip, concurrency: false }, () => {
  let root, app;
  const file = (rel) => path.join(root, rel);
  const styleOf = ([selector, property]) => getComputedStyle(document.querySelector(selector))[property];

  before(async () => {
    root = tempDir('inline-style');
    writeFile(file('index.html'), [
      '<!doctype html>',
      '<html><head>',
      '<style id="theme" media="screen">',
      '  @import "./src/inline.css";',
      '  #a { margin-left: 3px }',
      '</style>',
      '<style>#b { color: rgb(0, 0, 7) }</style>',
      '</head><body>',
      '<p id="a">a</p><p id="b">b</p><button id="count">0</button>',
      '<script type="module" src="/src/main.js"></script>',
      '</body></html>',
      '',
    ].join('\n'));
    writeFile(file('src/inline.css'), '@import "./deeper.css";\n#a { color: rgb(1, 2, 3) }\n');
    writeFile(file('src/deeper.css'), '#b { margin-left: 4px }\n');
    writeFile(file('src/main.js'), [
      "const button = document.getElementById('count');",
      "button.onclick = () => { button.textContent = String(Number(button.textContent) + 1); };",
      '',
    ].join('\n'));
    app = await serveAndOpen(root);
  });

  after(async () => {
    await app?.close();
  });

  test('is linked in its place with its attributes and compiled: its imports apply; a plain style stays as written', async () => {
    const { tab } = app;
    await tab.until(([s, p]) => getComputedStyle(document.querySelector(s))[p] === 'rgb(1, 2, 3)', ['#a', 'color']);
    assert.equal(await tab.page.evaluate(styleOf, ['#a', 'marginLeft']), '3px');
    assert.equal(await tab.page.evaluate(styleOf, ['#b', 'marginLeft']), '4px', 'the import of the import');
    assert.equal(await tab.page.evaluate(styleOf, ['#b', 'color']), 'rgb(0, 0, 7)');
    const elements = await tab.page.evaluate(() => Array.from(document.querySelectorAll('head style, head link'), (el) => el.outerHTML));
    assert.deepEqual(elements, [
      '<link rel="stylesheet" href="/index.html?html-proxy&amp;direct&amp;index=0.css" id="theme" media="screen">',
      '<style>#b { color: rgb(0, 0, 7) }</style>',
    ]);
  });

  test('an edit of a sheet it imports restyles the page in place: no reload, state kept', async () => {
    const { tab } = app;
    const navs = tab.navigations;
    for (let i = 0; i < 2; i++) await tab.page.click('#count');
    editFile(file('src/deeper.css'), 'margin-left: 4px', 'margin-left: 5px');
    await tab.until(([s, p]) => getComputedStyle(document.querySelector(s))[p] === '5px', ['#b', 'marginLeft']);
    editFile(file('src/inline.css'), 'rgb(1, 2, 3)', 'rgb(1, 2, 4)');
    await tab.until(([s, p]) => getComputedStyle(document.querySelector(s))[p] === 'rgb(1, 2, 4)', ['#a', 'color']);
    assert.equal(await tab.text('#count'), '2');
    assert.equal(tab.navigations, navs, 'no reload');
    assert.deepEqual(await tab.page.evaluate(() => document.querySelectorAll('link[rel=stylesheet]').length), 1, 'the old link went');
  });

  test('an edit of the style itself restyles the page in place too (the page as served is the same)', async () => {
    const { tab } = app;
    const navs = tab.navigations;
    editFile(file('index.html'), 'margin-left: 3px', 'margin-left: 6px');
    await tab.until(([s, p]) => getComputedStyle(document.querySelector(s))[p] === '6px', ['#a', 'marginLeft']);
    assert.equal(await tab.page.evaluate(styleOf, ['#a', 'color']), 'rgb(1, 2, 4)');
    assert.equal(await tab.text('#count'), '2');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a style that no longer needs the pipeline is served as written again', async () => {
    const { tab } = app;
    editFile(file('index.html'), '  @import "./src/inline.css";\n', '');
    await tab.until(() => document.querySelector('style#theme')?.textContent.includes('margin-left: 6px'));
    assert.equal(await tab.page.evaluate(() => document.querySelectorAll('link[rel=stylesheet]').length), 0);
    assert.equal(await tab.page.evaluate(styleOf, ['#a', 'marginLeft']), '6px');
  });
});
