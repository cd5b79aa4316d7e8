import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModuleGraph } from '../module-graph.js';

function graph() {
  const invalidated = [];
  const g = new ModuleGraph({ metaOf: () => ({}), onInvalidate: (ids) => invalidated.push(...ids) });
  g.reset('/p');
  return { g, invalidated };
}

const ids = (set) => [...set].map((m) => m.id).sort();

test('the URLs the engine names are the ids plugins see', () => {
  const { g } = graph();
  assert.equal(g.idOfUrl('/src/App.vue?vue&type=style&index=0&lang.css'), '/p/src/App.vue?vue&type=style&index=0&lang.css');
  assert.equal(g.idOfUrl('/@id/__x00__virtual:routes'), '\0virtual:routes');
  assert.equal(g.idOfUrl('/@id/virtual:uno.css'), 'virtual:uno.css');
  assert.equal(g.idOfUrl('/@id/__x2f__@solid-refresh'), '/@solid-refresh');
  assert.equal(g.idOfUrl('/@fs/elsewhere/lib/index.ts'), '/elsewhere/lib/index.ts');
  assert.equal(g.node('\0virtual:routes').url, '/@id/__x00__virtual:routes');
  assert.equal(g.node('/p/src/main.ts').url, '/src/main.ts');
});

test('edges come and go as the graph changes', () => {
  const { g } = graph();
  g.setEdges({ modules: [['/src/main.ts', ['/src/App.vue', '/@id/__x00__virtual:routes']], ['/src/App.vue', ['/src/App.vue?vue&type=style&index=0&lang.css']]] });
  const app = g.getModuleById('/p/src/App.vue');
  assert.deepEqual(ids(app.importers), ['/p/src/main.ts']);
  assert.deepEqual(ids(app.importedModules), ['/p/src/App.vue?vue&type=style&index=0&lang.css']);
  assert.deepEqual(ids(g.getModulesByFile('/p/src/App.vue')), ['/p/src/App.vue', '/p/src/App.vue?vue&type=style&index=0&lang.css']);
  assert.equal(g.getModulesByFile('virtual:routes'), undefined);
  assert.deepEqual(ids(g.getModulesByFile('\0virtual:routes')), ['\0virtual:routes']);
  // main.ts stops importing the routes; App.vue leaves the graph.
  g.setEdges({ modules: [['/src/main.ts', ['/src/App.vue']]], removed: ['/src/App.vue'] });
  assert.deepEqual(ids(g.getModuleById('\0virtual:routes').importers), []);
  assert.deepEqual(ids(app.importers), []);
  assert.deepEqual(ids(app.importedModules), []);
  assert.deepEqual(ids(g.getModuleById('/p/src/main.ts').importedModules), []);
  assert.deepEqual(g.edges(), []);
});

test('a worker gets the whole graph from edges()', () => {
  const { g } = graph();
  const edges = [['/src/main.ts', ['/src/a.ts', '/src/b.ts']], ['/src/a.ts', ['/src/b.ts']]];
  g.setEdges({ modules: edges });
  const { g: other } = graph();
  other.setEdges({ modules: g.edges() });
  assert.deepEqual(ids(other.getModuleById('/p/src/b.ts').importers), ['/p/src/a.ts', '/p/src/main.ts']);
});

test('invalidateModule names the module to compile again; reset forgets every node', async () => {
  const { g, invalidated } = graph();
  g.invalidateModule(g.node('/p/src/a.ts'));
  assert.deepEqual(invalidated, ['/p/src/a.ts']);
  assert.equal((await g.getModuleByUrl('/src/a.ts')).id, '/p/src/a.ts');
  g.reset('/q');
  assert.equal(g.getModuleById('/p/src/a.ts'), undefined);
  assert.equal(g.idOfUrl('/src/a.ts'), '/q/src/a.ts');
});

test("a watched file's nodes are imported by the modules that watched it, until their edges come again", () => {
  const { g } = graph();
  g.setEdges({ modules: [['/src/comp.ts', ['/src/dep.ts']]] });
  const template = g.node('/p/src/comp.html');
  const comp = g.getModuleById('/p/src/comp.ts');
  g.addWatchImporters([template], [comp]);
  assert.deepEqual(ids(template.importers), ['/p/src/comp.ts']);
  assert.deepEqual(ids(comp.importedModules), ['/p/src/comp.html', '/p/src/dep.ts']);
  g.addWatchImporters([template], [comp]);
  assert.equal(template.importers.size, 1, 'once');
  g.setEdges({ modules: [['/src/comp.ts', ['/src/dep.ts']]] });
  assert.deepEqual(ids(template.importers), []);
});
