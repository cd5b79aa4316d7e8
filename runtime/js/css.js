  // ---------------------------------------------------------------------------------------------
  // css.js: the page host's stylesheets, without a flash of unstyled content. Imported
  // stylesheets own one `<style data-hotloop-id>` each; linked stylesheets are `<link>`s the
  // page has. Only ever does what the core asks (`css`, `removeCss`, `swapLink`, `cssPatches`).
  //
  // A changed stylesheet comes with its full form (a `<style>`'s new text; a `<link>`'s new
  // version to load) and, when the change is small, a rule-level patch (see "CSS patches" in
  // hotloop-protocol's wire.rs): `deleteRule`/`insertRule` on the sheet, or on a grouping rule
  // of it (`@layer`, `@media`) whose rules changed, so the browser restyles only what the changed
  // rules match. A patch is applied only to a sheet known to be at its
  // `base` version with `patch.rules` rules; when anything does not fit (another version, another
  // rule count, a sheet not accessible or still loading, a CSSOM call that throws, after which
  // the calls made are undone) the full form is used:
  //   - `<style>`: its text is replaced in place (the element stays: no flash). The host knows
  //     each style's text, so its version is `cssVersion(text)`, and a patch must also produce
  //     the version of the text it comes with. After a patch the element's `textContent` is the
  //     old text (rewriting it would re-parse and restyle everything); the sheet is current.
  //   - `<link>`: the new version is loaded next to the old link (`?hotloop-v=<version>`, which
  //     the server answers only while it is current) and the old one leaves once it loaded. A
  //     link's version is known once the host loaded or patched it; a link of the page's own
  //     HTML has none, so its first change is always a swap.
  // ---------------------------------------------------------------------------------------------

  /**
   * The nonce of Vite's `<meta property="csp-nonce">` (the server puts it in with
   * `html.cspNonce`): the `<style>`s the runtime adds carry it, so a policy of nonces lets them
   * apply; `""` without one.
   */
  function cspNonce() {
    if (typeof document !== "object") return "";
    const meta = document.querySelector('meta[property="csp-nonce"]');
    return meta ? meta.nonce || meta.getAttribute("nonce") || "" : "";
  }

  function createStylesheets() {
    /** @type {Map<string, { style: HTMLStyleElement, text: string, version: number | null }>} */
    const moduleStyles = new Map();
    /** Patches of `<style>`s in the update being applied, by module id. */
    let stylePatches = new Map();
    /** Versions of `<link>`s this host loaded or patched. */
    const linkVersions = new WeakMap();
    /** The link each swapped-in link replaces. */
    const predecessors = new WeakMap();
    /** Old `<link>` elements already being replaced: never swapped twice. */
    const replacedLinks = new WeakSet();

    /**
     * Applies `patch.edits` to `sheet` when it has `patch.rules` rules; on any failure undoes
     * what it did and returns false.
     */
    function applyEdits(sheet, patch) {
      const done = [];
      try {
        if (!editRules(sheet, patch.rules, patch.edits, done)) throw new Error("the sheet is not the patch's base");
        return true;
      } catch {
        try {
          for (const edit of done.reverse()) {
            if (edit.op === "insert") edit.target.deleteRule(edit.index);
            else edit.target.insertRule(edit.text, edit.index);
          }
        } catch {
          // The full form replaces the sheet anyway.
        }
        return false;
      }
    }

    /**
     * `edits` on `target` (a sheet, or a grouping rule a `within` edit stepped into) when it has
     * `rules` rules, each CSSOM call logged in `done` for the undo; false when a count differs.
     */
    function editRules(target, rules, edits, done) {
      let list;
      try {
        list = target && target.cssRules;
      } catch {
        return false; // not accessible (another origin)
      }
      if (!list || list.length !== rules) return false;
      for (const edit of edits) {
        if (edit.op === "delete") {
          const text = target.cssRules[edit.index].cssText;
          target.deleteRule(edit.index);
          done.push({ op: "delete", target, index: edit.index, text });
        } else if (edit.op === "insert") {
          target.insertRule(edit.rule, edit.index);
          done.push({ op: "insert", target, index: edit.index });
        } else if (!editRules(target.cssRules[edit.index], edit.rules, edit.edits, done)) {
          return false;
        }
      }
      return true;
    }

    /** The patches of the update being applied (`[]` once it is done). */
    function setPatches(patches) {
      stylePatches = new Map();
      for (const patch of patches) if (patch.target === "style") stylePatches.set(patch.id, patch);
    }

    /** A stylesheet module's text: creates or updates its style element. */
    function setModuleCss(id, text) {
      const existing = moduleStyles.get(id);
      if (existing) {
        if (existing.text === text) return;
        const patch = stylePatches.get(id);
        stylePatches.delete(id);
        if (patch && patchStyle(existing, patch, text)) return;
        existing.style.textContent = text;
        existing.text = text;
        existing.version = null;
        return;
      }
      const style = document.createElement("style");
      style.setAttribute("data-hotloop-id", id);
      const nonce = cspNonce();
      if (nonce) style.nonce = nonce;
      style.textContent = text;
      document.head.appendChild(style);
      moduleStyles.set(id, { style, text, version: null });
    }

    function patchStyle(entry, patch, text) {
      if (entry.version === null) entry.version = HotloopProtocol.cssVersion(entry.text);
      if (entry.version !== patch.base || HotloopProtocol.cssVersion(text) !== patch.version) return false;
      if (!applyEdits(entry.style.sheet, patch)) return false;
      entry.text = text;
      entry.version = patch.version;
      return true;
    }

    /** Drops the style element of a module that left the graph. */
    function removeModuleCss(id) {
      const entry = moduleStyles.get(id);
      if (!entry) return;
      moduleStyles.delete(id);
      entry.style.remove();
    }

    /** The version a link holds, when this host knows it. */
    function linkVersion(link) {
      if (linkVersions.has(link)) return linkVersions.get(link);
      return null;
    }

    /** Removes `link`'s predecessors (the links it replaced), now that it has loaded. */
    function retirePredecessors(link) {
      for (let old = predecessors.get(link); old; old = predecessors.get(old)) old.remove();
    }

    /**
     * Updates every same-origin `<link rel=stylesheet>` whose path is `href`'s path to
     * `version` (8 hex digits): through `patch` (when given and it applies), else by loading
     * `?hotloop-v=<version>` right after it; the old one goes once the new one loaded. A new
     * link that fails to load goes instead, and the link it was replacing stays (the update
     * that made its version stale is on its way). Returns how many links were swapped.
     */
    function swapStylesheet(href, version, patch) {
      const target = new URL(serverUrl(href), location.href);
      // A sheet whose id has a query (a page's inline style, `/index.html?html-proxy&direct&index=0.css`)
      // is the link with that query; the pairs are kept as written (`URLSearchParams` would
      // write `html-proxy=`), without the version a swap adds.
      const pairs = (url) => url.search.slice(1).split("&").filter((p) => p && !p.startsWith("hotloop-v="));
      const query = target.search ? pairs(target).join("&") : null;
      let swapped = 0;
      for (const link of Array.from(document.querySelectorAll("link"))) {
        if (replacedLinks.has(link)) continue;
        if (!/(^|\s)stylesheet(\s|$)/i.test(link.getAttribute("rel") || "")) continue;
        let url;
        try {
          url = new URL(link.getAttribute("href") || "", location.href);
        } catch {
          continue;
        }
        if (url.origin !== target.origin || url.pathname !== target.pathname) continue;
        if (query !== null && pairs(url).join("&") !== query) continue;
        if (patch && linkVersion(link) === patch.base && applyEdits(link.sheet, patch)) {
          linkVersions.set(link, patch.version);
          continue;
        }
        const next = link.cloneNode(false);
        const search = [...pairs(url), `hotloop-v=${version}`].join("&");
        next.setAttribute("href", `${url.pathname}?${search}${url.hash}`);
        replacedLinks.add(link);
        predecessors.set(next, link);
        const loaded = /^[0-9a-f]{8}$/.test(version) ? parseInt(version, 16) : null;
        next.addEventListener(
          "load",
          () => {
            if (loaded !== null) linkVersions.set(next, loaded);
            retirePredecessors(next);
          },
          { once: true },
        );
        next.addEventListener(
          "error",
          () => {
            next.remove();
            if (replacedLinks.has(next)) return; // a later swap replaces it, and what it replaced
            let old = predecessors.get(next);
            while (old && !old.parentNode) old = predecessors.get(old);
            if (old) replacedLinks.delete(old);
          },
          { once: true },
        );
        link.parentNode.insertBefore(next, link.nextSibling);
        swapped += 1;
      }
      return swapped;
    }

    return { css: setModuleCss, removeCss: removeModuleCss, swapLink: swapStylesheet, cssPatches: setPatches };
  }
