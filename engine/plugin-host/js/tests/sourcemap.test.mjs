// Source map chaining: VLQ round trip and composition through two steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMappings, encodeMappings, composeMaps, originalPosition } from '../sourcemap.js';

test('mappings decode and encode back', () => {
  for (const m of ['AAAA;AACA,EAAE', 'AAAAA,SAASC;;AAEA', '', ';;', 'gBAAgB,KAAK']) {
    assert.equal(encodeMappings(decodeMappings(m)), m);
  }
});

test('two maps compose to the original positions', () => {
  // step 1: original "a\nb" → "x\na\nb" (one line inserted on top)
  const first = { version: 3, sources: ['orig.js'], sourcesContent: ['a\nb'], names: [], mappings: encodeMappings([[], [[0, 0, 0, 0]], [[0, 0, 1, 0]]]) };
  // step 2: that output → the same with 2 columns of indent on each line
  const second = { version: 3, sources: ['step1.js'], names: [], mappings: encodeMappings([[[2, 0, 0, 0]], [[2, 0, 1, 0]], [[2, 0, 2, 0]]]) };
  const composed = composeMaps(second, first);
  assert.deepEqual(composed.sources, ['orig.js']);
  assert.deepEqual(composed.sourcesContent, ['a\nb']);
  // line 0 maps into step 1's line 0, which has no original: dropped
  assert.deepEqual(decodeMappings(composed.mappings), [[], [[2, 0, 0, 0]], [[2, 0, 1, 0]]]);
});

test('a missing map on either side keeps the other', () => {
  const m = { version: 3, sources: ['a'], names: [], mappings: 'AAAA' };
  assert.equal(composeMaps(null, m), m);
  assert.equal(composeMaps(m, null), m);
  assert.equal(composeMaps({ mappings: '' }, m), m);
});

test('a position of the generated code traces back to its original line and column', () => {
  // "\nlet a = 1;\nlet b = 2;" with its blank first line dropped, one segment per line
  const map = { version: 3, sources: ['src/a.ts'], names: [], mappings: encodeMappings([[[0, 0, 1, 0]], [[0, 0, 2, 0], [4, 0, 2, 4]]]) };
  assert.deepEqual(originalPosition(map, 1, 4), { source: 'src/a.ts', line: 2, column: 4 }, 'the distance into the segment is kept');
  assert.deepEqual(originalPosition(map, 2, 5), { source: 'src/a.ts', line: 3, column: 5 }, 'from the nearest segment before');
  assert.equal(originalPosition(map, 3, 0), null, 'a line with no mappings');
  assert.equal(originalPosition({ version: 3, sources: ['x'], names: [], mappings: encodeMappings([[[3, 0, 0, 0]]]) }, 1, 1), null, 'before the first segment');
  assert.equal(originalPosition(null, 1, 0), null);
});
