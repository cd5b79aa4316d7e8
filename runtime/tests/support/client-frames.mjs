// Decoding the client's frames, which is the server's job (in Rust, `hotloop-protocol`'s
// wire.rs): here for the runtime's tests, with the runtime's own bounds-checked reader, so
// that what the page never needs is not in the script it is served.

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const P = require("../../js/protocol.js");

const readOptStr = (r) => r.opt((r) => r.str());

/**
 * A client frame → a plain object (`type` says which message); malformed frames throw
 * `ProtocolError` as the server's decoder rejects them.
 * @param {ArrayBuffer | ArrayBufferView} input
 */
export function decodeClientMessage(input) {
  const bytes = P.bytesOf(input);
  if (bytes.length === 0) throw new P.ProtocolError("empty frame");
  const r = new P.Reader(bytes);
  const id = r.u8();
  switch (id) {
    case P.ids.ack:
      return r.finish({ type: "ack", revision: r.u32(), ok: r.bool(), applyMs: r.f64(), error: readOptStr(r) });
    case P.ids.invalidate:
      return r.finish({ type: "invalidate", id: r.str(), message: readOptStr(r) });
    case P.ids.loaded:
      return r.finish({ type: "loaded", chunk: r.str(), snapshot: r.u32() });
    case P.ids.rendered:
      return r.finish({ type: "rendered" });
    case P.ids.clientCustom:
      return r.finish({ type: "custom", event: r.str(), data: r.json() });
    default:
      throw new P.ProtocolError(`unknown message id 0x${id.toString(16).padStart(2, "0")}`);
  }
}
