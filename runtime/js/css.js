  // ---------------------------------------------------------------------------------------------
  // css.js: CSS without a flash of unstyled content. Imported stylesheets own one
  // `<style data-hotloop-id>` each, whose text is replaced in place; linked stylesheets are
  // swapped by loading the new version next to the old one and removing the old one on load.
  // CSS Modules (`*.module.css`) also export their scoped class names.
  // ---------------------------------------------------------------------------------------------

  /** @type {Map<string, HTMLStyleElement>} module id → its style element. */
  const moduleStyles = new Map();

  /** `__hotloop_meta.css(text)`: creates or updates the module's style element. */
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

  /**
   * `__hotloop_meta.cssModule(text, names, composed)`: a CSS Module (`*.module.css`). Injects
   * its style like any imported stylesheet and returns its exports: each name as written → its
   * scoped class(es), one export per name and all of them as `default`. `composed` lists
   * classes composed from other CSS Modules, `[name, theirExports, theirName]`, appended here
   * because those modules ran first. An importer holds the names it read when it ran, so when a
   * re-evaluation changes them the module invalidates itself: its importers re-run.
   */
  function cssModuleExports(rec, hot, text, names, composed) {
    setModuleCss(rec.id, text);
    const classes = Object.assign({}, names);
    for (const [name, dep, depName] of composed || []) {
      const value = dep && dep.default ? dep.default[depName] : undefined;
      if (typeof value === "string") classes[name] += " " + value;
      else console.warn(`[hmr] ${rec.id}: "${name}" composes "${depName}", which its file does not define`);
    }
    const key = JSON.stringify(classes);
    const changed = rec.cssModuleKey !== undefined && rec.cssModuleKey !== key;
    rec.cssModuleKey = key;
    if (changed) hot.invalidate("its class names changed");
    return Object.assign({}, classes, { __esModule: true, default: classes });
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
