#!/usr/bin/env node
// The runtime's start path in Node, without a browser: a chunk of N generated modules (the
// browser benchmark's `plain` tree: node i imports nodes 10i+1 … 10i+10, leaves call
// `import.meta.hot.accept()`, a `Map` instead of the DOM) defined and started through the real
// runtime core (`runtime/js/node.js`), beside the same chunk through a minimal registry (a
// `Map` of factories and a `require` that joins paths: the floor of any per-module registry).
// Each run is a fresh Node process, so every sample is a first evaluation with a cold JIT, as
// a page's is; the table gives the medians.
//
//   node benches/runtime/start.mjs [--modules 10000] [--runs 15] [--runtime DIR]
//
// `--runtime DIR` runs another copy of `runtime/js` (an A/B of a runtime change: check out the
// base into a temp dir and pass its `runtime/js`). It measures the registry's own work per
// module (records, `require`, hot contexts, ES module namespaces); what a browser adds (script
// streaming and compile, the DOM, layout) is the browser benchmark's (`benches/browser/`).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { Tree } from '../browser/lib/tree.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    modules: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '15' },
    runtime: { type: 'string', default: path.resolve(here, '../../runtime/js') },
    // Internal: one sample in this process (`hotloop` or `minimal`).
    sample: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('node benches/runtime/start.mjs [--modules N] [--runs R] [--runtime DIR]');
  process.exit(0);
}
const modules = Number(opts.modules);

if (opts.sample) {
  console.log(JSON.stringify(sample(opts.sample)));
} else {
  const rows = [];
  for (const registry of ['hotloop', 'minimal']) {
    const samples = [];
    for (let i = 0; i < Number(opts.runs); i++) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--sample', registry,
        '--modules', opts.modules, '--runtime', opts.runtime], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`${registry} run failed:\n${child.stderr}`);
      samples.push(JSON.parse(child.stdout.trim().split('\n').pop()));
    }
    rows.push([registry, median(samples.map((s) => s.define)), median(samples.map((s) => s.start))]);
  }
  console.log(`${modules} modules, medians of ${opts.runs} fresh processes (ms); runtime: ${opts.runtime}\n`);
  console.log('| registry | define | start | total | per module (µs) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, define, start] of rows) {
    const total = define + start;
    console.log(`| ${name} | ${define.toFixed(1)} | ${start.toFixed(1)} | ${total.toFixed(1)} | ${((total * 1000) / modules).toFixed(2)} |`);
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The chunk's source: one `define(id, deps, factory)` per module, dependencies first, for the
 * browser benchmark's tree (`benches/browser/lib/tree.mjs`, fan-out 10 as `gen.mjs` makes it).
 */
function chunkSource(esm) {
  const tree = new Tree(modules, 10, 'js');
  const id = (i) => `/${tree.file(i)}`;
  const order = [];
  const visit = (i) => {
    for (const k of tree.children(i)) visit(k);
    order.push(i);
  };
  visit(0);
  let src = '';
  for (const i of order) {
    const kids = tree.children(i);
    const specs = kids.map((k) => JSON.stringify(Tree.rel(tree.file(i), tree.file(k))));
    const deps = `{${specs.map((s) => `${s}:1`).join(',')}}`;
    const body =
      (esm ? 'require.esm({v:0});' : '') +
      specs.map((s, n) => `const _c${n}=require(${s});`).join('') +
      `const TEXT="${kids.length ? 'mid' : 'leaf'} ${i} v0";let el=store.get(${i});` +
      `if(!el){el={id:${i}};store.set(${i},el);}el.textContent=TEXT;` +
      `const v=1${kids.map((_, n) => `+_c${n}.v`).join('')};exports.v=v;` +
      (kids.length ? '' : 'if($meta.hot){$meta.hot.accept();}');
    src += `define(${JSON.stringify(id(i))},${deps},(function(module,exports,require,$meta){\n"use strict";${body}\n}));\n`;
  }
  return { src, entry: id(0) };
}

/** One first evaluation: the chunk compiled, then timed while it defines and starts. */
function sample(registry) {
  globalThis.store = new Map();
  const { src, entry } = chunkSource(registry === 'hotloop');
  const runtime = registry === 'hotloop' ? hotloopRuntime() : minimalRuntime();
  const run = new vm.Script(`(function(define){${src}})`, { filename: 'chunk.js' }).runInThisContext();
  const t0 = performance.now();
  run(runtime.define);
  const t1 = performance.now();
  runtime.start([entry]);
  const t2 = performance.now();
  if (globalThis.store.size !== modules) throw new Error(`${globalThis.store.size} of ${modules} modules ran`);
  return { define: t1 - t0, start: t2 - t1 };
}

function hotloopRuntime() {
  const createNodeRuntime = createRequire(import.meta.url)(path.join(opts.runtime, 'node.js'));
  const runtime = createNodeRuntime({
    transport: { send() {}, onMessage() {} },
    logger: { info() {}, warn() {}, error: console.error, debug() {} },
  });
  return { define: runtime.define, start: (entries) => runtime.start(entries, { revision: 1, serverId: 'bench' }) };
}

function minimalRuntime() {
  const records = new Map();
  const join = (importer, spec) => {
    const segments = importer.split('/');
    segments.pop();
    for (const s of spec.split('/')) {
      if (s === '..') segments.pop();
      else if (s !== '.') segments.push(s);
    }
    return segments.join('/');
  };
  const meta = { hot: { accept() {} } };
  const load = (id) => {
    const rec = records.get(id);
    if (rec.module) return rec.module.exports;
    const module = (rec.module = { exports: {} });
    rec.factory.call(module.exports, module, module.exports, (spec) => load(join(id, spec)), meta);
    return module.exports;
  };
  return {
    define: (id, deps, factory) => records.set(id, { deps, factory, module: null }),
    start: (entries) => entries.forEach(load),
  };
}
