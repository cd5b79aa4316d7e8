// Plugin errors, pure helpers of the host (tested by `js/tests/errors.test.mjs`).

// (Babel marks the error's line with `>`.)
const FRAME_LINE = /^\s*>?\s*(\d+\s*)?\|/;

/**
 * Splits a message that carries a code frame of its own after a blank line (and, optionally,
 * a line naming the file), as @vue/compiler-sfc's errors do:
 * `"[vue/compiler-sfc] Unexpected token (4:0)\n\n/abs/App.vue\n1  |  <script>\n   |  ^"` →
 * `['[vue/compiler-sfc] Unexpected token (4:0)', '1  |  <script>\n   |  ^']`, and as Babel's
 * do (`> 12 | <Title <id>` marking the line). A message
 * without one comes back whole, with `null`. The overlay then shows one frame, not two.
 */
export function splitMessageFrame(message) {
  if (typeof message !== 'string') return [message, null];
  const at = message.indexOf('\n\n');
  if (at === -1) return [message, null];
  let lines = message.slice(at + 2).split('\n');
  if (lines.length > 1 && !FRAME_LINE.test(lines[0])) lines = lines.slice(1);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (!lines.length || !lines.every((l) => FRAME_LINE.test(l))) return [message, null];
  return [message.slice(0, at).trimEnd(), lines.join('\n')];
}

/**
 * The first error of a summary error: Vite's `transformWithOxc` throws "Transform failed with
 * N errors" with Rolldown's errors (Rollup's shape: `loc` with a 1-based line and 0-based
 * column, `id`) in `errors`, esbuild's transform the same with esbuild's (`text`, `location`
 * with the same counts); plugins rethrow them (vanilla-extract compiling a `.css.ts`). `{
 * message, loc, id }` of the first, its message's first line (Oxc's own frame follows it), or
 * null for any other error.
 */
export function firstOfSummary(e) {
  const first = Array.isArray(e?.errors) ? e.errors[0] : null;
  if (!first || typeof first !== 'object') return null;
  const where = first.loc ?? first.location;
  if (where?.line == null) return null;
  const message = String(first.message ?? first.text ?? '').split('\n')[0];
  // (An absolute path, as Vite passes the module's; anything else names no file here.)
  const id = [first.id, where.file].find((f) => typeof f === 'string' && f.startsWith('/')) ?? null;
  return { message, loc: { line: Number(where.line), column: Number(where.column ?? 0) }, id };
}

// swc's (miette's) report: `  x Expression expected`, then the snippet under a header naming
// the file (`,-[/abs/App.tsx:4:1]`, or `╭─[` drawn in Unicode), its lines as ` 4 | code`, and
// the marked one followed by `   :    ^`.
const MIETTE_HEADER = /(?:,-|╭─)\[(.+):(\d+):(\d+)\]/;
const MIETTE_LINE = /^\s*(\d+)\s[|│]/;
const MIETTE_MARK = /^(\s*[:·]\s?)(\s*)[\^▲]/;

/**
 * The position of the first error in an swc report (what `@swc/core` throws, which
 * `@vitejs/plugin-react-swc` and other swc-based plugins pass on): `{ file, line, column }`
 * (line 1-based, column 0-based, at the first mark under a line), the header's line when no mark
 * is found, or null for any other message.
 */
export function miettePosition(message) {
  if (typeof message !== 'string') return null;
  const header = MIETTE_HEADER.exec(message);
  if (!header) return null;
  const at = { file: header[1], line: Number(header[2]), column: Math.max(0, Number(header[3]) - 1) };
  let last = null;
  for (const line of message.slice(header.index).split('\n').slice(1)) {
    const code = MIETTE_LINE.exec(line);
    if (code) {
      last = { number: Number(code[1]), gutter: code[0].length + 1 };
      continue;
    }
    const mark = MIETTE_MARK.exec(line);
    if (mark && last) return { file: at.file, line: last.number, column: Math.max(0, line.indexOf(mark[0].trim().at(-1), mark[1].length) - last.gutter) };
    if (/^\s*[`╰]/.test(line)) break;
  }
  return at;
}

/**
 * Where `line`:`column` (1-based line, 0-based column) of `given` is in `source`, when an
 * earlier step of the chain changed the code without a source map but kept its lines
 * (vite-plugin-vue-inspector's `data-v-inspector="…"` attributes, added to every element of a
 * template): the two lines are aligned on their longest common subsequence, and the column goes
 * to the source's character matched at or after it. `null` when the line counts differ (no line
 * of one is known to be a line of the other).
 */
export function alignedPosition(source, given, line, column) {
  const from = source.split('\n');
  const to = given.split('\n');
  if (from.length !== to.length || line < 1 || line > to.length) return null;
  const a = from[line - 1];
  const b = to[line - 1];
  if (a === b) return { line, column };
  // (Long lines, a minified file's: a position on them says little; the prefix is kept.)
  if (a.length * b.length > 4_000_000) return { line, column: Math.min(column, a.length) };
  // LCS lengths of the suffixes, then a walk from the start that takes matches greedily.
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j] && lcs[i * w + j] === lcs[(i + 1) * w + j + 1] + 1) {
      if (j >= column) return { line, column: i };
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
      i++;
    } else {
      j++;
    }
  }
  return { line, column: a.length };
}

// Sass's formatted report, as its message carries it (Vite's `[sass] ...`, wrapped by plugins
// that pass it on: vite-plugin-svelte's "Error while preprocessing <file> - [sass] ..."): the
// snippet drawn with `╷ │ ╵`, then its stack trace, innermost first, one `<url> <line>:<col>
// <member>` per line (`src/styles/_theme.scss 6:12  card()`).
const SASS_SNIPPET_END = /^\s*╵\s*$/;
const SASS_TRACE = /^\s*(\S(?:.*\S)?)\s(\d+):(\d+)(?:\s.*)?$/;

/**
 * Where Sass's report in `message` places the error: `{ file, line, column, head }` (`file` as
 * the trace names it, root-relative or absolute; line 1-based, column 0-based; `head` the
 * message's text before the report), or null for any other message. An error thrown by a
 * plugin that passes Sass's message on without its `line`/`column` (vite-plugin-svelte's) says
 * its place only there.
 */
export function sassPosition(message) {
  if (typeof message !== 'string') return null;
  const lines = message.split('\n');
  const open = lines.findIndex((l) => /^\s*╷\s*$/.test(l));
  if (open < 1) return null;
  const close = lines.findIndex((l, i) => i > open && SASS_SNIPPET_END.test(l));
  const trace = close > 0 ? SASS_TRACE.exec(lines[close + 1] ?? '') : null;
  if (!trace) return null;
  return {
    file: trace[1],
    line: Number(trace[2]),
    column: Math.max(0, Number(trace[3]) - 1),
    head: lines.slice(0, open).join('\n').trimEnd(),
  };
}

/**
 * Where the content of the first `<style>` block of a component's source starts (after its
 * tag, outside comments): `{ line, column }` (line 1-based, column 0-based), or null. A
 * preprocessor given that block (vite-plugin-svelte's `vitePreprocess`: a Sass error's place in
 * `App.svelte.vite-preprocess.scss`) counts its lines from there.
 */
export function styleBlockStart(code) {
  if (typeof code !== 'string') return null;
  const tag = /<!--[\s\S]*?-->|<style(?:\s[^>]*)?>/g;
  for (let m; (m = tag.exec(code)); ) {
    if (m[0].startsWith('<!--')) continue;
    const before = code.slice(0, m.index + m[0].length).split('\n');
    return { line: before.length, column: before[before.length - 1].length };
  }
  return null;
}

/**
 * `message` without the place it starts with when that place is the error's own: one of
 * `files` (the error's file), then `loc`'s line and its column, from 0 or from 1.
 * vite-plugin-svelte writes `<file>:<line>:<column> <message>` "so that it's clickable", the
 * column Svelte's, from 0; the header hotloop prints names the same place with the column an
 * editor shows, and the line said two columns (`/src/App.svelte:15:20: ... App.svelte:15:19`).
 * Any other start stays.
 */
export function withoutOwnPlace(message, files, loc) {
  if (!loc || typeof message !== 'string') return message;
  for (const file of files) {
    if (typeof file !== 'string' || file === '' || !message.startsWith(`${file}:`)) continue;
    const place = /^:(\d+):(\d+)(?::\s*|\s+)/.exec(message.slice(file.length));
    if (!place || Number(place[1]) !== loc.line) continue;
    const column = Number(place[2]);
    if (column === loc.column || column === loc.column + 1) return message.slice(file.length + place[0].length);
  }
  return message;
}
