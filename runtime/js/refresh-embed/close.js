
  if (typeof __hotloop !== "undefined" && typeof __hotloop.useRefreshRuntime === "function") {
    __hotloop.useRefreshRuntime(exports, { embedded: true });
  } else {
    console.warn("[hmr] /_hotloop/react-refresh.js loaded without the hotloop runtime: React Refresh is off");
  }
})();
