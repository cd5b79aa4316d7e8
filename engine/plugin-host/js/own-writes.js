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
//
// A save within the window is the user's all the same when this process last wrote the file
// with other contents: the plugins' writes through `fs` (`writeFile`, `appendFile`, `rename`,
// sync, callback or promise) are recorded with what they left in the file. TanStack Router's
// generator puts a route file's path back (`createFileRoute('/about')`) while it hears of the
// file; in a burst of saves the user's next one came within that window, was taken for the
// generator's write, and the generator never heard of it: the file kept a wrong path.

import crypto from 'node:crypto';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
    if (mtime === null || mtime < window[0] - BEFORE_MS || mtime > window[1] + AFTER_MS) return false;
    // Written by this process meanwhile: its own only if the file still holds what it wrote.
    const wrote = written.get(path.resolve(file));
    if (wrote && wrote.at >= window[0] - BEFORE_MS) return digestOf(file) === wrote.digest;
    return true;
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

/** file → { at, digest }: the last write this process made to it, and what it left there. */
const written = new Map();

function digestOf(file) {
  try {
    return crypto.createHash('sha1').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

function pathOf(target) {
  if (typeof target === 'string') return path.resolve(target);
  if (target instanceof URL) return target.protocol === 'file:' ? fileURLToPath(target) : null;
  if (Buffer.isBuffer(target)) return path.resolve(target.toString());
  return null; // a file descriptor, a FileHandle: not recorded
}

function note(target) {
  const file = pathOf(target);
  if (file) written.set(file, { at: Date.now(), digest: digestOf(file) });
}

/**
 * Records the writes this thread makes through `fs` (what `OwnWrites.isOwn` compares with),
 * also for plugins that imported `node:fs/promises` as an ES module (`syncBuiltinESMExports`).
 */
function recordWrites() {
  if (fs.__hotloopRecordsWrites) return;
  Object.defineProperty(fs, '__hotloopRecordsWrites', { value: true });
  // (`rename`'s target is its second argument; the others' their first.)
  for (const [name, at] of [['writeFile', 0], ['appendFile', 0], ['rename', 1], ['copyFile', 1]]) {
    const sync = fs[`${name}Sync`];
    fs[`${name}Sync`] = function (...args) {
      const r = sync.apply(this, args);
      note(args[at]);
      return r;
    };
    const promised = fs.promises[name];
    fs.promises[name] = async function (...args) {
      const r = await promised.apply(this, args);
      note(args[at]);
      return r;
    };
    const callback = fs[name];
    fs[name] = function (...args) {
      const done = args[args.length - 1];
      if (typeof done === 'function') {
        args[args.length - 1] = function (err, ...rest) {
          if (!err) note(args[at]);
          return done.call(this, err, ...rest);
        };
      }
      return callback.apply(this, args);
    };
  }
  syncBuiltinESMExports();
}

recordWrites();
