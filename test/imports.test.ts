// The house's shape: no import circle in src/, and no stage imports display/ (displays are
// attached at the public API's edge, src/display/displayingStages.ts).
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

test('no stage imports display/', () => {
  const offenders = [...importGraph()]
    .filter(([file]) => !file.startsWith('display/') && file !== 'index.ts')
    .filter(([, imports]) => imports.some((target) => target.startsWith('display/')))
    .map(([file]) => file);
  assert.equal(offenders, []);
});

test.run();
