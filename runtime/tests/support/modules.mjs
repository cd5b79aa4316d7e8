// Test support: modules as the engine emits them (factory source in swc's shapes), for the core
// tests and the page tests alike.

/** The first line of every factory, exactly as the engine emits it. */
export const FACTORY_HEADER =
  "(function (module, exports, require, __hotloop_meta, $RefreshReg$, $RefreshSig$) {";

export function factory(body) {
  return `${FACTORY_HEADER}\n${body}\n})`;
}

/** The first line of the factory of a module using top-level await. */
export const ASYNC_FACTORY_HEADER = `(async ${FACTORY_HEADER.slice(1)}`;

/** A module as the update message carries it. */
export function js(id, deps, body) {
  return { id, kind: "js", deps, urls: urlsFlag(deps), code: factory(body) };
}

/**
 * A chunk's define says `1` when a dep is a URL (a target not starting with one `/`), as
 * the engine writes it (`define_statement` in `engine/src/queries/emit.rs`).
 */
function urlsFlag(deps) {
  const urls = Object.values(deps || {}).some((t) => typeof t === "string" && (!t.startsWith("/") || t.startsWith("//")));
  return urls ? 1 : undefined;
}

/**
 * A module using top-level await (an async factory). `staticDeps`: how many leading deps are
 * static imports (all when left out), as the engine sends it.
 */
export function asyncJs(id, deps, body, staticDeps) {
  return { id, kind: "js", deps, staticDeps, code: `${ASYNC_FACTORY_HEADER}\n${body}\n})` };
}

export function css(id, deps, body) {
  return { id, kind: "css", deps, code: factory(body) };
}

/**
 * swc's common_js output helpers (written out here in the shape swc inlines them).
 * `_export` defines getter exports; the interop helpers wrap CommonJS modules.
 */
export const SWC = {
  esModule: `Object.defineProperty(exports, "__esModule", { value: true });`,
  export: `function _export(target, all) {
    for (var name in all) Object.defineProperty(target, name, { enumerable: true, get: all[name] });
}`,
  interopDefault: `function _interop_require_default(obj) {
    return obj && obj.__esModule ? obj : { default: obj };
}`,
  interopWildcard: `function _getRequireWildcardCache(nodeInterop) {
    if (typeof WeakMap !== "function") return null;
    var cacheBabelInterop = new WeakMap();
    var cacheNodeInterop = new WeakMap();
    return (_getRequireWildcardCache = function (nodeInterop) {
        return nodeInterop ? cacheNodeInterop : cacheBabelInterop;
    })(nodeInterop);
}
function _interop_require_wildcard(obj, nodeInterop) {
    if (!nodeInterop && obj && obj.__esModule) return obj;
    if (obj === null || (typeof obj !== "object" && typeof obj !== "function")) return { default: obj };
    var cache = _getRequireWildcardCache(nodeInterop);
    if (cache && cache.has(obj)) return cache.get(obj);
    var newObj = { __proto__: null };
    for (var key in obj) {
        if (key !== "default" && Object.prototype.hasOwnProperty.call(obj, key)) {
            var desc = Object.getOwnPropertyDescriptor(obj, key);
            if (desc && (desc.get || desc.set)) Object.defineProperty(newObj, key, desc);
            else newObj[key] = obj[key];
        }
    }
    newObj.default = obj;
    if (cache) cache.set(obj, newObj);
    return newObj;
}`,
  exportStar: `function _export_star(from, to) {
    Object.keys(from).forEach(function (k) {
        if (k !== "default" && !Object.prototype.hasOwnProperty.call(to, k)) {
            Object.defineProperty(to, k, { enumerable: true, get: function () { return from[k]; } });
        }
    });
    return from;
}`,
};

/**
 * A module body in the engine's ESM-lowered shape: `"use strict"`, then swc's export prologue
 * folded into the runtime's `require.esm` (`engine/src/transform/esm_exports.rs`): the
 * `__esModule` marker and a getter export for each of `names` (each name maps to the local
 * binding it reads).
 */
export function esm(names, body) {
  const bindings = Object.entries(names)
    .map(([name, local]) => `\t${name}: ()=>${local}`)
    .join(",\n");
  return `"use strict";
require.esm({
${bindings}
});
${body}`;
}
