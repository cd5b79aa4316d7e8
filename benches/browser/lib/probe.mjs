// The in-page probe, installed with `context.addInitScript(probe, cfg)`: it runs at the start of
// every document (a full reload included) before the app's scripts, and reports through the
// binding `window.__benchEmit(event)`. Every event carries `doc` (a random id per document) and
// `t`, the page's clock at the moment of the observation (`performance.timeOrigin +
// performance.now()`, epoch ms); lib/page.mjs maps it onto Node's clock.
//
//   doc    a document started (more than one per session = full reloads)
//   ready  the document has `cfg.count` elements of class `cfg.className` (the app rendered)
//   token  a text node holding token `tok` (bt_<a-z0-9>_) appeared in the DOM: a MutationObserver
//          on childList and characterData; text inside <script>/<style>/<template>/<noscript>
//          is skipped, so an update carried as code never counts before it ran
//   css    while a CSS token is armed (`__bench.armCss(tok)`), the computed `--bench-token` of
//          #bench-css-probe holds it; checked on every DOM mutation, every `load` event (a new
//          <link>), a 1 ms timer (Chromium clamps it to ~4 ms) and every animation frame, since a
//          server may swap a stylesheet without touching the DOM (CSSStyleSheet.replace)
export function probe(cfg) {
  if (window !== window.top || window.__bench || !/^https?:$/.test(location.protocol)) return;
  try { performance.setResourceTimingBufferSize(1e6); } catch { /* older engines */ }
  const now = () => performance.timeOrigin + performance.now();
  const doc = Math.random().toString(36).slice(2, 10);
  const emit = (type, data) => {
    try {
      const p = window.__benchEmit(Object.assign({ type, doc, t: now() }, data));
      if (p && p.catch) p.catch(() => {});
    } catch { /* the binding is gone while the page unloads */ }
  };

  const CODE = { SCRIPT: true, STYLE: true, TEMPLATE: true, NOSCRIPT: true };
  const TOKEN = /bt_[a-z0-9]+_/g;
  const seen = new Set();
  const scanText = (s) => {
    if (!s || s.indexOf('bt_') < 0) return;
    TOKEN.lastIndex = 0;
    for (let m = TOKEN.exec(s); m; m = TOKEN.exec(s)) {
      if (!seen.has(m[0])) { seen.add(m[0]); emit('token', { tok: m[0] }); }
    }
  };
  const inCode = (node, top) => {
    for (let p = node.parentNode; p && p !== top; p = p.parentNode) if (CODE[p.nodeName]) return true;
    return false;
  };
  const scan = (node) => {
    if (node.nodeType === 3) {
      if (!inCode(node, null)) scanText(node.data);
      return;
    }
    if (node.nodeType !== 1 && node.nodeType !== 11) return;
    if (CODE[node.nodeName] || inCode(node, null)) return;
    const all = node.textContent;
    if (!all || all.indexOf('bt_') < 0) return;
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) if (!inCode(t, node.parentNode)) scanText(t.data);
  };

  let ready = false;
  let leaves = null;
  const checkReady = () => {
    if (ready) return;
    if (!leaves) leaves = document.getElementsByClassName(cfg.className);
    if (leaves.length >= cfg.count) { ready = true; emit('ready', { count: leaves.length }); }
  };

  let cssProbe = null;
  const cssToken = () => {
    if (!cssProbe || !cssProbe.isConnected) cssProbe = document.getElementById('bench-css-probe');
    return cssProbe ? getComputedStyle(cssProbe).getPropertyValue('--bench-token') : '';
  };
  let cssWant = null;
  let cssTimer = 0;
  let cssFrame = 0;
  const disarm = () => { cssWant = null; clearInterval(cssTimer); cancelAnimationFrame(cssFrame); };
  const checkCss = (via) => {
    if (cssWant && cssToken().indexOf(cssWant) >= 0) {
      const tok = cssWant;
      disarm();
      emit('css', { tok, via });
    }
  };
  const frameLoop = () => { if (cssWant) { checkCss('frame'); cssFrame = requestAnimationFrame(frameLoop); } };

  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'characterData') scan(r.target);
      else for (const n of r.addedNodes) scan(n);
    }
    checkReady();
    if (cssWant) checkCss('mutation');
  }).observe(document, { subtree: true, childList: true, characterData: true });
  document.addEventListener('load', () => { if (cssWant) checkCss('load'); }, true);

  window.__bench = {
    doc,
    isReady: () => ready,
    count: () => document.getElementsByClassName(cfg.className).length,
    cssToken,
    armCss(tok, ms) {
      disarm();
      cssWant = tok;
      cssTimer = setInterval(() => checkCss('timer'), 1);
      cssFrame = requestAnimationFrame(frameLoop);
      setTimeout(() => { if (cssWant === tok) disarm(); }, ms);
      checkCss('armed');
    },
  };
  emit('doc', { url: location.href });
}
