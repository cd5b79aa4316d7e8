// Server-side HMR against the real binary (`hotloop dev --server src/server.tsx`), a real
// Node.js server process and real Chromium: a server-rendered React app (renderToString in
// the fetch handler, hydrateRoot in the client entry). A shared component edited updates the
// page in place (count kept) and the next GET renders the new HTML; an API module edited
// answers anew from the same process with its hot.data counter kept; a broken server module
// shows in the page's overlay and the server keeps its last good code; a crash restarts the
// process; the process dies with hotloop. npm packages (ESM-only and CommonJS) load in the
// server process and their importers hot-update.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Server, Tab, browserAvailable, closeAll, copyFixture, editFile, installPackages, serveAndOpen, waitFor } from './lib/harness.mjs';

const skip = !browserAvailable() && 'chromium is not installed (set HOTLOOP_REQUIRE_BROWSER=1 to fail instead)';

/** The pids of the processes whose parent is `pid` (from /proc). */
function children(pid) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** GETs `url` until `accept(json)` (the update may still be on its way), or fails. */
async function fetchUntil(url, accept, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    const response = await fetch(url);
    last = response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out: ${url} last answered ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('server-side HMR: a server-rendered React app', { skip, concurrency: false }, () => {
  let root, server, browser, tab;
  const file = (rel) => path.join(root, rel);

  before(async () => {
    root = copyFixture('ssr');
    installPackages(root, ['react', 'react-dom', 'scheduler', 'react-refresh']);
    ({ server, browser, tab } = await serveAndOpen(root, { args: ['--server', 'src/server.tsx'] }));
  });

  after(async () => {
    await closeAll({ tab, browser, server });
  });

  test('the page is rendered by the server and hydrates without a mismatch', async () => {
    const html = await (await fetch(server.url + '/')).text();
    assert.match(html, /<button id="counter">clicked <!-- -->0<!-- --> times<\/button>/);
    assert.match(html, /_hotloop\/runtime\.js/, 'the client is injected');
    assert.doesNotMatch(html, /src="\/src\/client\.tsx"/, 'the entry script became the chunk');
    for (let i = 0; i < 3; i++) await tab.page.click('#counter');
    await tab.until(() => document.querySelector('#counter').textContent === 'clicked 3 times');
    assert.deepEqual(tab.log.filter((l) => /hydrat|did not match|\[pageerror\]/i.test(l)), []);
  });

  test('a shared component edited: the page updates in place, count kept, and the next GET renders it', async () => {
    const navs = tab.navigations;
    editFile(file('src/App.tsx'), 'clicked {count} times', 'pressed {count} times');
    await tab.until(() => document.querySelector('#counter').textContent === 'pressed 3 times');
    assert.equal(tab.navigations, navs, 'no reload');
    const html = await fetchUntil(server.url + '/', (t) => typeof t === 'string' && t.includes('pressed'));
    assert.match(html, /pressed <!-- -->0<!-- --> times/);
    assert.deepEqual(tab.log.filter((l) => /hydrat|did not match|\[pageerror\]/i.test(l)), []);
  });

  test('an API module edited: the next request answers anew from the same process, hot.data kept', async () => {
    const before = await fetchUntil(server.url + '/api/value', (v) => v.message === 'one');
    assert.equal(before.ssr, true, 'import.meta.env.SSR on the server');
    const from = tab.mark();
    editFile(file('src/api.ts'), "message: 'one'", "message: 'two'");
    const after = await fetchUntil(server.url + '/api/value', (v) => v.message === 'two');
    assert.equal(after.pid, before.pid, 'the process was not restarted');
    assert.ok(after.hits > before.hits, `the counter survived (${before.hits} → ${after.hits})`);
    // The page was server-rendered and does not listen to hotloop:server-update: its HTML is
    // stale, so it reloads and says why.
    await tab.untilLog(/full reload: the app's server code changed/, { from });
    await tab.untilLog('[hmr] connected', { from });
  });

  test('a server-rendered page that listens to hotloop:server-update refetches instead of reloading', async () => {
    const listening = await Tab.open(browser, server.url + '/?listen');
    try {
      await listening.untilLog('[hmr] connected');
      const navs = listening.navigations;
      const from = tab.mark();
      editFile(file('src/api.ts'), 'hits += 1;', 'hits += 1 + 0;');
      const heard = await listening.until(() => window.__serverUpdates?.[0]);
      assert.ok(heard.update.modules.includes('/src/api.ts'), JSON.stringify(heard));
      assert.equal(heard.value.message, 'two', 'it refetched from the updated server');
      assert.equal(listening.navigations, navs, 'the listening page did not reload');
      assert.deepEqual(listening.log.filter((l) => /full reload/.test(l)), []);
      // The other tab does not listen: it reloads, as above.
      await tab.untilLog(/full reload: the app's server code changed/, { from });
      await tab.untilLog('[hmr] connected', { from });
    } finally {
      await listening.close();
    }
  });

  test('a syntax error in a server module: overlay in the page, last good code served; the fix clears it', async () => {
    const from = tab.mark();
    editFile(file('src/api.ts'), "message: 'two'", "message: 'three',,");
    await tab.untilLog(/^\[hmr\] error \/src\/api\.ts:\d+:\d+/, { from });
    const overlay = await tab.until(() => document.querySelector('hotloop-error-overlay')?.shadowRoot?.textContent);
    assert.match(overlay, /\/src\/api\.ts/);
    const still = await (await fetch(server.url + '/api/value')).json();
    assert.equal(still.message, 'two', 'the last good code still answers');
    editFile(file('src/api.ts'), "message: 'three',,", "message: 'three'");
    await fetchUntil(server.url + '/api/value', (v) => v.message === 'three');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
  });

  test("a throw at a server module's top level: overlay in the page, last good code served; the fix clears it", async () => {
    editFile(file('src/api.ts'), 'export function value() {', "throw new Error('api refused to load');\nexport function value() {");
    const overlay = await tab.until(() => {
      const text = document.querySelector('hotloop-error-overlay')?.shadowRoot?.textContent ?? '';
      return text.includes('api refused to load') && text;
    });
    assert.match(overlay, /the app's server threw/);
    // At the `.ts` line that threw (the stack is source-mapped).
    assert.match(overlay, /\/src\/api\.ts:7:\d+/);
    // The page did not reload for it: it was not the page's code.
    const still = await (await fetch(server.url + '/api/value')).json();
    assert.equal(still.message, 'three', 'the last good code still answers');
    editFile(file('src/api.ts'), "throw new Error('api refused to load');\n", '');
    await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    await fetchUntil(server.url + '/api/value', (v) => v.message === 'three');
  });

  test("a page whose handler threw gets the runtime's overlay, not the app's client run against the error page", async () => {
    const marker = "if (url.pathname === '/api/value')";
    editFile(file('src/server.tsx'), marker, `if (url.pathname === '/boom') throw new Error('the handler threw on purpose');\n    ${marker}`);
    await fetchUntil(server.url + '/boom', (text) => typeof text === 'string' && text.includes('the handler threw on purpose'));
    const boom = await Tab.open(browser, server.url + '/boom');
    try {
      assert.match(await boom.text('h1'), /The app's server threw/);
      await boom.untilLog('[hmr] connected');
      const overlay = await boom.until(() => {
        const text = document.querySelector('hotloop-error-overlay')?.shadowRoot?.textContent ?? '';
        return text.includes('the handler threw on purpose') && text;
      });
      // The client entry (`hydrateRoot` of `#root`) did not run on a page that has no `#root`.
      assert.doesNotMatch(overlay, /Target container/);
      assert.deepEqual(boom.log.filter((l) => /\[pageerror\]|Target container/.test(l)), []);
    } finally {
      await boom.close();
      editFile(file('src/server.tsx'), `if (url.pathname === '/boom') throw new Error('the handler threw on purpose');\n    ${marker}`, marker);
      await fetchUntil(server.url + '/boom', (text) => typeof text === 'string' && !text.includes('the handler threw on purpose'));
    }
  });

  test("a handler's failure leaves the overlay once the same request is answered again", async () => {
    const marker = "if (url.pathname === '/api/value')";
    const flaky = "if (url.pathname === '/api/flaky' && !(globalThis as any).flakyOnce) { (globalThis as any).flakyOnce = true; throw new Error('flaky handler, once'); }";
    editFile(file('src/server.tsx'), marker, `${flaky}\n    ${marker}`);
    try {
      // The edit's first answer to /api/flaky is its one failure.
      await fetchUntil(server.url + '/api/flaky', (text) => typeof text === 'string' && text.includes('flaky handler, once'));
      await tab.until(() => document.querySelector('hotloop-error-overlay')?.shadowRoot?.textContent.includes('flaky handler, once'));
      // Another request answered says nothing of it.
      await fetchUntil(server.url + '/api/value', (v) => v.message === 'three');
      assert.ok(await tab.page.evaluate(() => Boolean(document.querySelector('hotloop-error-overlay'))), 'the overlay stays');
      const again = await fetch(server.url + '/api/flaky');
      assert.equal(again.status, 200);
      await tab.until(() => !document.querySelector('hotloop-error-overlay'));
    } finally {
      editFile(file('src/server.tsx'), `${flaky}\n    ${marker}`, marker);
    }
  });

  test('the process killed with SIGKILL is restarted and serves again; it dies with hotloop', async () => {
    const { pid } = await (await fetch(server.url + '/api/value')).json();
    process.kill(pid, 'SIGKILL');
    await server.untilLine(/the app's server exited/);
    const again = await fetchUntil(server.url + '/api/value', (v) => v.pid && v.pid !== pid);
    assert.equal(again.message, 'three', 'restarted on the current code');
    const html = await fetchUntil(server.url + '/', (t) => typeof t === 'string' && t.includes('pressed'));
    assert.match(html, /pressed/);

    // No orphan: hotloop's children are gone with it, and so are the runtime files it ran
    // (the temp dir of `node <dir>/server.js`).
    const hotloop = server.child.pid;
    assert.ok(children(hotloop).includes(again.pid), 'the server process is a child of hotloop');
    const script = fs.readFileSync(`/proc/${again.pid}/cmdline`, 'utf8').split('\0').find((a) => a.endsWith('/server.js'));
    assert.ok(script && fs.existsSync(script), `the server's script: ${script}`);
    await server.stop();
    assert.equal(fs.existsSync(path.dirname(script)), false, `${path.dirname(script)} removed when hotloop stopped`);
    await waitFor(() => !alive(again.pid), {
      timeout: 10_000,
      subscribe: (check) => {
        const timer = setInterval(check, 50);
        return () => clearInterval(timer);
      },
      describe: () => `server process ${again.pid} still alive after hotloop stopped`,
    });
  });
});

describe('server-side HMR: npm packages on the server (ESM-only and CommonJS)', { skip, concurrency: false }, () => {
  let root, server;
  const file = (rel) => path.join(root, rel);

  before(async () => {
    root = copyFixture('ssr');
    installPackages(root, ['react', 'react-dom', 'scheduler', 'react-refresh', 'escape-string-regexp', 'nanoid', 'escape-html']);
    server = await Server.start(root, { args: ['--server', 'src/packages.ts'] });
  });

  after(async () => {
    await server?.stop();
  });

  const works = (v) => v.regexp === 'a\\.b\\*c' && v.html === '&lt;b&gt;&amp;&lt;/b&gt;' && v.id === 8;

  test('the packages load in the server process, and editing their importer updates it in place', async () => {
    const first = await fetchUntil(server.url + '/', (v) => v.version === 'v1');
    assert.ok(works(first), JSON.stringify(first));
    editFile(file('src/packages.ts'), "version: 'v1'", "version: 'v2'");
    const second = await fetchUntil(server.url + '/', (v) => v.version === 'v2');
    assert.ok(works(second), JSON.stringify(second));
    assert.equal(second.pid, first.pid, 'updated in place, not restarted');
    editFile(file('src/label.ts'), "'first'", "'second'");
    const third = await fetchUntil(server.url + '/', (v) => v.label === 'second');
    assert.ok(works(third), JSON.stringify(third));
    assert.equal(third.pid, first.pid);
    // A package newly imported by an edit is loaded by the update.
    editFile(file('src/label.ts'), "export const label: string = 'second';",
      "import escapeHtml from 'escape-html';\nexport const label: string = escapeHtml('<third>');");
    const fourth = await fetchUntil(server.url + '/', (v) => v.label === '&lt;third&gt;');
    assert.equal(fourth.pid, first.pid);
  });
});

describe('server-side HMR: an Express-style listener', { skip, concurrency: false }, () => {
  let root, server;

  before(async () => {
    root = copyFixture('ssr');
    installPackages(root, ['react', 'react-dom', 'scheduler', 'react-refresh']);
    server = await Server.start(root, { args: ['--server', 'src/express.ts'] });
  });

  after(async () => {
    await server?.stop();
  });

  test('answers any method and updates in place', async () => {
    const post = await fetch(server.url + '/items', { method: 'POST', body: 'x' });
    assert.equal(await post.text(), 'listener POST /items');
    editFile(path.join(root, 'src/express.ts'), 'listener ${req.method}', 'app ${req.method}');
    const text = await fetchUntil(server.url + '/items', (t) => t === 'app GET /items');
    assert.equal(text, 'app GET /items');
  });
});

describe("server-side HMR: the server entry named by vite.config's `hotloop.server`", { skip, concurrency: false }, () => {
  let root, server;

  before(async () => {
    root = copyFixture('ssr');
    installPackages(root, ['react', 'react-dom', 'scheduler', 'react-refresh']);
    fs.writeFileSync(path.join(root, 'vite.config.mjs'), "export default { hotloop: { server: 'src/express.ts' } };\n");
    server = await Server.start(root);
  });

  after(async () => {
    await server?.stop();
  });

  test('runs it without --server', async () => {
    const text = await fetchUntil(server.url + '/items', (t) => t === 'listener GET /items');
    assert.equal(text, 'listener GET /items');
  });
});
