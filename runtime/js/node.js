// node.js: the Node host, for a module graph that runs on the server. Not part of the served
// script (it is not in `ORDER`): `require("runtime/js/node.js")` from Node. The core gets a
// transport instead of a socket: any object with `send(frame)` and `onMessage(listener)` (a
// pipe to the dev server, in the issue that adds server-side HMR), connected from `start` on.
// `import.meta.hot` works as on a page; there is no DOM, so stylesheets, the overlay and React
// Refresh are absent, and a full reload is whatever `reload` says (refused by default). Update
// factories are named `hotloop-server:<id>?rev=<n>` in stacks where they carry no map (the
// host's `sourceComments`; the engine puts each module's map in its code), and the host's
// `moduleUrl`/`moduleFile` make `import.meta.url`/`filename`/`dirname` the module's file, as
// under Node.
"use strict";

const createCore = require("./core.js");

/**
 * @param {{
 *   transport: { send: (frame: Uint8Array) => void, onMessage: (listener: (frame: Uint8Array) => void) => void },
 *   origin?: string,
 *   moduleUrl?: (id: string) => string,
 *   moduleFile?: (id: string) => string,
 *   reload?: (reason: ReloadReason) => boolean,
 *   logger?: Logger,
 *   showError?: (id: string, error: { message: string, stack: string, context: string | undefined }) => void,
 * }} options
 */
function createNodeRuntime(options) {
  const { transport } = options;
  const core = createCore();
  /** @type {Host} */
  const host = {
    origin: options.origin || "",
    moduleUrl: options.moduleUrl || null,
    moduleFile: options.moduleFile || null,
    send: (frame) => transport.send(frame),
    reload: options.reload || (() => false),
    starting: "while starting the server",
  };
  if (options.logger) host.logger = options.logger;
  // An update's factory names its module; the engine puts the module's map in its code (for
  // Node's own source-map support, which server.js turns on), so no map URL is added.
  host.sourceComments = (id, revision) => "\n//# sourceURL=hotloop-server:" + id + "?rev=" + revision;
  // A module that threw while evaluating (at start or in an update): the host reports it.
  if (options.showError) host.showError = options.showError;

  return {
    define: core.define,
    require: core.require,
    whenIdle: core.whenIdle,
    inspect: core.inspect,
    /**
     * Evaluates the entries in order (the chunk's `revision` and `serverId`, `env`, `mode` as
     * on a page), then listens to the transport. Resolves once every entry settled.
     */
    start(entries, startOptions = {}) {
      if (!core.start(host, startOptions)) return Promise.resolve();
      const started = core.startEntries(entries);
      transport.onMessage((frame) => core.receive(frame));
      core.connected({ transport });
      return started;
    },
  };
}

module.exports = createNodeRuntime;
