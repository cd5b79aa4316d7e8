// Editing fixture files as an editor saves them, and putting them back. Every file is read once
// before its first edit; `restore()` writes the originals back (only where they differ), and an
// undo step registered with lib/cleanup.mjs does the same on Ctrl-C, on a failure and at exit.
// A save is one `writeFileSync` (open with O_TRUNC, write, close), what a plain editor does.
import fs from 'node:fs';
import path from 'node:path';
import { onCleanup } from './cleanup.mjs';

const TEXT_LINE = /^const TEXT = "([^"]*?) [^" ]*"; \/\/ @bench-text$/m;
const CSS_LINE = /^.*\/\* @bench-css \*\/$/m;

export class Editor {
  constructor(root) {
    this.root = root;
    this.originals = new Map();
    this.unregister = onCleanup(`restore files in ${root}`, () => this.restore(), () => this.restore());
  }

  original(rel) {
    if (!this.originals.has(rel)) this.originals.set(rel, fs.readFileSync(path.join(this.root, rel), 'utf8'));
    return this.originals.get(rel);
  }

  /** The file's text with the module's TEXT set to `<label> <token>`. */
  withToken(rel, tok) {
    const src = this.original(rel);
    const m = TEXT_LINE.exec(src);
    if (!m) throw new Error(`${rel} has no \`const TEXT = "..."; // @bench-text\` line`);
    return src.replace(TEXT_LINE, `const TEXT = "${m[1]} ${tok}"; // @bench-text`);
  }

  /** The stylesheet with the probe rule's colour and `--bench-token` changed to `tok`. */
  cssWithToken(rel, tok, n) {
    const src = this.original(rel);
    if (!CSS_LINE.test(src)) throw new Error(`${rel} has no line tagged /* @bench-css */`);
    const colour = `rgb(${(n * 37) % 256}, ${(n * 91) % 256}, ${(n * 53) % 256})`;
    return src.replace(CSS_LINE, `#bench-css-probe { color: ${colour}; --bench-token: "${tok}"; } /* @bench-css */`);
  }

  /** Saves `text` to `rel` (the original is kept first). */
  save(rel, text) {
    this.original(rel);
    fs.writeFileSync(path.join(this.root, rel), text);
  }

  /** Writes every edited file back to its original text. */
  restore() {
    for (const [rel, text] of this.originals) {
      const p = path.join(this.root, rel);
      let now = null;
      try { now = fs.readFileSync(p, 'utf8'); } catch { /* deleted: write it back */ }
      if (now !== text) fs.writeFileSync(p, text);
    }
  }

  /** Restores and forgets the undo step. */
  close() {
    this.restore();
    this.unregister();
  }
}
