// The house's shape: no import circle in src/, no folder imports one above it in the data flow
// (displays are attached at the public API's edge, src/display/displayingStages.ts), and no source
// file so long that it holds more than one thing.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Each source file -> the source files it imports (static, dynamic and type-only imports alike). */
function importGraph(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => /\.(ts|mjs)$/.test(file));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(SRC, file), 'utf8');
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((match) => match[1]!);
    graph.set(file, specifiers.map((specifier) => relative(SRC, resolve(dirname(join(SRC, file)), specifier))));
  }
  return graph;
}

/** The first import cycle found, as a path of files, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null;
    if (state.get(file) === 'visiting') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'visiting');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

test('the import graph is read: index.ts reaches every stage folder', () => {
  const graph = importGraph();
  const folders = new Set(graph.get('index.ts')!.map((file) => file.split('/')[0]));
  for (const folder of ['source', 's3', 'partitions', 'read', 'expand', 'metrics', 'write', 'report', 'display']) assert.ok(folders.has(folder), folder);
});

test('no import circle in src/', () => {
  assert.is(findCycle(importGraph())?.join(' -> ') ?? null, null);
});

test('the cycle finder finds a planted circle', () => {
  assert.equal(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]])), ['a.ts', 'b.ts', 'c.ts', 'a.ts']);
});

/**
 * src/'s top-level folders (and its two top files), lowest first: each imports only those before it
 * (and itself). The stages follow the data, source -> read -> expand -> metrics -> write; the job
 * (with its queued way in job/tasks/) runs them; displays, the CLI and index.ts sit on top.
 */
const LAYERS = ['errors.ts', 'wasm', 's3', 'source', 'partitions', 'report', 'read', 'expand', 'metrics', 'write', 'state', 'job', 'display', 'cli', 'index.ts'];

/** Imports of a folder above the importer's, and files in no layer, as `from -> to` lines. */
function upwardImports(graph: Map<string, string[]>): string[] {
  const layerOf = (file: string) => LAYERS.indexOf(file.split('/')[0]!);
  return [...graph].flatMap(([file, imports]) => [
    ...(layerOf(file) < 0 ? [`${file}: in no layer`] : []),
    ...imports.filter((target) => layerOf(target) > layerOf(file)).map((target) => `${file} -> ${target}`),
  ]);
}

test('no folder imports one above it', () => {
  assert.equal(upwardImports(importGraph()), []);
});

test('the layer check finds a planted upward import and a file in no layer', () => {
  assert.equal(upwardImports(new Map([['read/a.ts', ['metrics/b.ts', 'source/c.ts']], ['attic/d.ts', []]])), ['read/a.ts -> metrics/b.ts', 'attic/d.ts: in no layer']);
});

test('no TypeScript file in src/ is over 400 lines', () => {
  const long = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => `${file}: ${readFileSync(join(SRC, file), 'utf8').split('\n').length} lines`)
    .filter((entry) => Number(entry.split(': ')[1]!.split(' ')[0]) > 400);
  assert.equal(long, []);
});

test('no stage imports display/', () => {
  const offenders = [...importGraph()]
    .filter(([file]) => !file.startsWith('display/') && file !== 'index.ts')
    .filter(([, imports]) => imports.some((target) => target.startsWith('display/')))
    .map(([file]) => file);
  assert.equal(offenders, []);
});

test.run();
