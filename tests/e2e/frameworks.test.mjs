// The create-vite framework starters whose `vite.config.ts` runs a framework plugin in
// hotloop's Node plugin host (vue-ts, vue, svelte-ts, solid-ts, preact-ts) and react-ts, whose
// `@vitejs/plugin-react` hotloop serves with its own React transform and refresh (and react-ts
// again with `@vitejs/plugin-react-swc` in a config that must run). Each starter,
// served unchanged by the real `hotloop dev` (one server for its tests, one browser for all), is
// clicked, edited, styled, broken and fixed as a new user would (issue #15, "Tests").
//
// What the count does after a component edit is the framework's own HMR, the same as under
// Vite: Vue (template edits re-render), Preact (prefresh) and React (Fast Refresh) keep it;
// Svelte 5 re-mounts the edited component and solid-refresh re-creates its signals, so the
// count starts again from 0, in place, with no page reload. svelte-ts again with Sass in a
// component's `<style lang="scss">` (`vitePreprocess`), which `@use`s a partial: the partial's
// edit restyles the component in place; a Sass error in the block or the partial names that
// file and line, and its fix clears it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Tab, browserAvailable, childrenOf, editFile, launchBrowser, overlayText } from './lib/harness.mjs';
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
const headingText = () => document.querySelector('h1')?.textContent ?? null;
const counterStyle = (prop) => {
  const b = document.querySelector('button.counter');
  return b ? getComputedStyle(b)[prop] : null;
};
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const H1 = '<h1>Get started</h1>';
const H1_EDITED = '<h1>Get started with hotloop</h1>';
/** An unclosed array pattern: the parser stops at the next line, `return (`. */
const TSX_BREAK = ['const [count, setCount]', 'const [count, setCount'];

const STARTERS = [
  {
    name: 'vue-ts', component: 'src/components/HelloWorld.vue', css: 'src/style.css', keepsCount: true,
    // A `<script>` syntax error after a template edit: plugin-vue's hot update throws on it.
    scriptBreak: ['const count = ref(0)\n', 'const count = ref(0\n'],
    sfcStyle: { file: 'src/components/HelloWorld.vue', updated: /^\[hmr\] updated \/src\/components\/HelloWorld\.vue\?vue&type=style&index=0&scoped=[0-9a-f]+&lang\.css$/ },
    // A template error: the fix is a template-only change from the last good file, so Vue
    // re-renders and keeps the count.
    breakIt: [H1_EDITED, '<h1>Get started with hotloop</h2>'], errorAt: '</h2>', plugin: 'vite:vue',
  },
  {
    name: 'vue', component: 'src/components/HelloWorld.vue', css: 'src/style.css', keepsCount: true,
    breakIt: [H1_EDITED, '<h1>Get started with hotloop</h2>'], errorAt: '</h2>', plugin: 'vite:vue',
  },
  {
    // A component with a `<script module>` export (every mdsvex page has one: `metadata`):
    // Svelte 5 makes it a partial self-accept, `import.meta.hot.acceptExports(['default'])`,
    // a boundary as under Vite (the entry that mounts it does not re-run: no reload).
    name: 'svelte-ts', component: 'src/App.svelte', css: 'src/app.css', keepsCount: false,
    title: 'svelte-ts with a <script module> export in the component',
    prepare: (root) => {
      const app = path.join(root, 'src/App.svelte');
      fs.writeFileSync(app, `<script module lang="ts">\n  export const metadata = { title: 'App' }\n</script>\n\n${fs.readFileSync(app, 'utf8')}`);
    },
    breakIt: [H1_EDITED, '<h1>Get started with hotloop</h2>'], errorAt: '</h2>', plugin: 'vite-plugin-svelte',
  },
  {
    name: 'svelte-ts', component: 'src/App.svelte', css: 'src/app.css', keepsCount: false,
    sfcStyle: { file: 'src/lib/Counter.svelte', updated: /^\[hmr\] updated \/src\/lib\/Counter\.svelte\?svelte&type=style&lang\.css$/ },
    breakIt: [H1_EDITED, '<h1>Get started with hotloop</h2>'], errorAt: '</h2>', plugin: 'vite-plugin-svelte',
  },
  {
    name: 'solid-ts', component: 'src/App.tsx', css: 'src/App.css', keepsCount: false,
    breakIt: TSX_BREAK, errorAt: '  return (', plugin: 'solid',
  },
  {
    // prefresh is a normal plugin: Vite's own TS/JSX transform meets the syntax error first.
    name: 'preact-ts', component: 'src/app.tsx', css: 'src/app.css', keepsCount: true,
    breakIt: TSX_BREAK, errorAt: '  return (', plugin: 'vite:oxc',
    // Preact re-renders the edited component in a microtask after prefresh's accept callback.
    renderThrow: ['  const [count, setCount] = useState(0)\n', "  const [count, setCount] = useState(0)\n  if (count >= 0) throw new Error('render boom')\n"],
  },
  {
    // `@vitejs/plugin-react` with default options: hotloop's own transform (no plugin in the error).
    name: 'react-ts', component: 'src/App.tsx', css: 'src/App.css', keepsCount: true,
    breakIt: TSX_BREAK, errorAt: '  return (', plugin: null,
  },
  {
    // `@vitejs/plugin-react-swc` made without options in a config that must run in Node (a
    // function of the mode): Node evaluates the config, then hotloop's own transform again.
    name: 'react-ts', flavour: 'swc', devDependencies: { '@vitejs/plugin-react-swc': '4.3.3' },
    title: 'react-ts with @vitejs/plugin-react-swc in a computed config',
    prepare: (root) => fs.writeFileSync(path.join(root, 'vite.config.ts'), [
      "import { defineConfig } from 'vite'",
      "import react from '@vitejs/plugin-react-swc'",
      '',
      'export default defineConfig(({ mode }) => ({',
      '  plugins: [react()],',
      '  define: { __APP_MODE__: JSON.stringify(mode) },',
      '}))',
      '',
    ].join('\n')),
    component: 'src/App.tsx', css: 'src/App.css', keepsCount: true,
    breakIt: TSX_BREAK, errorAt: '  return (', plugin: null,
  },
  {
    // `@vitejs/plugin-react-swc` given options (decorators here; Emotion's `jsxImportSource`
    // and swc plugins alike): its own transform runs, told that Vite serves without HMR so it
    // leaves Fast Refresh to hotloop (its refresh code wants Vite's preamble: a blank page).
    name: 'react-ts', flavour: 'swc', devDependencies: { '@vitejs/plugin-react-swc': '4.3.3' },
    title: 'react-ts with @vitejs/plugin-react-swc given options',
    prepare: (root) => fs.writeFileSync(path.join(root, 'vite.config.ts'), [
      "import { defineConfig } from 'vite'",
      "import react from '@vitejs/plugin-react-swc'",
      '',
      'export default defineConfig({ plugins: [react({ tsDecorators: true })] })',
      '',
    ].join('\n')),
    component: 'src/App.tsx', css: 'src/App.css', keepsCount: true,
    breakIt: TSX_BREAK, errorAt: '  return (', plugin: 'vite:react-swc',
  },
  {
    // A plugin that parses what it gets (`this.parse`): @rollup/plugin-inject, the part of
    // vite-plugin-node-polyfills that makes `Buffer`. Under Vite, a normal plugin gets the
    // module after Vite's own TS/JSX transform (`vite:oxc`): JavaScript, which it can parse.
    // The syntax error is then vite:oxc's, as under Vite.
    name: 'react-ts', flavour: 'inject', devDependencies: { '@rollup/plugin-inject': '5.0.5', buffer: '6.0.3' },
    title: 'react-ts with @rollup/plugin-inject, a plugin that parses JavaScript',
    prepare: (root) => {
      fs.writeFileSync(path.join(root, 'vite.config.ts'), [
        "import { defineConfig } from 'vite'",
        "import react from '@vitejs/plugin-react'",
        "import inject from '@rollup/plugin-inject'",
        '',
        "export default defineConfig({ plugins: [react(), inject({ Buffer: ['buffer', 'Buffer'] })] })",
        '',
      ].join('\n'));
      editFile(path.join(root, 'src/main.tsx'), "createRoot(", "document.body.dataset.buffer = Buffer.from('hotloop').toString('hex')\n\ncreateRoot(");
    },
    rendered: async (tab) => assert.equal(await tab.page.evaluate(() => document.body.dataset.buffer), Buffer.from('hotloop').toString('hex')),
    component: 'src/App.tsx', css: 'src/App.css', keepsCount: true,
    breakIt: TSX_BREAK, errorAt: '  return (', plugin: 'vite:oxc',
  },
  {
    // vite-plugin-html as its README sets it up: the page's template in `public/index.html`
    // (EJS), no script tag in it (the plugin injects the entry it is given), and no
    // `index.html` at the root: the plugin's history middleware serves `/` from the template.
    // The page is then a page of its own (its entry a lazy chunk), hot-updated as `index.html`.
    name: 'react-ts', flavour: 'html', devDependencies: { 'vite-plugin-html': '3.2.2' },
    title: 'react-ts with vite-plugin-html: the template in public/, the entry given to the plugin',
    prepare: (root) => {
      const html = fs.readFileSync(path.join(root, 'index.html'), 'utf8')
        .replace(/<title>.*<\/title>/, '<title><%- title %></title>')
        .replace(/\s*<script type="module" src="\/src\/main.tsx"><\/script>/, '');
      fs.writeFileSync(path.join(root, 'public/index.html'), html);
      fs.rmSync(path.join(root, 'index.html'));
      fs.writeFileSync(path.join(root, 'vite.config.ts'), [
        "import { defineConfig } from 'vite'",
        "import react from '@vitejs/plugin-react'",
        "import { createHtmlPlugin } from 'vite-plugin-html'",
        '',
        'export default defineConfig({',
        '  plugins: [',
        '    react(),',
        "    createHtmlPlugin({ entry: 'src/main.tsx', template: 'public/index.html', inject: { data: { title: 'Titled by the plugin' } } }),",
        '  ],',
        '})',
        '',
      ].join('\n'));
    },
    rendered: async (tab) => assert.equal(await tab.page.evaluate(() => document.title), 'Titled by the plugin'),
    // Its code is in the entry's lazy chunk, not in `/_hotloop/chunk.js`.
    mapInChunk: false, node: true,
    component: 'src/App.tsx', css: 'src/App.css', keepsCount: true,
    breakIt: TSX_BREAK, errorAt: '  return (', plugin: null,
  },
];

for (const spec of STARTERS) {
  describe(`${spec.title ?? spec.name}: its vite.config.ts's framework plugin`, { skip, concurrency: false }, () => {
    let app, tab;
    const component = () => app.file(spec.component);

    before(async () => {
      const { devDependencies = null, flavour = null, prepare = null } = spec;
      app = await StarterApp.start(spec.name, { devDependencies, flavour, prepare });
      tab = await Tab.open(browser, app.url);
      await tab.untilLog('[hmr] connected');
    });

    after(async () => {
      await tab?.close();
      await app?.stop();
    });

    test('renders, and the counter counts three clicks', async () => {
      await tab.until(() => document.querySelector('h1')?.textContent === 'Get started');
      assert.equal(await tab.page.evaluate(counterText), 'Count is 0');
      await spec.rendered?.(tab);
      for (let i = 0; i < 3; i++) await tab.page.click('button.counter');
      await tab.until(() => document.querySelector('button.counter').textContent.trim() === 'Count is 3');
      assert.deepEqual(tab.log.filter((l) => l.startsWith('[pageerror]') || /\[hmr\] (error|full reload)/.test(l)), []);
    });

    test("the chunk's source map carries the component's own source (the plugin's map chained)", { skip: spec.mapInChunk === false }, async () => {
      const content = await tab.page.evaluate(async (source) => {
        const map = await (await fetch('/_hotloop/chunk.js.map')).json();
        for (const { map: m } of map.sections ?? [{ map }]) {
          const i = m?.sources?.indexOf(source) ?? -1;
          if (i >= 0) return m.sourcesContent?.[i] ?? null;
        }
        return null;
      }, `/${spec.component}`);
      assert.equal(content, fs.readFileSync(component(), 'utf8'));
    });

    test(`a text edit shows in place, ${spec.keepsCount ? 'the count kept' : 'the component re-mounted'}, no reload`, async () => {
      const navs = tab.navigations;
      const from = tab.mark();
      editFile(component(), H1, H1_EDITED);
      await tab.untilLog(`[hmr] updated /${spec.component}`, { from });
      await tab.until(() => document.querySelector('h1')?.textContent === 'Get started with hotloop');
      assert.equal(await tab.page.evaluate(counterText), spec.keepsCount ? 'Count is 3' : 'Count is 0');
      assert.equal(tab.navigations, navs, 'no full reload');
      assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[pageerror]') || /full reload/.test(l)), []);
      if (!spec.keepsCount) {
        for (let i = 0; i < 3; i++) await tab.page.click('button.counter');
        await tab.until(() => document.querySelector('button.counter').textContent.trim() === 'Count is 3');
      }
    });

    test('a script error after a template edit, then its fix: the overlay, then a re-render that keeps the count', { skip: !spec.scriptBreak }, async () => {
      const navs = tab.navigations;
      const count = await tab.page.evaluate(counterText);
      const from = tab.mark();
      // A template-only edit re-renders (plugin-vue keeps this descriptor as the last good one).
      editFile(component(), '<h1>Get started with hotloop</h1>', '<h1>Get started with hotloop, again</h1>');
      await tab.until(() => document.querySelector('h1')?.textContent === 'Get started with hotloop, again');
      editFile(component(), spec.scriptBreak);
      await tab.until(overlayText);
      assert.equal(await tab.page.evaluate(counterText), count, 'the last good page stays');
      // Under Vite the broken script is never compiled (plugin-vue's hot update throws first),
      // so the fix is a template-only change from the last good version: a re-render.
      editFile(component(), [...spec.scriptBreak].reverse(), ['<h1>Get started with hotloop, again</h1>', '<h1>Get started with hotloop</h1>']);
      await tab.until(() => !document.querySelector('hotloop-error-overlay') && document.querySelector('h1')?.textContent === 'Get started with hotloop');
      assert.equal(await tab.page.evaluate(counterText), count, 'the count kept');
      assert.equal(tab.navigations, navs, 'no reload');
      assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[pageerror]') || /full reload/.test(l)), []);
    });

    test('an edit of the imported CSS restyles the page in place', async () => {
      const navs = tab.navigations;
      const from = tab.mark();
      assert.notEqual(await tab.page.evaluate(counterStyle, 'fontSize'), '21px');
      editFile(app.file(spec.css), 'padding: 5px 10px;', 'padding: 5px 10px; font-size: 21px;');
      await tab.untilLog(`[hmr] updated /${spec.css}`, { from });
      await tab.until(() => getComputedStyle(document.querySelector('button.counter')).fontSize === '21px');
      assert.equal(tab.navigations, navs, 'no full reload');
      assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    });

    test('a syntax error shows the overlay with the plugin, file, line and code frame; the fix clears it', async () => {
      const navs = tab.navigations;
      const from = tab.mark();
      editFile(component(), spec.breakIt);
      const line = fs.readFileSync(component(), 'utf8').split('\n').findIndex((l) => l.includes(spec.errorAt)) + 1;
      await tab.untilLog(new RegExp(`^\\[hmr\\] error /${escape(spec.component)}:${line}:\\d+`), { from });
      const overlay = await tab.until(overlayText);
      assert.match(overlay, new RegExp(`/${escape(spec.component)}:${line}:\\d+`), `the file and line (${line})`);
      if (spec.plugin) assert.match(overlay, new RegExp(`\\[plugin ${escape(spec.plugin)}[\\]:]`), 'the plugin that failed');
      const source = fs.readFileSync(component(), 'utf8').split('\n')[line - 1];
      assert.match(overlay, new RegExp(`\\b${line} \\|\\s*${escape(source.trim())}`), 'a code frame at the error');
      // The last good page stays, alive.
      assert.equal(tab.navigations, navs, 'no reload while broken');
      assert.equal(await tab.page.evaluate(headingText), 'Get started with hotloop');
      assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
      editFile(component(), [...spec.breakIt].reverse());
      // The fix is the code the page runs (or, for Vue, a template-only change from it): the
      // overlay goes, nothing re-mounts, nothing reloads.
      await tab.until(() => !document.querySelector('hotloop-error-overlay'));
      assert.equal(tab.navigations, navs, 'no reload on the fix');
      await tab.page.click('button.counter');
      await tab.until(() => document.querySelector('button.counter')?.textContent.trim() === 'Count is 4');
      assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[pageerror]') || /full reload/.test(l)), []);
    });

    // Session 50: the error was a console line alone ("Uncaught (in promise)"), the component
    // left as it was: no overlay, no terminal line.
    test('a component that throws in its re-render after an edit: the overlay names its file; the fix renders again', { skip: !spec.renderThrow }, async () => {
      const navs = tab.navigations;
      const count = Number((await tab.page.evaluate(counterText)).replace('Count is ', ''));
      editFile(component(), spec.renderThrow);
      const overlay = await tab.until(overlayText);
      assert.match(overlay, new RegExp(`/${escape(spec.component)}[\\s\\S]*render boom`));
      assert.equal(tab.navigations, navs, 'no reload');
      editFile(component(), [...spec.renderThrow].reverse());
      await tab.until(() => !document.querySelector('hotloop-error-overlay'));
      await tab.page.click('button.counter');
      await tab.until((n) => document.querySelector('button.counter')?.textContent.trim() === `Count is ${n}`, count + 1);
      assert.equal(tab.navigations, navs, 'no reload on the fix');
    });

    const node = spec.node ?? Boolean(spec.plugin);
    test(node ? 'its plugins run in one Node plugin host' : 'no Node process runs: hotloop does the React plugin\'s work itself', () => {
      const nodes = childrenOf(app.server.child.pid).filter((c) => /node/.test(path.basename(c.cmdline[0] ?? '')));
      assert.equal(nodes.length, node ? 1 : 0, JSON.stringify(nodes));
    });

    if (spec.sfcStyle) {
      test('a <style> block added to the component, then edited: only its style module updates', async () => {
        const { file, updated } = spec.sfcStyle;
        const navs = tab.navigations;
        let from = tab.mark();
        // A Vue SFC's blocks follow its template; a Svelte component's style goes at the end.
        const block = file.endsWith('.vue')
          ? ['</template>', '</template>\n\n<style scoped>\n.counter { letter-spacing: 2px; }\n</style>']
          : ['</button>\n', '</button>\n\n<style>\n.counter { letter-spacing: 2px; }\n</style>\n'];
        editFile(app.file(file), block);
        await tab.until(() => getComputedStyle(document.querySelector('button.counter')).letterSpacing === '2px');
        await tab.untilLog('[hmr] updated', { from });
        from = tab.mark();
        const count = await tab.page.evaluate(counterText);
        editFile(app.file(file), 'letter-spacing: 2px;', 'letter-spacing: 4px;');
        await tab.until(() => getComputedStyle(document.querySelector('button.counter')).letterSpacing === '4px');
        const line = await tab.untilLog('[hmr] updated', { from });
        assert.match(line, updated);
        assert.equal(await tab.page.evaluate(counterText), count, 'the component was not touched');
        assert.equal(tab.navigations, navs, 'no full reload');
        if (file.endsWith('.vue')) {
          // A template edit, then a style edit: plugin-vue's answer to the second is the style
          // module alone, though the component's code changed (its template-only flag went).
          editFile(app.file(file), '</h1>', '!</h1>');
          await tab.until(() => document.querySelector('h1')?.textContent.endsWith('!'));
          from = tab.mark();
          editFile(app.file(file), 'letter-spacing: 4px;', 'letter-spacing: 6px;');
          await tab.until(() => getComputedStyle(document.querySelector('button.counter')).letterSpacing === '6px');
          assert.match(await tab.untilLog('[hmr] updated', { from }), updated);
          assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[hmr] updated') && !updated.test(l)), []);
          assert.equal(await tab.page.evaluate(counterText), count, 'the count kept');
          assert.equal(tab.navigations, navs, 'no full reload');
        }
      });

      test('a <style> block added with a syntax error, then fixed: the overlay, then the style in place', { skip: !spec.sfcStyle.file.endsWith('.vue') }, async () => {
        // The component's new code imports the block's module, which fails: neither is sent.
        // The fix changes the block alone; the component's code, which the page never got,
        // must go with it, or the page keeps the old component, which never imports the style.
        const file = app.file(spec.sfcStyle.file);
        const navs = tab.navigations;
        const from = tab.mark();
        editFile(file, '</style>\n', '</style>\n\n<style>\n.counter { word-spacing: 7px;\n</style>\n');
        await tab.until(overlayText);
        editFile(file, 'word-spacing: 7px;\n', 'word-spacing: 7px; }\n');
        await tab.until(() => !document.querySelector('hotloop-error-overlay'));
        await tab.until(() => getComputedStyle(document.querySelector('button.counter')).wordSpacing === '7px');
        assert.equal(tab.navigations, navs, 'no full reload');
        assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[pageerror]') || /full reload/.test(l)), []);
      });
    }
  });
}

// Sass in a Svelte component, as vite-plugin-svelte's docs set it up (`vitePreprocess()` in
// `svelte.config.js`, `sass` installed): the counter's `<style lang="scss">` `@use`s a partial
// of variables. vite-plugin-svelte keeps the preprocessor's dependencies and, when one changes,
// tells Vite's watcher the component changed (`server.watcher.emit('change', component)`).
describe('svelte-ts with Sass: a <style lang="scss"> that @uses a partial', { skip, concurrency: false }, () => {
  let app, tab;
  const counter = () => app.file('src/lib/Counter.svelte');
  const partial = () => app.file('src/styles/_theme.scss');
  const counterColor = () => {
    const b = document.querySelector('button.counter');
    return b ? getComputedStyle(b).color : null;
  };

  before(async () => {
    app = await StarterApp.start('svelte-ts', {
      devDependencies: { sass: CSS_TOOLS.sass }, flavour: 'sass',
      prepare: (root) => {
        fs.writeFileSync(path.join(root, 'svelte.config.js'), [
          "import { vitePreprocess } from '@sveltejs/vite-plugin-svelte'",
          '',
          'export default { preprocess: vitePreprocess() }',
          '',
        ].join('\n'));
        fs.mkdirSync(path.join(root, 'src/styles'), { recursive: true });
        fs.writeFileSync(path.join(root, 'src/styles/_theme.scss'), '$brand: rgb(255, 62, 0);\n\n@mixin branded {\n  color: $brand;\n}\n');
        const file = path.join(root, 'src/lib/Counter.svelte');
        fs.writeFileSync(file, `${fs.readFileSync(file, 'utf8')}\n<style lang="scss">\n  @use '../styles/theme' as t;\n\n  .counter {\n    @include t.branded;\n  }\n</style>\n`);
      },
    });
    tab = await Tab.open(browser, app.url);
    await tab.untilLog('[hmr] connected');
    await tab.until(() => getComputedStyle(document.querySelector('button.counter')).color === 'rgb(255, 62, 0)');
    for (let i = 0; i < 3; i++) await tab.page.click('button.counter');
    await tab.until(() => document.querySelector('button.counter').textContent.trim() === 'Count is 3');
  });

  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  test("an edit of the @use'd partial restyles the component in place: its style module alone, no reload", async () => {
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(partial(), '$brand: rgb(255, 62, 0);', '$brand: rgb(0, 128, 0);');
    await tab.until(() => getComputedStyle(document.querySelector('button.counter')).color === 'rgb(0, 128, 0)');
    const style = /^\[hmr\] updated \/src\/lib\/Counter\.svelte\?svelte&type=style&lang\.css$/;
    assert.match(await tab.untilLog('[hmr] updated', { from }), style);
    assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[hmr] updated') && !style.test(l)), []);
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3', 'the component was not touched');
    assert.equal(tab.navigations, navs, 'no full reload');
    assert.deepEqual(tab.log.slice(from).filter((l) => l.startsWith('[pageerror]') || /full reload/.test(l)), []);
  });

  test("a burst of saves of the partial: the component's style is the last one's", async () => {
    const navs = tab.navigations;
    // Saves moments apart, as an editor's save then its formatter's, or a storm: the later ones
    // come while the plugins still hear of the earlier (taken for their own writes, they are
    // not told of them), and the component follows them all the same.
    for (const blue of [10, 20, 30, 40, 50, 60, 70, 80]) {
      const text = fs.readFileSync(partial(), 'utf8').replace(/\$brand: rgb\([^)]*\);/, `$brand: rgb(0, 128, ${blue});`);
      fs.writeFileSync(partial(), text);
      await new Promise((r) => setTimeout(r, 15));
    }
    await tab.until(() => getComputedStyle(document.querySelector('button.counter')).color === 'rgb(0, 128, 80)');
    editFile(partial(), '$brand: rgb(0, 128, 80);', '$brand: rgb(0, 128, 0);');
    await tab.until(() => getComputedStyle(document.querySelector('button.counter')).color === 'rgb(0, 128, 0)');
    assert.equal(tab.navigations, navs, 'no full reload');
  });

  test("a Sass error in the <style lang=\"scss\"> block names the component's line, with its frame; the fix clears it", async () => {
    const navs = tab.navigations;
    // The block's `.counter {` closed early: Sass stops at the `}` on the next line.
    editFile(counter(), '@include t.branded;', '@include t.branded; }');
    const line = fs.readFileSync(counter(), 'utf8').split('\n').findIndex((l) => l.includes('branded; }')) + 2;
    const overlay = await tab.until(overlayText);
    assert.match(overlay, new RegExp(`/src/lib/Counter\\.svelte:${line}:\\d+`), `the file and line (${line})`);
    assert.match(overlay, /\[sass\] unmatched "\}"/);
    assert.match(overlay, new RegExp(`\\b${line} \\|\\s*\\}`), 'a frame of the component at the error');
    assert.doesNotMatch(overlay, /vite-preprocess\.scss/, "Sass's report of the block is not repeated");
    assert.equal(await tab.page.evaluate(counterColor), 'rgb(0, 128, 0)', 'the last good style stays');
    editFile(counter(), '@include t.branded; }', '@include t.branded;');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    assert.equal(tab.navigations, navs, 'no full reload');
  });

  test('an undefined variable in the partial names the partial and its line; the page keeps its styles; the fix clears it', async () => {
    const navs = tab.navigations;
    editFile(partial(), 'color: $brand;', 'color: $brandd;');
    const overlay = await tab.until(overlayText);
    assert.match(overlay, /Undefined variable/);
    assert.match(overlay, /\/src\/styles\/_theme\.scss:4:\d+/, "the partial's line");
    assert.match(overlay, /\b4 \|\s*color: \$brandd;/, 'a frame of the partial');
    assert.equal(await tab.page.evaluate(counterColor), 'rgb(0, 128, 0)', 'the last good style stays');
    editFile(partial(), 'color: $brandd;', 'color: $brand;');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    assert.equal(await tab.page.evaluate(counterColor), 'rgb(0, 128, 0)');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(tab.navigations, navs, 'no full reload');
  });
});

// `@vitejs/plugin-basic-ssl`, as its README sets it up: the plugin makes a self-signed
// certificate in `configResolved` and sets `server.https`, which hotloop serves (TLS and WSS on
// the one port). Chromium is told to trust the certificate, as a user clicks through the warning.
describe('react-ts with @vitejs/plugin-basic-ssl: served over HTTPS', { skip, concurrency: false }, () => {
  let app, tab;

  before(async () => {
    app = await StarterApp.start('react-ts', {
      flavour: 'https', devDependencies: { '@vitejs/plugin-basic-ssl': '2.3.0' },
      prepare: (root) => fs.writeFileSync(path.join(root, 'vite.config.ts'), [
        "import { defineConfig } from 'vite'",
        "import react from '@vitejs/plugin-react'",
        "import basicSsl from '@vitejs/plugin-basic-ssl'",
        '',
        'export default defineConfig({ plugins: [react(), basicSsl()] })',
        '',
      ].join('\n')),
    });
    tab = await Tab.open(browser, app.url, { ignoreHTTPSErrors: true });
    await tab.untilLog('[hmr] connected');
  });

  after(async () => {
    await tab?.close();
    await app?.stop();
  });

  test('the page renders over https, its updates arrive over wss, and an edit shows in place', async () => {
    assert.match(app.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    await tab.until(() => document.querySelector('h1')?.textContent === 'Get started');
    assert.equal(await tab.page.evaluate(() => location.protocol), 'https:');
    for (let i = 0; i < 2; i++) await tab.page.click('button.counter');
    await tab.until(() => document.querySelector('button.counter').textContent.trim() === 'Count is 2');
    const navs = tab.navigations;
    const from = tab.mark();
    editFile(app.file('src/App.tsx'), H1, H1_EDITED);
    await tab.untilLog('[hmr] updated /src/App.tsx', { from });
    await tab.until(() => document.querySelector('h1')?.textContent === 'Get started with hotloop');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2');
    assert.equal(tab.navigations, navs, 'no full reload');
    assert.deepEqual(tab.log.filter((l) => l.startsWith('[pageerror]') || /\[hmr\] (error|full reload)/.test(l)), []);
    assert.ok(tab.frames.length > 0, 'the update came over the WebSocket');
  });
});
