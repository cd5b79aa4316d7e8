// The JS mirror of `engine/plugin-host/src/protocol.rs`: the framed protocol between hotloop
// and this plugin host over stdio. One frame, integers little-endian:
//   u32 length (of the rest) · u8 kind · u32 id · u8 method length · method (UTF-8) · body
// kind: 0 request, 1 response, 2 error, 3 notification. The body is UTF-8 JSON or empty
// (no value). Golden fixtures: `tests/data/plugin-host/`, tested by `js/tests/`.

export const KIND = Object.freeze({ request: 0, response: 1, error: 2, notification: 3 });
const KIND_NAMES = ['request', 'response', 'error', 'notification'];
export const MAX_FRAME = 256 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * @param {{ kind: 'request'|'response'|'error'|'notification', id: number, method: string,
 *           body?: unknown }} frame  body: any JSON value; `undefined` or `null` → empty
 * @returns {Buffer}
 */
export function encodeFrame({ kind, id, method, body }) {
  const k = KIND[kind];
  if (k === undefined) throw new Error(`unknown frame kind ${kind}`);
  const m = encoder.encode(method).subarray(0, 255);
  const b = body === undefined || body === null ? new Uint8Array(0) : encoder.encode(JSON.stringify(body));
  const len = 1 + 4 + 1 + m.length + b.length;
  const out = Buffer.allocUnsafe(4 + len);
  out.writeUInt32LE(len, 0);
  out.writeUInt8(k, 4);
  out.writeUInt32LE(id >>> 0, 5);
  out.writeUInt8(m.length, 9);
  out.set(m, 10);
  out.set(b, 10 + m.length);
  return out;
}

/** Decodes one frame's payload (after the length prefix). */
function decodePayload(p) {
  if (p.length < 6) throw new Error('frame is truncated');
  const kind = KIND_NAMES[p[0]];
  if (kind === undefined) throw new Error(`unknown frame kind ${p[0]}`);
  const id = p.readUInt32LE(1);
  const mlen = p[5];
  if (p.length < 6 + mlen) throw new Error('frame is truncated');
  const method = decoder.decode(p.subarray(6, 6 + mlen));
  const raw = p.subarray(6 + mlen);
  const body = raw.length === 0 ? null : JSON.parse(decoder.decode(raw));
  return { kind, id, method, body };
}

/** Decodes exactly one frame's bytes (length prefix included). */
export function decodeFrame(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) throw new Error('frame is truncated');
  const len = buf.readUInt32LE(0);
  if (len > MAX_FRAME) throw new Error(`frame of ${len} bytes is larger than the limit`);
  if (buf.length !== 4 + len) throw new Error('frame is truncated');
  return decodePayload(buf.subarray(4));
}

/** Splits a byte stream into frames: `push(chunk)` returns the frames completed by it. */
export class FrameReader {
  constructor() {
    this.chunks = [];
    this.size = 0;
  }

  push(chunk) {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames = [];
    while (this.size >= 4) {
      if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const len = this.chunks[0].readUInt32LE(0);
      if (len > MAX_FRAME) throw new Error(`frame of ${len} bytes is larger than the limit`);
      // Concatenate only once the whole frame is here (a big module arrives in many chunks).
      if (this.size < 4 + len) break;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      frames.push(decodePayload(all.subarray(4, 4 + len)));
      const rest = all.subarray(4 + len);
      this.chunks = rest.length ? [rest] : [];
      this.size = rest.length;
    }
    return frames;
  }
}

/**
 * Frames out to one byte sink, batched: the frames sent within one turn of the event loop go
 * out in one `write`, when `schedule` runs the flush (`setImmediate`: after that turn's I/O
 * callbacks and the promise jobs they started, so the answers of every request that arrived
 * together leave together). Order is kept. Measured on a 1000-SFC app's cold build: 6–8× fewer
 * write calls, but not less time writing (that follows the bytes and the machine's load); an
 * answer can wait for the rest of its turn's synchronous work, which measured neutral.
 */
export class FrameWriter {
  /**
   * @param {(bytes: Buffer) => void} write
   * @param {(flush: () => void) => void} [schedule]
   */
  constructor(write, schedule = setImmediate) {
    this.write = write;
    this.schedule = schedule;
    this.pending = [];
    this.scheduled = false;
    this.writes = 0; // how many writes so far (the host's stats)
    this.frames = 0;
  }

  send(frame) {
    this.pending.push(encodeFrame(frame));
    this.frames++;
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** Writes what is pending now (also called by the schedule). */
  flush() {
    this.scheduled = false;
    const pending = this.pending;
    if (!pending.length) return;
    this.pending = [];
    this.writes++;
    this.write(pending.length === 1 ? pending[0] : Buffer.concat(pending));
  }
}
