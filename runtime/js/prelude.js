// hotloop runtime, served at /_hotloop/runtime.js as ONE classic script: the files listed in
// `ORDER` concatenated as they are, no build step. `prelude.js` opens one closure that every
// following file shares and `epilogue.js` closes it: the only globals are `__hotloop`
// and `HotloopProtocol`.
//
// The same files load in plain Node too, which is how the core is tested and how the Node host
// (node.js, not part of the served script) runs: each file declares one binding (a factory or
// a frozen table) and ends with `if (typeof module === "object" && module) module.exports = ...`.
// Inside this closure `module` is shadowed to undefined, so the served script never exports
// anything even when node runs it as a CommonJS file (tests/chunk_node.rs does). The core's
// parts (protocol.js .. update.js) never name each other: core.js wires them through
// `coreParts`, the one place that also knows the Node way. The page and worker hosts (css.js ..
// browser.js) are never loaded alone, so they use each other's bindings and the core's directly.
(function () {
  "use strict";

  // eslint-disable-next-line no-shadow, no-unused-vars
  const module = undefined;

  if (globalThis.__hotloop) {
    // The runtime was loaded twice (a second script tag): keep the first registry.
    return;
  }

  // No `process` global on the page, as under Vite: the engine replaces `process.env.NODE_ENV`
  // where it is written, and `typeof process` tells a page from Node (feature checks in packages,
  // a `process.env.REACT_APP_…` left from another tool throws here as under `vite dev`).

