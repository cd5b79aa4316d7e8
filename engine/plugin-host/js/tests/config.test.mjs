// Plugin flattening and ordering, Vite's mergeConfig, hook filters, unsupported options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aliased, resolverKind,
  flattenPlugins, filterServePlugins, sortByEnforce, pluginsWithHook, hotUpdatePlugins, mergeConfig, normalizeAlias,
  normalizeHookFilter, filterMatches, globToRegExp, unsupportedOptions, indexHtmlPlugins, fsDenyGlob, depsDefine, depsBanner,
  pluginsForEnvironment, withoutNativeTransforms,
  httpsOptions,
} from '../config.js';

test('plugins: nested arrays, falsy entries and promises flatten in order', async () => {
  const a = { name: 'a' }, b = { name: 'b' }, c = { name: 'c' }, d = { name: 'd' };
  const got = await flattenPlugins([a, false, [null, Promise.resolve(b), [Promise.resolve([c])]], undefined, d]);
  assert.deepEqual(got.map((p) => p.name), ['a', 'b', 'c', 'd']);
});

test('apply: serve, build and functions', () => {
  const env = { command: 'serve', mode: 'development' };
  const list = [
    { name: 'always' }, { name: 'serve', apply: 'serve' }, { name: 'build', apply: 'build' },
    { name: 'fn-yes', apply: (_c, e) => e.command === 'serve' }, { name: 'fn-no', apply: () => false },
  ];
  assert.deepEqual(filterServePlugins(list, {}, env).map((p) => p.name), ['always', 'serve', 'fn-yes']);
});

test('enforce sorts pre, normal, post, stable within each; hook order sorts per hook', () => {
  const list = [
    { name: 'post1', enforce: 'post' }, { name: 'n1' }, { name: 'pre1', enforce: 'pre' },
    { name: 'n2' }, { name: 'pre2', enforce: 'pre' },
  ];
  assert.deepEqual(sortByEnforce(list).map((p) => p.name), ['pre1', 'pre2', 'n1', 'n2', 'post1']);
  const hooks = [
    { name: 'x', transform: () => {} },
    { name: 'y', transform: { order: 'pre', handler() {} } },
    { name: 'z', transform: { order: 'post', handler() {} } },
    { name: 'w' },
  ];
  assert.deepEqual(pluginsWithHook(hooks, 'transform').map((p) => [p.plugin.name, p.index]), [['y', 1], ['x', 0], ['z', 2]]);
});

test('mergeConfig: objects deep, arrays concatenated, aliases flipped, nulls ignored', () => {
  const merged = mergeConfig(
    { resolve: { alias: { '@': '/src' }, dedupe: ['a'] }, server: { port: 1, allowedHosts: ['x'] }, define: { A: 1 } },
    { resolve: { alias: [{ find: /^~/, replacement: '/lib' }], dedupe: 'b' }, server: { port: 2, host: null, allowedHosts: true }, define: { B: 2 } },
  );
  assert.deepEqual(merged.resolve.alias, [{ find: /^~/, replacement: '/lib' }, { find: '@', replacement: '/src' }]);
  assert.deepEqual(merged.resolve.dedupe, ['a', 'b']);
  assert.equal(merged.server.port, 2);
  assert.equal('host' in merged.server, false);
  assert.equal(merged.server.allowedHosts, true);
  assert.deepEqual(merged.define, { A: 1, B: 2 });
  assert.deepEqual(mergeConfig({ resolve: { alias: { a: '1' } } }, { resolve: { alias: { b: '2' } } }).resolve.alias, { a: '1', b: '2' });
  assert.throws(() => mergeConfig(() => ({}), {}), /callback/);
});

test('normalizeAlias drops the trailing slash pair, keeps order', () => {
  assert.deepEqual(normalizeAlias({ '@/': '/src/', x: 'y' }), [{ find: '@', replacement: '/src' }, { find: 'x', replacement: 'y' }]);
});

test('filters: forms normalised, relative id globs made absolute, evaluated like Vite', () => {
  const hook = { filter: { id: { include: ['src/**/*.vue', /\?vue\b/], exclude: '**/node_modules/**' }, code: 'defineProps' }, handler() {} };
  const f = normalizeHookFilter(hook, '/p');
  assert.deepEqual(f.id.include, ['/p/src/**/*.vue', { source: '\\?vue\\b', flags: '' }]);
  assert.deepEqual(f.code, { include: ['defineProps'], exclude: [] });
  assert.equal(filterMatches(f, '/p/src/a/App.vue', 'defineProps()'), true);
  assert.equal(filterMatches(f, '/p/src/a/App.vue', 'nothing'), false);
  assert.equal(filterMatches(f, '/x/y.vue?vue&type=style', 'defineProps'), true);
  assert.equal(filterMatches(f, '/p/node_modules/z/src/A.vue', 'defineProps'), false);
  assert.equal(normalizeHookFilter(() => {}, '/p'), null);
  const arr = normalizeHookFilter({ filter: { id: [/\.js$/, '/abs/*.ts'] }, handler() {} }, '/p');
  assert.equal(filterMatches(arr, '/abs/a.ts'), true);
  assert.equal(filterMatches(arr, '/abs/sub/a.ts'), false);
});

test('globs: *, **, ?, classes, braces', () => {
  assert.ok(globToRegExp('/p/**/*.{js,ts}').test('/p/a/b/c.ts'));
  assert.ok(globToRegExp('/p/**/*.{js,ts}').test('/p/c.js'));
  assert.ok(!globToRegExp('/p/*.js').test('/p/a/c.js'));
  assert.ok(globToRegExp('/p/?.[jt]s').test('/p/a.ts'));
  assert.ok(!globToRegExp('/p/[!a].js').test('/p/a.js'));
});

test('unsupported options are named, dotted under resolve/server/css', () => {
  assert.deepEqual(
    unsupportedOptions({ root: '.', build: {}, server: { port: 1, hmr: false }, resolve: { alias: {}, mainFields: [] }, css: { modules: {}, preprocessorOptions: {}, lightningcss: {} }, plugins: [], hotloop: { server: 'src/server.ts', other: 1 } }),
    // `css.preprocessorOptions` is Vite's CSS pipeline's (css.js); `css.lightningcss` is not run.
    // `hotloop.server` is hotloop's own key (the app's server entry).
    ['build', 'server.hmr', 'resolve.mainFields', 'css.lightningcss', 'hotloop.other'],
  );
  // `server.hmr.overlay` is honoured; the connection's own settings are not.
  assert.deepEqual(unsupportedOptions({ server: { hmr: { overlay: false, clientPort: 443 } } }), ['server.hmr.clientPort']);
});

test("optimizeDeps: its defines are honoured (npm packages only), the rest of it named", () => {
  const optimizeDeps = {
    include: ['lodash'],
    esbuildOptions: { define: { global: 'globalThis', skipped: 1 }, plugins: [] },
    rolldownOptions: { transform: { define: { 'process.browser': 'true' }, inject: {} } },
  };
  assert.deepEqual(depsDefine(optimizeDeps), { global: 'globalThis', 'process.browser': 'true' });
  assert.deepEqual(depsDefine(undefined), {});
  assert.deepEqual(
    unsupportedOptions({ optimizeDeps }),
    ['optimizeDeps.include', 'optimizeDeps.esbuildOptions.plugins', 'optimizeDeps.rolldownOptions.transform.inject'],
  );
  assert.deepEqual(unsupportedOptions({ optimizeDeps: { esbuildOptions: { define: { global: 'globalThis' } } } }), []);
});

test("transformIndexHtml: Vite's order, and @vitejs/plugin-react's preamble left to hotloop", () => {
  const html = (name, hook) => ({ name, transformIndexHtml: hook });
  const list = [
    html('normal', () => {}), html('post', { order: 'post', handler() {} }),
    html('vite:react-refresh', () => []), { name: 'no-hook' },
    html('pre', { enforce: 'pre', transform() {} }), html('vite:react-swc', () => []),
  ];
  assert.deepEqual(indexHtmlPlugins(list).map((p) => p.name), ['pre', 'normal', 'post']);
});

test('applyToEnvironment: falsy leaves a plugin out, true keeps it, a plugin answered replaces it in place, a builtin is left out', async () => {
  const seen = [];
  const env = { name: 'client' };
  const list = [
    { name: 'plain' },
    { name: 'ssr-only', applyToEnvironment: (e) => e.name === 'ssr' },
    { name: 'client-only', applyToEnvironment: async (e) => e.name === 'client' },
    { name: 'swapped', applyToEnvironment: () => [{ name: 'swap-a' }, Promise.resolve({ name: 'swap-b' }), null] },
    { name: 'vite:react:refresh-wrapper', applyToEnvironment: () => ({ name: 'builtin:vite-react-refresh-wrapper', transform() {} }) },
  ];
  const { plugins, skipped, native } = await pluginsForEnvironment(list, (p) => {
    seen.push(p.name);
    return p.applyToEnvironment(env);
  });
  assert.deepEqual(plugins.map((p) => p.name), ['plain', 'client-only', 'swap-a', 'swap-b']);
  assert.deepEqual(skipped, ['ssr-only']);
  // Rolldown's native plugins cannot run in the host: left out, and named.
  assert.deepEqual(native, ['builtin:vite-react-refresh-wrapper']);
  assert.deepEqual(seen, ['ssr-only', 'client-only', 'swapped', 'vite:react:refresh-wrapper']);
});

test('applyToEnvironment asked for the ssr environment: its own list, the same instance where no plugin answers', async () => {
  const plain = { name: 'plain' };
  const list = [
    plain,
    { name: 'ssr-only', applyToEnvironment: (e) => e.name === 'ssr' && e.config.consumer === 'server' },
    { name: 'client-only', applyToEnvironment: (e) => e.name === 'client' },
    { name: 'per-env', applyToEnvironment: (e) => ({ name: `per-env:${e.name}` }) },
  ];
  const ask = (env) => pluginsForEnvironment(list, (p) => p.applyToEnvironment(env));
  const client = await ask({ name: 'client', config: { consumer: 'client' } });
  const ssr = await ask({ name: 'ssr', config: { consumer: 'server' } });
  assert.deepEqual(client.plugins.map((p) => p.name), ['plain', 'client-only', 'per-env:client']);
  assert.deepEqual(ssr.plugins.map((p) => p.name), ['plain', 'ssr-only', 'per-env:ssr']);
  assert.deepEqual([client.skipped, ssr.skipped], [['ssr-only'], ['client-only']]);
  assert.equal(ssr.plugins[0], plain, 'one instance for both environments');
});

test("fsDenyGlob is Vite's: a bare pattern at any depth, case-insensitive, dot files included", () => {
  const denied = fsDenyGlob(['.env', '.env.*', '*.{crt,pem}', '**/.git/**']);
  for (const file of ['/p/.env', '/p/sub/.env.local', '/p/certs/KEY.PEM', '/p/.git/config']) {
    assert.ok(denied(file), file);
  }
  for (const file of ['/p/src/App.vue', '/p/src/env.ts', '/p/.envrc.js', '/p/pem/x.js']) {
    assert.ok(!denied(file), file);
  }
  assert.ok(fsDenyGlob(['/p/secret/**'])('/p/secret/a.txt'));
  assert.ok(!fsDenyGlob([])('/p/.env'));
});

test("React's plugins made without options lose their transform, nothing else does", () => {
  const transform = () => null;
  const resolveId = () => null;
  const swc = { name: 'vite:react-swc', apply: 'serve', config: () => ({}), transform };
  const runtime = { name: 'vite:react-swc:resolve-runtime', resolveId };
  const babel = { name: 'vite:react-babel', enforce: 'pre', transform };
  const vue = { name: 'vite:vue', transform };
  const list = [runtime, swc, babel, vue];
  const got = withoutNativeTransforms(list, ['@vitejs/plugin-react-swc']);
  assert.equal(got.length, 4);
  assert.equal(got[1].transform, undefined, 'swc transform left out');
  assert.equal(got[1].config, swc.config, 'its config hook kept');
  assert.equal(got[1].apply, 'serve');
  assert.equal(swc.transform, transform, "the config's own plugin object is not changed");
  assert.equal(got[0], runtime);
  assert.equal(got[2], babel, "plugin-react's Babel transform stays: its package was not named");
  assert.equal(got[3], vue);
  assert.deepEqual(withoutNativeTransforms(list, []), list);
  assert.equal(withoutNativeTransforms(list, ['@vitejs/plugin-react'])[2].transform, undefined);
  assert.equal(pluginsWithHook(got, 'transform').length, 2);
});

test("a React plugin whose transform runs sees Vite serving without HMR; one hotloop does itself sees the config as it is", async () => {
  const { configSeenBy } = await import('../config.js');
  const resolved = { root: '/p', server: { port: 5173, hmr: undefined } };
  const swc = { name: 'vite:react-swc', transform() {} };
  assert.deepEqual(configSeenBy(swc, resolved), { root: '/p', server: { port: 5173, hmr: false } });
  assert.equal(resolved.server.hmr, undefined, 'the config itself untouched');
  assert.equal(configSeenBy({ name: 'vite:react-swc', transform: undefined }, resolved), resolved);
  assert.equal(configSeenBy({ name: 'vite:vue', transform() {} }, resolved), resolved);
});

test('server.https: PEM text from strings, Buffers and { pem } lists; other TLS options named', () => {
  const unsupported = [];
  assert.equal(httpsOptions(undefined, unsupported), null);
  assert.equal(httpsOptions(false, unsupported), null);
  assert.deepEqual(httpsOptions(true, unsupported), { cert: null, key: null });
  assert.deepEqual(httpsOptions({}, unsupported), { cert: null, key: null });
  // @vitejs/plugin-basic-ssl: one string holding both, given twice.
  const both = '-----BEGIN RSA PRIVATE KEY-----\nk\n-----END RSA PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n';
  assert.deepEqual(httpsOptions({ cert: both, key: both }, unsupported), { cert: both, key: both });
  // `fs.readFileSync(...)` Buffers; a chain as a list; node's `{ pem, passphrase }` keys.
  assert.deepEqual(
    httpsOptions({ cert: [Buffer.from('leaf'), 'intermediate'], key: [{ pem: Buffer.from('key') }] }, unsupported),
    { cert: 'leaf\nintermediate', key: 'key' },
  );
  assert.deepEqual(unsupported, []);
  httpsOptions({ pfx: Buffer.from('x'), passphrase: 'p', key: 'k', cert: 'c', ca: undefined }, unsupported);
  assert.deepEqual(unsupported, ['server.https.pfx', 'server.https.passphrase']);
});

test("optimizeDeps' banners are the code run before the page's entries", () => {
  const shims = "import __buffer_polyfill from 'vite-plugin-node-polyfills/shims/buffer'\nglobalThis.Buffer = globalThis.Buffer || __buffer_polyfill";
  // vite-plugin-node-polyfills under Vite 8 (rolldown): a plugin with a `banner`.
  assert.equal(depsBanner({ rolldownOptions: { plugins: [{ name: 'alias' }, [{ name: 'optimizer', banner: shims }]] } }), shims);
  assert.equal(depsBanner({ esbuildOptions: { banner: { js: 'window.a = 1' } } }), 'window.a = 1');
  assert.equal(depsBanner({ rolldownOptions: { plugins: [{ banner: () => 'per chunk' }] } }), null);
  assert.equal(depsBanner(undefined), null);
  // The user's own banner is honoured, not named.
  assert.deepEqual(unsupportedOptions({ optimizeDeps: { esbuildOptions: { banner: { js: 'x' }, target: 'es2020' } } }), ['optimizeDeps.esbuildOptions.target']);
});

test("a hot update asks each plugin once, in Vite's order: its hotUpdate, else its handleHotUpdate", () => {
  const plugins = [
    { name: 'legacy', handleHotUpdate() {} },
    { name: 'both', hotUpdate() {}, handleHotUpdate() {} },
    { name: 'late', handleHotUpdate: { order: 'post', handler() {} } },
    { name: 'early', hotUpdate: { order: 'pre', handler() {} } },
    { name: 'none', transform() {} },
  ];
  assert.deepEqual(hotUpdatePlugins(plugins).map((p) => p.plugin.name), ['early', 'legacy', 'both', 'late']);
});

test('aliased: the first matching alias rewrites the id, as Vite\'s alias plugin; none: undefined', () => {
  const entries = normalizeAlias([
    { find: '@', replacement: '/root/src' },
    { find: /^~(.*)$/, replacement: '/root/lib/$1' },
    { find: 'styles/', replacement: '/root/css/' },
  ]);
  assert.equal(aliased(entries, '@/app.css'), '/root/src/app.css');
  assert.equal(aliased(entries, '@'), '/root/src');
  assert.equal(aliased(entries, '@scope/pkg'), undefined, 'a string alias matches the id or a path under it');
  assert.equal(aliased(entries, '~theme.css'), '/root/lib/theme.css');
  assert.equal(aliased(entries, 'styles/a.css'), '/root/css/a.css', 'trailing slashes on both sides');
  assert.equal(aliased(entries, 'tailwindcss'), undefined);
  assert.equal(aliased([{ find: '$lib', replacement: '/root/$&' }], '$lib/x'), '/root/$&/x', 'a string replacement is taken as written');
  assert.equal(aliased(undefined, 'x'), undefined);
});

test('resolverKind: the config\'s own options, Vite\'s CSS resolver options, or what is not honoured', () => {
  const resolve = { mainFields: ['browser', 'module'], conditions: ['module', 'browser'], extensions: ['.mjs', '.js'], alias: [] };
  assert.deepEqual(resolverKind(undefined, resolve), { as: 'script' });
  assert.deepEqual(resolverKind(resolve, resolve), { as: 'script' });
  assert.deepEqual(resolverKind({ ...resolve }, resolve), { as: 'script' }, 'a copy of them');
  // @tailwindcss/vite's stylesheet resolver
  const tailwind = { ...resolve, extensions: ['.css'], mainFields: ['style'], conditions: ['style', 'development|production'], tryIndex: false, preferRelative: true };
  assert.deepEqual(resolverKind(tailwind, resolve), { as: 'css' });
  assert.deepEqual(resolverKind({ ...tailwind, tryIndex: true }, resolve), { as: 'script', unhonoured: ['mainFields', 'conditions', 'extensions', 'tryIndex', 'preferRelative'] });
  assert.deepEqual(resolverKind({ ...resolve, extensions: ['.svg'] }, resolve), { as: 'script', unhonoured: ['extensions'] });
  assert.deepEqual(resolverKind({ asSrc: false }, resolve), { as: 'script', unhonoured: ['asSrc'] });
});
