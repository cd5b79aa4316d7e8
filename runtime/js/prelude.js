// hotloop browser runtime. The files listed in `ORDER` are concatenated into one classic script
// served at /_hotloop/runtime.js. `prelude.js` opens one closure that every following fragment
// shares and `epilogue.js` closes it: the only globals are `__hotloop`, `HotloopProtocol`
// (protocol.js, before the closure) and the `process` fallback.
(function () {
  "use strict";

  if (globalThis.__hotloop) {
    // The runtime was loaded twice (a second script tag): keep the first registry.
    return;
  }

  // Libraries read `process.env.NODE_ENV` at runtime; the engine only rewrites the literal
  // expression, so keep a fallback for the dynamic reads.
  globalThis.process ??= { env: { NODE_ENV: "development" } };

  /** `sessionStorage` key under which a full reload leaves its reason for the next page. */
  const RELOAD_REASON_KEY = "hotloop:full-reload-reason";

  /**
   * `import.meta.env` for every module; `start` adds the `.env` variables the server exposes and
   * the mode, when `--mode` named one.
   */
  let ENV = Object.freeze({
    MODE: "development",
    DEV: true,
    PROD: false,
    SSR: false,
    BASE_URL: "/",
  });

  const now =
    typeof performance !== "undefined" && typeof performance.now === "function"
      ? () => performance.now()
      : () => Date.now();

  /** The lifecycle log: the end-to-end tests wait for these exact lines. */
  function log(line) {
    console.info("[hmr] " + line);
  }

  function errorMessage(err) {
    if (err && typeof err === "object" && "message" in err) return String(err.message);
    return String(err);
  }

  function errorStack(err) {
    if (err && typeof err === "object" && typeof err.stack === "string") return err.stack;
    return errorMessage(err);
  }

  /** The protocol codec, looked up when used (protocol.js defines it before the closure). */
  function protocol() {
    // eslint-disable-next-line no-undef
    return typeof HotloopProtocol !== "undefined" ? HotloopProtocol : globalThis.HotloopProtocol;
  }
