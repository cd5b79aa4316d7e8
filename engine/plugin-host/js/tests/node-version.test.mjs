// The host's own check of Node's version: hotloop names the oldest it supports
// (`--min-node=N`) and asks `node --version` only after an early exit (`process.rs`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const host = fileURLToPath(new URL('../host.js', import.meta.url));

test('a Node older than --min-node exits at once, naming its version', () => {
  const r = spawnSync(process.execPath, [host, '--min-node=999'], { input: '', encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 78);
  assert.match(r.stderr, new RegExp(`Node\\.js ${process.version.replace(/\./g, '\\.')} is older than 999`));
});

test('a Node as new as --min-node runs until hotloop closes its stdin', () => {
  const major = process.versions.node.split('.')[0];
  const r = spawnSync(process.execPath, [host, `--min-node=${major}`], { input: '', encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});
