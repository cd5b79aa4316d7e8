// Test support: server frames, encoded as the engine's `protocol.rs` writes them (the runtime
// only decodes these). protocol.test.mjs checks this encoder against every golden server
// fixture, so a test frame can never drift from what the server sends.

import { createRequire } from "node:module";

import { decodeClientMessage } from "./client-frames.mjs";

const require = createRequire(import.meta.url);
const P = require("../../js/protocol.js");

const MODULE_KINDS = ["js", "css", "asset", "json"];
const DIAGNOSTIC_KINDS = ["syntax", "resolve", "transform", "io", "runtime"];
const utf8 = new TextEncoder();

class Writer {
  bytes = [];
  u8(v) {
    this.bytes.push(v & 0xff);
  }
  u32(v) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.bytes.push(...b);
  }
  str(s) {
    const b = utf8.encode(String(s));
    this.u32(b.length);
    this.bytes.push(...b);
  }
  opt(v, write) {
    if (v === null || v === undefined) this.u8(0);
    else {
      this.u8(1);
      write(v);
    }
  }
  list(items, write) {
    this.u32(items.length);
    for (const item of items) write(item);
  }
  kind(names, value) {
    this.u8(typeof value === "number" ? value : names.indexOf(value));
  }
}

/** One server message (the decoded shape, missing lists empty) → its frame. */
export function encodeServerMessage(message) {
  const w = new Writer();
  switch (message.type) {
    case "hello":
      w.u8(P.ids.hello);
      w.u32(message.protocol ?? P.PROTOCOL_VERSION);
      w.str(message.serverId);
      w.u32(message.revision);
      break;
    case "update":
      w.u8(P.ids.update);
      w.u32(message.revision);
      w.list(message.modules ?? [], (m) => {
        const deps = Object.entries(m.deps ?? {});
        w.str(m.id);
        w.kind(MODULE_KINDS, m.kind ?? "js");
        w.list(deps, ([spec, target]) => {
          w.str(spec);
          w.opt(target, (t) => w.str(t));
        });
        w.u32(m.staticDeps ?? deps.length);
        w.str(m.code);
      });
      w.list(message.invalidate ?? [], (id) => w.str(id));
      w.list(message.boundaries ?? [], (b) => {
        w.str(b.id);
        w.opt(b.acceptedDep, (d) => w.str(d));
      });
      w.list(message.removed ?? [], (id) => w.str(id));
      w.list(message.cssLinks ?? [], (l) => {
        w.str(l.href);
        w.str(l.version);
      });
      w.list(message.changedFiles ?? [], (f) => w.str(f));
      w.list(message.cssPatches ?? [], (p) => {
        w.kind(["style", "link"], p.target);
        w.str(p.id);
        w.u32(p.base);
        w.u32(p.version);
        w.u32(p.rules);
        const edits = (list) =>
          w.list(list, (e) => {
            w.kind(["delete", "insert", "within"], e.op);
            w.u32(e.index);
            if (e.op === "insert") w.str(e.rule);
            if (e.op === "within") {
              w.u32(e.rules);
              edits(e.edits);
            }
          });
        edits(p.edits);
      });
      break;
    case "errors":
      w.u8(P.ids.errors);
      w.u32(message.revision);
      w.list(message.added ?? [], (d) => {
        w.kind(DIAGNOSTIC_KINDS, d.kind);
        w.str(d.file);
        w.u32(d.line);
        w.u32(d.column);
        w.str(d.message);
        w.str(d.codeFrame);
      });
      w.list(message.cleared ?? [], (f) => w.str(f));
      break;
    case "full-reload":
      w.u8(P.ids.fullReload);
      w.u32(message.revision);
      w.u8(message.reasonCode);
      w.str(message.reason);
      break;
    case "custom":
      w.u8(P.ids.custom);
      w.str(message.event);
      w.str(JSON.stringify(message.data ?? null));
      break;
    case "chunk-synced":
      w.u8(P.ids.chunkSynced);
      w.str(message.chunk);
      break;
    default:
      throw new Error(`no server message of type ${message.type}`);
  }
  return new Uint8Array(w.bytes);
}

/** A client frame (Uint8Array of any realm) → `{ kind, ...fields }` for assertions. */
export function decodeClientFrame(frame) {
  const { type, ...fields } = decodeClientMessage(frame);
  return { kind: type, ...fields };
}

export const PROTOCOL_VERSION = P.PROTOCOL_VERSION;
