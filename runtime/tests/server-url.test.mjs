// server-url.js: the prefix of the dev server's URLs (Vite's `base`) from the runtime's own
// script URL (a worker's: its location), and what gets it.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const SOURCE = fs.readFileSync(path.join(import.meta.dirname, "../js/server-url.js"), "utf8");

/** The file's bindings with `document` and `location` as given. */
function load({ document, location }) {
  return new Function("document", "location", `${SOURCE}\nreturn { SERVER_PREFIX, serverUrl };`)(document, location);
}

test("the runtime's script under a base names the prefix; the server's paths get it", () => {
  const { SERVER_PREFIX, serverUrl } = load({
    document: { currentScript: { src: "http://127.0.0.1:5173/sub/_hotloop/runtime.js?v=abc" } },
    location: { pathname: "/sub/" },
  });
  assert.equal(SERVER_PREFIX, "/sub");
  assert.equal(serverUrl("/_hotloop/ws"), "/sub/_hotloop/ws");
  assert.equal(serverUrl("/src/style.css"), "/sub/src/style.css");
  assert.equal(serverUrl("//cdn.example/x.css"), "//cdn.example/x.css", "not a path of the server");
  assert.equal(serverUrl("https://cdn.example/x.css"), "https://cdn.example/x.css");
});

test("without a base, or from a worker's location, the prefix is what precedes /_hotloop/", () => {
  assert.equal(load({ document: { currentScript: { src: "http://localhost:5173/_hotloop/runtime.js" } } }).SERVER_PREFIX, "");
  assert.equal(load({ document: undefined, location: { pathname: "/app/_hotloop/worker/src/w.js" } }).SERVER_PREFIX, "/app");
  assert.equal(load({ document: { currentScript: null }, location: { pathname: "/" } }).SERVER_PREFIX, "");
});
