  // ---------------------------------------------------------------------------------------------
  // socket.js: the page host's transport, a WebSocket to `/_hotloop/ws` with binary frames. It
  // reconnects forever with a jittered backoff (slow while the page is hidden, at once when it
  // is shown again) and hands frames and open/close to its owner; it never reads a frame.
  // ---------------------------------------------------------------------------------------------

  const RECONNECT_MIN_MS = 100;
  const RECONNECT_MAX_MS = 2000;

  /**
   * @param {{
   *   onOpen: (socket: WebSocket) => void,
   *   onMessage: (data: ArrayBuffer) => void,
   *   onClose: (socket: WebSocket) => void,
   *   logger: Logger,
   *   serverId?: string | null,
   *   revision?: () => number | null,
   * }} owner `serverId`: the server that served the page, said in the URL (`?server=`): a page
   *   that reconnects to another (a restart) while that one's first build runs hears at once that
   *   it must reload (`engine/server/src/ws.rs`). `revision`: the revision to catch up from
   *   (`?rev=`, with `server`), when the owner wants the updates it missed sent.
   */
  function createSocket(owner) {
    const connection = {
      /** @type {WebSocket | null} */
      socket: null,
      attempt: 0,
      timer: null,
      /** The page is going away: never connect again. */
      stopped: false,
    };

    function url() {
      const base = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + serverUrl("/_hotloop/ws");
      if (!owner.serverId) return base;
      const revision = owner.revision ? owner.revision() : null;
      const rev = typeof revision === "number" ? "&rev=" + revision : "";
      return base + "?server=" + encodeURIComponent(owner.serverId) + rev;
    }

    function connect() {
      connection.timer = null;
      if (connection.stopped || typeof WebSocket === "undefined") return;
      let socket;
      try {
        socket = new WebSocket(url());
      } catch (err) {
        owner.logger.error("cannot open the WebSocket", err);
        scheduleReconnect();
        return;
      }
      socket.binaryType = "arraybuffer";
      connection.socket = socket;
      socket.addEventListener("open", () => {
        if (connection.socket !== socket) return;
        connection.attempt = 0;
        owner.onOpen(socket);
      });
      socket.addEventListener("message", (event) => owner.onMessage(event.data));
      socket.addEventListener("close", () => {
        if (connection.socket !== socket) return;
        connection.socket = null;
        owner.onClose(socket);
        scheduleReconnect();
      });
    }

    function pageHidden() {
      return typeof document !== "undefined" && document.visibilityState === "hidden";
    }

    /** 100 ms doubling to 2 s, jittered; a hidden page keeps trying at the slow rate. */
    function reconnectDelay() {
      const exponential = RECONNECT_MIN_MS * 2 ** Math.min(connection.attempt, 10);
      const base = pageHidden() ? RECONNECT_MAX_MS : Math.min(RECONNECT_MAX_MS, exponential);
      connection.attempt += 1;
      return base / 2 + (Math.random() * base) / 2;
    }

    function scheduleReconnect() {
      if (connection.stopped || connection.timer !== null) return;
      connection.timer = setTimeout(connect, reconnectDelay());
    }

    function onVisibilityChange() {
      // Back in view while disconnected: try now instead of waiting out the slow rate.
      if (!pageHidden() && connection.socket === null && connection.timer !== null) {
        clearTimeout(connection.timer);
        connect();
      }
    }

    return {
      /** Connects now and keeps the connection up from then on. */
      start() {
        if (typeof document !== "undefined" && typeof document.addEventListener === "function") {
          document.addEventListener("visibilitychange", onVisibilityChange);
        }
        connect();
      },
      /** Called only while open (the core knows when). */
      send(frame) {
        connection.socket.send(frame);
      },
      /** The page reloads: no reconnect from now on. */
      stop() {
        connection.stopped = true;
      },
    };
  }
