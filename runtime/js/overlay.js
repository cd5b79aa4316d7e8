  // ---------------------------------------------------------------------------------------------
  // overlay.js: the page host's error overlay. Holds the current build errors per file (from the
  // server), runtime errors per module (from evaluation and accept callbacks) and the note left
  // by a full reload. Errors render into `<hotloop-error-overlay>` (shadow DOM, dark panel over
  // the top of the page; the app stays mounted underneath), the note into `<hotloop-notice>`.
  // Each element exists only while it has something to show. Never decides what is an error:
  // the core says.
  // ---------------------------------------------------------------------------------------------

    const OVERLAY_TAG = "hotloop-error-overlay";
    const NOTE_TAG = "hotloop-notice";
    /** How long the reload note stays: long enough to read, short enough not to linger. */
    const NOTE_MS = 3000;
    const DIAGNOSTIC_KINDS = ["syntax", "resolve", "transform", "io", "runtime"];

  function createOverlay() {
    const overlay = {
      /** @type {Map<string, object[]>} file → its current diagnostics. */
      files: new Map(),
      /** @type {Map<string, { message: string, stack: string, context: string }>} module id → error. */
      runtime: new Map(),
      /** @type {string | null} */
      note: null,
      noteTimer: null,
      /** The close button hides the panel until something new is reported. */
      dismissed: false,
      /** @type {HTMLElement | null} */
      element: null,
      /** @type {HTMLElement | null} The full-reload note's own element. */
      noteElement: null,
    };

    /** An errors message: drop the cleared files, then set the added diagnostics per file. */
    function applyDiagnostics(added, cleared) {
      for (const file of cleared || []) overlay.files.delete(file);
      const byFile = new Map();
      for (const diagnostic of added || []) {
        const list = byFile.get(diagnostic.file);
        if (list) list.push(diagnostic);
        else byFile.set(diagnostic.file, [diagnostic]);
      }
      for (const [file, list] of byFile) overlay.files.set(file, list);
      if (byFile.size > 0) overlay.dismissed = false;
      renderOverlay();
    }

    /** Shows a runtime error thrown while evaluating module `id` (or by its accept callback). */
    function showError(id, error) {
      overlay.runtime.set(id, error);
      overlay.dismissed = false;
      renderOverlay();
    }

    function clearError(id) {
      if (overlay.runtime.delete(id)) renderOverlay();
    }

    /** The small dismissable note shown after a full reload. */
    function showNote(text) {
      overlay.note = text;
      if (overlay.noteTimer !== null) clearTimeout(overlay.noteTimer);
      overlay.noteTimer = setTimeout(dismissNote, NOTE_MS);
      renderOverlay();
    }

    function dismissNote() {
      if (overlay.noteTimer !== null) clearTimeout(overlay.noteTimer);
      overlay.noteTimer = null;
      overlay.note = null;
      renderOverlay();
    }

    function hasErrors() {
      return overlay.files.size > 0 || overlay.runtime.size > 0;
    }

    function h(tag, attributes, ...children) {
      const element = document.createElement(tag);
      for (const name in attributes) element.setAttribute(name, attributes[name]);
      for (const child of children) {
        if (child == null) continue;
        element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
      return element;
    }

    /** A module outside the root (`/@fs/home/me/repo/packages/ui/Button.tsx`) by its absolute
     * path, which an editor opens; one of the root by its id (`/src/App.tsx`). */
    function shownPath(file) {
      return typeof file === "string" && file.startsWith("/@fs/") ? file.slice("/@fs".length) : file;
    }

    function kindName(kind) {
      return typeof kind === "number" ? DIAGNOSTIC_KINDS[kind] || "error" : String(kind || "error");
    }

    /** The place of a diagnostic, which opens in the developer's editor when clicked: the
     * server's `/__open-in-editor`, as Vite's overlay links it. */
    function placeLink(d) {
      const place = `${shownPath(d.file)}:${d.line}:${d.column}`;
      const link = h("a", { class: "file", href: "#", title: "Open in your editor" }, place);
      link.addEventListener("click", (event) => {
        event.preventDefault();
        if (typeof fetch === "function") {
          // The server says why no editor opened (none configured, one that did not start).
          fetch(serverUrl(`/__open-in-editor?file=${encodeURIComponent(place)}`))
            .then((response) => response.text())
            .then((why) => why && console.warn(why))
            .catch(() => {});
        }
      });
      return link;
    }

    function renderDiagnostic(d) {
      return h(
        "section",
        { class: "error" },
        h("div", { class: "loc" }, placeLink(d), h("span", { class: "kind" }, kindName(d.kind))),
        h("div", { class: "message" }, d.message),
        d.codeFrame ? h("pre", { class: "frame" }, d.codeFrame) : null,
      );
    }

    function renderRuntimeError(id, error) {
      return h(
        "section",
        { class: "error runtime" },
        h("div", { class: "loc" }, id, h("span", { class: "kind" }, "runtime")),
        h("div", { class: "message" }, error.message),
        h("div", { class: "context" }, error.context),
        h("pre", { class: "frame" }, error.stack),
      );
    }

    function renderPanel() {
      const sections = [];
      for (const list of overlay.files.values()) for (const d of list) sections.push(renderDiagnostic(d));
      for (const [id, error] of overlay.runtime) {
        // A module the page lacks because it did not compile: its build error above says why
        // (named by the module, or by its file: a plugin's query on an image).
        if (error.missing != null && (overlay.files.has(error.missing) || overlay.files.has(error.missing.split("?")[0]))) continue;
        sections.push(renderRuntimeError(id, error));
      }
      const count = sections.length;
      const close = h("button", { class: "close", "data-action": "close", title: "Close", "aria-label": "Close" }, "×");
      close.addEventListener("click", () => {
        overlay.dismissed = true;
        renderOverlay();
      });
      return h(
        "div",
        { class: "panel", role: "alert" },
        h("header", {}, h("span", { class: "title" }, count === 1 ? "1 error" : `${count} errors`), close),
        ...sections,
        h("footer", {}, "Fix the code and save: the page updates in place."),
      );
    }

    function renderNote() {
      const close = h("button", { class: "close", "data-action": "dismiss-note", title: "Dismiss", "aria-label": "Dismiss" }, "×");
      close.addEventListener("click", dismissNote);
      return h("div", { class: "note", role: "status", "aria-live": "polite" }, h("span", {}, `Full reload: ${overlay.note}`), close);
    }

    function renderOverlay() {
      // A worker has no document: its errors go to the console (and the page's `error` event).
      if (typeof document === "undefined") return;
      const showPanel = hasErrors() && !overlay.dismissed;
      overlay.element = mountShadow(overlay.element, OVERLAY_TAG, showPanel ? renderPanel() : null);
      // The note lives in its own element: an informational note must never read as an error
      // overlay (tools and tests look for `hotloop-error-overlay` to mean "the build is broken").
      overlay.noteElement = mountShadow(overlay.noteElement, NOTE_TAG, overlay.note !== null ? renderNote() : null);
    }

    /** Shows `content` in a shadow-rooted `tag` element (created on demand), or removes it. */
    function mountShadow(element, tag, content) {
      if (content === null) {
        if (element) element.remove();
        return null;
      }
      if (!element) {
        element = document.createElement(tag);
        element.attachShadow({ mode: "open" });
      }
      const nonce = cspNonce();
      element.shadowRoot.replaceChildren(h("style", nonce ? { nonce } : {}, OVERLAY_CSS), content);
      if (!element.parentNode) document.documentElement.appendChild(element);
      return element;
    }

    return {
      showDiagnostics: applyDiagnostics,
      showError,
      clearError,
      showNote,
      errorFiles: () => Array.from(overlay.files.keys()),
      runtimeErrors: () => Array.from(overlay.runtime.keys()),
    };
  }

  const OVERLAY_CSS = `
:host { all: initial; position: fixed; top: 0; left: 0; right: 0; z-index: 2147483647;
  pointer-events: none; font: 13px/1.5 ui-sans-serif, system-ui, -apple-system, "Segoe UI", sans-serif; }
.panel { pointer-events: auto; box-sizing: border-box; margin: 16px auto; width: min(960px, calc(100vw - 32px));
  max-height: 70vh; overflow: auto; background: #18181b; color: #e4e4e7; border: 1px solid #3f3f46;
  border-top: 3px solid #ef4444; border-radius: 8px; box-shadow: 0 12px 32px rgba(0, 0, 0, 0.45); }
header { position: sticky; top: 0; display: flex; align-items: center; justify-content: space-between;
  padding: 8px 14px; background: #18181b; border-bottom: 1px solid #27272a; }
.title { font-weight: 600; color: #fca5a5; }
button { all: unset; cursor: pointer; color: #a1a1aa; padding: 0 6px; font-size: 18px; line-height: 1; }
button:hover, button:focus-visible { color: #fafafa; }
.error { padding: 12px 14px; border-bottom: 1px solid #27272a; }
.loc { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #93c5fd; }
.loc .file { color: inherit; text-decoration: underline dotted; cursor: pointer; }
.kind { margin-left: 8px; color: #a1a1aa; font-size: 11px; text-transform: uppercase; letter-spacing: 0.05em; }
.message { margin: 4px 0 8px; color: #fafafa; font-weight: 500; white-space: pre-wrap; }
.context { margin: -4px 0 8px; color: #a1a1aa; font-size: 12px; }
pre { margin: 0; padding: 10px 12px; overflow: auto; background: #09090b; color: #d4d4d8; border-radius: 6px;
  font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre; }
footer { padding: 8px 14px; color: #71717a; font-size: 12px; }
.note { pointer-events: none; position: fixed; right: 8px; bottom: 8px; display: flex; gap: 4px;
  align-items: center; max-width: min(360px, calc(100vw - 16px)); padding: 2px 2px 2px 8px;
  background: rgba(24, 24, 27, 0.72); color: #e4e4e7; border-radius: 999px; opacity: 0.85;
  font-size: 11px; line-height: 18px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.note .close { pointer-events: auto; }
`;
