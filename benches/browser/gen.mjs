#!/usr/bin/env node
// The fixture generator: writes a synthetic Vite-style app of N modules of one kind, with a
// manifest (`bench.json`) telling the benchmark what renders, what to edit and what each edit
// must cause. Used by run.mjs; also a command of its own:
//
//   node benches/browser/gen.mjs --kind plain|react --modules N --out DIR
//
// Kinds live in `kinds/<name>.mjs` and are listed in KINDS below. A kind exports
// `{ name, summary, packages, ext, generate(tree, write) }`: `generate` writes the app's files
// (index.html, the entry, the modules of `tree`, the stylesheet) following the conventions in
// lib/tree.mjs and returns `{ entry, ready, css, groups, jsx? }`, where each group names a metric,
// the expected outcome ('hot' or 'reload'), which nodes to edit ('leaves' or 'mids') and whether
// React state must survive. A `routes` kind (React.lazy routes, issue 21) adds a file here and a
// line in KINDS; new kinds of edit (navigate, then edit a lazy route) add a group field that
// measure.mjs learns to read.
//
// A fixture is reused while its manifest matches this generator's source and every file still
// has its generated content (a fingerprint over all files); otherwise it is written afresh
// (into a temp directory, then renamed, so a half-written fixture is never used). The npm
// packages a kind needs (React) are copied from benches/browser/node_modules into the fixture's
// own node_modules: hotloop serves nothing outside the project root.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Tree } from './lib/tree.mjs';
import plain from './kinds/plain.mjs';
import react from './kinds/react.mjs';

export const KINDS = { plain, react };
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MANIFEST = 'bench.json';
const FANOUT = 10;

/** A hash of the generator's own source for `kind`: a changed generator regenerates fixtures. */
function generatorVersion(kind) {
  const h = crypto.createHash('sha1');
  for (const f of ['gen.mjs', 'lib/tree.mjs', `kinds/${kind}.mjs`]) h.update(fs.readFileSync(path.join(HERE, f)));
  return h.digest('hex').slice(0, 12);
}

function fingerprint(dir, files) {
  const h = crypto.createHash('sha1');
  for (const f of files) {
    h.update(f);
    h.update('\0');
    h.update(fs.readFileSync(path.join(dir, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

/** The package and its dependencies (transitively), as installed in benches/browser/node_modules. */
function packageClosure(names) {
  const out = new Map();
  const queue = [...names];
  while (queue.length) {
    const name = queue.shift();
    if (out.has(name)) continue;
    const pj = path.join(HERE, 'node_modules', name, 'package.json');
    if (!fs.existsSync(pj)) throw new Error(`npm package ${name} is not installed in ${path.join(HERE, 'node_modules')} (run.mjs installs it; or \`npm ci\` there)`);
    const meta = JSON.parse(fs.readFileSync(pj, 'utf8'));
    out.set(name, meta.version);
    queue.push(...Object.keys(meta.dependencies || {}));
  }
  return Object.fromEntries([...out].sort());
}

/** Reads a fixture's manifest if it is current and intact, else null. */
function currentManifest(dir, kind, n) {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8'));
    if (m.kind !== kind || m.modules !== n || m.version !== generatorVersion(kind)) return null;
    const want = packageClosure(KINDS[kind].packages);
    if (JSON.stringify(m.packages) !== JSON.stringify(want)) return null;
    if (fingerprint(dir, m.files) !== m.fingerprint) return null;
    return m;
  } catch {
    return null;
  }
}

/** Evenly spread targets of a group, as `{ file, id }` (id: the element showing the module's TEXT). */
function targetsOf(tree, pick) {
  const out = [];
  for (let i = 0; i < tree.n; i++) {
    const leaf = tree.isLeaf(i);
    if ((pick === 'leaves') === leaf) out.push({ file: tree.file(i), id: leaf ? `leaf-${i}` : `mid-${i}` });
  }
  return out;
}

/** Writes the fixture `kind` with `n` modules into `dir` (replacing what is there); returns its manifest. */
export function generate(kindName, n, dir) {
  const kind = KINDS[kindName];
  if (!kind) throw new Error(`unknown fixture kind '${kindName}' (known: ${Object.keys(KINDS).join(', ')})`);
  if (!Number.isInteger(n) || n < 2) throw new Error(`--modules must be an integer >= 2 (got ${n})`);
  const packages = packageClosure(kind.packages);
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const files = [];
  const write = (rel, text) => {
    const p = path.join(tmp, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    files.push(rel);
  };
  const tree = new Tree(n, FANOUT, kind.ext);
  const k = kind.generate(tree, write);
  // The packages the app imports, as an app's package.json lists them (a plain app lists none:
  // hotloop then loads no React Refresh even though React resolves from this directory's
  // parents, benches/browser/node_modules).
  const dependencies = Object.fromEntries(kind.packages.map((name) => [name, `^${packages[name]}`]));
  write('package.json', `${JSON.stringify({ name: `bench-fixture-${kindName}-${n}`, private: true, type: 'module', dependencies }, null, 2)}\n`);
  for (const name of Object.keys(packages)) {
    fs.cpSync(path.join(HERE, 'node_modules', name), path.join(tmp, 'node_modules', name), { recursive: true, dereference: true });
  }
  files.sort();
  let leafCount = 0;
  for (let i = 0; i < n; i++) if (tree.isLeaf(i)) leafCount++;
  const manifest = {
    generator: 'benches/browser/gen.mjs',
    version: generatorVersion(kindName),
    kind: kindName,
    modules: n,
    fanout: FANOUT,
    leafCount,
    midCount: n - leafCount,
    entry: k.entry,
    ready: { ...k.ready, count: leafCount },
    css: k.css,
    jsx: k.jsx || null,
    groups: k.groups.map((g) => ({ ...g, targets: targetsOf(tree, g.pick) })),
    packages,
    files,
    fingerprint: fingerprint(tmp, files),
  };
  fs.writeFileSync(path.join(tmp, MANIFEST), `${JSON.stringify(manifest)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(tmp, dir);
  return manifest;
}

/** The fixture `kind`/`n` in `dir`: reused when current and intact, else generated. */
export function ensureFixture(kind, n, dir) {
  const m = currentManifest(dir, kind, n);
  if (m) return { manifest: m, reused: true };
  return { manifest: generate(kind, n, dir), reused: false };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: a } = parseArgs({
    options: {
      kind: { type: 'string', default: 'plain' },
      modules: { type: 'string', short: 'n', default: '1000' },
      out: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (a.help || !a.out) {
    console.log(`usage: node gen.mjs --kind ${Object.keys(KINDS).join('|')} --modules N --out DIR\n`);
    for (const k of Object.values(KINDS)) console.log(`  ${k.name.padEnd(8)} ${k.summary}`);
    process.exit(a.help ? 0 : 2);
  }
  const dir = path.resolve(a.out);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length && !fs.existsSync(path.join(dir, MANIFEST))) {
    console.error(`${dir} is not empty and holds no ${MANIFEST}: refusing to replace it`);
    process.exit(2);
  }
  const { manifest: m, reused } = ensureFixture(a.kind, Number(a.modules), dir);
  console.log(`${reused ? 'reused' : 'wrote'} ${dir}: ${m.kind}, ${m.modules} modules (${m.leafCount} leaves, ${m.midCount} mids)`);
}
