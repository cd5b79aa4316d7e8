// Tailwind CSS's scanner kept across a stylesheet's recompiles (`tailwind.js`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { keepScanners, keepTailwindScanners } from '../tailwind.js';

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
