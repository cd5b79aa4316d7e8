// `/@vite/client`: Vite's client module as tools written against it import it (vite-hot-client
// and vite-dev-rpc, which vite-plugin-vue-devtools' panel uses to talk to its plugin):
// `createHotContext(owner)` with `on`, `off` and `send` for custom events, and `updateStyle`,
// `removeStyle`, `injectQuery`, `ErrorOverlay`. An ES module served on its own, not part of
// the runtime script. In a page that runs hotloop's runtime the events go over its connection
// (`__hotloop.events`); on a tool's own page (no runtime) over a WebSocket of this module's own
// to `/_hotloop/ws`, which carries custom events only (the wire format's `custom` frames,
// `runtime/js/protocol.js`; everything else the server sends there is ignored). Updates,
// `accept` and the rest of `import.meta.hot` are the runtime's alone: here they do nothing.

const CUSTOM = 0x05;
const CLIENT_CUSTOM = 0x83;

/** A WebSocket of its own, for custom events: `{ on, off, send }`. */
function ownChannel() {
  const listeners = new Map();
  const pending = [];
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let socket = null;
  const str = (text) => {
    const bytes = encoder.encode(text);
    const out = new Uint8Array(4 + bytes.length);
    new DataView(out.buffer).setUint32(0, bytes.length, true);
    out.set(bytes, 4);
    return out;
  };
  const frame = (event, data) => {
    let json = data === undefined ? 'null' : JSON.stringify(data);
    if (json === undefined) json = 'null';
    const parts = [Uint8Array.of(CLIENT_CUSTOM), str(String(event)), str(json)];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const received = (buffer) => {
    const bytes = new Uint8Array(buffer);
    if (bytes[0] !== CUSTOM) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 1;
    const next = () => {
      const length = view.getUint32(at, true);
      const text = decoder.decode(bytes.subarray(at + 4, at + 4 + length));
      at += 4 + length;
      return text;
    };
    const event = next();
    let data = null;
    try {
      data = JSON.parse(next());
    } catch {
      return;
    }
    for (const listener of [...(listeners.get(event) ?? [])]) listener(data);
  };
  const connect = () => {
    // Under Vite's `base` where this module was served (`/app/@vite/client`).
    const prefix = new URL(import.meta.url).pathname.replace(/\/@vite\/client$/, '');
    socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${prefix}/_hotloop/ws`);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      for (const bytes of pending.splice(0)) socket.send(bytes);
    };
    socket.onmessage = (message) => received(message.data);
    socket.onclose = () => setTimeout(connect, 1000);
  };
  connect();
  return {
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(listener);
    },
    off(event, listener) {
      listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== listener));
    },
    send(event, data) {
      const bytes = frame(event, data);
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(bytes);
      else pending.push(bytes);
    },
  };
}

let channel = null;
const events = () => (channel ??= globalThis.__hotloop?.events ?? ownChannel());

/** Vite's `createHotContext(ownerPath)`: custom events; updates are the runtime's. */
export function createHotContext(ownerPath) {
  const mine = [];
  return {
    ownerPath,
    data: {},
    accept() {},
    acceptExports() {},
    dispose() {},
    prune() {},
    decline() {},
    invalidate() {},
    on(event, listener) {
      events().on(event, listener);
      mine.push([event, listener]);
    },
    off(event, listener) {
      events().off(event, listener);
    },
    send(event, data) {
      events().send(event, data);
    },
  };
}

const styles = new Map();

/** Vite's `updateStyle(id, css)`: a `<style>` of that id in the head, created or replaced. */
export function updateStyle(id, content) {
  let style = styles.get(id);
  if (!style) {
    style = document.createElement('style');
    style.setAttribute('type', 'text/css');
    style.setAttribute('data-vite-dev-id', id);
    const nonce = document.querySelector('meta[property="csp-nonce"]')?.nonce;
    if (nonce) style.nonce = nonce;
    document.head.appendChild(style);
    styles.set(id, style);
  }
  style.textContent = content;
}

/** Vite's `removeStyle(id)`. */
export function removeStyle(id) {
  styles.get(id)?.remove();
  styles.delete(id);
}

/** Vite's `injectQuery(url, query)`: `query` added to a same-origin URL. */
export function injectQuery(url, query) {
  if (!url.startsWith('.') && !url.startsWith('/')) return url;
  const [path, rest = ''] = url.split(/(?=[?#])/);
  const [search = '', hash = ''] = rest.startsWith('#') ? ['', rest] : rest.split(/(?=#)/);
  return `${path}?${query}${search ? `&${search.slice(1)}` : ''}${hash}`;
}

/** Vite's `ErrorOverlay` element class; hotloop's own overlay shows the errors. */
export const ErrorOverlay = globalThis.HTMLElement ? class ErrorOverlay extends HTMLElement {} : class ErrorOverlay {};
