// The JS side of the protocol against the golden fixtures the Rust encoder writes
// (tests/data/protocol/*.bin with the expected decoded object in *.json): every server frame
// decodes to its .json, every client .json encodes to exactly the Rust bytes, and malformed
// frames throw ProtocolError and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';

import { decodeClientMessage } from './support/client-frames.mjs';
import { encodeServerMessage } from './support/server-frames.mjs';

// Plain Node: protocol.js exports itself when loaded as a CommonJS file (no vm, no global).
const P = createRequire(import.meta.url)('../js/protocol.js');

const dir = new URL('../../tests/data/protocol/', import.meta.url);
const goldens = readdirSync(dir)
  .filter((f) => f.endsWith('.bin'))
  .sort()
  .map((f) => {
    const name = f.slice(0, -4);
    return {
      name,
      bytes: new Uint8Array(readFileSync(new URL(f, dir))),
      expected: JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')),
    };
  });
const isClient = (g) => g.bytes[0] >= 0x80;

/** Plain-data view (prototype-free deps maps compare like JSON objects). */
const plain = (v) => JSON.parse(JSON.stringify(v));

test('the fixtures cover every message type', () => {
  const seen = new Set(goldens.map((g) => g.bytes[0]));
  assert.deepEqual([...seen].sort((a, b) => a - b), Object.values(P.ids).sort((a, b) => a - b));
  // The Rust encoder writes its PROTOCOL_VERSION into the hello fixture.
  assert.equal(P.PROTOCOL_VERSION, goldens.find((g) => g.name === 'hello').expected.protocol);
});

test('loaded in Node, protocol.js defines no global', () => {
  assert.equal(globalThis.HotloopProtocol, undefined);
});

for (const g of goldens.filter((g) => !isClient(g))) {
  test(`the tests' server frame encoder writes golden ${g.name} byte for byte`, () => {
    assert.deepEqual(encodeServerMessage(g.expected), g.bytes);
  });

  test(`decodes server golden ${g.name}`, () => {
    assert.deepEqual(plain(P.decodeServerMessage(g.bytes)), g.expected);
    // An ArrayBuffer, and a view at an offset inside a larger buffer, decode the same.
    assert.deepEqual(plain(P.decodeServerMessage(g.bytes.slice().buffer)), g.expected);
    const padded = new Uint8Array(g.bytes.length + 7);
    padded.set(g.bytes, 3);
    assert.deepEqual(
      plain(P.decodeServerMessage(padded.subarray(3, 3 + g.bytes.length))),
      g.expected,
    );
  });
}

const encoders = { ack: P.encodeAck, invalidate: P.encodeInvalidate, custom: P.encodeCustom, loaded: P.encodeLoaded, rendered: P.encodeRendered };

for (const g of goldens.filter(isClient)) {
  test(`encodes and decodes client golden ${g.name}`, () => {
    const encoded = encoders[g.expected.type](g.expected);
    assert.deepEqual(Buffer.from(encoded), Buffer.from(g.bytes));
    assert.deepEqual(plain(decodeClientMessage(g.bytes)), g.expected);
  });
}

test('deps maps have no prototype, so specifiers like __proto__ are plain keys', () => {
  const update = P.decodeServerMessage(goldens.find((g) => g.name === 'update').bytes);
  const deps = update.modules[0].deps;
  assert.equal(Object.getPrototypeOf(deps), null);
  assert.equal(deps.__proto__, '/node_modules/__proto__/index.js');
  assert.equal(deps['missing-pkg'], null);
  assert.equal(deps.constructor, undefined);
});

test('encoders default missing optional fields', () => {
  const ack = decodeClientMessage(P.encodeAck({ revision: 5, ok: true, applyMs: 2 }));
  assert.deepEqual(ack, { type: 'ack', revision: 5, ok: true, applyMs: 2, error: null });
  const inv = decodeClientMessage(P.encodeInvalidate({ id: '/a.js' }));
  assert.deepEqual(inv, { type: 'invalidate', id: '/a.js', message: null });
  const custom = decodeClientMessage(P.encodeCustom({ event: 'e' }));
  assert.deepEqual(custom, { type: 'custom', event: 'e', data: null });
  const fn = decodeClientMessage(P.encodeCustom({ event: 'e', data: () => 1 }));
  assert.equal(fn.data, null);
});

function expectProtocolError(bytes, decode, pattern) {
  assert.throws(
    () => decode(bytes),
    (e) => e instanceof P.ProtocolError && (pattern === undefined || pattern.test(e.message)),
  );
}

const decoderFor = (bytes) =>
  bytes.length > 0 && bytes[0] >= 0x80 ? decodeClientMessage : P.decodeServerMessage;

test('every truncation of every golden throws ProtocolError', () => {
  for (const g of goldens) {
    for (let len = 0; len < g.bytes.length; len++) {
      expectProtocolError(g.bytes.subarray(0, len), decoderFor(g.bytes));
    }
  }
});

test('malformed frames throw ProtocolError with a reason', () => {
  expectProtocolError(new Uint8Array([]), P.decodeServerMessage, /empty frame/);
  expectProtocolError(new Uint8Array([0x7f]), P.decodeServerMessage, /unknown message id 0x7f/);
  expectProtocolError(new Uint8Array([0x81]), P.decodeServerMessage, /unknown message id 0x81/);
  expectProtocolError(new Uint8Array([0x01]), decodeClientMessage, /unknown message id 0x01/);
  // A string claiming 4 GiB.
  expectProtocolError(
    new Uint8Array([0x82, 0xff, 0xff, 0xff, 0xff, 0x61]),
    decodeClientMessage,
    /length 4294967295 at byte 1 exceeds the 1 bytes/,
  );
  // Overlong UTF-8 ('.' as c0 ae) and a lone surrogate.
  for (const bad of [[0xc0, 0xae], [0xed, 0xa0, 0x80], [0xff]]) {
    expectProtocolError(
      new Uint8Array([0x82, bad.length, 0, 0, 0, ...bad, 0]),
      decodeClientMessage,
      /invalid UTF-8/,
    );
  }
  const ack = P.encodeAck({ revision: 1, ok: true, applyMs: 1, error: null });
  const badBool = ack.slice();
  badBool[5] = 2;
  expectProtocolError(badBool, decodeClientMessage, /invalid bool byte 2 at byte 5/);
  const trailing = new Uint8Array([...ack, 1, 2]);
  expectProtocolError(trailing, decodeClientMessage, /2 unexpected bytes/);
  const notJson = P.encodeCustom({ event: 'e', data: 1 }).slice();
  notJson[notJson.length - 1] = 0x7b; // '1' -> '{'
  expectProtocolError(notJson, decodeClientMessage, /not valid JSON/);
});

test('mutated goldens throw only ProtocolError (bounded fuzz)', () => {
  let seed = 0x2545f491;
  const rand = (n) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  let decoded = 0;
  for (let i = 0; i < 20000; i++) {
    const g = goldens[rand(goldens.length)];
    const bytes = Array.from(g.bytes);
    for (let m = 0; m <= rand(3); m++) {
      const at = rand(bytes.length + 1);
      switch (rand(4)) {
        case 0:
          bytes[at] = rand(256);
          break;
        case 1:
          bytes.length = at;
          break;
        case 2:
          bytes.splice(at, 0, rand(256), rand(256));
          break;
        default:
          bytes.splice(at, 4, 0xff, 0xff, 0xff, rand(256));
      }
    }
    const frame = new Uint8Array(bytes.filter((b) => b !== undefined));
    try {
      decoderFor(frame)(frame);
      decoded++;
    } catch (e) {
      if (!(e instanceof P.ProtocolError)) {
        assert.fail(`iteration ${i}: ${e} on ${Buffer.from(frame).toString('hex')}`);
      }
    }
  }
  assert.ok(decoded > 100, `only ${decoded} mutated frames decoded`);
});

test("cssVersion is the engine's css_version: FNV-1a over UTF-16 code units", () => {
  // The same numbers as engine/protocol/src/wire/tests.rs.
  assert.equal(P.cssVersion(""), 0x811c9dc5);
  assert.equal(P.cssVersion("a"), 0xe40c292c);
  assert.equal(P.cssVersion("a{color:red}"), 0xabb04740);
  assert.equal(P.cssVersion("🔥"), 0xb02ce137);
});
