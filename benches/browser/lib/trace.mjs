// Chromium trace and V8 profile analysis shared by the lazy-routes tools (lazy-nav-trace.mjs,
// lazy-start-trace.mjs): the main thread's top-level tasks between two user-timing marks, by
// kind, and sampled JS self time by where the function comes from; and the app's leaves per
// subtree, which both tools wait for.

import fs from 'node:fs';
import path from 'node:path';

/** The leaves of each subtree `src/r<k>` of the app in `app`, counted from its generated sources. */
export function leafCounts(app) {
  const counts = [];
  for (let k = 0; ; k++) {
    const dir = path.join(app, 'src', `r${k}`);
    if (!fs.existsSync(dir)) break;
    let n = 0;
    for (const sub of fs.readdirSync(dir)) {
      for (const f of fs.readdirSync(path.join(dir, sub))) {
        if (fs.readFileSync(path.join(dir, sub, f), 'utf8').includes(`leaf-${k}`)) n++;
      }
    }
    counts.push(n);
  }
  return counts;
}

/**
 * A page init script (`page.addInitScript(renderMarks, { className, want })`): the user-timing
 * mark `start-begin` as the document starts, `start-end` on the first frame with `want`
 * elements of `className` in the DOM ([`mainThread`] reads the time between them).
 */
export const renderMarks = ({ className, want }) => {
  performance.mark('start-begin');
  const check = () => {
    if (document.getElementsByClassName(className).length >= want) performance.mark('start-end');
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
};

/** A duration in ms, right-aligned for the tools' tables. */
export const fmt = (x) => x.toFixed(1).padStart(7);

/** Top-level main-thread tasks between two user-timing marks (`startMark`, `endMark`), by kind, and the idle time. */
export function mainThread(events, startMark = 'nav-start', endMark = 'nav-end') {
  const start = events.find((e) => e.name === startMark && e.ph !== 'e');
  const end = events.find((e) => e.name === endMark && e.ph !== 'e');
  if (!start || !end) return null;
  const tid = start.tid;
  const pid = start.pid;
  const t0 = start.ts;
  const t1 = end.ts;
  const mine = events.filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.ts + (e.dur || 0) > t0 && e.ts < t1);
  // Top-level tasks: RunTask (the scheduler's) and their direct kinds.
  const all = mine.filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask').sort((a, b) => a.ts - b.ts);
  // Only the outermost tasks (a nested run loop runs tasks inside a task).
  const tasks = [];
  for (const t of all) if (!tasks.length || t.ts >= tasks[tasks.length - 1].ts + tasks[tasks.length - 1].dur) tasks.push(t);
  let busy = 0;
  for (const t of tasks) busy += Math.min(t.ts + t.dur, t1) - Math.max(t.ts, t0);
  const kinds = {};
  const add = (k, d) => { kinds[k] = (kinds[k] || 0) + d; };
  const NAMES = ['EvaluateScript', 'v8.compile', 'v8.compileModule', 'FunctionCall', 'V8.ParseOnBackground', 'RunMicrotasks', 'UpdateLayoutTree', 'Layout', 'Paint', 'PrePaint', 'Layerize', 'Commit', 'ParseHTML', 'TimerFire', 'FireAnimationFrame', 'MajorGC', 'MinorGC', 'V8.GC_SCAVENGER', 'BlinkGC.AtomicPhase', 'ResourceReceivedData', 'v8.produceCache', 'v8.evaluateModule', 'HitTest', 'ScheduleStyleRecalculation'];
  // Each event counted once: nested events of a kind already counted above it are skipped.
  const stack = [];
  const sorted = mine.slice().sort((a, b) => a.ts - b.ts || (b.dur || 0) - (a.dur || 0));
  for (const e of sorted) {
    while (stack.length && stack[stack.length - 1].end <= e.ts) stack.pop();
    const counted = NAMES.includes(e.name);
    const inside = stack.some((s) => s.counted);
    if (counted && !inside) add(e.name, (Math.min(e.ts + e.dur, t1) - Math.max(e.ts, t0)) / 1000);
    stack.push({ end: e.ts + (e.dur || 0), counted: counted || inside });
  }
  const gc = events.filter((e) => e.pid === pid && e.tid === tid && /GC|Scavenge|MarkCompact/.test(e.name) && e.ph === 'X' && e.ts > t0 && e.ts < t1);
  const gcMs = gc.filter((e) => e.name === 'MajorGC' || e.name === 'MinorGC').reduce((s, e) => s + e.dur / 1000, 0);
  return { total: (t1 - t0) / 1000, busy: busy / 1000, idle: (t1 - t0 - busy) / 1000, kinds, gcMs };
}

/** Self time of the sampled JS, by where the function comes from. */
export function jsByOrigin(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) || 0) + (deltas[i] || 0));
  }
  const origin = (n) => {
    const url = n.callFrame.url || '';
    const fn = n.callFrame.functionName;
    if (!url) return fn === '(garbage collector)' ? 'gc' : fn === '(idle)' ? 'idle' : fn === '(program)' ? 'program (native)' : `native ${fn}`;
    if (/_hotloop\/(runtime|client)|hotloop-runtime|__hotloop/.test(url)) return `hotloop runtime`;
    if (/react-dom/.test(url)) return 'react-dom';
    if (/lucide/.test(url)) return 'lucide-react';
    if (/node_modules/.test(url)) return 'other packages';
    if (/\/src\//.test(url)) return 'app modules';
    return url.replace(/^https?:\/\/[^/]+/, '').slice(0, 60);
  };
  const out = {};
  const fns = {};
  for (const [id, us] of self) {
    const n = byId.get(id);
    const o = origin(n);
    out[o] = (out[o] || 0) + us / 1000;
    const key = `${o}: ${n.callFrame.functionName || '(anon)'} ${(n.callFrame.url || '').replace(/^https?:\/\/[^/]+/, '').slice(-40)}:${n.callFrame.lineNumber}`;
    fns[key] = (fns[key] || 0) + us / 1000;
  }
  const top = Object.entries(fns).sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP_N || 25));
  return { out, top };
}

