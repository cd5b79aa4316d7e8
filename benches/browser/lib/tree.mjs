// The shape every fixture kind shares: a tree of N modules laid out like a heap (node i imports
// nodes F*i+1 .. F*i+F that exist, F = fan-out), so depth is about log_F(N), ~90 % of the nodes
// are leaves and the rest "mids". Files go in directories of 100 (`src/m/<i/100>/m<i>.<ext>`),
// like a real source tree rather than one huge directory. Also the conventions every kind keeps:
//
//   * every editable module has exactly one line `const TEXT = "<label> v0"; // @bench-text`,
//     and whatever that string holds is rendered as a text node (the benchmark writes a token
//     into it and waits for the token in the DOM);
//   * the stylesheet has one line tagged `/* @bench-css */` setting `--bench-token` on
//     `#bench-css-probe` (the benchmark writes a token into it and waits for the computed style).
import path from 'node:path';

export class Tree {
  constructor(n, fanout, ext) {
    this.n = n;
    this.fanout = fanout;
    this.ext = ext;
  }

  children(i) {
    const out = [];
    for (let k = 1; k <= this.fanout; k++) {
      const j = this.fanout * i + k;
      if (j < this.n) out.push(j);
    }
    return out;
  }

  isLeaf(i) { return i !== 0 && this.fanout * i + 1 >= this.n; }

  depth(i) {
    let d = 0;
    for (let k = i; k > 0; k = Math.floor((k - 1) / this.fanout)) d++;
    return d;
  }

  file(i) { return `src/m/${Math.floor(i / 100)}/m${i}.${this.ext}`; }

  /** The import specifier of `to` as written in `from` (both project-relative). */
  static rel(from, to) {
    const r = path.posix.relative(path.posix.dirname(from), to);
    return r.startsWith('.') ? r : `./${r}`;
  }
}

/** The editable line of a module: `const TEXT = "<label> <value>"; // @bench-text`. */
export const textLine = (label, value = 'v0') => `const TEXT = "${label} ${value}"; // @bench-text`;

/** The stylesheet every kind uses; the tagged line is the one CSS edits rewrite. */
export function stylesheet() {
  return [
    '/* benchmark fixture stylesheet: CSS edits rewrite the line tagged @bench-css */',
    'body { font: 12px/1.2 sans-serif; margin: 4px; }',
    '.leaf { display: inline-block; padding: 1px 3px; }',
    '.mid { font-weight: bold; }',
    '#bench-css-probe { color: rgb(0, 0, 0); --bench-token: "v0"; } /* @bench-css */',
    '',
  ].join('\n');
}

/** A Vite-style index.html: the CSS probe element, the app's mount element, one module script. */
export function indexHtml(entry, mount) {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<title>hotloop browser benchmark fixture</title>',
    '</head>',
    '<body>',
    '<div id="bench-css-probe">css probe</div>',
    mount,
    `<script type="module" src="/${entry}"></script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
