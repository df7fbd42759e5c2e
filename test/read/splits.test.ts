// Files read as splits (byte ranges cut at line boundaries) give exactly what one stream gives: the
// rows with their file line numbers, the rejections and their examples, whatever the split size,
// on this thread and on parser threads. The expectation is JSON.parse per line (randomEvents.ts).
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { localSource, runJob, selectPartitions, type ParsedFile } from '../../src/index.ts';
import { readPartitionFiles, type PartitionFiles } from '../../src/read/readPartitionFiles.ts';
import { withoutMemory } from '../support/fixtures.ts';
import { lineStartAtOrAfter } from '../../src/read/parseLocalFile.ts';
import { runsOf, splitsOf, unitsOf } from '../../src/read/planSplits.ts';
import { seededRandom } from '../support/random.ts';
import { expectedOf, randomLines, rowsOf } from '../support/randomEvents.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-splits-'));
let folders = 0;

/** Writes `files` (name -> content) into one partition of a new root; returns the root. */
async function partitionOf(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = join(scratch, `root-${folders++}`);
  await mkdir(join(root, 'datehour=2021-01-23-10'), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, 'datehour=2021-01-23-10', name), content);
  return root;
}

async function readAll(root: string, options: { splitBytes?: number; workers?: number; strict?: boolean }): Promise<PartitionFiles[]> {
  const source = await localSource(root);
  const { partitions } = await selectPartitions(source);
  const reads: PartitionFiles[] = [];
  for await (const read of readPartitionFiles(source, partitions, options)) reads.push(read);
  return reads;
}

/** The rows of a partition's splits, one after another, as [line, id, domain, type, user, country, token]. */
const rowsOfSplits = (parsed: ParsedFile[]) => parsed.flatMap(rowsOf);

test('a split starts after the first newline at or after its start - 1', async () => {
  const path = join(scratch, 'offsets.json');
  writeFileSync(path, 'ab\ncd\r\n\nef');
  const fd = openSync(path, 'r');
  try {
    const size = 11;
    assert.equal([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 20].map((position) => lineStartAtOrAfter(fd, position, size)), [0, 3, 3, 3, 7, 7, 7, 8, 11, 11, 11, 11]);
  } finally {
    closeSync(fd);
  }
});

test('a file that grows after it is listed: its splits read to its end, as a whole read does', async () => {
  const line = (i: number) => JSON.stringify({ id: `e${i}`, type: 'pageview' });
  const root = await partitionOf({ 'part-0.json': `${Array.from({ length: 100 }, (_, i) => line(i)).join('\n')}\n` });
  const read = async (splitBytes: number) => {
    const listed = await localSource(root);
    let appended = false;
    const growing = { ...listed, listFiles: async (prefix: string) => {
      const keys = await listed.listFiles(prefix);
      if (!appended) writeFileSync(join(root, keys[0]!), Array.from({ length: 10 }, (_, i) => line(100 + i)).join('\n'), { flag: 'a' });
      appended = true;
      return keys;
    } };
    const { partitions } = await selectPartitions(growing);
    const reads: PartitionFiles[] = [];
    for await (const partition of readPartitionFiles(growing, partitions, { splitBytes, workers: 0 })) reads.push(partition);
    writeFileSync(join(root, 'datehour=2021-01-23-10', 'part-0.json'), `${Array.from({ length: 100 }, (_, i) => line(i)).join('\n')}\n`);
    return reads[0]!.parsed.reduce((sum, file) => sum + file.rows, 0);
  };
  assert.is(await read(1 << 20), 110);
  assert.is(await read(500), 110);
});

test('split plans: a large plain file in equal ranges that cover it; gzip and small files whole', async () => {
  const plain = 'x'.repeat(1000);
  const root = await partitionOf({ 'a.json': plain, 'b.json.gz': gzipSync(plain.repeat(10)), 'c.json': 'small' });
  const source = await localSource(root);
  const keys = await source.listFiles('datehour=2021-01-23-10');
  const splits = splitsOf(source, keys, 300);
  const ranges = splits.filter((split) => split.key.endsWith('a.json')).map((split) => [split.range!.start, split.range!.end]);
  assert.equal(ranges, [[0, 250], [250, 500], [500, 750], [750, Infinity]]);
  assert.equal(splits.filter((split) => !split.key.endsWith('a.json')), [{ key: keys[1] }, { key: keys[2] }]);
  assert.throws(() => splitsOf(source, keys, 0), /splitBytes must be a whole number of bytes from 1, got 0/);
  // A queued run's read tasks: runs of splits up to 600 bytes, at least one split each (the gzip file's
  // few listed bytes and the small file join the last two ranges).
  const sizes = splits.map((split) => (split.range ? Math.min(split.range.end, 1000) - split.range.start : source.sizeOf!(split.key)!));
  const runs = runsOf(source, splits, 600);
  assert.equal(runs.map((run) => run.length), [2, 4]);
  assert.equal(runs.flat(), splits, 'every split once, in order');
  assert.ok(runs.every((run) => run.reduce((sum, split) => sum + sizes[splits.indexOf(split)]!, 0) <= 600));
  assert.equal(runsOf(source, splits, 1).map((run) => run.length), splits.map(() => 1), 'a split larger than a run is a run of its own');
});

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: random lines read in splits of every size give what JSON.parse gives, as one stream`, async () => {
    const r = seededRandom(seed);
    const lines = randomLines(seed + 100, 400);
    lines[0] = `\ufeff${lines[0]}`; // a byte-order mark at the start of the file: skipped there only
    lines.splice(200, 0, JSON.stringify({ id: 'long', type: 'pageview', pad: 'p'.repeat(3000) }), '', '\r', '{"id":"esc\\nape","type":"pageview"}\r');
    const content = lines.join('\n') + (seed === 2 ? '\n' : '');
    const root = await partitionOf({ 'part-0.json': content, 'part-1.json': lines.slice(0, 50).join('\r\n') });
    const [whole] = await readAll(root, { workers: 0 });
    const expected = expectedOf(lines);
    assert.equal(rowsOf(whole!.parsed[0]!), expected.rows, 'one stream');
    const bytes = Buffer.byteLength(content);
    for (const splitBytes of [7, 64, 1000, 2999, bytes - 1, bytes, r.int(bytes) + 1]) {
      const workers = splitBytes === 1000 ? 2 : 0; // threads take ~0.5 s to start under tsx: once a seed
      const [read] = await readAll(root, { splitBytes, workers });
      const firstFile = read!.parsed.filter((file) => file.file.endsWith('part-0.json'));
      assert.ok(splitBytes >= bytes || firstFile.length > 1, `${splitBytes}: split`);
      assert.equal(rowsOfSplits(firstFile), expected.rows, `rows, splits of ${splitBytes} bytes, ${workers} threads`);
      assert.equal(rowsOfSplits(read!.parsed), rowsOfSplits(whole!.parsed), `rows of both files, splits of ${splitBytes}`);
      assert.equal(read!.tally.rejected, whole!.tally.rejected);
      assert.is(read!.tally.lines, whole!.tally.lines);
      assert.equal(read!.tally.examples, whole!.tally.examples, `examples, splits of ${splitBytes}`);
      assert.is(read!.bytes, whole!.bytes);
      assert.is(read!.files, 2);
    }
  });
}

test('a cut at every byte of a small file: exactly at \\n, inside \\r\\n, inside an escape, inside a multi-byte character', async () => {
  const lines = ['\ufeff{"id":"a\\"b\\\\","type":"pageview","user":{"id":"é😀"}}', '', '{"id":"c","type":"consent.asked"}\r', '{bad', '\ufeff{"id":"bom","type":"pageview"}', '{"id":"d\\u00e9","type":"consent.given"}'];
  const content = lines.join('\n');
  const root = await partitionOf({ 'part-0.json': content });
  const expected = expectedOf(lines);
  for (let splitBytes = 1; splitBytes <= Buffer.byteLength(content); splitBytes++) {
    const [read] = await readAll(root, { splitBytes, workers: 0 });
    assert.equal(rowsOfSplits(read!.parsed), expected.rows, `splits of ${splitBytes}`);
    assert.equal(read!.tally.examples.map((problem) => problem.line), [4, 5], `splits of ${splitBytes}`);
  }
});

test('strict mode fails on the same line, split or not', async () => {
  const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `e${i}`, type: 'pageview' }));
  lines[211] = '{"id":"x","type":"click"}';
  const root = await partitionOf({ 'part-0.json': lines.join('\n') });
  const failure = async (splitBytes: number) => (await readAll(root, { splitBytes, strict: true, workers: 0 }).then(() => 'no failure', (error: Error) => error.message));
  const whole = await failure(1 << 30);
  assert.match(whole, /part-0\.json:212: unknown_type/);
  for (const splitBytes of [5, 100, 1000, 5000]) assert.is(await failure(splitBytes), whole);
});

test('a job over split files: the rows and the report of one stream, invalid tokens found on the threads included', async () => {
  const r = seededRandom(5);
  const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({
    id: `e${r.int(2000)}`, type: r.pick(['pageview', 'consent.asked', 'consent.given']), domain: r.pick(['a.com', 'b.com']),
    user: { id: `u${r.int(300)}`, country: r.pick(['FR', 'DE']), token: r.pick(['{"purposes":{"enabled":["x"]}}', '{"purposes":{"enabled":[]}}']) },
  }));
  // Invalid tokens late in the file only: their examples come from splits after the first.
  for (const at of [2100, 2400, 2999]) lines[at] = lines[at]!.replace(/"token":"[^}]*}}"/, '"token":"{bad"');
  lines[1500] = '{"id":';
  const root = await partitionOf({ 'part-0.json': lines.join('\n'), 'part-1.json': lines.slice(0, 700).reverse().join('\r\n') });
  const run = (splitBytes?: number, workers?: number) => runJob({ root, splitBytes, workers });
  const whole = await run(undefined, 0);
  for (const [splitBytes, workers] of [[1000, 0], [4096, 2], [50_000, 1]] as const) {
    const split = await run(splitBytes, workers);
    assert.equal(split.metrics.objects(), whole.metrics.objects(), `splits of ${splitBytes}`);
    assert.equal(withoutMemory(split.report), withoutMemory(whole.report), `splits of ${splitBytes}`);
  }
  assert.ok(whole.report.invalid_tokens > 0 && whole.report.duplicates > 0);
});

test('small files are read in units of several, large ones alone: rows and report of one stream; a failure names its own file', async () => {
  const files: Record<string, string> = {};
  const lines: string[] = [];
  for (let file = 0; file < 40; file++) {
    const own = Array.from({ length: 1 + (file % 5) }, (_, i) => JSON.stringify({ id: `e${(file * 7 + i) % 90}`, type: 'pageview', user: { id: `u${i}` } }));
    if (file === 13) own.push('{"id":');
    files[`part-${String(file).padStart(3, '0')}.json`] = own.join('\n');
    lines.push(...own);
  }
  files['part-500.json'] = lines.join('\n'); // larger than the small files' bound at these split sizes
  const root = await partitionOf(files);
  const source = await localSource(root);
  const keys = await source.listFiles('datehour=2021-01-23-10');
  const units = unitsOf(source, splitsOf(source, keys, 8000), 8000);
  assert.ok(units.length < keys.length / 3 && units.some((unit) => unit.length > 1), `${units.length} units`);
  assert.equal(units.at(-1)!.map((split) => split.key), [keys.at(-1)]);
  assert.equal(units.flat().map((split) => split.key), keys, 'every file once, in key order');
  const [whole] = await readAll(root, { workers: 0 });
  for (const [splitBytes, workers] of [[8000, 2], [8000, 0], [1 << 20, 1]] as const) {
    const [read] = await readAll(root, { splitBytes, workers });
    assert.equal(rowsOfSplits(read!.parsed), rowsOfSplits(whole!.parsed), `units of ${splitBytes}, ${workers} threads`);
    assert.equal(read!.tally.examples, whole!.tally.examples);
    assert.equal(read!.parsed.map((file) => file.file), whole!.parsed.map((file) => file.file));
  }
  // A small file that cannot be read, inside a unit of others: gzip's magic bytes, then garbage.
  writeFileSync(join(root, 'datehour=2021-01-23-10', 'part-007x.json'), Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  for (const workers of [1, 0]) {
    const failure = await readAll(root, { splitBytes: 8000, workers }).then(() => 'no failure', (error: Error) => error.message);
    assert.match(failure, /^cannot read .*part-007x\.json: Z_DATA_ERROR$/, `${workers} threads`);
  }
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
