// React Fast Refresh in real headless Chromium against the real `hotloop dev` binary, on a
// starter-style React + TypeScript app (the shape create-vite's react-ts template generates:
// index.html → /src/main.tsx with createRoot + StrictMode, App.tsx with a useState counter, CSS
// imports, image imports, public/favicon.svg and an SVG sprite) with the real react, react-dom
// and react-refresh packages installed into it. Each behaviour is asserted through the DOM and
// the runtime's lifecycle log; "no reload" is asserted by counting main-frame navigations.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { browserAvailable, copyFixture, editFile, installPackages, serveAndOpen, writeFile } from './lib/harness.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

const REACT_PACKAGES = ['react', 'react-dom', 'scheduler'];
const APP_REFRESH_ID = '/node_modules/react-refresh/runtime.js';

/** A fixture copy with its packages, a server on it and one tab showing it. */
async function openApp(packages) {
  const root = copyFixture('react');
  installPackages(root, packages);
  const { server, browser, tab, close } = await serveAndOpen(root);
  await tab.until(() => document.querySelector('h1')?.textContent === 'Get started');
  const file = (rel) => path.join(root, rel);
  // One save per edit, with every replacement in it: `edit(rel, [from, to], [from, to], ...)`.
  const edit = (rel, ...replacements) => editFile(file(rel), ...replacements);
  return { root, server, browser, tab, file, edit, close };
}

const counterText = () => document.querySelector('button.counter')?.textContent;

/** Clicks `selector` `times` times, waiting for each render. */
async function clickTimes(tab, selector, times) {
  for (let i = 0; i < times; i++) await tab.page.click(selector);
}

/** Lines showing that React or the runtime broke: page errors, duplicate Reacts, failed updates. */
function problems(tab) {
  return tab.log.filter((l) =>
    l.startsWith('[pageerror]') || /Invalid hook call|failed to update|internal error|more than one copy of React/.test(l));
}

describe('React Fast Refresh on a starter app (the app has its own react-refresh)', { skip, concurrency: false }, () => {
  let app, tab;

  before(async () => {
    app = await openApp([...REACT_PACKAGES, 'react-refresh']);
    tab = app.tab;
  });

  after(async () => {
    if (process.env.HOTLOOP_E2E_VERBOSE) console.error(tab.log.join('\n'));
    await app?.close();
  });

  test('the starter renders: text, counter, both images, favicon and SVG sprite from public/', async () => {
    assert.equal(await tab.page.evaluate(counterText), 'Count is 0');
    const images = await tab.until(() => {
      const imgs = [...document.querySelectorAll('.hero img')];
      return imgs.length === 2 && imgs.every((img) => img.complete && img.naturalWidth > 0)
        && imgs.map((img) => [new URL(img.src).pathname, img.naturalWidth]);
    });
    assert.deepEqual(images, [['/src/assets/hero.png', 68], ['/src/assets/react.svg', 36]]);
    const publicFiles = await tab.page.evaluate(async () => {
      const icon = document.querySelector('link[rel=icon]').href;
      const favicon = await fetch(icon);
      const sprite = await fetch('/icons.svg');
      return {
        favicon: [favicon.status, favicon.headers.get('content-type')],
        sprite: [sprite.status, (await sprite.text()).includes('id="documentation-icon"')],
      };
    });
    assert.equal(publicFiles.favicon[0], 200);
    assert.match(publicFiles.favicon[1], /^image\/svg\+xml/);
    assert.deepEqual(publicFiles.sprite, [200, true]);
    // The sprite's symbol is drawn: the <use> gets a box from the external document.
    await tab.until(() => document.querySelector('#docs use').getBBox().width > 0);
    const refresh = await tab.page.evaluate(() => __hotloop.inspect().refresh);
    assert.deepEqual(refresh, { source: APP_REFRESH_ID, refreshes: 0 }, "React Refresh is the app's own copy");
    assert.deepEqual(problems(tab), []);
  });

  test('three clicks, then an edit of the text: the new text shows and the count is still 3', async () => {
    const navs = tab.navigations;
    await clickTimes(tab, 'button.counter', 3);
    await tab.until(() => document.querySelector('button.counter').textContent === 'Count is 3');
    const from = tab.mark();
    app.edit('src/App.tsx', '<h1>Get started</h1>', '<h1>Get going</h1>');
    await tab.untilLog('[hmr] updated /src/App.tsx', { from });
    await tab.until(() => document.querySelector('h1').textContent === 'Get going');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(tab.navigations, navs, 'no reload');
    assert.equal((await tab.page.evaluate(() => __hotloop.inspect().refresh)).refreshes, 1, 'one refresh for one edit');
  });

  test('editing App.css changes the computed style without a reload', async () => {
    const navs = tab.navigations;
    const color = () => getComputedStyle(document.querySelector('button.counter')).color;
    assert.equal(await tab.page.evaluate(color), 'rgb(124, 58, 237)');
    app.edit('src/App.css', 'color: rgb(124, 58, 237);', 'color: rgb(5, 150, 105);');
    await tab.until(() => getComputedStyle(document.querySelector('button.counter')).color === 'rgb(5, 150, 105)');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('editing an imported image updates what shows it', async () => {
    const navs = tab.navigations;
    app.edit('src/assets/react.svg', 'width="36" height="32"', 'width="72" height="64"');
    await tab.until(() => {
      const img = document.querySelector('.hero img.framework');
      return img.complete && img.naturalWidth === 72;
    });
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('new components imported by App keep App state; a component + constant module propagates', async () => {
    const navs = tab.navigations;
    // A module exporting a component and a non-component: not a boundary, its importer is.
    writeFile(app.file('src/greeting.tsx'), `export const greetingText = 'Hello'

export function Greeting() {
  return <p id="greeting">{greetingText} from Greeting</p>
}
`);
    // PascalCase exports, one of them not a component: the runtime finds out and invalidates.
    writeFile(app.file('src/Badge.tsx'), `export const Labels = { badge: 'new' }

export function Badge() {
  return <span id="badge">{Labels.badge}</span>
}
`);
    let from = tab.mark();
    app.edit('src/App.tsx', ["import './App.css'\n", `import './App.css'
import { Greeting, greetingText } from './greeting.tsx'
import { Badge, Labels } from './Badge.tsx'
`], ['          <h1>Get going</h1>\n', `          <h1>Get going</h1>
          <Greeting />
          <p id="greeting-label">{greetingText}</p>
          <Badge />
          <p id="badge-label">{Labels.badge}</p>
`]);
    await tab.until(() => document.getElementById('badge-label')?.textContent === 'new');
    assert.equal(await tab.text('#greeting'), 'Hello from Greeting');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');

    from = tab.mark();
    app.edit('src/greeting.tsx', "greetingText = 'Hello'", "greetingText = 'Howdy'");
    await tab.until(() => document.getElementById('greeting-label').textContent === 'Howdy');
    assert.equal(await tab.text('#greeting'), 'Howdy from Greeting', 'the component and its importer agree');
    await tab.untilLog('[hmr] updated /src/App.tsx', { from });
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');

    from = tab.mark();
    app.edit('src/Badge.tsx', "badge: 'new'", "badge: 'hot'");
    await tab.until(() => document.getElementById('badge-label').textContent === 'hot');
    assert.equal(await tab.text('#badge'), 'hot', 'no stale UI: the importer re-rendered with the new object');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(tab.navigations, navs, 'no reload');
    assert.deepEqual(problems(tab), []);
  });

  test('memo and forwardRef components keep their state', async () => {
    const navs = tab.navigations;
    writeFile(app.file('src/Wrapped.tsx'), `import { forwardRef, memo, useState } from 'react'

export const Clicker = memo(function Clicker() {
  const [n, setN] = useState(0)
  return <button id="memo" onClick={() => setN(n + 1)}>memo {n}</button>
})

export const Field = forwardRef<HTMLButtonElement>(function Field(_props, ref) {
  const [n, setN] = useState(0)
  return <button id="fwd" ref={ref} onClick={() => setN(n + 1)}>fwd {n}</button>
})
`);
    app.edit('src/App.tsx',
      ["import './App.css'\n", "import './App.css'\nimport { Clicker, Field } from './Wrapped.tsx'\n"],
      ['          <Greeting />\n', '          <Greeting />\n          <Clicker />\n          <Field />\n']);
    await tab.until(() => document.getElementById('memo') && document.getElementById('fwd'));
    await clickTimes(tab, '#memo', 2);
    await clickTimes(tab, '#fwd', 2);
    await tab.until(() => document.getElementById('memo').textContent === 'memo 2' && document.getElementById('fwd').textContent === 'fwd 2');
    const from = tab.mark();
    app.edit('src/Wrapped.tsx', '>memo {n}<', '>memo: {n}<');
    await tab.untilLog('[hmr] updated /src/Wrapped.tsx', { from });
    await tab.until(() => document.getElementById('memo').textContent === 'memo: 2');
    app.edit('src/Wrapped.tsx', '>fwd {n}<', '>fwd: {n}<');
    await tab.until(() => document.getElementById('fwd').textContent === 'fwd: 2');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a CSS Module: scoped names; a style edit swaps in place, a new name re-renders its user with state kept', async () => {
    const navs = tab.navigations;
    writeFile(app.file('src/Card.module.css'), `.card { color: rgb(200, 0, 0); }
.title { font-weight: 700; }
`);
    writeFile(app.file('src/Card.tsx'), `import { useState } from 'react'
import styles from './Card.module.css'

export function Card() {
  const [n, setN] = useState(0)
  return <button id="card" className={styles.card} data-extra={String(styles.extra)} onClick={() => setN(n + 1)}>card {n}</button>
}
`);
    app.edit('src/App.tsx',
      ["import './App.css'\n", "import './App.css'\nimport { Card } from './Card.tsx'\n"],
      ['          <Greeting />\n', '          <Greeting />\n          <Card />\n']);
    await tab.until(() => document.getElementById('card'));
    const card = () => {
      const el = document.getElementById('card');
      return { className: el.className, color: getComputedStyle(el).color, extra: el.dataset.extra };
    };
    const first = await tab.page.evaluate(card);
    assert.match(first.className, /^Card-module_[\w-]+_card$/, 'the class name is scoped to the file');
    assert.equal(first.color, 'rgb(200, 0, 0)');
    assert.equal(first.extra, 'undefined');
    await clickTimes(tab, '#card', 2);
    await tab.until(() => document.getElementById('card').textContent === 'card 2');

    // A style edit: the module's style changes in place; Card does not re-run.
    let from = tab.mark();
    app.edit('src/Card.module.css', 'rgb(200, 0, 0)', 'rgb(0, 0, 200)');
    await tab.until(() => getComputedStyle(document.getElementById('card')).color === 'rgb(0, 0, 200)');
    await tab.untilLog('[hmr] updated /src/Card.module.css', { from });
    assert.deepEqual(tab.log.slice(from).filter((l) => l.includes('updated /src/Card.tsx')), [], 'Card did not re-run');
    assert.equal((await tab.page.evaluate(card)).className, first.className, 'same names');

    // A new name: Card read the old names when it ran, so the module invalidates and Card re-runs.
    from = tab.mark();
    app.edit('src/Card.module.css', '.title {', '.extra { letter-spacing: 2px; }\n.title {');
    await tab.until(() => /^Card-module_[\w-]+_extra$/.test(document.getElementById('card').dataset.extra));
    await tab.untilLog('[hmr] updated /src/Card.tsx', { from });
    assert.equal(await tab.text('#card'), 'card 2', 'Card kept its state');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(tab.navigations, navs, 'no reload');
    assert.deepEqual(problems(tab), []);
  });

  test('a custom hook: a body edit keeps state, a change of its hooks remounts its users', async () => {
    const navs = tab.navigations;
    writeFile(app.file('src/useStepper.ts'), `import { useState } from 'react'

export function useStepper(step: number) {
  const [value, setValue] = useState(0)
  return { value, next: () => setValue((v) => v + step) }
}
`);
    writeFile(app.file('src/Stepper.tsx'), `import { useStepper } from './useStepper.ts'

export function Stepper() {
  const { value, next } = useStepper(1)
  return <button id="stepper" onClick={next}>step {value}</button>
}
`);
    app.edit('src/App.tsx',
      ["import './App.css'\n", "import './App.css'\nimport { Stepper } from './Stepper.tsx'\n"],
      ['          <Greeting />\n', '          <Greeting />\n          <Stepper />\n']);
    await tab.until(() => document.getElementById('stepper'));
    await clickTimes(tab, '#stepper', 2);
    await tab.until(() => document.getElementById('stepper').textContent === 'step 2');

    const from = tab.mark();
    app.edit('src/useStepper.ts', 'v + step)', 'v + step * 10)');
    // The hook's module is no boundary; Stepper.tsx, which imports it, is.
    await tab.untilLog('[hmr] updated /src/Stepper.tsx', { from });
    assert.equal(await tab.text('#stepper'), 'step 2', 'state kept through a hook body edit');
    await tab.page.click('#stepper');
    await tab.until(() => document.getElementById('stepper').textContent === 'step 12');

    app.edit('src/useStepper.ts',
      ["import { useState } from 'react'", "import { useRef, useState } from 'react'"],
      ['  const [value, setValue] = useState(0)\n', '  const [value, setValue] = useState(0)\n  useRef(step)\n']);
    await tab.until(() => document.getElementById('stepper').textContent === 'step 0');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3', "App's state is not the hook users'");
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a class component remounts on edit while function components keep state', async () => {
    const navs = tab.navigations;
    writeFile(app.file('src/Legacy.tsx'), `import { Component } from 'react'

export class Legacy extends Component<object, { n: number }> {
  state = { n: 0 }
  render() {
    return <button id="legacy" onClick={() => this.setState({ n: this.state.n + 1 })}>legacy {this.state.n}</button>
  }
}
`);
    app.edit('src/App.tsx',
      ["import './App.css'\n", "import './App.css'\nimport { Legacy } from './Legacy.tsx'\n"],
      ['          <Greeting />\n', '          <Greeting />\n          <Legacy />\n']);
    await tab.until(() => document.getElementById('legacy'));
    await clickTimes(tab, '#legacy', 2);
    await tab.until(() => document.getElementById('legacy').textContent === 'legacy 2');
    app.edit('src/Legacy.tsx', '>legacy {this.state.n}<', '>legacy: {this.state.n}<');
    await tab.until(() => document.getElementById('legacy').textContent === 'legacy: 0');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a .jsx component keeps its state through an edit', async () => {
    const navs = tab.navigations;
    writeFile(app.file('src/Note.jsx'), `import { useState } from 'react'

export default function Note() {
  const [open, setOpen] = useState(false)
  return <button id="note" onClick={() => setOpen(!open)}>note {open ? 'open' : 'closed'}</button>
}
`);
    app.edit('src/App.tsx',
      ["import './App.css'\n", "import './App.css'\nimport Note from './Note.jsx'\n"],
      ['          <Greeting />\n', '          <Greeting />\n          <Note />\n']);
    await tab.until(() => document.getElementById('note'));
    await tab.page.click('#note');
    await tab.until(() => document.getElementById('note').textContent === 'note open');
    const from = tab.mark();
    app.edit('src/Note.jsx', ">note {open ? 'open' : 'closed'}<", ">Note: {open ? 'open' : 'closed'}<");
    await tab.untilLog('[hmr] updated /src/Note.jsx', { from });
    await tab.until(() => document.getElementById('note').textContent === 'Note: open');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a React.lazy page (loaded through import()) keeps its state through an edit', async () => {
    const navs = tab.navigations;
    writeFile(app.file('src/LazyPage.tsx'), `import { useState } from 'react'

export default function LazyPage() {
  const [n, setN] = useState(0)
  return <button id="lazy" onClick={() => setN(n + 1)}>lazy page {n}</button>
}
`);
    app.edit('src/App.tsx',
      ["import './App.css'\n", "import './App.css'\nimport { lazy, Suspense } from 'react'\nconst LazyPage = lazy(() => import('./LazyPage.tsx'))\n"],
      ['          <Greeting />\n', '          <Greeting />\n          <Suspense fallback={<p>loading</p>}><LazyPage /></Suspense>\n']);
    await tab.until(() => document.getElementById('lazy'));
    for (let i = 0; i < 2; i++) await tab.page.click('#lazy');
    await tab.until(() => document.getElementById('lazy').textContent === 'lazy page 2');
    const from = tab.mark();
    app.edit('src/LazyPage.tsx', '>lazy page {n}<', '>Lazy page: {n}<');
    await tab.untilLog('[hmr] updated /src/LazyPage.tsx', { from });
    await tab.until(() => document.getElementById('lazy').textContent === 'Lazy page: 2');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(tab.navigations, navs, 'no reload');
    assert.deepEqual(problems(tab), []);
  });

  test('a syntax error in App.tsx shows the overlay and keeps the page; the fix clears it', async () => {
    const navs = tab.navigations;
    const memo = await tab.text('#memo');
    await tab.page.click('#memo');
    await tab.until((before) => document.getElementById('memo').textContent !== before, memo);
    const clicked = await tab.text('#memo');
    let from = tab.mark();
    const serverFrom = app.server.lines.length;
    app.edit('src/App.tsx', '<h1>Get going</h1>', '<h1>Get going</h2>');
    await tab.untilLog(/^\[hmr\] error \/src\/App\.tsx:\d+:\d+/, { from });
    // The engine sends the error and nothing else: App.tsx's imports (App.css, the components)
    // are not dropped from the page while it does not compile.
    const outcome = await app.server.untilLine(/^(build failed|hot update|full reload)( r\d+)?:/, { from: serverFrom });
    assert.match(outcome, /^build failed: 1 error, the page keeps its last good state/);
    const overlay = await tab.until(() => {
      const el = document.querySelector('hotloop-error-overlay');
      return el && el.shadowRoot && el.shadowRoot.textContent;
    });
    assert.match(overlay, /App\.tsx/);
    assert.equal(await tab.text('h1'), 'Get going', 'the last good page stays');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    const styled = await tab.page.evaluate(() => ({
      color: getComputedStyle(document.querySelector('button.counter')).color,
      modules: __hotloop.inspect().modules,
    }));
    assert.equal(styled.color, 'rgb(5, 150, 105)', "App.css stays applied while App.tsx does not compile");
    assert.equal(styled.modules['/src/Wrapped.tsx'], 'evaluated', "App's imports stay loaded");
    from = tab.mark();
    app.edit('src/App.tsx', '<h1>Get going</h2>', '<h1>Fixed</h1>');
    await tab.untilLog('[hmr] updated /src/App.tsx', { from });
    await tab.until(() => document.querySelector('h1').textContent === 'Fixed');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    assert.equal(await tab.text('#memo'), clicked, "children's state survives the error too");
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('a hook-signature change in App resets its count (remount), without a reload', async () => {
    const navs = tab.navigations;
    assert.equal(await tab.page.evaluate(counterText), 'Count is 3');
    app.edit('src/App.tsx',
      ["import { useState } from 'react'", "import { useRef, useState } from 'react'"],
      ['  const [count, setCount] = useState(0)\n', '  const [count, setCount] = useState(0)\n  const renders = useRef(0)\n']);
    await tab.until(() => document.querySelector('button.counter').textContent === 'Count is 0');
    assert.equal(await tab.text('h1'), 'Fixed');
    await tab.page.click('button.counter');
    await tab.until(() => document.querySelector('button.counter').textContent === 'Count is 1');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test('nothing went wrong along the way: no page errors, no duplicate React', () => {
    assert.deepEqual(problems(tab), []);
  });

  test('an error while rendering the edited component shows in the overlay; the fix renders again', async () => {
    const navs = tab.navigations;
    app.edit('src/App.tsx', '  const renders = useRef(0)\n', '  const renders = useRef(0)\n  if (count > 0) throw new Error(`render failed at ${count}`)\n');
    const overlay = await tab.until(() => {
      const el = document.querySelector('hotloop-error-overlay');
      return el && el.shadowRoot && /render failed at 1/.test(el.shadowRoot.textContent) && el.shadowRoot.textContent;
    });
    assert.match(overlay, /while React re-rendered/);
    // Without an error boundary React unmounts the tree: the overlay says why the page is empty.
    assert.equal(await tab.page.evaluate(() => document.getElementById('root').childElementCount), 0);
    app.edit('src/App.tsx', '  if (count > 0) throw new Error(`render failed at ${count}`)\n', '');
    await tab.until(() => document.querySelector('h1')?.textContent === 'Fixed');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    assert.equal(await tab.page.evaluate(counterText), 'Count is 0', 'the tree was remounted');
    assert.equal(tab.navigations, navs, 'no reload');
  });

  test("a component that throws in the page's first render shows in the overlay, not a blank page; the fix renders", async () => {
    app.edit('src/App.tsx', '  const renders = useRef(0)\n', '  const renders = useRef(0)\n  if (renders.current === 0) throw new Error(`first render failed`)\n');
    await tab.until(() => {
      const el = document.querySelector('hotloop-error-overlay');
      return el && el.shadowRoot && /first render failed/.test(el.shadowRoot.textContent);
    });
    // A fresh page: React's first render throws, and React unmounts the root.
    await tab.page.reload();
    const overlay = await tab.until(() => {
      const el = document.querySelector('hotloop-error-overlay');
      return el && el.shadowRoot && /first render failed/.test(el.shadowRoot.textContent) && el.shadowRoot.textContent;
    });
    assert.match(overlay, /while React rendered the page/);
    assert.equal(await tab.page.evaluate(() => document.getElementById('root').childElementCount), 0);
    const navs = tab.navigations;
    app.edit('src/App.tsx', '  if (renders.current === 0) throw new Error(`first render failed`)\n', '');
    await tab.until(() => document.querySelector('h1')?.textContent === 'Fixed');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    assert.equal(tab.navigations, navs, 'no reload');
  });
});

describe('React Fast Refresh with the embedded refresh runtime (no react-refresh in node_modules)', { skip, concurrency: false }, () => {
  let app, tab;

  before(async () => {
    app = await openApp(REACT_PACKAGES);
    tab = app.tab;
  });

  after(async () => {
    await app?.close();
  });

  test('hotloop drives Fast Refresh with its own copy: an edit keeps the count', async () => {
    const refresh = await tab.page.evaluate(() => __hotloop.inspect().refresh);
    assert.deepEqual(refresh, { source: 'embedded', refreshes: 0 });
    const navs = tab.navigations;
    await clickTimes(tab, 'button.counter', 2);
    await tab.until(() => document.querySelector('button.counter').textContent === 'Count is 2');
    const from = tab.mark();
    app.edit('src/App.tsx', '<h1>Get started</h1>', '<h1>Embedded refresh</h1>');
    await tab.untilLog('[hmr] updated /src/App.tsx', { from });
    await tab.until(() => document.querySelector('h1').textContent === 'Embedded refresh');
    assert.equal(await tab.page.evaluate(counterText), 'Count is 2');
    assert.equal(tab.navigations, navs, 'no reload');
    assert.deepEqual(problems(tab), []);
  });
});
