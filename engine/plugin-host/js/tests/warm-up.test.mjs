// warm-up.js: the Vue compiler warmed up in the host's idle time, against a compiler that
// records its calls (the real compiler-sfc is run by the host tests in Rust).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { WarmUp } from '../warm-up.js';

const SFC = '<script setup lang="ts">\nconst n = 1\n</script>\n<template><p>{{ n }}</p></template>\n<style scoped>p { color: red }</style>\n';

/** A compiler whose calls are recorded: `parse` gets the text, the rest the file name. */
function recordingCompiler() {
  const calls = [];
  return {
    calls,
    parse(text, { filename }) {
      calls.push(['parse', filename, text]);
      return {
        errors: [],
        descriptor: {
          scriptSetup: { content: 'const n = 1' },
          template: { content: '<p>{{ n }}</p>' },
          styles: [{ content: 'p { color: red }', scoped: true }],
        },
      };
    },
    compileScript(_, { id }) {
      calls.push(['script', id]);
      return { bindings: { n: 'setup-const' } };
    },
    compileTemplate({ filename, compilerOptions }) {
      calls.push(['template', filename, compilerOptions.bindingMetadata]);
    },
    compileStyle({ scoped }) {
      calls.push(['style', scoped]);
    },
  };
}

/** A warm-up whose `onDone` resolves the returned promise. */
function warmUp(options) {
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  return { warm: new WarmUp({ idleMs: 1, onDone: done, ...options }), finished };
}

test('once a page rendered, each .vue file the host compiled is compiled `rounds` times more, never under its own name', async () => {
  const compiler = recordingCompiler();
  const { warm, finished } = warmUp({ compiler: () => compiler, rounds: 2, files: 2 });
  warm.saw('/p/src/App.vue', SFC);
  warm.saw('/p/src/App.vue?vue&type=style&index=0&lang.css', 'p {}');
  warm.saw('/p/src/main.ts', 'export {}');
  warm.saw('/p/src/Hello.vue', SFC);
  warm.saw('/p/src/Third.vue', SFC);
  warm.begin();
  await finished;
  const parsed = compiler.calls.filter(([what]) => what === 'parse');
  assert.deepEqual(
    parsed.map(([, file]) => file),
    ['/p/src/App.vue.hotloop-warm-up.vue', '/p/src/Hello.vue.hotloop-warm-up.vue', '/p/src/App.vue.hotloop-warm-up.vue', '/p/src/Hello.vue.hotloop-warm-up.vue'],
  );
  // A text compiler-sfc's own cache has not seen, each round.
  assert.notEqual(parsed[0][2], parsed[2][2]);
  assert.ok(parsed[0][2].startsWith(SFC));
  assert.deepEqual(compiler.calls.slice(1, 4), [
    ['script', 'warmup0'],
    ['template', '/p/src/App.vue.hotloop-warm-up.vue', { n: 'setup-const' }],
    ['style', true],
  ]);
  assert.equal(warm.done, true);
});

test('a request stops the warm-up between two files; it resumes where it stopped at the next idle moment', async () => {
  const compiler = recordingCompiler();
  let warm;
  const parse = compiler.parse;
  const at = [];
  let requestAt = null;
  compiler.parse = (text, options) => {
    at.push(performance.now());
    // A request comes during the first compile.
    if (at.length === 1) {
      requestAt = performance.now();
      warm.activity();
    }
    return parse(text, options);
  };
  const made = warmUp({ compiler: () => compiler, rounds: 3, files: 1, idleMs: 50 });
  warm = made.warm;
  warm.saw('/p/src/App.vue', SFC);
  warm.begin();
  await made.finished;
  assert.equal(at.length, 3, 'three compiles in all: none twice, none lost');
  // (A lower bound: a slow machine only makes the wait longer.)
  assert.ok(at[1] - requestAt >= 45, `the next compile waited for the next idle moment: ${at[1] - requestAt} ms`);
});

test('without a Vue compiler, or without a .vue file, nothing is compiled', async () => {
  const none = warmUp({ compiler: () => null });
  none.warm.saw('/p/src/App.vue', SFC);
  none.warm.begin();
  await none.finished;
  assert.equal(none.warm.done, true);

  const compiler = recordingCompiler();
  const { warm } = warmUp({ compiler: () => compiler });
  warm.saw('/p/src/main.ts', 'export {}');
  await warm.run(warm.generation);
  assert.deepEqual(compiler.calls, []);
});

test('before a page rendered, quiet moments start nothing (the cold build sends its requests in bursts)', async () => {
  const compiler = recordingCompiler();
  const { warm, finished } = warmUp({ compiler: () => compiler, rounds: 1, files: 1, idleMs: 1 });
  warm.saw('/p/src/App.vue', SFC);
  warm.activity();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(compiler.calls, [], 'nothing before the page rendered');
  warm.begin();
  await finished;
  assert.equal(compiler.calls.filter(([what]) => what === 'parse').length, 1);
});
