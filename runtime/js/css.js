  // ---------------------------------------------------------------------------------------------
  // css.js: the page host's stylesheets, without a flash of unstyled content. Imported
  // stylesheets own one `<style data-hotloop-id>` each, whose text is replaced in place; linked
  // stylesheets are swapped by loading the new version next to the old one and removing the old
  // one on load. Only ever does what the core asks (`css`, `removeCss`, `swapLink`).
  // ---------------------------------------------------------------------------------------------

  function createStylesheets() {
    /** @type {Map<string, HTMLStyleElement>} module id → its style element. */
    const moduleStyles = new Map();

    /** A CSS module's text: creates or updates its style element. */
    function setModuleCss(id, text) {
      const existing = moduleStyles.get(id);
      if (existing) {
        if (existing.textContent !== text) existing.textContent = text;
        return;
      }
      const style = document.createElement("style");
      style.setAttribute("data-hotloop-id", id);
      style.textContent = text;
      document.head.appendChild(style);
      moduleStyles.set(id, style);
    }

    /** Drops the style element of a module that left the graph. */
    function removeModuleCss(id) {
      const style = moduleStyles.get(id);
      if (!style) return;
      moduleStyles.delete(id);
      style.remove();
    }

    /** Old `<link>` elements already being replaced: never swapped twice. */
    const replacedLinks = new WeakSet();

    /**
     * Swaps every same-origin `<link rel=stylesheet>` whose path is `href`'s path for a copy at
     * `?v=version`, inserted right after it; the old one goes once the new one loaded (or failed).
     * Returns how many links were swapped.
     */
    function swapStylesheet(href, version) {
      const target = new URL(href, location.href);
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
        url.searchParams.set("v", version);
        const next = link.cloneNode(false);
        next.setAttribute("href", url.pathname + url.search + url.hash);
        replacedLinks.add(link);
        const removeOld = () => link.remove();
        next.addEventListener("load", removeOld, { once: true });
        next.addEventListener("error", removeOld, { once: true });
        link.parentNode.insertBefore(next, link.nextSibling);
        swapped += 1;
      }
      return swapped;
    }

    return { css: setModuleCss, removeCss: removeModuleCss, swapLink: swapStylesheet };
  }
