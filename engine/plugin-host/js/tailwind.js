// tailwind.js: Tailwind CSS v4's source scanner (`@tailwindcss/oxide`'s `Scanner`) kept across
// a stylesheet's recompiles, and brought up to date from the files hotloop saw change instead
// of a walk of every source.
//
// `@tailwindcss/vite` and `@tailwindcss/postcss` make a new compiler when the stylesheet (or a
// file it imports) changed, and with it a new `Scanner`, which reads and extracts every source
// file again: under Vite too, a stylesheet edit takes time that grows with the app. A scanner
// already knows every file's candidates, so when the new compiler names the same sources
// (`@source`, `source()`, the root) as an earlier scanner did, that scanner is the answer to
// `new Scanner(...)`. What it returns is what a new one would, plus the candidates of classes
// deleted from the sources since, which `@tailwindcss/vite` keeps until a restart anyway (its
// `candidates` set only grows) and which style nothing. Sources that differ get a new scanner.
//
// Even a kept scanner's `scan()` walks every source directory and looks at every file's mtime
// (and its `globs` walks them again, its `files` lists them all): ~150 ms at 5,000 components, on every recompile of the
// stylesheet, which an edit of any component causes. hotloop's watcher already knows what
// changed: the engine tells the host after each batch of edits (`filesChanged`, before the
// build that recompiles the stylesheet), and `scan()` then extracts only the changed files the
// scanner knows as sources (`scanFiles`), answering the whole candidate set as `scan()` does.
// A file or directory that appeared or disappeared (`structural`) makes the next `scan()` a
// full one, as does the first scan of a scanner. A changed file that is not a source (the
// stylesheet itself, a gitignored file) is none of the scanner's business, as under `scan()`.
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

/** Every kept scanner of this thread, told of changed files by `noteFilesChanged`. */
const scanners = new Set();

/**
 * hotloop's word after a batch of edits: `changed` are the absolute paths of the files whose
 * contents changed, `structural` says a file or directory appeared or disappeared (or the
 * watcher lost events): the next scan of every kept scanner walks the sources again.
 */
export function noteFilesChanged({ changed = [], structural = false } = {}) {
  for (const scanner of scanners) scanner.note(changed, structural);
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
      scanner = new KeptScanner(new Native(options), options?.sources ?? []);
      kept.set(key, scanner);
      scanners.add(scanner);
    }
    // `new Scanner(...)` gives this object (a constructor may return one).
    return scanner;
  }
  Scanner.prototype = KeptScanner.prototype;
  Scanner[KEPT] = true;
  oxide.Scanner = Scanner;
}

/** A native scanner and what its last full scan found; answers as the native one would. */
class KeptScanner {
  #native;
  /** Every candidate found so far (`scan()` answers them all), null before the first scan. */
  #all = null;
  /** The source files of the last full scan, as a set and as the native scanner listed them. */
  #files = null;
  #fileList = null;
  #globs = null;
  /** Changed files told since the last scan. */
  #pending = new Set();
  #structural = false;
  /** The directories the sources name, and the extensions of the files found in them. */
  #bases;
  #extensions = new Set();

  constructor(native, sources) {
    this.#native = native;
    this.#bases = sources.filter((s) => !s.negated && typeof s.base === 'string').map((s) => s.base.replace(/[\\/]+$/, ''));
  }

  note(changed, structural) {
    for (const file of changed) this.#pending.add(file);
    this.#structural ||= structural;
  }

  scan() {
    if (this.#all === null || this.#structural) return this.#fullScan();
    const changed = [];
    for (const file of this.#pending) {
      const extension = path.extname(file).slice(1);
      if (this.#files.has(file)) changed.push({ file, extension });
      // A file of a kind the scanner reads, in a source directory, that its walk did not find
      // (ignored there, or named by another spelling of the path): the walk decides.
      else if (this.#extensions.has(extension) && this.#bases.some((b) => file.startsWith(b + path.sep))) {
        return this.#fullScan();
      }
    }
    this.#pending.clear();
    if (changed.length > 0) {
      let found;
      try {
        found = this.#native.scanFiles(changed);
      } catch {
        return this.#fullScan(); // gone again before it was read: the walk sees what is there
      }
      for (const c of found) this.#all.add(c);
    }
    return [...this.#all];
  }

  #fullScan() {
    this.#pending.clear();
    this.#structural = false;
    const found = this.#native.scan();
    this.#all = new Set(found);
    this.#fileList = this.#native.files;
    this.#files = new Set(this.#fileList);
    this.#extensions = new Set([...this.#files].map((f) => path.extname(f).slice(1)));
    this.#globs = null;
    return found;
  }

  scanFiles(input) {
    const found = this.#native.scanFiles(input);
    if (this.#all !== null) for (const c of found) this.#all.add(c);
    return found;
  }

  getCandidatesWithPositions(input) {
    return this.#native.getCandidatesWithPositions(input);
  }

  /** The sources' files: the same until a file comes or goes (a walk lists them again). */
  get files() {
    if (this.#fileList === null || this.#structural) return this.#native.files;
    return this.#fileList;
  }

  get scannedFiles() {
    return this.#native.scannedFiles;
  }

  /** Walks the sources in the native scanner: kept until a file or directory comes or goes. */
  get globs() {
    if (this.#globs === null || this.#structural || this.#all === null) this.#globs = this.#native.globs;
    return this.#globs;
  }

  get normalizedSources() {
    return this.#native.normalizedSources;
  }
}
