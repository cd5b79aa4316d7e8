// The plugins' own writes, told apart from the user's.
//
// A plugin may write a file while it hears of it (`watchChange`, a `server.watcher` listener):
// a log it appends to, a generated file it writes whatever its content. hotloop's watcher then
// sees that write as the next change of the file, the plugin hears of it and writes again: a
// loop that keeps a core busy for as long as the server runs. Vite's watcher breaks it by
// accident (chokidar drops a path's changes for 50 ms after it reported one). Here a change is
// the plugins' own when the file was last written while this thread's plugins were hearing of
// that same file: they are not told of it again. A later save (its mtime after the window) is
// told as usual; hotloop compiles every change either way, this only decides who hears of it.

import fs from 'node:fs';

/**
 * How far a write may lie outside the window and still be the plugins': file times are the
 * kernel's coarse clock (a tick behind `Date.now()`), and a write the hook started may land just
 * after it returned (an unawaited `fs.promises.writeFile`).
 */
const BEFORE_MS = 15;
const AFTER_MS = 50;

export class OwnWrites {
  /** file → [start, end] (ms since the epoch) of the last time the plugins heard of it */
  #windows = new Map();

  /** Whether `file`'s current contents were written while the plugins last heard of it. */
  isOwn(file) {
    const window = this.#windows.get(file);
    if (!window) return false;
    const mtime = mtimeOf(file);
    return mtime !== null && mtime >= window[0] - BEFORE_MS && mtime <= window[1] + AFTER_MS;
  }

  /** The plugins hear of `file` from now on; call the returned function when they are done. */
  hearing(file) {
    const start = Date.now();
    return () => this.#windows.set(file, [start, Date.now()]);
  }

  /** A file gone: its windows are no longer needed. */
  forget(file) {
    this.#windows.delete(file);
  }
}

function mtimeOf(file) {
  try {
    return fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? null;
  } catch {
    return null;
  }
}
