// Chaining source maps of successive transform hooks, in plain JS: what Vite does with
// @ampproject/remapping, reduced to the case of a chain of one-source-per-step maps. Each
// mapping of the newest map is traced through the previous (combined) map to the original
// position; a mapping that falls in no original segment is dropped. Names are kept from the
// newest map that has one. Tested by `js/tests/sourcemap.test.mjs`.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** `mappings` → lines of segments `[genCol, src, origLine, origCol, name?]` (absolute). */
export function decodeMappings(mappings) {
  const lines = [];
  let src = 0, oLine = 0, oCol = 0, name = 0;
  for (const lineText of mappings.split(';')) {
    const line = [];
    let gCol = 0;
    if (lineText) {
      for (const segText of lineText.split(',')) {
        if (!segText) continue;
        const vals = [];
        let value = 0, shift = 0;
        for (const c of segText) {
          const d = B64_INDEX.get(c);
          if (d === undefined) throw new Error(`invalid source map mappings character ${c}`);
          value += (d & 31) << shift;
          if (d & 32) shift += 5;
          else {
            vals.push(value & 1 ? -(value >>> 1) : value >>> 1);
            value = 0;
            shift = 0;
          }
        }
        gCol += vals[0];
        if (vals.length >= 4) {
          src += vals[1];
          oLine += vals[2];
          oCol += vals[3];
          if (vals.length >= 5) {
            name += vals[4];
            line.push([gCol, src, oLine, oCol, name]);
          } else line.push([gCol, src, oLine, oCol]);
        } else line.push([gCol]);
      }
    }
    line.sort((a, b) => a[0] - b[0]);
    lines.push(line);
  }
  return lines;
}

function vlq(n) {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = '';
  do {
    let d = v & 31;
    v >>>= 5;
    if (v > 0) d |= 32;
    out += B64[d];
  } while (v > 0);
  return out;
}

/** Lines of absolute segments → `mappings`. */
export function encodeMappings(lines) {
  let src = 0, oLine = 0, oCol = 0, name = 0;
  return lines
    .map((line) => {
      let gCol = 0;
      return line
        .map((s) => {
          let out = vlq(s[0] - gCol);
          gCol = s[0];
          if (s.length >= 4) {
            out += vlq(s[1] - src) + vlq(s[2] - oLine) + vlq(s[3] - oCol);
            src = s[1];
            oLine = s[2];
            oCol = s[3];
            if (s.length >= 5) {
              out += vlq(s[4] - name);
              name = s[4];
            }
          }
          return out;
        })
        .join(',');
    })
    .join(';');
}

function lookup(line, col) {
  // the last segment at or before `col`
  let lo = 0, hi = line.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (line[mid][0] <= col) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? null : line[found];
}

/**
 * Where `line` (1-based) and `column` (0-based) of a map's generated code come from: `{ source,
 * line, column }` in the same conventions, or null when no mapping covers it. The segment at or
 * before the column gives the original position, and the column's distance into that segment
 * is kept (a segment is one token of a transform that moves code about, so the distance is
 * exact within the token). What Vite's plugin container does for a transform hook's error.
 */
export function originalPosition(map, line, column) {
  return positionsOf(map)(line, column);
}

/**
 * The source file each generated line and column of `map` comes from (`(line, column) =>
 * source`, 1-based line, 0-based column; null where no mapping covers it), its mappings decoded
 * once for many lookups.
 */
export function sourceAt(map) {
  const at = positionsOf(map);
  return (line, column) => at(line, column)?.source ?? null;
}

/** `originalPosition` for `map`, its mappings decoded once for many lookups. */
function positionsOf(map) {
  const m = toMap(map);
  if (!m) return () => null;
  const lines = decodeMappings(m.mappings);
  return (line, column) => {
    const segments = lines[line - 1];
    const s = segments ? lookup(segments, column) : null;
    if (!s || s.length < 4) return null;
    return { source: m.sources?.[s[1]] ?? null, line: s[2] + 1, column: s[3] + (column - s[0]) };
  };
}

/** A map as an object (accepts JSON text), or null when it carries no mappings. */
export function toMap(map) {
  if (map == null) return null;
  const m = typeof map === 'string' ? JSON.parse(map) : map;
  if (typeof m.mappings !== 'string' || m.mappings === '') return null;
  return m;
}

/**
 * Composes `newer` (from the previous step's output to this step's output) over `older`
 * (from the original source to the previous step's output): the result maps this step's
 * output to the original source. Either may be null (no map: `older` identity is assumed for
 * a missing `newer`; a missing `older` means `newer` already points at the original).
 */
export function composeMaps(newer, older) {
  const n = toMap(newer);
  const o = toMap(older);
  if (!n) return o;
  if (!o) return n;
  const oLines = decodeMappings(o.mappings);
  const sources = [], sourcesContent = [], names = [];
  const srcIndex = new Map(), nameIndex = new Map();
  const intern = (i) => {
    const key = o.sources[i];
    if (!srcIndex.has(key)) {
      srcIndex.set(key, sources.length);
      sources.push(key);
      sourcesContent.push(o.sourcesContent?.[i] ?? null);
    }
    return srcIndex.get(key);
  };
  const internName = (name) => {
    if (!nameIndex.has(name)) {
      nameIndex.set(name, names.length);
      names.push(name);
    }
    return nameIndex.get(name);
  };
  const lines = decodeMappings(n.mappings).map((line) => {
    const out = [];
    for (const s of line) {
      if (s.length < 4) continue;
      const oLine = oLines[s[2]];
      if (!oLine) continue;
      const t = lookup(oLine, s[3]);
      if (!t || t.length < 4) continue;
      const seg = [s[0], intern(t[1]), t[2], t[3]];
      const name = s.length >= 5 ? n.names?.[s[4]] : t.length >= 5 ? o.names?.[t[4]] : undefined;
      if (name !== undefined) seg.push(internName(name));
      out.push(seg);
    }
    return out;
  });
  return { version: 3, file: n.file ?? o.file, sources, sourcesContent, names, mappings: encodeMappings(lines) };
}
