// Test support for the page and worker hosts: the served script (every file in `ORDER`) in a
// `node:vm` context with the few browser objects the hosts touch (a small DOM, location,
// sessionStorage, WebSocket, timers), driven the way the server would, with protocol frames.
// The core itself is tested without any of this (core-env.mjs).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import vm from "node:vm";

import { decodeClientFrame, encodeServerMessage } from "./server-frames.mjs";

const JS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "js");

/** The runtime files in load order, from `runtime/js/ORDER` (the list lib.rs follows). */
export function runtimeFiles() {
  return readFileSync(path.join(JS_DIR, "ORDER"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The served script: the files in `ORDER`, concatenated as lib.rs does. */
export function runtimeSource() {
  return runtimeFiles()
    .map((name) => readFileSync(path.join(JS_DIR, name), "utf8"))
    .join("");
}

const VENDOR_REFRESH = path.join(JS_DIR, "..", "vendor", "react-refresh", "react-refresh-runtime.development.js");

/** The vendored react-refresh development runtime, as published (a CommonJS module body). */
export function vendoredRefreshSource() {
  return readFileSync(VENDOR_REFRESH, "utf8");
}

/** `/_hotloop/react-refresh.js`: the embedded copy as lib.rs concatenates it. */
export function embeddedRefreshSource() {
  const embed = path.join(JS_DIR, "refresh-embed");
  return (
    readFileSync(path.join(embed, "open.js"), "utf8") +
    vendoredRefreshSource() +
    readFileSync(path.join(embed, "close.js"), "utf8")
  );
}

// ------------------------------------------------------------------------------------------------
// A minimal DOM.

class FakeEventTarget {
  #listeners = new Map();
  addEventListener(type, fn, options) {
    const list = this.#listeners.get(type) ?? [];
    list.push({ fn, once: Boolean(options && options.once) });
    this.#listeners.set(type, list);
  }
  removeEventListener(type, fn) {
    const list = this.#listeners.get(type);
    if (list) this.#listeners.set(type, list.filter((l) => l.fn !== fn));
  }
  dispatchEvent(event) {
    if (typeof event === "string") event = { type: event };
    event.target ??= this;
    for (const listener of (this.#listeners.get(event.type) ?? []).slice()) {
      if (listener.once) this.removeEventListener(event.type, listener.fn);
      listener.fn.call(this, event);
    }
  }
  listenerCount(type) {
    return (this.#listeners.get(type) ?? []).length;
  }
}

class FakeNode extends FakeEventTarget {
  parentNode = null;
  childNodes = [];
  appendChild(child) {
    if (child.parentNode) child.parentNode.removeChild(child);
    child.parentNode = this;
    this.childNodes.push(child);
    return child;
  }
  insertBefore(child, reference) {
    if (reference == null) return this.appendChild(child);
    if (child.parentNode) child.parentNode.removeChild(child);
    const at = this.childNodes.indexOf(reference);
    if (at === -1) throw new Error("insertBefore: reference is not a child");
    child.parentNode = this;
    this.childNodes.splice(at, 0, child);
    return child;
  }
  removeChild(child) {
    const at = this.childNodes.indexOf(child);
    if (at === -1) throw new Error("removeChild: not a child");
    this.childNodes.splice(at, 1);
    child.parentNode = null;
    return child;
  }
  remove() {
    if (this.parentNode) this.parentNode.removeChild(this);
  }
  replaceChildren(...children) {
    for (const child of this.childNodes) child.parentNode = null;
    this.childNodes = [];
    for (const child of children) {
      if (!(child instanceof FakeNode)) throw new TypeError(`replaceChildren: not a node: ${child}`);
      this.appendChild(child);
    }
  }
  get nextSibling() {
    if (!this.parentNode) return null;
    const siblings = this.parentNode.childNodes;
    return siblings[siblings.indexOf(this) + 1] ?? null;
  }
  get textContent() {
    return this.childNodes.map((c) => c.textContent).join("");
  }
  set textContent(value) {
    this.replaceChildren(new FakeText(String(value)));
  }
  /** Descendant elements (shadow roots excluded) named `tag`, in document order. */
  querySelectorAll(tag) {
    const found = [];
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child instanceof FakeElement && child.localName === tag) found.push(child);
        walk(child);
      }
    };
    walk(this);
    return found;
  }
}

class FakeText extends FakeNode {
  constructor(data) {
    super();
    this.data = data;
  }
  get textContent() {
    return this.data;
  }
  set textContent(value) {
    this.data = String(value);
  }
}

/**
 * A CSSOM sheet: top-level rules as texts, cut at top-level `}` and `;` (enough for the tests'
 * sheets). `insertRule` throws for a rule containing `INVALID` (a rule the browser cannot
 * parse) or an index past the end, as Chromium does.
 */
export class FakeStyleSheet {
  rules = [];
  constructor(text = "") {
    let depth = 0;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === "{") depth++;
      else if (c === "}" && --depth === 0) this.#cut(text, start, i + 1), (start = i + 1);
      else if (c === ";" && depth === 0) this.#cut(text, start, i + 1), (start = i + 1);
    }
    this.#cut(text, start, text.length);
  }
  #cut(text, from, to) {
    const rule = text.slice(from, to).trim();
    if (rule) this.rules.push(rule);
  }
  get cssRules() {
    return this.rules.map((cssText) => ({ cssText }));
  }
  insertRule(rule, index) {
    if (index > this.rules.length) throw new Error("IndexSizeError");
    if (rule.includes("INVALID")) throw new Error("SyntaxError: cannot parse the rule");
    this.rules.splice(index, 0, rule);
    return index;
  }
  deleteRule(index) {
    if (index >= this.rules.length) throw new Error("IndexSizeError");
    this.rules.splice(index, 1);
  }
}

export class FakeElement extends FakeNode {
  #attributes = new Map();
  #sheet = null;
  #sheetText = null;
  /** How many times a `<style>`'s sheet was parsed from its text (each is a full restyle). */
  parses = 0;
  shadowRoot = null;
  /** A `<style>`'s sheet follows its text; a `<link>`'s is set by the test when it "loads". */
  get sheet() {
    if (this.localName === "style") {
      const text = this.textContent;
      if (this.#sheetText !== text) {
        this.#sheet = new FakeStyleSheet(text);
        this.#sheetText = text;
        this.parses += 1;
      }
    }
    return this.#sheet;
  }
  set sheet(sheet) {
    this.#sheet = sheet;
  }
  constructor(tag) {
    super();
    this.localName = tag.toLowerCase();
    this.tagName = tag.toUpperCase();
  }
  setAttribute(name, value) {
    this.#attributes.set(name, String(value));
  }
  getAttribute(name) {
    return this.#attributes.has(name) ? this.#attributes.get(name) : null;
  }
  hasAttribute(name) {
    return this.#attributes.has(name);
  }
  removeAttribute(name) {
    this.#attributes.delete(name);
  }
  attachShadow({ mode }) {
    if (!this.localName.includes("-")) throw new Error("attachShadow: not a custom element name");
    if (this.shadowRoot) throw new Error("attachShadow: already has a shadow root");
    this.shadowRoot = new FakeNode();
    this.shadowRoot.mode = mode;
    this.shadowRoot.host = this;
    return this.shadowRoot;
  }
  cloneNode(deep = false) {
    const copy = new FakeElement(this.localName);
    for (const [name, value] of this.#attributes) copy.setAttribute(name, value);
    if (deep) for (const child of this.childNodes) copy.appendChild(child.cloneNode(true));
    return copy;
  }
}

class FakeDocument extends FakeNode {
  visibilityState = "visible";
  constructor() {
    super();
    this.documentElement = this.appendChild(new FakeElement("html"));
    this.head = this.documentElement.appendChild(new FakeElement("head"));
    this.body = this.documentElement.appendChild(new FakeElement("body"));
  }
  createElement(tag) {
    return new FakeElement(tag);
  }
  /** The first element matching `tag` or `tag[attr="value"]` (what the runtime asks for). */
  querySelector(selector) {
    const m = /^([a-z][\w-]*)(?:\[([\w-]+)="([^"]*)"\])?$/i.exec(selector);
    if (!m) throw new Error(`FakeDocument.querySelector: unsupported selector ${selector}`);
    const [, tag, attr, value] = m;
    return (
      allElements(this).find(
        (el) => el.tagName.toLowerCase() === tag.toLowerCase() && (attr === undefined || el.getAttribute(attr) === value),
      ) ?? null
    );
  }
  createTextNode(data) {
    return new FakeText(String(data));
  }
  setVisibility(state) {
    this.visibilityState = state;
    this.dispatchEvent("visibilitychange");
  }
}

/** Every element in `root`'s tree, shadow roots included. */
export function allElements(root) {
  const found = [];
  const walk = (node) => {
    for (const child of node.childNodes) {
      if (child instanceof FakeElement) {
        found.push(child);
        if (child.shadowRoot) walk(child.shadowRoot);
      }
      walk(child);
    }
  };
  walk(root);
  return found;
}

// ------------------------------------------------------------------------------------------------
// The rest of the browser.

class MemoryStorage {
  #items = new Map();
  getItem(key) {
    return this.#items.has(key) ? this.#items.get(key) : null;
  }
  setItem(key, value) {
    this.#items.set(key, String(value));
  }
  removeItem(key) {
    this.#items.delete(key);
  }
}

export const ORIGIN = "http://localhost:5173";
export const SERVER_ID = "server-1";

// ------------------------------------------------------------------------------------------------
// The environment.

/**
 * A web worker's global scope: no document, storage or WebSocket; `load` evaluates a worker
 * chunk as `/_hotloop/worker/<id>` ends (`start(..., { worker: true })`).
 */
export function createWorker() {
  const logs = [];
  const timers = [];
  const record = (level) => (...args) => {
    logs.push({ level, text: args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ") });
  };
  const sandbox = {
    console: { log: record("log"), info: record("info"), warn: record("warn"), error: record("error"), debug: record("debug") },
    location: { origin: ORIGIN, href: ORIGIN + "/_hotloop/worker/src/worker.js" },
    URL,
    TextDecoder,
    TextEncoder,
    performance,
    setTimeout(fn) {
      timers.push(fn);
      return timers.length;
    },
    clearTimeout() {},
  };
  const context = vm.createContext(sandbox);
  vm.runInContext(runtimeSource(), context, { filename: "worker.js" });
  return {
    logs,
    timers,
    get(name) {
      return context[name];
    },
    load(modules, entries, { env, mode } = {}) {
      const defines = modules
        .map((m) => `__hotloop.define(${JSON.stringify(m.id)}, ${JSON.stringify(m.deps)}, ${m.code});`)
        .join("\n");
      vm.runInContext(
        `${defines}\n__hotloop.start(${JSON.stringify(entries)}, ${JSON.stringify({ worker: true, env, mode })});`,
        context,
        { filename: "worker.js" },
      );
    },
  };
}

/**
 * A fresh page. `storage` carries sessionStorage over a simulated reload.
 */
export function createPage({ storage = new MemoryStorage() } = {}) {
  const logs = [];
  const sockets = [];
  const timers = new Map();
  let nextTimer = 1;
  let reloads = 0;
  const document = new FakeDocument();

  const record = (level) => (...args) => {
    logs.push({ level, text: args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ") });
  };
  const console = {
    log: record("log"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
    debug: record("debug"),
  };

  class FakeWebSocket extends FakeEventTarget {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSED = 3;
    constructor(url) {
      super();
      this.url = url;
      this.readyState = 0;
      this.binaryType = "blob";
      this.sent = [];
      sockets.push(this);
    }
    send(data) {
      if (this.readyState !== 1) throw new Error("WebSocket is not open");
      this.sent.push(data);
      // The server answers a lazy chunk's `Loaded` (no edit to send): `ChunkSynced`.
      const message = decodeClientFrame(data);
      if (message.kind === "loaded") {
        setImmediate(() => this.serverSend(encodeServerMessage({ type: "chunk-synced", chunk: message.chunk })));
      }
    }
    close() {
      this.serverClose();
    }
    // The server's side.
    serverOpen() {
      this.readyState = 1;
      this.dispatchEvent("open");
    }
    serverSend(message) {
      this.dispatchEvent({ type: "message", data: message });
    }
    serverClose() {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.dispatchEvent("close");
    }
  }

  const location = {
    origin: ORIGIN,
    host: "localhost:5173",
    protocol: "http:",
    href: ORIGIN + "/",
    reload() {
      reloads += 1;
    },
  };

  const sandbox = {
    console,
    document,
    location,
    sessionStorage: storage,
    WebSocket: FakeWebSocket,
    URL,
    TextDecoder,
    TextEncoder,
    performance,
    setTimeout(fn, ms) {
      const id = nextTimer++;
      timers.set(id, { fn, ms });
      return id;
    },
    clearTimeout(id) {
      timers.delete(id);
    },
  };
  const context = vm.createContext(sandbox);
  const globalsBefore = new Set(Object.getOwnPropertyNames(context));
  vm.runInContext(runtimeSource(), context, { filename: "runtime.js" });
  const hotloop = context.__hotloop;

  const page = {
    context,
    document,
    storage,
    logs,
    sockets,
    timers,
    hotloop,
    globalsBefore,
    get reloads() {
      return reloads;
    },
    /** Runs code in the page (a chunk, or a probe). */
    run(code) {
      return vm.runInContext(code, context);
    },
    /** `__hotloop.inspect()` as plain data of this realm. */
    inspect() {
      return JSON.parse(JSON.stringify(hotloop.inspect()));
    },
    /** The `[hmr] ...` lifecycle lines, in order. */
    hmrLog() {
      return logs.filter((l) => l.level === "info" && l.text.startsWith("[hmr] ")).map((l) => l.text);
    },
    errorsLogged() {
      return logs.filter((l) => l.level === "error").map((l) => l.text);
    },
    warningsLogged() {
      return logs.filter((l) => l.level === "warn").map((l) => l.text);
    },
    /** A page-side value, e.g. `page.get("seen")` for `globalThis.seen`. */
    get(name) {
      return context[name];
    },
    /** Evaluates a chunk: `define` for each module, then `start`. */
    load(modules, entries, { revision = 1, serverId = SERVER_ID, env, mode, overlay, buildErrors } = {}) {
      const defines = modules
        .map((m) => {
          const staticDeps = m.staticDeps === undefined ? "" : `, ${m.staticDeps}`;
          return `__hotloop.define(${JSON.stringify(m.id)}, ${JSON.stringify(m.deps)}, ${m.code}${staticDeps});`;
        })
        .join("\n");
      vm.runInContext(
        `${defines}\n__hotloop.start(${JSON.stringify(entries)}, ${JSON.stringify({ revision, serverId, env, mode, overlay, buildErrors })});`,
        context,
        { filename: "chunk.js" },
      );
    },
    get socket() {
      return sockets[sockets.length - 1];
    },
    /** Opens the current socket and greets like the server does. */
    async connect({ revision = 1, serverId = SERVER_ID } = {}) {
      page.socket.serverOpen();
      await page.receive({ type: "hello", serverId, revision });
    },
    /** Loads a chunk, connects, and waits until the hello was handled. */
    async boot(modules, entries, options = {}) {
      page.load(modules, entries, options);
      await page.connect(options);
    },
    /** Delivers one server message and waits until the runtime handled everything received. */
    async receive(message) {
      page.socket.serverSend(encodeServerMessage(message));
      await hotloop.whenIdle();
    },
    /** Sends an update (missing fields empty) and returns the ack it produced, if any. */
    async update(fields) {
      const before = page.socket.sent.length;
      await page.receive({ type: "update", ...fields });
      return page.socket.sent.slice(before).map(decodeClientFrame).find((m) => m.kind === "ack");
    },
    /** Messages the page sent to the server, of one kind. */
    sent(kind) {
      return sockets.flatMap((s) => s.sent).map(decodeClientFrame).filter((m) => m.kind === kind);
    },
    /** Runs the timers due now (in registration order); returns the delays they had. */
    runTimers() {
      const due = Array.from(timers.entries());
      timers.clear();
      for (const [, timer] of due) timer.fn();
      return due.map(([, timer]) => timer.ms);
    },
    /** The overlay element, or null. */
    overlay() {
      return document.documentElement.querySelectorAll("hotloop-error-overlay")[0] ?? null;
    },
    overlayText() {
      return shadowText(page.overlay());
    },
    /** The full-reload note's element, or null. */
    notice() {
      return document.documentElement.querySelectorAll("hotloop-notice")[0] ?? null;
    },
    noticeText() {
      return shadowText(page.notice());
    },
  };
  return page;
}

function shadowText(element) {
  return element ? element.shadowRoot.childNodes.filter((n) => n.localName !== "style").map((n) => n.textContent).join("\n") : null;
}
