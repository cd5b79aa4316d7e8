// tailwind.js: Tailwind CSS v4's source scanner (`@tailwindcss/oxide`'s `Scanner`) kept across
// a stylesheet's recompiles, so an edit of the stylesheet costs Tailwind's compile, not a read
// of every source file of the app.
//
// `@tailwindcss/vite` and `@tailwindcss/postcss` make a new compiler when the stylesheet (or a
// file it imports) changed, and with it a new `Scanner`, which reads and extracts every source
// file again: under Vite too, a stylesheet edit takes time that grows with the app. A scanner
// already knows every file's candidates and each file's mtime (its next `scan()` reads only the
// files changed since), so when the new compiler names the same sources (`@source`, `source()`,
// the root) as an earlier scanner did, that scanner is the answer to `new Scanner(...)`. What it
// returns is what a new one would, plus the candidates of classes deleted from the sources
// since, which `@tailwindcss/vite` keeps until a restart anyway (its `candidates` set only
// grows) and which style nothing. Sources that differ get a new scanner, as before.
//
// The patch is made on the `@tailwindcss/oxide` the project's Tailwind packages load, before
// the config imports them (an ES module importing a CommonJS one reads its `module.exports`
// then).

import path from 'node:path';
import { createRequire } from 'node:module';

const KEPT = Symbol.for('hotloop.keptScanner');

/**
 * Makes the `@tailwindcss/oxide` that `@tailwindcss/vite` and `@tailwindcss/postcss` (as
 * installed under `root`) load answer `new Scanner({ sources })` with the scanner it made
 * for the same sources before. Nothing happens without them.
 */
export function keepTailwindScanners(root) {
  const require = createRequire(path.join(root, 'package.json'));
  for (const pkg of ['@tailwindcss/vite', '@tailwindcss/postcss']) {
    let oxide;
    try {
      oxide = createRequire(require.resolve(pkg))('@tailwindcss/oxide');
    } catch {
      continue;
    }
    keepScanners(oxide);
  }
}

/** Replaces `oxide.Scanner` by a constructor that keeps one scanner per set of sources. */
export function keepScanners(oxide) {
  const Native = oxide?.Scanner;
  if (typeof Native !== 'function' || Native[KEPT]) return;
  const kept = new Map();
  function Scanner(options) {
    const key = JSON.stringify(options?.sources ?? []);
    let scanner = kept.get(key);
    if (!scanner) {
      scanner = new Native(options);
      kept.set(key, scanner);
    }
    // `new Scanner(...)` gives this object (a constructor may return one).
    return scanner;
  }
  Scanner.prototype = Native.prototype;
  Scanner[KEPT] = true;
  oxide.Scanner = Scanner;
}
