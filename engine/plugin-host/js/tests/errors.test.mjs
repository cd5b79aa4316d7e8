import { test } from 'node:test';
import assert from 'node:assert/strict';

import { splitMessageFrame } from '../errors.js';

test("a message's own code frame (compiler-sfc's) is split off; other messages stay whole", () => {
  const sfc = "[vue/compiler-sfc] Unexpected token, expected \",\" (4:0)\n\n/p/src/App.vue\n3  |  const count = ref<number>(0\n   |                              ^\n4  |  function inc() {}\n   |  ^\n5  |  </script>";
  assert.deepEqual(splitMessageFrame(sfc), [
    '[vue/compiler-sfc] Unexpected token, expected "," (4:0)',
    '3  |  const count = ref<number>(0\n   |                              ^\n4  |  function inc() {}\n   |  ^\n5  |  </script>',
  ]);
  assert.deepEqual(splitMessageFrame('one line'), ['one line', null]);
  const prose = 'Could not load x\n\nDid you mean y?';
  assert.deepEqual(splitMessageFrame(prose), [prose, null]);
  assert.deepEqual(splitMessageFrame('x\n\n1 | a\n  | ^\n\n'), ['x', '1 | a\n  | ^']);
  // Babel's (@vitejs/plugin-react's `babel` option): the error's line marked with `>`.
  const babel = '/p/src/Emo.tsx: Unexpected token (12:13)\n\n  11 |   <div>\n> 12 |     <Title <id="t">\n     |            ^\n  13 |   </div>';
  assert.deepEqual(splitMessageFrame(babel), [
    '/p/src/Emo.tsx: Unexpected token (12:13)',
    '  11 |   <div>\n> 12 |     <Title <id="t">\n     |            ^\n  13 |   </div>',
  ]);
});
