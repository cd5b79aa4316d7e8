// The core's absences, checked on its source: the files core.js wires together (its
// `coreParts`) name no browser object, and each loads in plain Node as a CommonJS file that
// exports its one binding and defines no global.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const JS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "js");
const require = createRequire(import.meta.url);

/** The core's files: core.js and every file its `coreParts` requires under Node. */
function coreFiles() {
  const source = readFileSync(path.join(JS_DIR, "core.js"), "utf8");
  const required = [...source.matchAll(/require\("\.\/([\w-]+\.js)"\)/g)].map((m) => m[1]);
  return ["core.js", ...required];
}

/** Source without comments (a comment may say what the code never touches). */
function code(name) {
  return readFileSync(path.join(JS_DIR, name), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

const BROWSER_OBJECTS = ["window", "document", "location", "WebSocket", "sessionStorage", "localStorage", "navigator", "self", "addEventListener"];

test("the core is core.js and the parts it requires, all listed in ORDER ahead of the hosts", () => {
  const order = readFileSync(path.join(JS_DIR, "ORDER"), "utf8").split("\n").map((l) => l.trim()).filter(Boolean);
  const files = coreFiles();
  assert.ok(files.length >= 8, files.join(", "));
  for (const name of files) assert.ok(order.includes(name), `${name} is not in ORDER`);
  const lastCore = Math.max(...files.map((name) => order.indexOf(name)));
  assert.equal(order[lastCore], "core.js", "the core's parts come before core.js, the hosts after it");
});

for (const name of coreFiles()) {
  test(`${name} names no browser object`, () => {
    const text = code(name);
    for (const word of BROWSER_OBJECTS) {
      assert.doesNotMatch(text, new RegExp(`(?<![\\w.$])${word}(?![\\w$])`), `${name} uses ${word}`);
    }
  });

  test(`${name} loads in plain Node, exports one binding and defines no global`, () => {
    const before = new Set(Object.getOwnPropertyNames(globalThis));
    const exported = require(path.join(JS_DIR, name));
    assert.ok(typeof exported === "function" || (typeof exported === "object" && exported !== null));
    const added = Object.getOwnPropertyNames(globalThis).filter((n) => !before.has(n));
    assert.deepEqual(added, []);
  });
}
