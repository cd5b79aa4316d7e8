// The Vue compiler warmed up in the host's idle time after the first build.
//
// V8 optimises a function only after it has run a while, so the first edits of a session ran
// compiler-sfc (and the Babel parser and PostCSS under it) unoptimised: 30–50 ms of the
// plugin's work per `.vue` edit against 7–8 ms from the tenth edit on (the create-vite vue-ts
// starter; an app of 1000 SFCs is warm after its cold build). Once a page rendered (hotloop's
// `pageRendered`: the cold build is done; never during it, where it would hold up the build's
// requests), it compiles up to `files` of the `.vue` files the host compiled
// `rounds` times more (a comment appended: a text compiler-sfc's own cache has not seen) with
// the compiler the plugin resolved (`api.options.compiler`): parse, compileScript,
// compileTemplate, compileStyle. Never through the plugin's hooks or caches: a descriptor cache
// that saw another text would answer the next hot update wrongly. One file per turn of the
// event loop, stopped by the next request (and resumed once hotloop asked nothing for
// `idleMs`), once per process. `HOTLOOP_PLUGIN_WARM_UP=0` turns it off.

/** How long hotloop must have asked nothing before a warm-up a request stopped goes on (ms). */
const IDLE_MS = 300;
/** Compiles of each file. */
const ROUNDS = 12;
/** Files compiled (the first ones the host compiled). */
const FILES = 3;

export class WarmUp {
  /**
   * @param {{ compiler: () => any, idleMs?: number, rounds?: number, files?: number,
   *   onDone?: () => void }} options `compiler`: the Vue compiler when the config has one
   *   (read when the warm-up starts), else null.
   */
  constructor({ compiler, idleMs = IDLE_MS, rounds = ROUNDS, files = FILES, onDone = () => {} }) {
    this.compilerOf = compiler;
    this.idleMs = idleMs;
    this.rounds = rounds;
    this.files = files;
    this.onDone = onDone;
    /** @type {{ filename: string, code: string }[]} */
    this.sources = [];
    this.timer = null;
    /** Bumped by every request: a run that sees another number stops. */
    this.generation = 0;
    /** Compiles done so far (resumed from here). */
    this.compiled = 0;
    this.done = false;
    /** A page rendered (`begin`): before that, requests schedule nothing. */
    this.begun = false;
  }

  /** A page rendered: the warm-up starts now, unless a request is being answered. */
  begin() {
    if (this.done || this.begun) return;
    this.begun = true;
    this.schedule(0);
  }

  /** The host compiled module `id` from `code` (a `.vue` file's own text: noted). */
  saw(id, code) {
    if (this.done || typeof code !== 'string' || !/\.vue$/.test(id)) return;
    const known = this.sources.find((s) => s.filename === id);
    if (known) known.code = code;
    else if (this.sources.length < this.files) this.sources.push({ filename: id, code });
  }

  /** A request came: a run in progress stops; the warm-up waits for the next idle moment. */
  activity() {
    if (this.done) return;
    this.generation += 1;
    if (this.begun) this.schedule(this.idleMs);
  }

  schedule(ms) {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run(this.generation);
    }, ms);
  }

  async run(generation) {
    if (this.done || this.sources.length === 0) return;
    const compiler = this.compilerOf();
    if (!compiler || typeof compiler.parse !== 'function') {
      this.finish();
      return;
    }
    const total = this.rounds * this.sources.length;
    while (this.compiled < total) {
      await new Promise((resolve) => setImmediate(resolve));
      if (generation !== this.generation) return;
      const round = Math.floor(this.compiled / this.sources.length);
      compileOnce(compiler, this.sources[this.compiled % this.sources.length], round);
      this.compiled += 1;
    }
    this.finish();
  }

  finish() {
    this.done = true;
    this.sources = [];
    this.onDone();
  }
}

/** One compile of `source` as plugin-vue's main module and its blocks would be; errors ignored. */
function compileOnce(compiler, { filename, code }, round) {
  try {
    const file = `${filename}.hotloop-warm-up.vue`;
    const { descriptor, errors } = compiler.parse(`${code}\n<!-- hotloop warm-up ${round} -->\n`, {
      filename: file,
      sourceMap: true,
    });
    if (errors.length > 0) return;
    const id = `warmup${round}`;
    let bindings;
    if (descriptor.script || descriptor.scriptSetup) {
      bindings = compiler.compileScript(descriptor, { id, sourceMap: true, genDefaultAs: '_sfc_main' }).bindings;
    }
    const scoped = descriptor.styles.some((s) => s.scoped);
    if (descriptor.template && !descriptor.template.src) {
      compiler.compileTemplate({
        source: descriptor.template.content,
        filename: file,
        id,
        scoped,
        sourceMap: true,
        compilerOptions: { bindingMetadata: bindings },
      });
    }
    for (const style of descriptor.styles) {
      if (style.src || (style.lang && style.lang !== 'css')) continue;
      compiler.compileStyle({ source: style.content, filename: file, id: `data-v-${id}`, scoped: style.scoped });
    }
  } catch {
    // A compile the plugin would report has nothing to warm up.
  }
}
