// `server.httpServer` as plugins use it: hotloop's own server serves the pages, so this is a
// stand-in for Vite's node `http.Server` with what plugins read of it.
//
// - `listening`, `address()` and the `listening` event: hotloop tells the host the address it
//   bound (`listeningAt`, from the `listening` notification or the config's `listening` when the
//   host starts after the server). vite-plugin-mock-dev-server watches its mock files only when
//   `server.httpServer` is there; others print their URL once it listens.
// - the `upgrade` event: WebSocket upgrades hotloop does not take itself (its own socket, a
//   `--proxy`/`server.proxy` path) reach the plugins' loopback server (`middlewares.js`), which
//   emits them here with the request, socket and head, as node's server would (a WebSocket
//   mock, a dev socket.io server). With no listener the upgrade is refused (404).
// - `close`, `listen`: hotloop's server is not the plugins' to open or close (no-ops).

import { EventEmitter } from 'node:events';

export class PageServer extends EventEmitter {
  #address = null;

  constructor() {
    super();
    this.setMaxListeners(0);
  }

  get listening() {
    return this.#address !== null;
  }

  /** Node's `server.address()`: `{ address, family, port }` once hotloop listens, else null. */
  address() {
    return this.#address;
  }

  /** hotloop's server listens on `port` of 127.0.0.1: say so, once. */
  listeningAt(port) {
    if (this.#address !== null || !Number.isInteger(port)) return;
    this.#address = { address: '127.0.0.1', family: 'IPv4', port };
    this.emit('listening');
  }

  /** An upgrade request from the loopback server: the plugins' listeners take it, or a 404. */
  upgrade(req, socket, head) {
    if (this.listenerCount('upgrade') === 0) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.emit('upgrade', req, socket, head);
  }

  listen(...args) {
    const cb = args.find((a) => typeof a === 'function');
    if (cb) this.once('listening', cb);
    return this;
  }

  close(cb) {
    if (typeof cb === 'function') queueMicrotask(cb);
    return this;
  }

  getConnections(cb) {
    if (typeof cb === 'function') queueMicrotask(() => cb(null, 0));
  }

  setTimeout() {
    return this;
  }

  ref() {
    return this;
  }

  unref() {
    return this;
  }
}
