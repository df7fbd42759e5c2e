import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, localSource, readPartition, readPartitions, selectPartitions } from '../../src/index.ts';
import { ParserPool } from '../../src/read/ParserPool.ts';
import { BYTES_PER_PARSER_THREAD, defaultWorkers, readPartitionFiles, threadsToParse } from '../../src/read/readPartitionFiles.ts';
import { eventLine, memorySource } from '../support/memorySource.ts';

test('the Arrow table: columns, dictionary-encoded strings, rows in file key then line order', async () => {
  const { source } = memorySource({
    'datehour=2021-01-23-10/part-1.json': eventLine({ id: 'c', country: null }) + '\n',
    'datehour=2021-01-23-10/part-0.json.gz': gzipSync(eventLine({ id: 'a' }) + '\n\n' + eventLine({ id: 'b', type: 'consent.given' })),
    'datehour=2021-01-23-10/_SUCCESS': '',
  });
  const { table, files, tally } = await readPartition(source, { datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' });
  assert.equal(table.schema.fields.map((field) => `${field.name}: ${field.type}`), [
    'id: Utf8',
    'datehour: Dictionary<Int32, Utf8>',
    'domain: Dictionary<Int32, Utf8>',
    'type: Dictionary<Int32, Utf8>',
    'user_id: Utf8',
    'country: Dictionary<Int32, Utf8>',
    'token: Dictionary<Int32, Utf8>',
    'file: Dictionary<Int32, Utf8>',
    'line: Int32',
    'id_hash: Int32',
    'user_id_hash: Int32',
  ]);
  assert.equal(table.getChild('id')!.toArray(), ['a', 'b', 'c']);
  assert.equal([...table.getChild('type')!], ['pageview', 'consent.given', 'pageview']);
  assert.equal([...table.getChild('country')!], ['FR', 'FR', null]);
  assert.equal([...table.getChild('datehour')!], ['2021-01-23-10', '2021-01-23-10', '2021-01-23-10']);
  assert.equal([...table.getChild('line')!], [1, 3, 1]);
  assert.equal([...table.getChild('file')!], ['mem://datehour=2021-01-23-10/part-0.json.gz', 'mem://datehour=2021-01-23-10/part-0.json.gz', 'mem://datehour=2021-01-23-10/part-1.json']);
  assert.is(files, 2);
  assert.is(tally.lines, 3);
});

test('files of all partitions are read under one concurrency bound, results in order', async () => {
  const content: Record<string, string> = {};
  for (let hour = 10; hour < 14; hour++) {
    for (let file = 0; file < 5; file++) content[`datehour=2021-01-23-${hour}/part-${file}.json`] = eventLine({ id: `${hour}-${file}` });
  }
  const { source, stats } = memorySource(content, { delayMs: 5 });
  const { partitions } = await selectPartitions(source);
  const seen: string[] = [];
  for await (const { partition, table } of readPartitions(source, partitions, { concurrency: 3 })) {
    seen.push(`${partition.datehour}: ${table.getChild('id')!.toArray().join(' ')}`);
  }
  assert.is(stats.maxInFlight, 3);
  assert.equal(seen, [10, 11, 12, 13].map((h) => `2021-01-23-${h}: ${[0, 1, 2, 3, 4].map((f) => `${h}-${f}`).join(' ')}`));
});

test('each partition carries its files\' listed sizes and the whole read\'s, where the source lists sizes', async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-sizes-'));
  try {
    const files: Record<string, string | Uint8Array> = {
      'datehour=2021-01-23-10/part-0.json': eventLine({ id: 'a' }) + '\n',
      'datehour=2021-01-23-10/part-1.json.gz': gzipSync(eventLine({ id: 'b' }) + '\n' + eventLine({ id: 'c' }) + '\n'),
      'datehour=2021-01-23-11/part-0.json': eventLine({ id: 'd', domain: 'a-longer-domain.example' }) + '\n',
    };
    for (const [key, content] of Object.entries(files)) {
      await mkdir(join(scratch, key, '..'), { recursive: true });
      await writeFile(join(scratch, key), content);
    }
    const size = (key: string) => Buffer.byteLength(files[key]!);
    const source = await localSource(scratch);
    const { partitions } = await selectPartitions(source);
    const read = [];
    for await (const { listedBytes, runListedBytes, parsed } of readPartitionFiles(source, partitions, { workers: 0 })) read.push({ listedBytes, runListedBytes, rows: parsed.map((file) => file.rows) });
    const first = size('datehour=2021-01-23-10/part-0.json') + size('datehour=2021-01-23-10/part-1.json.gz');
    const second = size('datehour=2021-01-23-11/part-0.json');
    assert.equal(read, [
      { listedBytes: first, runListedBytes: first + second, rows: [1, 2] },
      { listedBytes: second, runListedBytes: first + second, rows: [1] },
    ]);

    const { source: unsized } = memorySource(files);
    for await (const { listedBytes, runListedBytes } of readPartitionFiles(unsized, partitions, { workers: 0 })) {
      assert.equal([listedBytes, runListedBytes], [undefined, undefined], 'a source without sizes');
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

test('parsed on this thread with judgeTokens, the tokens the scan judged stay undecoded (two shared codes); readPartitions decodes them all', async () => {
  const tokens = [
    JSON.stringify({ vendors: { enabled: ['V1'], disabled: [] }, purposes: { enabled: ['ads'], disabled: [] } }), // judged: consent
    JSON.stringify({ vendors: { enabled: [], disabled: [] }, purposes: { enabled: [], disabled: ['ads'] } }), // judged: none
    JSON.stringify({ vendors: { enabled: [], disabled: [] }, purposes: { enabled: [], disabled: ['ads', 'social'] } }), // judged: none
    '{not json', // invalid: left to JS, decoded
  ];
  const lines = tokens.map((token, index) => eventLine({ id: `e${index}`, token })).join('\n') + '\n';
  const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-judge-'));
  try {
    await mkdir(join(scratch, 'datehour=2021-01-23-10'));
    await writeFile(join(scratch, 'datehour=2021-01-23-10', 'part-0.json'), lines);
    const local = await localSource(scratch);
    const { source: stream } = memorySource({ 'datehour=2021-01-23-10/part-0.json': lines });
    const partitions = [{ datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' }];
    for (const source of [local, stream]) {
      for await (const { parsed } of readPartitionFiles(source, partitions, { workers: 0, judgeTokens: true })) {
        const { token, tokenVerdicts } = parsed[0]!;
        assert.equal(token.values, ['', '', '{not json'], 'one shared code per verdict, then the token left to JS');
        assert.equal([...tokenVerdicts], [1, 0, -1]);
        assert.equal([...token.codes], [0, 1, 1, 2]);
      }
    }
    for await (const { table } of readPartitions(local, partitions, { workers: 0 })) {
      assert.equal([...table.getChild('token')!], tokens, 'every token, as written');
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

test('parser threads: one per 128 MiB of local files listed, unless the caller says how many', async () => {
  assert.equal([threadsToParse(0), threadsToParse(30e6), threadsToParse(BYTES_PER_PARSER_THREAD)], [1, 1, 1]);
  assert.equal(threadsToParse(BYTES_PER_PARSER_THREAD + 1), Math.min(2, defaultWorkers()));
  assert.equal(threadsToParse(20 * BYTES_PER_PARSER_THREAD), defaultWorkers(), 'at most the default');
  assert.equal(threadsToParse(undefined), defaultWorkers(), 'sizes unknown');

  const root = await mkdtemp(join(tmpdir(), 'consent-metrics-threads-'));
  try {
    for (const hour of ['10', '11']) {
      await mkdir(join(root, `datehour=2021-01-23-${hour}`), { recursive: true });
      await writeFile(join(root, `datehour=2021-01-23-${hour}`, 'part-0.json'), eventLine({ id: hour }) + '\n');
    }
    const source = await localSource(root);
    const { partitions } = await selectPartitions(source);
    const threadsAfterRead = async (workers: number | undefined) => {
      const pool = new ParserPool(4, undefined, 1);
      try {
        const rows: number[] = [];
        for await (const { parsed } of readPartitionFiles(source, partitions, { workers }, pool)) rows.push(...parsed.map((file) => file.rows));
        assert.equal(rows, [1, 1]);
        return pool.size;
      } finally {
        await pool.close();
      }
    };
    assert.equal(await threadsAfterRead(undefined), 1, 'a few bytes: the one thread started');
    assert.equal(await threadsAfterRead(3), 3, 'as many as asked');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('local files on the main thread (--workers 0, queued read tasks): the rows and one-line errors parser threads give', async () => {
  const root = await mkdtemp(join(tmpdir(), 'consent-metrics-here-'));
  try {
    const hour = join(root, 'datehour=2021-01-23-10');
    await mkdir(hour, { recursive: true });
    await writeFile(join(hour, 'part-0.json'), Array.from({ length: 500 }, (_, index) => eventLine({ id: `e${index % 450}` })).join('\n') + '\n');
    await writeFile(join(hour, 'part-1.json.gz'), gzipSync(eventLine({ id: 'z' }) + '\n'));
    const source = await localSource(root);
    const { partitions } = await selectPartitions(source);
    const rowsOf = async (workers: number) => {
      const rows: number[][] = [];
      for await (const { parsed } of readPartitionFiles(source, partitions, { workers })) rows.push(parsed.map((file) => file.rows));
      return rows;
    };
    assert.equal(await rowsOf(0), [[500, 1]]);
    assert.equal(await rowsOf(0), await rowsOf(2));
    await writeFile(join(hour, 'part-1.json.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    for (const workers of [0, 2]) {
      const error = await rowsOf(workers).then(() => null, (failure: Error) => failure);
      assert.instance(error, ConsentMetricsError);
      assert.match(error!.message, new RegExp(`^cannot read .*part-1\\.json\\.gz: (Z_BUF_ERROR|Z_DATA_ERROR)$`), `workers ${workers}`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('concurrency must be a whole number from 1', async () => {
  const { source } = memorySource({ 'datehour=2021-01-23-10/a.json': '' });
  for (const bad of [0, 1.5, -1, Number.NaN]) {
    try {
      await readPartition(source, { datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' }, { concurrency: bad });
      assert.unreachable();
    } catch (error) {
      assert.instance(error, ConsentMetricsError);
      assert.match((error as Error).message, `concurrency must be a whole number from 1, got ${JSON.stringify(bad)}`);
    }
  }
});

test('strict mode fails on the first rejected line, naming file and line', async () => {
  const { source } = memorySource({ 'datehour=2021-01-23-10/a.json': `${eventLine({ id: 'a' })}\n\n{"id":"b","type":"click"}\n` });
  try {
    await readPartition(source, { datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' }, { strict: true });
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).message, 'strict mode: mem://datehour=2021-01-23-10/a.json:3: unknown_type: expected "type" pageview, consent.asked or consent.given, found "click"');
  }
});

test('invalid UTF-8 is an invalid_json line, not silently replaced', async () => {
  const bytes = Buffer.concat([Buffer.from('{"id":"a","type":"pageview","domain":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
  const { source } = memorySource({ 'datehour=2021-01-23-10/a.json': bytes });
  const { table, tally } = await readPartition(source, { datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' });
  assert.is(table.numRows, 0);
  assert.equal(tally.examples, [{ reason: 'invalid_json', file: 'mem://datehour=2021-01-23-10/a.json', line: 1, detail: 'not valid UTF-8' }]);
});

test.run();
