// Fixture kind `plain`: vanilla DOM ES modules, no packages.
//
// `src/main.js` imports node 0 and the stylesheet. A leaf renders its TEXT into
// `<div id="leaf-<i>" class="leaf">` (found by id, created when missing) and self-accepts with
// `import.meta.hot.accept()`, so an edit re-runs the new version, which rewrites the text: a hot
// update. A mid renders `<div id="mid-<i>" class="mid">` after its children and accepts nothing;
// nobody above it accepts either, so an edit to a mid is a full reload.
import { Tree, indexHtml, stylesheet, textLine } from '../lib/tree.mjs';

export default {
  name: 'plain',
  summary: 'vanilla DOM modules; leaves self-accept (hot), mids accept nothing (full reload)',
  packages: [],
  ext: 'js',

  /** Writes the app through `write(relPath, text)`; returns the kind's part of the manifest. */
  generate(tree, write) {
    for (let i = 0; i < tree.n; i++) write(tree.file(i), moduleText(tree, i));
    write('src/style.css', stylesheet());
    write('src/main.js', [
      "import './style.css';",
      `import { v } from '${Tree.rel('src/main.js', tree.file(0))}';`,
      '',
      "document.getElementById('app').dataset.total = String(v);",
      '',
    ].join('\n'));
    write('index.html', indexHtml('src/main.js', '<div id="app"></div>'));
    return {
      entry: 'src/main.js',
      // How the page says it is rendered: this many elements with this class.
      ready: { className: 'leaf' },
      css: 'src/style.css',
      // Edit groups: which files, which element shows the token, what the edit must cause.
      groups: [
        { metric: 'leaf', expect: 'hot', pick: 'leaves' },
        { metric: 'mid', expect: 'reload', pick: 'mids' },
      ],
    };
  },
};

function moduleText(tree, i) {
  const kids = tree.children(i);
  const leaf = kids.length === 0;
  const id = leaf ? `leaf-${i}` : `mid-${i}`;
  const cls = leaf ? 'leaf' : 'mid';
  const lines = kids.map((k, n) => `import { v as c${n} } from '${Tree.rel(tree.file(i), tree.file(k))}';`);
  lines.push(
    '',
    textLine(`${cls} ${i}`),
    `let el = document.getElementById('${id}');`,
    'if (!el) {',
    "  el = document.createElement('div');",
    `  el.id = '${id}';`,
    `  el.className = '${cls}';`,
    "  document.getElementById('app').appendChild(el);",
    '}',
    'el.textContent = TEXT;',
  );
  if (leaf) {
    lines.push('export const v = 1;', '', 'if (import.meta.hot) {', '  import.meta.hot.accept();', '}');
  } else {
    lines.push(`export const v = 1 + ${kids.map((_, n) => `c${n}`).join(' + ')};`);
  }
  lines.push('');
  return lines.join('\n');
}
