// Fixture kind `react`: React 19 function components (JSX), React Fast Refresh, React from npm.
//
// `src/main.jsx` mounts node 0 with `createRoot`. A leaf module exports exactly one component (a
// Fast Refresh boundary) holding a `useState` counter in `data-count`, incremented on click: an
// edit is a hot update, and the benchmark checks the counter survived it ("state kept"). A mid
// exports its component AND a non-component object (`meta`, a new object every time the module
// runs, like a `createContext()` beside a component), so it is never a valid Fast Refresh
// boundary (Vite's plugin-react rule, which hotloop's runtime follows: a non-component export must
// keep its value): an edit invalidates the mid, then each importing mid in turn, up to main.jsx,
// which accepts nothing, and the page reloads fully. That gives the react fixture the same three edit
// outcomes as `plain`: leaf hot, CSS swap, mid full reload.
import { Tree, indexHtml, stylesheet, textLine } from '../lib/tree.mjs';

export default {
  name: 'react',
  summary: 'React function components; leaves are Fast Refresh boundaries with state, mids are not (full reload)',
  packages: ['react', 'react-dom'],
  ext: 'jsx',

  generate(tree, write) {
    for (let i = 0; i < tree.n; i++) write(tree.file(i), moduleText(tree, i));
    write('src/style.css', stylesheet());
    write('src/main.jsx', [
      "import './style.css';",
      "import { createRoot } from 'react-dom/client';",
      `import M0 from '${Tree.rel('src/main.jsx', tree.file(0))}';`,
      '',
      "createRoot(document.getElementById('root')).render(<M0 />);",
      '',
    ].join('\n'));
    write('index.html', indexHtml('src/main.jsx', '<div id="root"></div>'));
    return {
      entry: 'src/main.jsx',
      ready: { className: 'leaf' },
      css: 'src/style.css',
      groups: [
        { metric: 'leaf', expect: 'hot', pick: 'leaves', state: true },
        { metric: 'mid', expect: 'reload', pick: 'mids' },
      ],
      jsx: 'automatic',
    };
  },
};

function moduleText(tree, i) {
  const kids = tree.children(i);
  if (kids.length === 0) {
    return [
      "import { useState } from 'react';",
      '',
      textLine(`leaf ${i}`),
      '',
      `export default function M${i}() {`,
      '  const [n, setN] = useState(0);',
      '  return (',
      `    <div id="leaf-${i}" className="leaf" data-count={n} onClick={() => setN((c) => c + 1)}>`,
      '      {TEXT} #{n}',
      '    </div>',
      '  );',
      '}',
      '',
    ].join('\n');
  }
  const lines = kids.map((k) => `import M${k} from '${Tree.rel(tree.file(i), tree.file(k))}';`);
  lines.push(
    '',
    textLine(`mid ${i}`),
    '',
    '// A non-component export with a new value every evaluation: never a Fast Refresh boundary.',
    `export const meta = { level: ${tree.depth(i)} };`,
    '',
    `export default function M${i}() {`,
    '  return (',
    `    <section id="mid-${i}-box">`,
    `      <div id="mid-${i}" className="mid">{TEXT}</div>`,
    ...kids.map((k) => `      <M${k} />`),
    '    </section>',
    '  );',
    '}',
    '',
  );
  return lines.join('\n');
}
