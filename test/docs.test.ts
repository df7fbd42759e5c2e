// Every export of the public API (src/index.ts) has a doc comment with an example, so a notebook
// user gets hover help and the API reference (npm run docs) has no bare entry.
import ts from 'typescript';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));

function undocumentedExports(): string[] {
  const program = ts.createProgram([INDEX], {
    allowImportingTsExtensions: true, noEmit: true, strict: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!);
  assert.ok(exports.length > 50, `the exports were read: ${exports.length}`);
  return exports.flatMap((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const hasText = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== '';
    const hasExample = symbol.getJsDocTags(checker).some((tag) => tag.name === 'example' && ts.displayPartsToString(tag.text).trim() !== '');
    return hasText && hasExample ? [] : [`${exported.name}${hasText ? '' : ': no doc comment'}${hasExample ? '' : ': no @example'}`];
  });
}

test('every export has a doc comment with an example', () => {
  assert.equal(undocumentedExports(), []);
});

test('the API reference (npm run docs) builds with every member documented: TypeDoc warnings are errors', async () => {
  const out = await mkdtemp(join(tmpdir(), 'consent-metrics-docs-'));
  try {
    const root = fileURLToPath(new URL('..', import.meta.url));
    await promisify(execFile)(join(root, 'node_modules/.bin/typedoc'), ['--out', out], { cwd: root });
    for (const page of ['index.html', 'functions/runJob.html', 'interfaces/JobOptions.html', 'interfaces/RunReport.html']) assert.ok(existsSync(join(out, page)), page);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test.run();
