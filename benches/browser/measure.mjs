// One session: one server (hotloop or the floor) on one fixture, in a fresh browser context.
// Cold start, page bytes, warm reloads and, when the plan asks, the edits: leaf saves (expected
// hot update), CSS saves (expected in-place swap) and mid saves (expected full reload), then the
// server's RSS. Times are in ms; every save is timed from just before `writeFileSync` to the
// moment the page showed the change (see lib/page.mjs for the clock).
//
//   cold start   server start (spawn / listen) → the page has rendered every leaf; the browser
//                navigates as soon as `GET /` answers (polled every 5 ms)
//   warm reload  page.reload() → every leaf rendered again (server warm, browser caches as Chromium
//                keeps them)
//   leaf         save a token into a leaf module → a text node holding it is in the DOM
//   css          save a token into the stylesheet → `getComputedStyle(#bench-css-probe)` shows it
//   mid          save a token into a mid module → a NEW document shows it and has rendered every
//                leaf (the later of the two)
//
// Every edit must show and must have the expected outcome: a hot edit that reloads the page, a
// mid edit that does not, an edit that never shows within the time-out, all throw a BenchError
// whose message says what was written, what the page did, the page's console and the server's
// log. Nothing is averaged over a failure.
import { Editor } from './lib/edit.mjs';
import { Tab } from './lib/page.mjs';
import { httpText, nowMs, sleep, untilAnswers, untilQuiet, within } from './lib/proc.mjs';
import { round2 } from './lib/stats.mjs';

export class BenchError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BenchError';
  }
}

const RELOAD_WATCH_MS = 250; // after a hot change shows, watch this long for an unwanted reload
const SETTLE_MS = 120; // pause between saves so the watcher's coalescing window has passed
const IDLE_MS = 15000; // a page's runtime must have handled every message within this

let tokenSeq = 0;
const runTag = Math.random().toString(36).slice(2, 6).replace(/[^a-z0-9]/g, 'x');
const newToken = () => `bt_${runTag}${(tokenSeq++).toString(36)}_`;

/** The i-th of n targets in round r of R: spread evenly over the list, different every round. */
function pickTarget(targets, i, n, r, R) {
  const slot = i * R + r;
  return targets[Math.floor(((slot + 0.5) * targets.length) / (n * R)) % targets.length];
}

/**
 * Runs one session. `plan`: { warmReloads, edits (per group and for CSS; 0 = none), midEdits,
 * round, rounds, timeoutMs, readyTimeoutMs }. Returns the measurements; throws BenchError.
 */
export async function runSession({ browser, server, root, manifest, plan, say = () => {} }) {
  const tab = await Tab.open(browser, manifest.ready);
  const editor = new Editor(root);
  const out = { server: server.name, round: plan.round };
  const where = `${server.name} on ${manifest.kind}-${manifest.modules}`;
  const fail = async (what, t0, extra = []) => {
    const lines = [`${where}: ${what}`, ...extra];
    lines.push(`  documents in this session: ${tab.docs.length} (a full reload adds one)`);
    const log = tab.logSince(t0);
    if (log.length) lines.push('  page console since then:', ...log.map((l) => `    ${l}`));
    const tail = server.logTail();
    if (tail) lines.push(`  server log (${server.logFile}), last lines:`, ...tail.split('\n').map((l) => `    ${l}`));
    return new BenchError(lines.join('\n'));
  };
  // tab.wait, but a server that exits meanwhile fails at once instead of at the time-out.
  const waitFor = async (pred, from, ms, t0) => {
    const deadline = nowMs() + ms;
    for (;;) {
      const ev = await tab.wait(pred, from, Math.max(0, Math.min(250, deadline - nowMs())));
      if (ev) return ev;
      if (!server.alive()) throw await fail(`the server exited (${JSON.stringify(server.exit)})`, t0);
      if (nowMs() >= deadline) return null;
    }
  };
  // Between saves: the watcher's coalescing window passes, hotloop's runtime has handled every
  // message and its WebSocket is open (after a reload the new page must connect before a save).
  const settle = async () => {
    await sleep(SETTLE_MS);
    const t0 = nowMs();
    const evaluated = tab.page.evaluate(async () => {
      const h = window.__hotloop;
      if (!h || !h.inspect) return 'no runtime';
      for (let k = 0; k < 500 && !h.inspect().connected; k++) await new Promise((r) => setTimeout(r, 10));
      await h.whenIdle();
      return h.inspect().connected ? 'connected' : 'not connected';
    }).catch((e) => `evaluate failed: ${e.message}`);
    // (a page whose runtime never goes idle, or an evaluate lost in a navigation, would hang the run)
    const state = await within(evaluated, IDLE_MS, () => 'timed out');
    if (state === 'not connected') throw await fail('the page\'s hotloop runtime did not connect its WebSocket within 5 s', t0);
    if (state === 'timed out') {
      const seen = await within(tab.page.evaluate(() => {
        const h = window.__hotloop;
        const i = h && h.inspect ? h.inspect() : null;
        return i ? JSON.stringify({ revision: i.revision, connected: i.connected, url: location.href, readyState: document.readyState }) : `no runtime (${document.readyState})`;
      }).catch((e) => `evaluate failed: ${e.message}`), 3000, () => 'no answer');
      throw await fail(`the page's hotloop runtime did not become idle within ${IDLE_MS} ms (page: ${seen})`, t0);
    }
  };

  try {
    // ---- cold start --------------------------------------------------------------------------
    await server.prepare();
    // The browser's own work for the new tab is done before the clock starts (`untilQuiet`).
    await untilQuiet();
    const from = tab.mark();
    const tStart = server.start();
    const deadline = tStart + plan.readyTimeoutMs;
    const tListen = await untilAnswers(server.port, { deadline, alive: () => server.alive(), what: where }).catch(async (e) => { throw await fail(e.message, tStart); });
    let gotoError = null;
    tab.page.goto(`http://127.0.0.1:${server.port}/`, { waitUntil: 'commit', timeout: plan.readyTimeoutMs }).catch((e) => { gotoError = e.message; });
    const ready = await waitFor((e) => e.type === 'ready', from, deadline - nowMs(), tStart);
    if (!ready) {
      const count = await tab.page.evaluate(() => (window.__bench ? window.__bench.count() : -1)).catch(() => -1);
      throw await fail(`the app never rendered: ${count} of ${manifest.ready.count} .${manifest.ready.className} elements after ${plan.readyTimeoutMs} ms${gotoError ? ` (navigation: ${gotoError})` : ''}`, tStart);
    }
    out.coldMs = round2((await tab.timeOf(ready)) - tStart);
    out.listenMs = round2(tListen - tStart);
    const res = await tab.resources();
    out.requests = res.requests;
    out.pageKB = round2(res.bytes / 1024);
    const css0 = await tab.page.evaluate(() => window.__bench.cssToken());
    if (!css0.includes('v0')) throw await fail(`the stylesheet is not applied after load (--bench-token is ${JSON.stringify(css0)})`, tStart);
    say(`${where}: cold ${out.coldMs} ms (answered ${out.listenMs} ms), ${out.requests} requests, ${out.pageKB} kB`);

    // ---- warm reloads ------------------------------------------------------------------------
    out.warmReloadMs = [];
    for (let k = 0; k < plan.warmReloads; k++) {
      await sleep(SETTLE_MS);
      const before = tab.doc;
      const m = tab.mark();
      const t0 = nowMs();
      tab.page.reload({ waitUntil: 'commit', timeout: plan.readyTimeoutMs }).catch(() => {});
      const ev = await waitFor((e) => e.type === 'ready' && e.doc !== before, m, plan.readyTimeoutMs, t0);
      if (!ev) throw await fail(`warm reload ${k + 1}: the app did not render again within ${plan.readyTimeoutMs} ms`, t0);
      out.warmReloadMs.push(round2((await tab.timeOf(ev)) - t0));
    }

    // ---- edits -------------------------------------------------------------------------------
    out.edits = {};
    out.stateKept = null;
    if (plan.edits > 0) {
      await settle();
      for (const group of manifest.groups) {
        const n = group.expect === 'reload' ? plan.midEdits : plan.edits;
        out.edits[group.metric] = [];
        if (group.state) out.stateKept = { kept: 0, of: 0 };
        for (let i = 0; i < n; i++) {
          const target = pickTarget(group.targets, i, n, plan.round, plan.rounds);
          const r = await jsEdit(group, target);
          out.edits[group.metric].push(r.ms);
          if (group.state) { out.stateKept.of++; if (r.stateKept) out.stateKept.kept++; }
          await settle();
        }
      }
      out.edits.css = [];
      for (let i = 0; i < plan.edits; i++) {
        out.edits.css.push(await cssEdit(i));
        await settle();
      }
    }
    out.rssMb = server.rssMb() === null ? null : round2(server.rssMb());
    if (plan.edits > 0) {
      // The files back as they were while the server still runs, as a developer's last save
      // is before they stop it: the next session starts on the files this one ended with (its
      // compile cache and its last page, `engine/src/last_page.rs`, are of them).
      editor.restore();
      await settle();
    }
    return out;
  } finally {
    await tab.close();
    await server.stop();
    editor.close();
  }

  // One JS save; resolves to { ms, stateKept }.
  async function jsEdit(group, target) {
    const tok = newToken();
    const text = editor.withToken(target.file, tok);
    let countBefore = null;
    if (group.state) {
      countBefore = await tab.page.evaluate(async (id) => {
        const el = document.getElementById(id);
        if (!el) return null;
        const before = Number(el.dataset.count);
        el.click();
        for (let k = 0; k < 200 && Number(document.getElementById(id)?.dataset.count) === before; k++) await new Promise((r) => setTimeout(r, 5));
        return Number(document.getElementById(id)?.dataset.count);
      }, target.id);
      if (!(countBefore > 0)) throw await fail(`clicking #${target.id} did not raise its counter (data-count ${countBefore})`, nowMs());
      await sleep(SETTLE_MS);
    }
    const docBefore = tab.doc;
    const docsBefore = tab.docs.length;
    const m = tab.mark();
    const t0 = nowMs();
    editor.save(target.file, text);
    const limit = group.expect === 'reload' ? plan.readyTimeoutMs : plan.timeoutMs;
    const seen = await waitFor((e) => e.type === 'token' && e.tok === tok, m, limit, t0);
    if (!seen) throw await neverShown(`${group.metric} edit`, target.file, tok, t0, limit, docsBefore);
    if (group.expect === 'hot') {
      if (seen.doc !== docBefore) throw await fail(`${group.metric} edit of ${target.file} was expected to hot-update, but the page reloaded`, t0);
      const reload = await tab.wait((e) => e.type === 'doc', m, RELOAD_WATCH_MS);
      if (reload) throw await fail(`${group.metric} edit of ${target.file} showed in place, then the page reloaded`, t0);
      const ms = round2((await tab.timeOf(seen)) - t0);
      let stateKept;
      if (group.state) {
        const after = await tab.page.evaluate((id) => Number(document.getElementById(id)?.dataset.count), target.id);
        stateKept = after === countBefore;
      }
      return { ms, stateKept };
    }
    // expect 'reload': the token must show in a new document, which must render completely
    const left = () => Math.max(1, t0 + limit - nowMs());
    // (a server may run the new code in place first and then reload: the reload is what counts)
    if (seen.doc === docBefore && !(await tab.wait((e) => e.type === 'doc' && e.doc !== docBefore, m, plan.timeoutMs))) {
      throw await fail(`${group.metric} edit of ${target.file} was expected to reload the page, but it updated in place and no reload began within ${plan.timeoutMs} ms`, t0);
    }
    const final = seen.doc !== docBefore ? seen : await waitFor((e) => e.type === 'token' && e.tok === tok && e.doc !== docBefore, m, left(), t0);
    if (!final) throw await neverShown(`${group.metric} edit (after the reload)`, target.file, tok, t0, limit, docsBefore);
    const ready = await waitFor((e) => e.type === 'ready' && e.doc === final.doc, m, left(), t0);
    if (!ready) throw await fail(`${group.metric} edit of ${target.file}: the reloaded page never rendered all leaves`, t0);
    const ms = round2(Math.max(await tab.timeOf(final), await tab.timeOf(ready)) - t0);
    return { ms };
  }

  // One CSS save; resolves to ms.
  async function cssEdit(i) {
    const tok = newToken();
    const text = editor.cssWithToken(manifest.css, tok, i + 1);
    await tab.page.evaluate(([t, ms]) => window.__bench.armCss(t, ms), [tok, plan.timeoutMs + 1000]);
    const docBefore = tab.doc;
    const docsBefore = tab.docs.length;
    const m = tab.mark();
    const t0 = nowMs();
    editor.save(manifest.css, text);
    const seen = await waitFor((e) => e.type === 'css' && e.tok === tok, m, plan.timeoutMs, t0);
    if (!seen) throw await neverShown('CSS edit', manifest.css, tok, t0, plan.timeoutMs, docsBefore);
    if (seen.doc !== docBefore || (await tab.wait((e) => e.type === 'doc', m, RELOAD_WATCH_MS))) {
      throw await fail(`CSS edit of ${manifest.css} was expected to swap in place, but the page reloaded`, t0);
    }
    return round2((await tab.timeOf(seen)) - t0);
  }

  async function neverShown(what, file, tok, t0, limit, docsBefore) {
    const extra = [];
    const served = await httpText(server.port, `/${file}`);
    if (served) extra.push(`  GET /${file} now: ${served.status}, ${served.text.length} bytes, ${served.text.includes(tok) ? 'holds' : 'does NOT hold'} the token`);
    extra.push(`  reloads since the save: ${tab.docs.length - docsBefore}`);
    return fail(`${what} never showed: saved token ${tok} into ${file}, not in the page after ${limit} ms`, t0, extra);
  }
}
