// The real create-vite starters for end-to-end tests: each template of `create-vite@9.3.0`,
// as `npm create vite` writes it (its own package.json, unmodified; `_gitignore` renamed), with
// its dependencies installed by `npm install`. Cached between runs in `tests/e2e/.starters/`
// (gitignored), keyed by a hash of the template's files, so a changed template installs again.
// The install sees the registry as it was on `REGISTRY_DATE` (npm's `--before`): the templates'
// caret ranges then resolve to the same versions on every machine and every day, and a version
// published minutes before the run (listed, but not yet on every registry mirror) is never picked.
//
//   const dir = starter('lit-ts');            // the cached, installed template (never edit it)
//   const app = await StarterApp.start('lit-ts');  // a private copy served by the real hotloop
//   ... app.file('src/my-element.ts'), app.server, app.stop()
//
// A copy for one test gets its own files and a `node_modules` whose directories are its own and
// whose files are hard links into the cache (instant, and real paths inside the copy, as after
// `npm install`), or copies where hard links are impossible. A test may add or replace files in
// its copy's `node_modules` (write a new file, rename it over), never write into one in place.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Server, tempDir } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export const CREATE_VITE_VERSION = '9.3.0';
/**
 * The day whose registry the starters install from. Move it forward to test newer releases
 * (every starter installs again: the date is part of each cache key).
 */
export const REGISTRY_DATE = '2026-12-05';
/** The cache: the unpacked create-vite package and one installed directory per template. */
export const startersDir = process.env.HOTLOOP_STARTERS_DIR || path.resolve(here, '..', '.starters');

/** The templates create-vite 9.3.0 ships (`template-<name>`). */
export const TEMPLATES = [
  'vanilla', 'vanilla-ts', 'vue', 'vue-ts', 'react', 'react-ts', 'preact', 'preact-ts',
  'lit', 'lit-ts', 'svelte', 'svelte-ts', 'solid', 'solid-ts', 'qwik', 'qwik-ts',
];

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd, args, cwd) {
  try {
    execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    throw new Error(`\`${cmd} ${args.join(' ')}\` in ${cwd} failed (${e.status ?? e.code}):\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Replaces `to` with `from` by rename; if another process got there first, keeps theirs. */
function publish(from, to) {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if (!fs.existsSync(to)) throw e;
    fs.rmSync(from, { recursive: true, force: true });
  }
}

/** `<startersDir>/create-vite-<version>/`: the package from the npm registry, unpacked once. */
export function createVitePackage() {
  const dir = path.join(startersDir, `create-vite-${CREATE_VITE_VERSION}`);
  if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  fs.mkdirSync(startersDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(startersDir, '.pack-'));
  try {
    run(npm, ['pack', `create-vite@${CREATE_VITE_VERSION}`, '--silent', '--pack-destination', tmp], tmp);
    const tarball = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack create-vite@${CREATE_VITE_VERSION} left no tarball in ${tmp}`);
    run('tar', ['xzf', tarball], tmp);
    publish(path.join(tmp, 'package'), dir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

function listFiles(dir, rel = '') {
  const out = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const r = path.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

/**
 * A hash of the template's paths and bytes, the registry date, and the major version of node
 * (whose npm installs).
 */
function templateKey(template, { devDependencies = null, dependencies = null, npmArgs = null } = {}) {
  const hash = crypto.createHash('sha256');
  hash.update(`node ${process.versions.node.split('.')[0]}\n`);
  hash.update(`registry ${REGISTRY_DATE}\n`);
  if (devDependencies) hash.update(`devDependencies ${JSON.stringify(devDependencies)}\n`);
  if (dependencies) hash.update(`dependencies ${JSON.stringify(dependencies)}\n`);
  if (npmArgs) hash.update(`npm ${JSON.stringify(npmArgs)}\n`);
  for (const rel of listFiles(template)) {
    hash.update(`${rel}\n`);
    hash.update(fs.readFileSync(path.join(template, rel)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The installed starter `name` (a create-vite template name such as `lit-ts`): its cached
 * directory, created on first use (`npm install` from the npm registry; a minute or so).
 * Never edit it: copy it with `copyStarter`.
 *
 * With `devDependencies` (and a `flavour` naming the set), the starter as a user leaves it
 * after `npm install -D <those packages>`: one install of the template's and those together,
 * cached as `<name>+<flavour>-<key>` (the key hashes the packages too). `dependencies` replace
 * the template's own versions (one the registry does not have yet); `npmArgs` are added to the
 * install (`--legacy-peer-deps`).
 */
export function starter(name, { devDependencies = null, dependencies = null, npmArgs = null, flavour = null } = {}) {
  const template = path.join(createVitePackage(), `template-${name}`);
  if (!fs.existsSync(template)) {
    throw new Error(`create-vite@${CREATE_VITE_VERSION} has no template-${name} (known: ${TEMPLATES.join(', ')})`);
  }
  const key = templateKey(template, { devDependencies, dependencies, npmArgs });
  const base = flavour ? `${name}+${flavour}` : name;
  const dir = path.join(startersDir, `${base}-${key}`);
  if (fs.existsSync(path.join(dir, '.hotloop-installed'))) return dir;
  fs.mkdirSync(startersDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(startersDir, `.${base}-`));
  try {
    fs.cpSync(template, tmp, { recursive: true });
    // create-vite writes `_gitignore` as `.gitignore` (npm would drop a `.gitignore`).
    if (fs.existsSync(path.join(tmp, '_gitignore'))) fs.renameSync(path.join(tmp, '_gitignore'), path.join(tmp, '.gitignore'));
    if (devDependencies || dependencies) {
      // What `npm install -D <packages>` adds, in one install with the template's own.
      const pkgFile = path.join(tmp, 'package.json');
      const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
      if (devDependencies) pkg.devDependencies = { ...pkg.devDependencies, ...devDependencies };
      if (dependencies) pkg.dependencies = { ...pkg.dependencies, ...dependencies };
      fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
    }
    const args = ['install', '--no-audit', '--no-fund', '--loglevel=error', `--before=${REGISTRY_DATE}`];
    run(npm, [...args, ...(npmArgs ?? [])], tmp);
    fs.writeFileSync(path.join(tmp, '.hotloop-installed'), `create-vite@${CREATE_VITE_VERSION} template-${name} ${key}\n`);
    publish(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  // Installs of an older version of this template (with these extras) are of no more use.
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const other of fs.readdirSync(startersDir)) {
    if (other !== path.basename(dir) && new RegExp(`^${escaped}-[0-9a-f]{16}$`).test(other)) {
      fs.rmSync(path.join(startersDir, other), { recursive: true, force: true });
    }
  }
  return dir;
}

/** Recreates `from` at `to`: directories made, files hard-linked (copied across devices), symlinks kept. */
function linkTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(src, dst);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
    else {
      try {
        fs.linkSync(src, dst);
      } catch {
        fs.copyFileSync(src, dst);
      }
    }
  }
}

/**
 * A private copy of the installed starter `name` in a fresh temp dir (its real path): the
 * project's files copied, `node_modules` linked as described at the top of this file.
 */
export function copyStarter(name, extras = {}) {
  const from = starter(name, extras);
  const dir = tempDir(`starter-${name}`);
  for (const entry of fs.readdirSync(from)) {
    if (entry === '.hotloop-installed') continue;
    if (entry === 'node_modules') linkTree(path.join(from, entry), path.join(dir, entry));
    else fs.cpSync(path.join(from, entry), path.join(dir, entry), { recursive: true });
  }
  return dir;
}

/** A starter copy served by the real hotloop binary (see `Server` in harness.mjs). */
export class StarterApp {
  static async start(name, { args = [], devDependencies = null, dependencies = null, npmArgs = null, flavour = null, prepare = null } = {}) {
    const root = copyStarter(name, { devDependencies, dependencies, npmArgs, flavour });
    // The test's own set-up (files a tool's guide says to write) before hotloop starts.
    if (prepare) await prepare(root);
    const server = await Server.start(root, { args });
    return new StarterApp(name, root, server);
  }

  constructor(name, root, server) {
    this.name = name;
    this.root = root;
    this.server = server;
    this.url = server.url + '/';
  }

  /** The absolute path of a file of the copy. */
  file(rel) { return path.join(this.root, rel); }

  /** Stops the server and deletes the copy. */
  async stop() {
    await this.server.stop();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
