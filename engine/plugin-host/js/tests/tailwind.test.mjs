// Tailwind CSS's scanner kept across a stylesheet's recompiles (`tailwind.js`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { keepScanners, keepTailwindScanners, noteFilesChanged } from '../tailwind.js';

/** A module object shaped like `@tailwindcss/oxide`'s: a `Scanner` class counting its instances. */
function oxideLike() {
  const made = [];
  class Scanner {
    constructor(options) {
      this.options = options;
      made.push(this);
    }
    scan() {
      return [];
    }
  }
  return { Scanner, made };
}

test('the same sources get the scanner made before; other sources a new one', () => {
  const oxide = oxideLike();
  keepScanners(oxide);
  const src = [{ base: '/p/src', pattern: '**/*', negated: false }];
  const a = new oxide.Scanner({ sources: src });
  const b = new oxide.Scanner({ sources: structuredClone(src) });
  assert.equal(a, b);
  assert.equal(typeof b.scan, 'function');
  const c = new oxide.Scanner({ sources: [...src, { base: '/p/lib', pattern: '*.html', negated: false }] });
  assert.notEqual(c, a);
  assert.equal(oxide.made.length, 2);
});

/**
 * A `@tailwindcss/oxide`-like module over an in-memory tree: `files` maps a path to its
 * candidates; `scan()` walks them all (counted), `scanFiles` extracts the given ones (logged).
 */
function oxideOver(files) {
  const log = { walks: 0, globWalks: 0, fileLists: 0, scanFiles: [] };
  class Scanner {
    constructor(options) {
      this.options = options;
      this.found = new Set();
    }
    scan() {
      log.walks++;
      for (const cs of Object.values(files)) for (const c of cs) this.found.add(c);
      return [...this.found];
    }
    scanFiles(input) {
      log.scanFiles.push(input);
      const fresh = input.flatMap(({ file }) => files[file] ?? []).filter((c) => !this.found.has(c));
      for (const c of fresh) this.found.add(c);
      return fresh;
    }
    get files() {
      log.fileLists++;
      return Object.keys(files);
    }
    get globs() {
      log.globWalks++;
      return [{ base: '/p/src', pattern: '**/*.{tsx,html}' }];
    }
  }
  return { oxide: { Scanner }, log };
}

test('after the first walk, a scan extracts only the changed files it knows, and answers every candidate', () => {
  const files = { '/p/src/App.tsx': ['flex', 'p-1'], '/p/src/Leaf.tsx': ['m-1'], '/p/index.html': ['bg-red-50'] };
  const { oxide, log } = oxideOver(files);
  keepScanners(oxide);
  const scanner = new oxide.Scanner({ sources: [{ base: '/p', pattern: '**/*', negated: false }] });
  assert.deepEqual(new Set(scanner.scan()), new Set(['flex', 'p-1', 'm-1', 'bg-red-50']));
  assert.equal(log.walks, 1);

  files['/p/src/Leaf.tsx'] = ['m-1', 'tracking-[11px]'];
  noteFilesChanged({ changed: ['/p/src/Leaf.tsx', '/p/src/index.css', '/elsewhere/x.tsx'], structural: false });
  const again = new oxide.Scanner({ sources: [{ base: '/p', pattern: '**/*', negated: false }] });
  assert.equal(again, scanner);
  assert.deepEqual(new Set(again.scan()), new Set(['flex', 'p-1', 'm-1', 'bg-red-50', 'tracking-[11px]']));
  assert.equal(log.walks, 1, 'no walk for an edit of a known source');
  // The stylesheet is no source here, and a file outside the sources is none of its business.
  assert.deepEqual(log.scanFiles, [[{ file: '/p/src/Leaf.tsx', extension: 'tsx' }]]);

  // Nothing changed since: nothing extracted, the same answer.
  assert.equal(again.scan().length, 5);
  assert.equal(log.scanFiles.length, 1);
  assert.equal(log.walks, 1);
});

test('a file that appeared or disappeared, or a source file the walk did not find, walks the sources again', () => {
  const files = { '/p/src/App.tsx': ['flex'] };
  const { oxide, log } = oxideOver(files);
  keepScanners(oxide);
  const scanner = new oxide.Scanner({ sources: [{ base: '/p/', pattern: '**/*', negated: false }] });
  scanner.scan();
  assert.equal(log.walks, 1);

  files['/p/src/New.tsx'] = ['grid'];
  noteFilesChanged({ changed: [], structural: true });
  assert.ok(scanner.scan().includes('grid'));
  assert.equal(log.walks, 2);

  // A .tsx under the sources that the last walk did not list (ignored there, or spelled
  // otherwise): the walk decides, as Tailwind's own scan would.
  noteFilesChanged({ changed: ['/p/gen/Other.tsx'] });
  scanner.scan();
  assert.equal(log.walks, 3);
  // A file of a kind the walk never found there (a `.lock`) is not a reason to walk.
  noteFilesChanged({ changed: ['/p/yarn.lock'] });
  scanner.scan();
  assert.equal(log.walks, 3);
});

test('a changed file the native scanner cannot read makes a walk, not a failed compile', () => {
  const files = { '/p/src/App.tsx': ['flex'] };
  const { oxide, log } = oxideOver(files);
  const native = oxide.Scanner;
  oxide.Scanner = class extends native {
    scanFiles() {
      throw new Error('ENOENT');
    }
  };
  keepScanners(oxide);
  const scanner = new oxide.Scanner({ sources: [{ base: '/p', pattern: '**/*', negated: false }] });
  scanner.scan();
  noteFilesChanged({ changed: ['/p/src/App.tsx'] });
  assert.deepEqual(scanner.scan(), ['flex']);
  assert.equal(log.walks, 2);
});

test('the globs and the file list are read once per walk', () => {
  const files = { '/p/src/App.tsx': ['flex'] };
  const { oxide, log } = oxideOver(files);
  keepScanners(oxide);
  const scanner = new oxide.Scanner({ sources: [{ base: '/p', pattern: '**/*', negated: false }] });
  scanner.scan();
  assert.deepEqual(scanner.globs, [{ base: '/p/src', pattern: '**/*.{tsx,html}' }]);
  assert.deepEqual(scanner.files, ['/p/src/App.tsx']);
  const reads = { globs: log.globWalks, files: log.fileLists };
  noteFilesChanged({ changed: ['/p/src/App.tsx'] });
  scanner.scan();
  scanner.globs;
  assert.deepEqual(scanner.files, ['/p/src/App.tsx']);
  assert.deepEqual({ globs: log.globWalks, files: log.fileLists }, reads);
  files['/p/src/New.tsx'] = ['grid'];
  noteFilesChanged({ structural: true });
  scanner.scan();
  scanner.globs;
  assert.deepEqual(scanner.files, ['/p/src/App.tsx', '/p/src/New.tsx']);
  assert.deepEqual({ globs: log.globWalks, files: log.fileLists }, { globs: reads.globs + 1, files: reads.files + 1 });
});

test('patching twice keeps one table of scanners', () => {
  const oxide = oxideLike();
  keepScanners(oxide);
  const once = oxide.Scanner;
  keepScanners(oxide);
  assert.equal(oxide.Scanner, once);
});

test("an ES module importing the project's @tailwindcss/oxide after the patch gets the kept scanner", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-tailwind-'));
  try {
    const pkg = (name, files) => {
      const dir = path.join(root, 'node_modules', name);
      fs.mkdirSync(dir, { recursive: true });
      for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
    };
    fs.writeFileSync(path.join(root, 'package.json'), '{}');
    pkg('@tailwindcss/oxide', {
      'package.json': '{"name":"@tailwindcss/oxide","main":"index.js"}',
      'index.js': 'class Scanner { constructor(o) { this.o = o; } }\nmodule.exports.Scanner = Scanner;\n',
    });
    // What @tailwindcss/vite does: `import { Scanner } from "@tailwindcss/oxide"`.
    pkg('@tailwindcss/vite', {
      'package.json': '{"name":"@tailwindcss/vite","exports":{".":{"default":"./index.mjs"}}}',
      'index.mjs': 'import { Scanner } from "@tailwindcss/oxide";\nexport const make = (sources) => new Scanner({ sources });\n',
    });
    keepTailwindScanners(root);
    const { make } = await import(pathToFileURL(path.join(root, 'node_modules/@tailwindcss/vite/index.mjs')).href);
    const sources = [{ base: root, pattern: '**/*', negated: false }];
    assert.equal(make(sources), make(structuredClone(sources)));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a project without Tailwind CSS is left alone', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hotloop-tailwind-'));
  try {
    assert.doesNotThrow(() => keepTailwindScanners(root));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
