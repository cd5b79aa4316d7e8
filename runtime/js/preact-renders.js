  // ---------------------------------------------------------------------------------------------
  // preact-renders.js: what a Preact render throws after a hot update, shown as React's is
  // (react-refresh.js `perform`). prefresh's accept callback (`flush()`) marks the edited
  // components, and Preact re-renders them in a microtask after the callback returned
  // (prefresh's `options.debounceRendering`): an error no error boundary took was an "Uncaught
  // (in promise)" console line alone, the component left as it was, no overlay and no terminal
  // line. While an update applies, the page's Preact is looked for among the modules of a
  // `preact` package (the exports of `preact`: `options`, `Component`, `h`) and its
  // `options.__e` wrapped: there
  // Preact hands a render's error to the nearest error boundary and throws it when none takes
  // it. What it throws then is collected, with the component that threw, for the update to
  // report as its own error.
  // ---------------------------------------------------------------------------------------------

  /** Preact 10's `options._catchError` as its published builds name it (mangled, stable). */
  const PREACT_CATCH_ERROR = "__e";

  function createPreactRenders() {
    /** The `options` of each Preact found on the page, wrapped once. */
    const hooked = new WeakSet();
    /** Collects what renders throw uncaught while an update applies; null otherwise. */
    let thrown = null;

    /** Whether `exports` are Preact's own (the `preact` package's entry). */
    function isPreact(exports) {
      try {
        if (exports === null || typeof exports !== "object") return false;
        const options = exports.options;
        return (
          options !== null &&
          typeof options === "object" &&
          typeof options[PREACT_CATCH_ERROR] === "function" &&
          typeof exports.Component === "function" &&
          typeof exports.h === "function"
        );
      } catch {
        return false; // an export read before its module initialised it
      }
    }

    function hook(options) {
      if (hooked.has(options)) return;
      hooked.add(options);
      const catchError = options[PREACT_CATCH_ERROR];
      options[PREACT_CATCH_ERROR] = function (error, vnode) {
        try {
          return catchError.apply(this, arguments);
        } catch (uncaught) {
          if (thrown !== null) {
            const component = vnode != null && typeof vnode.type === "function" ? vnode.type : null;
            thrown.push({ err: uncaught, component });
          }
          throw uncaught;
        }
      };
    }

    return {
      /**
       * Starts collecting what Preact's renders throw that no error boundary takes, after
       * hooking every Preact among `exports` (the evaluated modules' exports). The returned
       * function stops and gives them: `{ err, component }`, the component function or null.
       *
       * @param {Iterable<unknown>} exports
       * @returns {() => Array<{ err: unknown, component: Function | null }>}
       */
      watch(exports) {
        for (const candidate of exports) if (isPreact(candidate)) hook(candidate.options);
        const mine = [];
        thrown = mine;
        return () => {
          if (thrown === mine) thrown = null;
          return mine;
        };
      },
    };
  }
