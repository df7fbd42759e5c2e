// The package as a new user meets it: `npm pack`, the tarball installed into an empty project, then
// used from plain Node, from TypeScript (nodenext), through its bin, and from Deno.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES, rowsDiffer } from '../support/fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DENO = join(ROOT, 'node_modules/.bin/deno');
const ours = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
const expectedRows: unknown[][] = JSON.parse(await readFile(join(FIXTURES, 'example/expected.json'), 'utf8')).rows;

/** Runs a command; resolves with its exit code and output whatever the code. */
async function run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}) {
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extraEnv };
  const plain = (text = '') => text.replace(/\x1b\[[0-9;]*m/g, ''); // the test runner forces colours on children
  return promisify(execFile)(command, args, { cwd, env, maxBuffer: 64 << 20 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout: plain(stdout), stderr: plain(stderr) }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, stdout: plain(error.stdout), stderr: plain(error.stderr) }),
  );
}
async function succeed(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-package-'));
const app = join(scratch, 'app');
const [packed] = JSON.parse(await succeed('npm', ['pack', '--json', '--pack-destination', scratch], ROOT)) as [{ filename: string }];
await succeed('mkdir', ['-p', app], scratch);
await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
// From npm's cache: the same versions `npm ci` installed here, so the test needs no network.
await succeed('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(scratch, packed.filename),
  `typescript@${ours.devDependencies.typescript}`, `@types/node@${ours.devDependencies['@types/node']}`], app);
const installed = join(app, 'node_modules/consent-metrics');
const exampleRoot = join(installed, 'fixtures/example/input');

test('the tarball holds what runs and its docs: no tests, benchmarks, CI or golden fixtures', async () => {
  // Listed by tar: npm's own JSON listing masks UUID-like names as '***'.
  const paths = (await succeed('tar', ['-tzf', join(scratch, packed.filename)], scratch)).split('\n').filter(Boolean).map((path) => path.replace(/^package\//, ''));
  const allowed = /^(dist\/|src\/|bin\/|fixtures\/example\/input\/|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$)/;
  assert.equal(paths.filter((path) => !allowed.test(path)), []);
  for (const path of ['dist/index.js', 'dist/index.d.ts', 'dist/index.d.ts.map', 'dist/cli/main.js', 'dist/cli/bundle/main.js', 'dist/read/scanLines.wasm', 'dist/metrics/countGroups.wasm', 'dist/metrics/splitIds.wasm', 'src/index.ts', 'bin/consent-metrics.mjs',
    'README.md', 'LICENSE', 'CHANGELOG.md', 'fixtures/example/input/datehour=2021-01-23-10/part-00000-9b503de5-0d72-4099-a388-7fdcf6e16edb.c000.json']) {
    assert.ok(paths.includes(path), path);
  }
});

test('runtime dependencies are what runs: no tsx, no typescript', async () => {
  const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
  for (const tool of ['tsx', 'typescript']) assert.not.ok(tool in manifest.dependencies, tool);
  const tree = JSON.parse(await succeed('npm', ['ls', '--all', '--json', 'tsx'], app).catch(() => '{}'));
  assert.equal(tree.dependencies?.['consent-metrics']?.dependencies ?? {}, {}, 'tsx is nowhere under consent-metrics');
});

test('plain Node: an ESM import by package name runs the job on the example', async () => {
  await writeFile(join(app, 'job.mjs'), `import { runJob, METRIC_COLUMNS } from 'consent-metrics';
const { metrics } = await runJob({ root: ${JSON.stringify(exampleRoot)} });
console.log(JSON.stringify(metrics.objects().map((row) => METRIC_COLUMNS.map((name) => row[name]))));`);
  const rows = JSON.parse(await succeed(process.execPath, ['job.mjs'], app));
  assert.is(rowsDiffer(rows, expectedRows), null);
});

test('TypeScript (nodenext) type-checks a consumer, and an unknown option is a type error', async () => {
  await writeFile(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, types: ['node'] },
  }));
  await writeFile(join(app, 'consumer.ts'), `import { runJob, type JobOptions, type RunReport } from 'consent-metrics';
const options: JobOptions = { root: 'events', strict: true, s3: { idleTimeout: 10_000 } };
const { metrics, report }: { metrics: { numRows(): number }; report: RunReport } = await runJob(options);
export const summary: string = \`\${metrics.numRows()} rows, \${report.retries.body_cut} bodies resumed\`;
`);
  const tsc = join(app, 'node_modules/.bin/tsc');
  // arquero's and flechette's own declarations fail a strict check of libraries, as they do without us:
  // consumers skip library checks, and our declarations are checked on their own just below.
  const good = await run(tsc, ['-p', '.', '--skipLibCheck', '--listFiles'], app);
  assert.is(good.code, 0, good.stdout);
  assert.ok(good.stdout.includes('node_modules/consent-metrics/dist/index.d.ts'), 'types come from the emitted declarations');
  const strictLibraries = await run(tsc, ['-p', '.'], app);
  assert.equal(strictLibraries.stdout.split('\n').filter((line) => line.includes('consent-metrics/')), [], 'no error in our declarations');

  await writeFile(join(app, 'consumer.ts'), `import { runJob } from 'consent-metrics';
await runJob({ root: 'events', concurency: 4 });
`);
  const bad = await run(tsc, ['-p', '.', '--skipLibCheck'], app);
  assert.is(bad.code, 2);
  assert.match(bad.stdout, /consumer\.ts\(2,\d+\): error TS2561: Object literal may only specify known properties, but 'concurency' does not exist in type 'JobOptions'/);
  await rm(join(app, 'consumer.ts'));
});

test('the bin runs compiled JavaScript, on the bundled example by default', async () => {
  const stdout = await succeed(join(app, 'node_modules/.bin/consent-metrics'), ['--format', 'json', '--quiet'], app);
  const rows = (JSON.parse(stdout) as Record<string, unknown>[]).map((row) => Object.values(row));
  assert.is(rowsDiffer(rows, expectedRows), null);
  const bin = await readFile(join(installed, 'bin/consent-metrics.mjs'), 'utf8');
  assert.match(bin, "import '../dist/cli/bundle/main.js'");
});

test('the bin and its worker threads load Arrow and Arquero bundled, not as hundreds of modules', async () => {
  // NODE_DEBUG=esm names every ES module the loader translates, in the main thread and the workers.
  const { code, stderr } = await run(join(app, 'node_modules/.bin/consent-metrics'), ['--quiet', '--out', join(app, 'bundled.parquet')], app, { NODE_DEBUG: 'esm' });
  assert.is(code, 0, stderr);
  const modules = [...new Set(stderr.split('\n').flatMap((line) => /Translating \w+ (file:\S+)/.exec(line)?.[1] ?? []))];
  assert.equal(modules.filter((url) => url.includes('/node_modules/consent-metrics/node_modules/') || /node_modules\/(apache-arrow|arquero|@uwdata)\//.test(url)), []);
  assert.ok(modules.some((url) => url.endsWith('/dist/cli/bundle/main.js')), 'the bundle itself is loaded');
  assert.ok(modules.some((url) => url.endsWith('/dist/job/jobWorker.js')), 'the worker script is loaded');
  // The bundle's own chunks (esbuild splits at each dynamic import), not the hundreds of the libraries' files.
  assert.ok(modules.length < 60, `${modules.length} modules loaded:\n${modules.join('\n')}`);
});

test('Deno imports it by package name', async () => {
  const code = `import { runJob } from 'consent-metrics';
const { metrics, report } = await runJob({ root: ${JSON.stringify(exampleRoot)} });
console.log(JSON.stringify([metrics.numRows(), report.events, import.meta.resolve('consent-metrics')]));`;
  const [rows, events, resolved] = JSON.parse(await succeed(DENO, ['eval', code], app));
  assert.equal([rows, events], [expectedRows.length, 57]);
  assert.match(resolved, /node_modules\/consent-metrics\/dist\/index\.js$/);
});

test('the JSR config (Deno from TypeScript source) publishes, dry run', async () => {
  const { code, stdout, stderr } = await run(DENO, ['publish', '--dry-run', '--allow-dirty'], ROOT);
  assert.is(code, 0, stderr);
  assert.match(stdout + stderr, 'Success Dry run complete');
  assert.match(stdout + stderr, 'src/index.ts');
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
