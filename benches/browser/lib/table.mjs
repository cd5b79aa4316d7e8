// The summary: per fixture, one row for the floor, one for hotloop (and one for `--base`), from all rounds' sessions
// (medians of per-round values for starts and reloads; p50/p95 over every save pooled across
// rounds for edits), printed as a Markdown table that can be pasted into the README.
import { fmt, median, percentile, round2 } from './stats.mjs';

const flat = (sessions, f) => sessions.flatMap((s) => f(s) ?? []);

/**
 * Summary rows of one fixture's sessions (`{ role: 'floor'|'first'|'hotloop'|'base-first'|'base',
 * ...session }`): the floor's, hotloop's and, when `--base` ran, the base binary's.
 */
export function summarize(sessions) {
  const by = (role) => sessions.filter((s) => s.role === role);
  const floor = by('floor');
  const f = floorRow(floor);
  const rows = [f, serverRow('hotloop', by('first'), by('hotloop'), f)];
  if (by('base').length) rows.push(serverRow('base', by('base-first'), by('base'), f));
  return rows;
}

function row(server, s) {
  return {
    server,
    rounds: s.length,
    coldMs: round2(median(s.map((x) => x.coldMs))),
    coldRangeMs: s.length ? [Math.min(...s.map((x) => x.coldMs)), Math.max(...s.map((x) => x.coldMs))] : null,
    pageKB: round2(median(s.map((x) => x.pageKB))),
    warmReloadMs: round2(median(flat(s, (x) => x.warmReloadMs))),
  };
}

const floorRow = (floor) => row('floor', floor);

function serverRow(server, first, hot, f) {
  const h = row(server, hot);
  h.firstStartMs = round2(median(first.map((x) => x.coldMs)));
  h.firstStartListenMs = round2(median(first.map((x) => x.listenMs)));
  h.listenMs = round2(median(hot.map((x) => x.listenMs)));
  for (const [metric, key] of [['leaf', 'leaf'], ['css', 'css'], ['mid', 'mid']]) {
    const xs = flat(hot, (x) => x.edits?.[metric]);
    h[key] = { n: xs.length, p50: round2(percentile(xs, 50)), p95: round2(percentile(xs, 95)), max: xs.length ? Math.max(...xs) : null };
  }
  const st = hot.map((x) => x.stateKept).filter(Boolean);
  h.stateKept = st.length ? { kept: st.reduce((a, x) => a + x.kept, 0), of: st.reduce((a, x) => a + x.of, 0) } : null;
  h.rssEndMb = round2(median(hot.map((x) => x.rssMb)));
  h.coldVsFloor = f.coldMs ? round2(h.coldMs / f.coldMs) : null;
  return h;
}

const HEAD = ['fixture', 'server', 'first start', 'cold start', 'page kB', 'warm reload', 'mid → reload', 'leaf p50', 'leaf p95', 'CSS p50', 'CSS p95', 'state kept', 'RSS end (MB)'];

/** The Markdown table of every fixture's summary rows: [{ kind, modules, rows }]. */
export function table(fixtures) {
  const lines = [`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const fx of fixtures) {
    const name = `${fx.kind} ${fx.modules >= 1000 && fx.modules % 1000 === 0 ? `${fx.modules / 1000}k` : fx.modules}`;
    for (const r of fx.rows) {
      const cells = r.server === 'floor'
        ? [name, 'floor', '-', fmt(r.coldMs), fmt(r.pageKB), fmt(r.warmReloadMs), '-', '-', '-', '-', '-', '-', '-']
        : [name, r.server, fmt(r.firstStartMs), fmt(r.coldMs), fmt(r.pageKB), fmt(r.warmReloadMs), fmt(r.mid.p50),
          fmt(r.leaf.p50), fmt(r.leaf.p95), fmt(r.css.p50), fmt(r.css.p95), r.stateKept ? `${r.stateKept.kept}/${r.stateKept.of}` : '-', fmt(r.rssEndMb)];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** One line per fixture and binary: its cold start as a multiple of the floor's, and the sample counts. */
export function notes(fixtures) {
  return fixtures.flatMap((fx) => {
    const f = fx.rows.find((r) => r.server === 'floor');
    return fx.rows.filter((r) => r.server !== 'floor').map((h) => note(fx, f, h));
  }).join('\n');
}

function note(fx, f, h) {
  const range = (r) => (r.coldRangeMs ? `${fmt(r.coldRangeMs[0])}–${fmt(r.coldRangeMs[1])}` : '-');
  return `${fx.kind} ${fx.modules}: ${h.server} cold start ${fmt(h.coldVsFloor === null ? NaN : h.coldVsFloor * 100)} % of the floor's `
    + `(rounds: floor ${range(f)}, ${h.server} ${range(h)}); `
    + `${h.rounds} round${h.rounds === 1 ? '' : 's'}; ${h.leaf.n} leaf, ${h.css.n} CSS, ${h.mid.n} mid saves; server answered after ${fmt(h.listenMs)} ms (first start ${fmt(h.firstStartListenMs)} ms)`;
}
