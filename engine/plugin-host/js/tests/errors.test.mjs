import { test } from 'node:test';
import assert from 'node:assert/strict';

import { alignedPosition, firstOfSummary, sassPosition, splitMessageFrame, styleBlockStart, withoutOwnPlace } from '../errors.js';

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

test("a transform's summary error gives its first error's message, place and file", () => {
  // What Vite's transformWithOxc throws (Rolldown's errors), as vanilla-extract rethrows it.
  const oxc = Object.assign(new Error('Transform failed with 1 error:\n\n[PARSE_ERROR] Expected `}` but found `EOF`'), {
    errors: [{
      message: '[PARSE_ERROR] Expected `}` but found `EOF`\n   ╭─[ src/app.css.ts:8:45 ]\n   │',
      id: '/p/src/app.css.ts',
      loc: { line: 8, column: 44, file: '/p/src/app.css.ts' },
    }],
  });
  assert.deepEqual(firstOfSummary(oxc), {
    message: '[PARSE_ERROR] Expected `}` but found `EOF`',
    loc: { line: 8, column: 44 },
    id: '/p/src/app.css.ts',
  });
  // esbuild's.
  const esbuild = { errors: [{ text: 'Expected ">" but found "<"', location: { file: '/p/src/App.tsx', line: 6, column: 18 } }] };
  assert.deepEqual(firstOfSummary(esbuild), { message: 'Expected ">" but found "<"', loc: { line: 6, column: 18 }, id: '/p/src/App.tsx' });
  // A relative file names nothing hotloop can find.
  assert.equal(firstOfSummary({ errors: [{ text: 'x', location: { file: 'App.tsx', line: 1, column: 0 } }] }).id, null);
  assert.equal(firstOfSummary(new Error('plain')), null);
  assert.equal(firstOfSummary({ errors: [{ message: 'no place' }] }), null);
});

test("swc's report: the first error's position, at its mark", async () => {
  const { miettePosition } = await import('../errors.js');
  const report = [
    '  x Expression expected',
    '   ,-[/p/src/App.tsx:4:1]',
    ' 3 |   const [count, setCount] = useState(0)',
    ' 4 |   return <div><h1 <id>Get</h1></div>',
    '   : ' + ' '.repeat(18) + '^', // under `<id>`'s `<`
    ' 5 | }',
    '   `----',
    '  x Unknown regular expression flags.',
    '   ,-[/p/src/App.tsx:4:1]',
  ].join('\n');
  assert.deepEqual(miettePosition(report), { file: '/p/src/App.tsx', line: 4, column: 18 });
  // Drawn in Unicode (a terminal), as plugin-react-swc reads the line from.
  const unicode = ['  × Expression expected', '   ╭─[/p/src/App.tsx:10:1]', ' 10 │   return (', '    ·   ──┬──', '    ·     ╰── here', '   ╰────'].join('\n');
  assert.deepEqual(miettePosition(unicode), { file: '/p/src/App.tsx', line: 10, column: 0 });
  assert.equal(miettePosition('Unexpected token (4:0)'), null);
});

test('a position in code a mapless step changed is placed on the source line by aligning the texts', () => {
  const source = '<template>\n  <div>\n    <p>{{ label + }}</p>\n  </div>\n</template>\n';
  const given = source
    .replace('<div>', '<div data-v-inspector="src/A.vue:2:3">')
    .replace('<p>', '<p data-v-inspector="src/A.vue:3:5">');
  const line = given.split('\n')[2];
  // The `+` of the bad expression, in the given line and in the source's.
  assert.deepEqual(alignedPosition(source, given, 3, line.indexOf('+')), { line: 3, column: source.split('\n')[2].indexOf('+') });
  // Before the insertion, the same column; inside it, where the source goes on after it.
  assert.deepEqual(alignedPosition(source, given, 3, 2), { line: 3, column: 2 });
  assert.deepEqual(alignedPosition(source, given, 3, line.indexOf('data-v')), { line: 3, column: source.split('\n')[2].indexOf('>') });
  // A line the step left alone, and the end of a line.
  assert.deepEqual(alignedPosition(source, given, 1, 4), { line: 1, column: 4 });
  assert.deepEqual(alignedPosition(source, given, 2, line.length + 50), { line: 2, column: source.split('\n')[1].length });
  // Lines added or removed: nothing is known.
  assert.equal(alignedPosition(source, `// banner\n${given}`, 3, 5), null);
});

test("Sass's report passed on in a message gives the place its trace names first", () => {
  // vite-plugin-svelte's preprocess error: Sass's report in the message, no line or column.
  const block = 'Error while preprocessing /p/src/lib/Card.svelte - [sass] unmatched "}".\n  ╷\n8 │     }\n  │     ^\n  ╵\n  src/lib/Card.svelte.vite-preprocess.scss 8:5  root stylesheet';
  assert.deepEqual(sassPosition(block), {
    file: 'src/lib/Card.svelte.vite-preprocess.scss', line: 8, column: 4,
    head: 'Error while preprocessing /p/src/lib/Card.svelte - [sass] unmatched "}".',
  });
  // An error in a partial a mixin of it ran in: the partial's place, the innermost.
  const partial = '[sass] Undefined variable.\n  ╷\n6 │   padding: $padx;\n  │            ^^^^^\n  ╵\n  src/styles/_theme.scss 6:12                   card()\n  src/lib/Card.svelte.vite-preprocess.scss 5:5  root stylesheet';
  assert.deepEqual(sassPosition(partial), { file: 'src/styles/_theme.scss', line: 6, column: 11, head: '[sass] Undefined variable.' });
  assert.equal(sassPosition('[sass] Undefined variable.'), null);
  assert.equal(sassPosition('x\n  ╷\n1 │ a\n  ╵'), null, 'no trace: no place');
  assert.equal(sassPosition(undefined), null);
});

test("a component's <style> block starts after its tag, comments skipped", () => {
  const svelte = '<script>\n</script>\n<!-- <style> -->\n<p>hi</p>\n\n<style lang="scss">\n  .a { color: red; }\n</style>\n';
  assert.deepEqual(styleBlockStart(svelte), { line: 6, column: 19 });
  assert.deepEqual(styleBlockStart('<style>.a{}</style>'), { line: 1, column: 7 });
  assert.equal(styleBlockStart('<p>no style</p>'), null);
  assert.equal(styleBlockStart(null), null);
});

// Session 50: the header said `/src/App.svelte:15:20` and the message went on with Svelte's
// `/p/src/App.svelte:15:19`, its column from 0.
test("the place a message starts with goes when it is the error's own (vite-plugin-svelte's)", () => {
  const svelte = '/p/src/App.svelte:15:19 `</h2>` attempted to close an element that was not open\nhttps://svelte.dev/e/element_invalid_closing_tag';
  const loc = { line: 15, column: 19 };
  assert.equal(
    withoutOwnPlace(svelte, [undefined, '/p/src/App.svelte'], loc),
    '`</h2>` attempted to close an element that was not open\nhttps://svelte.dev/e/element_invalid_closing_tag',
  );
  // A column from 1, and a colon after the place.
  assert.equal(withoutOwnPlace('/p/src/a.ts:3:5: Unexpected', ['/p/src/a.ts'], { line: 3, column: 4 }), 'Unexpected');
  // Another place, another file, or no place of the error's: the message stays.
  assert.equal(withoutOwnPlace(svelte, ['/p/src/App.svelte'], { line: 14, column: 19 }), svelte);
  assert.equal(withoutOwnPlace(svelte, ['/p/src/Other.svelte'], loc), svelte);
  assert.equal(withoutOwnPlace(svelte, ['/p/src/App.svelte'], null), svelte);
  assert.equal(withoutOwnPlace('/p/src/App.svelte:15:19x', ['/p/src/App.svelte'], loc), '/p/src/App.svelte:15:19x');
});
