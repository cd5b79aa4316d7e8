// hotloop wire protocol, browser side: the mirror of `engine/src/protocol.rs` (read that module's
// doc for the table). Defines one binding, `HotloopProtocol`: inside the served script the
// epilogue makes it the global of that name; under Node `require("./protocol.js")` returns it.
//
// Frames are binary; the first byte is the message id. Little-endian u32 / f64; `str` = u32 byte
// length + UTF-8; `opt` = u8 0|1 then the value; `list` = u32 count + items. Decoding is strict,
// exactly as in Rust: bad bools and option tags, unknown kinds, invalid UTF-8, lengths past the
// end of the frame and trailing bytes all throw `HotloopProtocol.ProtocolError`, never anything
// else. Strings are decoded with one `TextDecoder` call each (no per-byte string building).
const HotloopProtocol = (function () {
  'use strict';

  const PROTOCOL_VERSION = 7;

  const ids = Object.freeze({
    hello: 0x01,
    update: 0x02,
    errors: 0x03,
    fullReload: 0x04,
    custom: 0x05,
    chunkSynced: 0x06,
    ack: 0x81,
    invalidate: 0x82,
    clientCustom: 0x83,
    loaded: 0x84,
    rendered: 0x85,
  });

  const MODULE_KINDS = ['js', 'css', 'asset', 'json'];
  const CSS_TARGETS = ['style', 'link'];
  const CSS_EDITS = ['delete', 'insert', 'within'];
  /** How deep `within` edits may nest (`hotloop_protocol::wire::MAX_CSS_DEPTH`). */
  const MAX_CSS_DEPTH = 4;
  const DIAGNOSTIC_KINDS = ['syntax', 'resolve', 'transform', 'io', 'runtime'];

  const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const utf8Encoder = new TextEncoder();

  class ProtocolError extends Error {
    constructor(message) {
      super(message);
      this.name = 'ProtocolError';
    }
  }

  /** @param {ArrayBuffer | ArrayBufferView} input */
  function bytesOf(input) {
    if (input instanceof Uint8Array) return input;
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) {
      return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    }
    throw new ProtocolError('expected an ArrayBuffer or a Uint8Array');
  }

  /** A bounds-checked cursor over one frame. */
  class Reader {
    /** @param {Uint8Array} bytes */
    constructor(bytes) {
      this.bytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.pos = 0;
    }

    remaining() {
      return this.bytes.length - this.pos;
    }

    need(n) {
      if (n > this.remaining()) {
        throw new ProtocolError(
          `frame truncated at byte ${this.pos}: ${n - this.remaining()} more bytes needed`,
        );
      }
    }

    u8() {
      this.need(1);
      return this.bytes[this.pos++];
    }

    u32() {
      this.need(4);
      const v = this.view.getUint32(this.pos, true);
      this.pos += 4;
      return v;
    }

    f64() {
      this.need(8);
      const v = this.view.getFloat64(this.pos, true);
      this.pos += 8;
      return v;
    }

    tag(what) {
      const at = this.pos;
      const b = this.u8();
      if (b > 1) throw new ProtocolError(`invalid ${what} byte ${b} at byte ${at}`);
      return b === 1;
    }

    bool() {
      return this.tag('bool');
    }

    /** @template T @param {(r: Reader) => T} item @returns {T | null} */
    opt(item) {
      return this.tag('option tag') ? item(this) : null;
    }

    str() {
      const at = this.pos;
      const len = this.u32();
      if (len > this.remaining()) {
        throw new ProtocolError(
          `length ${len} at byte ${at} exceeds the ${this.remaining()} bytes left in the frame`,
        );
      }
      const start = this.pos;
      this.pos += len;
      if (len === 0) return '';
      try {
        return utf8Decoder.decode(this.bytes.subarray(start, start + len));
      } catch {
        throw new ProtocolError(`invalid UTF-8 in the string at byte ${at}`);
      }
    }

    json() {
      const at = this.pos;
      const text = this.str();
      try {
        return JSON.parse(text);
      } catch {
        throw new ProtocolError(`custom event data at byte ${at} is not valid JSON`);
      }
    }

    /** A counted list; `minItem` bytes per item bound the count before any work is done. */
    list(minItem, item) {
      const at = this.pos;
      const count = this.u32();
      if (count * minItem > this.remaining()) {
        throw new ProtocolError(
          `length ${count} at byte ${at} exceeds the ${this.remaining()} bytes left in the frame`,
        );
      }
      const out = new Array(count);
      for (let i = 0; i < count; i++) out[i] = item(this);
      return out;
    }

    kind(names, what) {
      const at = this.pos;
      const b = this.u8();
      if (b >= names.length) throw new ProtocolError(`invalid ${what} byte ${b} at byte ${at}`);
      return names[b];
    }

    finish(message) {
      if (this.remaining() !== 0) {
        throw new ProtocolError(`${this.remaining()} unexpected bytes after the end of the message`);
      }
      return message;
    }
  }

  const readStr = (r) => r.str();
  const readOptStr = (r) => r.opt(readStr);

  /**
   * Decodes one server frame into a plain object (`type` says which message). A module's
   * `deps` map has no prototype, so specifiers such as `__proto__` or `constructor` are plain
   * keys; its first `staticDeps` entries are static imports.
   * @param {ArrayBuffer | ArrayBufferView} input
   */
  function decodeServerMessage(input) {
    const bytes = bytesOf(input);
    if (bytes.length === 0) throw new ProtocolError('empty frame');
    const r = new Reader(bytes);
    const id = r.u8();
    switch (id) {
      case ids.hello:
        return r.finish({
          type: 'hello',
          protocol: r.u32(),
          serverId: r.str(),
          revision: r.u32(),
        });
      case ids.update: {
        const revision = r.u32();
        const modules = r.list(17, (r) => {
          const id = r.str();
          const kind = r.kind(MODULE_KINDS, 'module kind');
          const deps = Object.create(null);
          const depCount = r.u32();
          if (depCount * 5 > r.remaining()) {
            throw new ProtocolError(
              `length ${depCount} at byte ${r.pos - 4} exceeds the ${r.remaining()} bytes left in the frame`,
            );
          }
          for (let i = 0; i < depCount; i++) {
            const spec = r.str();
            deps[spec] = r.opt(readStr);
          }
          const staticDeps = r.u32();
          return { id, kind, deps, staticDeps, code: r.str() };
        });
        const invalidate = r.list(4, readStr);
        const boundaries = r.list(5, (r) => ({ id: r.str(), acceptedDep: readOptStr(r) }));
        const removed = r.list(4, readStr);
        const cssLinks = r.list(8, (r) => ({ href: r.str(), version: r.str() }));
        const changedFiles = r.list(4, readStr);
        // An edit is op + index, then an insert's rule or a within's rule count and edits.
        const cssEdits = (r, depth) =>
          r.list(5, (r) => {
            const at = r.pos;
            const op = r.kind(CSS_EDITS, 'css edit');
            const index = r.u32();
            if (op === 'insert') return { op, index, rule: r.str() };
            if (op === 'within') {
              if (depth >= MAX_CSS_DEPTH) throw new ProtocolError(`css edits nested deeper than ${MAX_CSS_DEPTH} at offset ${at}`);
              return { op, index, rules: r.u32(), edits: cssEdits(r, depth + 1) };
            }
            return { op, index };
          });
        // target + id + base + version + rules + edits count.
        const cssPatches = r.list(21, (r) => ({
          target: r.kind(CSS_TARGETS, 'css patch target'),
          id: r.str(),
          base: r.u32(),
          version: r.u32(),
          rules: r.u32(),
          edits: cssEdits(r, 0),
        }));
        return r.finish({
          type: 'update',
          revision,
          modules,
          invalidate,
          boundaries,
          removed,
          cssLinks,
          changedFiles,
          cssPatches,
        });
      }
      case ids.errors:
        return r.finish({
          type: 'errors',
          revision: r.u32(),
          added: r.list(21, (r) => ({
            kind: r.kind(DIAGNOSTIC_KINDS, 'diagnostic kind'),
            file: r.str(),
            line: r.u32(),
            column: r.u32(),
            message: r.str(),
            codeFrame: r.str(),
          })),
          cleared: r.list(4, readStr),
        });
      case ids.fullReload:
        return r.finish({
          type: 'full-reload',
          revision: r.u32(),
          reasonCode: r.u8(),
          reason: r.str(),
        });
      case ids.custom:
        return r.finish({ type: 'custom', event: r.str(), data: r.json() });
      case ids.chunkSynced:
        return r.finish({ type: 'chunk-synced', chunk: r.str() });
      default:
        throw new ProtocolError(`unknown message id 0x${id.toString(16).padStart(2, '0')}`);
    }
  }

  /** Writes into a buffer sized for the worst case (3 UTF-8 bytes per UTF-16 unit). */
  class Writer {
    constructor(capacity) {
      this.bytes = new Uint8Array(capacity);
      this.view = new DataView(this.bytes.buffer);
      this.pos = 0;
    }

    u8(v) {
      this.bytes[this.pos++] = v;
    }

    u32(v) {
      this.view.setUint32(this.pos, v >>> 0, true);
      this.pos += 4;
    }

    f64(v) {
      this.view.setFloat64(this.pos, v, true);
      this.pos += 8;
    }

    str(s) {
      const at = this.pos;
      this.pos += 4;
      const { written } = utf8Encoder.encodeInto(s, this.bytes.subarray(this.pos));
      this.view.setUint32(at, written, true);
      this.pos += written;
    }

    optStr(s) {
      if (s === null || s === undefined) {
        this.u8(0);
      } else {
        this.u8(1);
        this.str(String(s));
      }
    }

    /** The encoded frame (a view of exactly the written bytes). */
    done() {
      return this.bytes.subarray(0, this.pos);
    }
  }

  const strSize = (s) => 4 + 3 * s.length;
  const optSize = (s) => (s === null || s === undefined ? 1 : 1 + strSize(String(s)));

  /**
   * `{ revision, ok, applyMs, error }` → frame. `error` is a string or null.
   * @returns {Uint8Array}
   */
  function encodeAck({ revision, ok, applyMs, error = null }) {
    const w = new Writer(1 + 4 + 1 + 8 + optSize(error));
    w.u8(ids.ack);
    w.u32(revision);
    w.u8(ok ? 1 : 0);
    w.f64(Number(applyMs));
    w.optStr(error);
    return w.done();
  }

  /**
   * `{ id, message }` → frame. `message` is a string or null.
   * @returns {Uint8Array}
   */
  function encodeInvalidate({ id, message = null }) {
    const idText = String(id);
    const w = new Writer(1 + strSize(idText) + optSize(message));
    w.u8(ids.invalidate);
    w.str(idText);
    w.optStr(message);
    return w.done();
  }

  /**
   * `{ event, data }` → frame; `data` is sent as JSON (`undefined` and unserialisable values
   * become `null`).
   * @returns {Uint8Array}
   */
  function encodeCustom({ event, data }) {
    const eventText = String(event);
    let dataText = data === undefined ? 'null' : JSON.stringify(data);
    if (dataText === undefined) dataText = 'null';
    const w = new Writer(1 + strSize(eventText) + strSize(dataText));
    w.u8(ids.clientCustom);
    w.str(eventText);
    w.str(dataText);
    return w.done();
  }

  /**
   * `{ chunk, snapshot }` → frame: the page loaded the lazy chunk of `chunk` served by
   * snapshot number `snapshot`.
   * @returns {Uint8Array}
   */
  function encodeLoaded({ chunk, snapshot }) {
    const chunkText = String(chunk);
    const w = new Writer(1 + strSize(chunkText) + 4);
    w.u8(ids.loaded);
    w.str(chunkText);
    w.u32(snapshot);
    return w.done();
  }

  /**
   * The frame that says the page rendered: its main thread was idle for the first time after
   * its entries ran.
   * @returns {Uint8Array}
   */
  function encodeRendered() {
    const w = new Writer(1);
    w.u8(ids.rendered);
    return w.done();
  }

  /**
   * A stylesheet text's version, as the engine's `css_version`: FNV-1a (32-bit) over its UTF-16
   * code units. What a CSS patch's `base` and `version` are.
   * @param {string} text
   */
  function cssVersion(text) {
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    return hash >>> 0;
  }

  return Object.freeze({
    PROTOCOL_VERSION,
    cssVersion,
    ids,
    ProtocolError,
    decodeServerMessage,
    // The bounds-checked reader, for what decodes the client's frames outside the page (the
    // runtime's tests: `runtime/tests/support/client-frames.mjs`; the server decodes them in
    // Rust). The page itself never reads a client frame.
    bytesOf,
    Reader,
    encodeAck,
    encodeInvalidate,
    encodeCustom,
    encodeLoaded,
    encodeRendered,
  });
})();

if (typeof module === 'object' && module) module.exports = HotloopProtocol;
