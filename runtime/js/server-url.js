  // server-url.js: where the dev server's own URLs are. Behind Vite's `base` (`/app/`) every
  // request of the page host goes under it (`/app/_hotloop/ws`, `/app/src/style.css`), as the
  // runtime's own script did: its `<script src>` (a worker's: its `location`) says where, before
  // any start option is known. A proxy that forwards the base's path alone then serves the page.

  /** The path before `/_hotloop/` in the runtime's URL: `/app`, or `""` without a base. */
  const SERVER_PREFIX = (function serverPrefix() {
    let path = "";
    try {
      const script = typeof document !== "undefined" ? document.currentScript : null;
      if (script && script.src) path = new URL(script.src).pathname;
      else if (typeof location !== "undefined" && location.pathname) path = location.pathname;
    } catch {
      return "";
    }
    const at = path.indexOf("/_hotloop/");
    return at > 0 ? path.slice(0, at) : "";
  })();

  /** A root-absolute path of the server (`/_hotloop/lazy.js`, a module id) as the page asks for it. */
  function serverUrl(path) {
    return path.charCodeAt(0) === 47 && path.charCodeAt(1) !== 47 ? SERVER_PREFIX + path : path;
  }
