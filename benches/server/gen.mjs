#!/usr/bin/env node
// The fixture generator: a server app of N plain-TS modules (no npm dependencies), laid out as
// the browser benchmark's tree (benches/browser/lib/tree.mjs: node i imports nodes 10i+1 …
// 10i+10, ~90 % leaves, files in directories of 100). Also a command of its own:
//
//   node benches/server/gen.mjs --modules N --out DIR
//
// Every module i answers the route `/r/<i>` with the body `<TEXT>\n`, where TEXT is the string on
// the module's one line tagged `// @bench-text` (`const TEXT: string = "m<i> v0";`): the benchmark
// writes a token into a leaf's line and polls `/r/<leaf>` until the body carries it.
//
//   * a leaf exports `handle(request): Response`;
//   * a mid imports its children and exports `routes: Map<number, Handler>`, its own handler and
//     every route of its subtree;
//   * the entry (node 0, `src/server.ts`) does the same and default-exports a fetch handler
//     `{ fetch(request) }` that dispatches `/r/<i>` through the map (404 otherwise): the shape
//     `hotloop dev --server`, `bun --hot` and the Vite SSR server in lib/vite-ssr.mjs all take.
//
// A fixture is reused while its manifest names this generator's source hash and every file
// still has its generated content; otherwise it is written afresh into a temp directory and
// renamed into place.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Tree } from '../browser/lib/tree.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MANIFEST = 'bench.json';
const FANOUT = 10;
export const ENTRY = 'src/server.ts';

function generatorVersion() {
  const h = crypto.createHash('sha1');
  for (const f of ['gen.mjs', '../browser/lib/tree.mjs']) h.update(fs.readFileSync(path.join(HERE, f)));
  return h.digest('hex').slice(0, 12);
}

function fingerprint(dir, files) {
  const h = crypto.createHash('sha1');
  for (const f of files) h.update(`${f}\0`).update(fs.readFileSync(path.join(dir, f))).update('\0');
  return h.digest('hex');
}

/** The editable line of module i (the benchmark rewrites the value). */
export const textLine = (i, value = 'v0') => `const TEXT: string = "m${i} ${value}"; // @bench-text`;

const fileOf = (tree, i) => (i === 0 ? ENTRY : tree.file(i));

function leafModule(i) {
  return [
    `// benchmark fixture: leaf ${i}, the route /r/${i}`,
    textLine(i),
    '',
    'export function handle(_request: Request): Response {',
    "  return new Response(TEXT + '\\n', { headers: { 'content-type': 'text/plain' } });",
    '}',
    '',
  ].join('\n');
}

/** A mid (or the entry): imports its children, merges their routes with its own. */
function routingModule(tree, i) {
  const from = fileOf(tree, i);
  const kids = tree.children(i);
  const lines = [`// benchmark fixture: ${i === 0 ? 'the server entry' : `mid ${i}`}, the route /r/${i} and its subtree's`];
  for (const c of kids) lines.push(`import * as m${c} from '${Tree.rel(from, fileOf(tree, c)).replace(/\.ts$/, '')}';`);
  lines.push(
    '',
    'type Handler = (request: Request) => Response;',
    textLine(i),
    '',
    'function handle(_request: Request): Response {',
    "  return new Response(TEXT + '\\n', { headers: { 'content-type': 'text/plain' } });",
    '}',
    '',
    `export const routes: Map<number, Handler> = new Map([[${i}, handle]]);`,
  );
  for (const c of kids) {
    if (tree.isLeaf(c)) lines.push(`routes.set(${c}, m${c}.handle);`);
    else lines.push(`for (const [k, h] of m${c}.routes) routes.set(k, h);`);
  }
  if (i === 0) {
    lines.push(
      '',
      'export default {',
      '  fetch(request: Request): Response {',
      '    const m = /^\\/r\\/(\\d+)$/.exec(new URL(request.url).pathname);',
      '    const h = m ? routes.get(Number(m[1])) : undefined;',
      "    return h ? h(request) : new Response('not found\\n', { status: 404 });",
      '  },',
      '};',
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** Writes the fixture of `n` modules into `dir` (replacing it); returns its manifest. */
export function generate(n, dir) {
  if (!Number.isInteger(n) || n < 2) throw new Error(`--modules must be an integer >= 2 (got ${n})`);
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const files = [];
  const write = (rel, text) => {
    const p = path.join(tmp, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    files.push(rel);
  };
  const tree = new Tree(n, FANOUT, 'ts');
  const leaves = [];
  for (let i = 0; i < n; i++) {
    if (tree.isLeaf(i)) {
      leaves.push({ id: i, file: fileOf(tree, i) });
      write(fileOf(tree, i), leafModule(i));
    } else {
      write(fileOf(tree, i), routingModule(tree, i));
    }
  }
  write('package.json', `${JSON.stringify({ name: `bench-server-fixture-${n}`, private: true, type: 'module' }, null, 2)}\n`);
  // hotloop serves index.html's page beside the app's server; the app answers `/` itself.
  write('index.html', '<!doctype html>\n<html><head><title>server bench</title></head><body></body></html>\n');
  write('tsconfig.json', `${JSON.stringify({ compilerOptions: { target: 'es2022', module: 'esnext', moduleResolution: 'bundler', strict: true, lib: ['es2022', 'dom'] } }, null, 2)}\n`);
  files.sort();
  const manifest = {
    generator: 'benches/server/gen.mjs',
    version: generatorVersion(),
    modules: n,
    fanout: FANOUT,
    entry: ENTRY,
    leaves,
    files,
    fingerprint: fingerprint(tmp, files),
  };
  fs.writeFileSync(path.join(tmp, MANIFEST), `${JSON.stringify(manifest)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(tmp, dir);
  return manifest;
}

function currentManifest(dir, n) {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8'));
    if (m.modules !== n || m.version !== generatorVersion()) return null;
    if (fingerprint(dir, m.files) !== m.fingerprint) return null;
    return m;
  } catch {
    return null;
  }
}

/** The fixture of `n` modules in `dir`: reused when current and intact, else generated. */
export function ensureFixture(n, dir) {
  const m = currentManifest(dir, n);
  if (m) return { manifest: m, reused: true };
  return { manifest: generate(n, dir), reused: false };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: a } = parseArgs({
    options: {
      modules: { type: 'string', short: 'n', default: '1000' },
      out: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (a.help || !a.out) {
    console.log('usage: node gen.mjs --modules N --out DIR');
    process.exit(a.help ? 0 : 2);
  }
  const dir = path.resolve(a.out);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length && !fs.existsSync(path.join(dir, MANIFEST))) {
    console.error(`${dir} is not empty and holds no ${MANIFEST}: refusing to replace it`);
    process.exit(2);
  }
  const { manifest: m, reused } = ensureFixture(Number(a.modules), dir);
  console.log(`${reused ? 'reused' : 'wrote'} ${dir}: ${m.modules} modules (${m.leaves.length} leaves)`);
}
