  // ---------------------------------------------------------------------------------------------
  // reload-reasons.js: the full reloads the runtime decides on by itself, as data. Reloads the
  // engine plans arrive in FullReload messages with its own `FullReloadReason` code (1..8) and
  // text; these are the runtime's, in one table, with the same vocabulary's codes (9..13, and 6
  // for missed updates) and texts (`engine/protocol/src/reload.rs` checks them). `text` is what the
  // `[hmr] full reload: ...` line, the page's note and `vite:beforeFullReload` say.
  // Never reloads anything: the host carries a reload out.
  // ---------------------------------------------------------------------------------------------

  /** @typedef {{ name: string, code: number | null, text: string }} ReloadReason */

  const RELOAD_REASONS = Object.freeze({
    /** The server's hello names a protocol version this runtime does not speak. */
    ProtocolMismatch: Object.freeze({ name: "ProtocolMismatch", code: 9, text: "the server speaks another protocol version" }),
    /** The hello comes from another server instance than the one that served the page. */
    ServerRestarted: Object.freeze({ name: "ServerRestarted", code: 10, text: "server restarted" }),
    /** The hello's revision is not the last one this page applied (engine: ClientOutOfSync). */
    MissedUpdates: Object.freeze({ name: "MissedUpdates", code: 6, text: "the page missed updates" }),
    /** Re-evaluating a module inside an import cycle threw: the cycle's other modules hold a mix. */
    CycleUpdateFailed: Object.freeze({ name: "CycleUpdateFailed", code: 11, text: "an update inside an import cycle failed" }),
    /** The app's server changed (server-side HMR) under a server-rendered page that does not
     * listen to `hotloop:server-update` and did not get the change as a hot update itself. */
    ServerUpdated: Object.freeze({ name: "ServerUpdated", code: 12, text: "the app's server code changed and this server-rendered page does not listen to hotloop:server-update" }),
    /** The page's Content-Security-Policy forbids eval, which an update's factories need. */
    EvalBlocked: Object.freeze({ name: "EvalBlocked", code: 13, text: "the page's Content-Security-Policy forbids eval and the update's scripts did not load: reloading (let script-src allow the page's own origin or 'unsafe-eval' in development for hot updates that keep state)" }),
    /** An update fixes a module whose failed first evaluation rejected an `import()`, which the
     * app keeps (React.lazy, a router's error page): the page imports it again by reloading. */
    FailedImportFixed: Object.freeze({ name: "FailedImportFixed", code: 14, text: "a module that an import() failed to load has new code and the app keeps the failed import()" }),
    /** A FullReload message without a text (its code is the server's). */
    ServerRequested: Object.freeze({ name: "ServerRequested", code: null, text: "requested by the server" }),
  });

  if (typeof module === "object" && module) module.exports = RELOAD_REASONS;
