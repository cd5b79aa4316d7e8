// One browser tab for one server session: a fresh browser context (no HTTP cache, no storage
// from an earlier session) with the probe (lib/probe.mjs) in every document, the probe's events
// collected in order, the page's console kept for failure messages, and page times mapped onto
// Node's clock.
//
// Clock: the probe stamps an event with the page's `performance.timeOrigin + performance.now()`
// when it sees the change; Node stamps a save just before `writeFileSync` with its own
// `performance.timeOrigin + performance.now()`. Both are epoch-based but not necessarily equal,
// so per document the offset between them is estimated from the fastest of 10 `evaluate` round
// trips (error at most half that round trip, typically ~0.2 ms). The moment the event reaches
// Node (`tn`) is kept too, but not used for results: the binding's transit is ~1 ms normally and
// tens of ms while a freshly loaded document is still busy.
import { probe } from './probe.mjs';
import { nowMs, within } from './proc.mjs';

export class Tab {
  static async open(browser, ready) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const tab = new Tab(context);
    await context.exposeBinding('__benchEmit', (_source, ev) => tab.onEvent(ev));
    await context.addInitScript(probe, ready);
    tab.page = await context.newPage();
    tab.page.on('console', (m) => tab.note(`console.${m.type()}: ${m.text()}`));
    tab.page.on('pageerror', (e) => tab.note(`pageerror: ${e.message}`));
    await tab.page.goto('about:blank');
    return tab;
  }

  constructor(context) {
    this.context = context;
    this.page = null;
    this.events = [];
    this.listeners = new Set();
    this.docs = [];
    this.offsets = new Map();
    this.log = []; // [{ tn, line }], the page's console and errors
  }

  get doc() { return this.docs[this.docs.length - 1] ?? null; }

  note(line) {
    this.log.push({ tn: nowMs(), line: line.slice(0, 400) });
    if (this.log.length > 2000) this.log.splice(0, 1000);
  }

  /** Console lines since Node time `t` (the last `n`). */
  logSince(t, n = 12) { return this.log.filter((l) => l.tn >= t).slice(-n).map((l) => l.line); }

  onEvent(ev) {
    ev.tn = nowMs();
    if (ev.type === 'doc') this.docs.push(ev.doc);
    this.events.push(ev);
    for (const l of [...this.listeners]) l(ev);
  }

  /** A position in the event list: `wait(..., from)` looks at events from there on. */
  mark() { return this.events.length; }

  /** The first event from `from` on that matches `pred`, or null after `timeoutMs`. */
  wait(pred, from, timeoutMs) {
    for (let k = from; k < this.events.length; k++) if (pred(this.events[k])) return Promise.resolve(this.events[k]);
    return new Promise((resolve) => {
      const l = (ev) => { if (pred(ev)) { this.listeners.delete(l); clearTimeout(timer); resolve(ev); } };
      const timer = setTimeout(() => { this.listeners.delete(l); resolve(null); }, Math.max(0, timeoutMs));
      this.listeners.add(l);
    });
  }

  /** Estimates the current document's clock offset (page epoch ms − Node epoch ms). */
  async syncClock() {
    let best = null;
    for (let k = 0; k < 10; k++) {
      const t1 = nowMs();
      let r;
      try {
        r = await this.page.evaluate(() => [performance.timeOrigin + performance.now(), window.__bench ? window.__bench.doc : null]);
      } catch {
        continue; // navigating
      }
      const t2 = nowMs();
      if (r[1] && (!best || t2 - t1 < best.rtt)) best = { rtt: t2 - t1, offset: r[0] - (t1 + t2) / 2, doc: r[1] };
    }
    if (best) this.offsets.set(best.doc, best.offset);
    return best;
  }

  /** The Node epoch time at which the page observed `ev`. */
  async timeOf(ev) {
    if (!this.offsets.has(ev.doc) && ev.doc === this.doc) await this.syncClock();
    const off = this.offsets.get(ev.doc);
    if (off === undefined) throw new Error(`no clock offset for document ${ev.doc} (it was replaced before it could be measured)`);
    return ev.t - off;
  }

  /** What the current document loaded: request count and body bytes (Resource Timing). */
  resources() {
    return this.page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const res = performance.getEntriesByType('resource');
      let bytes = nav ? nav.encodedBodySize : 0;
      for (const r of res) bytes += r.encodedBodySize || 0;
      return { requests: res.length + 1, bytes };
    });
  }

  async close() {
    // (bounded: a context that never closes must not hold the run; the browser goes at the end)
    try { await within(this.context.close(), 10000, () => undefined); } catch { /* browser gone */ }
  }
}
