// The JS mirror of the plugin host's frames against the golden fixtures Rust writes
// (`tests/data/plugin-host/`): decode each .bin to its .json, encode the .json back to the
// same bytes, and split a stream cut at every byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFrame, encodeFrame, FrameReader, FrameWriter } from '../protocol.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../../tests/data/plugin-host');
const names = fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).map((f) => f.slice(0, -4)).sort();

test('there are golden fixtures', () => {
  assert.ok(names.length >= 5, `fixtures in ${dir}`);
});

for (const name of names) {
  test(`golden ${name} round-trips`, () => {
    const bin = fs.readFileSync(path.join(dir, `${name}.bin`));
    const expected = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
    assert.deepEqual(decodeFrame(bin), expected);
    assert.equal(encodeFrame(expected).toString('hex'), bin.toString('hex'));
  });
}

test('a stream of frames split anywhere yields the frames in order', () => {
  const all = names.map((n) => fs.readFileSync(path.join(dir, `${n}.bin`)));
  const stream = Buffer.concat(all);
  const expected = names.map((n) => JSON.parse(fs.readFileSync(path.join(dir, `${n}.json`), 'utf8')));
  for (const step of [1, 3, 7, stream.length]) {
    const reader = new FrameReader();
    const got = [];
    for (let i = 0; i < stream.length; i += step) got.push(...reader.push(stream.subarray(i, i + step)));
    assert.deepEqual(got, expected, `chunks of ${step}`);
  }
});

test('bad frames are refused', () => {
  const ok = encodeFrame({ kind: 'response', id: 1, method: 'load', body: null });
  assert.throws(() => decodeFrame(ok.subarray(0, ok.length - 1)), /truncated/);
  const bad = Buffer.from(ok);
  bad[4] = 9;
  assert.throws(() => decodeFrame(bad), /unknown frame kind 9/);
  assert.throws(() => encodeFrame({ kind: 'nope', id: 1, method: 'x' }), /unknown frame kind/);
});

test('a big frame in many chunks is decoded once whole', () => {
  const code = 'x'.repeat(1 << 20);
  const bytes = encodeFrame({ kind: 'request', id: 9, method: 'transform', body: { code } });
  const reader = new FrameReader();
  let got = [];
  for (let i = 0; i < bytes.length; i += 65536) {
    got = got.concat(reader.push(bytes.subarray(i, i + 65536)));
    if (i + 65536 < bytes.length) assert.equal(got.length, 0);
  }
  assert.equal(got.length, 1);
  assert.equal(got[0].body.code.length, code.length);
});

test('frames sent in one turn go out in one write, in order; the next turn in another', () => {
  const writes = [];
  const turns = [];
  const writer = new FrameWriter((b) => writes.push(Buffer.from(b)), (f) => turns.push(f));
  const frames = [
    { kind: 'response', id: 1, method: 'resolveIds', body: { results: [null] } },
    { kind: 'notification', id: 0, method: 'warning', body: { plugin: 'p', hook: 'load', message: 'm' } },
    { kind: 'error', id: 2, method: 'load', body: { message: 'boom' } },
  ];
  for (const f of frames) writer.send(f);
  assert.equal(writes.length, 0, 'nothing written before the turn ends');
  assert.equal(turns.length, 1, 'one flush scheduled for the turn');
  turns.shift()();
  assert.equal(writes.length, 1);
  assert.deepEqual(new FrameReader().push(writes[0]), frames);
  writer.send(frames[0]);
  assert.equal(turns.length, 1, 'a new turn schedules a new flush');
  turns.shift()();
  assert.equal(writes.length, 2);
  assert.deepEqual(new FrameReader().push(writes[1]), [frames[0]]);
  turns.length = 0;
  writer.flush();
  assert.equal(writes.length, 2, 'an empty flush writes nothing');
  assert.equal(writer.writes, 2);
  assert.equal(writer.frames, 4);
});

test('the default schedule flushes after the promise jobs of the turn', async () => {
  const writes = [];
  const writer = new FrameWriter((b) => writes.push(b));
  await Promise.all([1, 2, 3].map(async (id) => {
    await null;
    writer.send({ kind: 'response', id, method: 'load', body: null });
  }));
  assert.equal(writes.length, 0);
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 1);
  assert.deepEqual(new FrameReader().push(writes[0]).map((f) => f.id), [1, 2, 3]);
});
