// EarlierIds answers from hashes only where bytes agree; blobs refuse what is not theirs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError } from '../../src/index.ts';
import { hashBytes } from '../../src/read/hashBytes.ts';
import { NO_HOUR } from '../../src/metrics/IdSet.ts';
import { EarlierIds, SECOND_HASH_SEED } from '../../src/state/EarlierIds.ts';
import { decodeBlob, encodeBlob } from '../../src/state/stateBlobs.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const hashes = (ids: string[], seed = 0) => Int32Array.from(ids, (id) => hashBytes(bytes(id), 0, id.length, seed));

test('EarlierIds: the latest kept hour of each id, confirmed by its bytes; a match on both hashes alone is not enough', async () => {
  const earlier = new EarlierIds();
  earlier.add(0, 100, hashes(['a', 'b']), hashes(['a', 'b'], SECOND_HASH_SEED));
  earlier.add(1, 103, hashes(['a', 'c']), hashes(['a', 'c'], SECOND_HASH_SEED), Uint8Array.of(0, 1)); // c is a duplicate there: not kept
  // Partition 2 claims the hashes of 'x' for bytes 'q': a collision on both hashes.
  earlier.add(2, 104, hashes(['x']), hashes(['x'], SECOND_HASH_SEED));
  earlier.add(3, 105, hashes(['d']), hashes(['d'], SECOND_HASH_SEED)); // matches nothing: never loaded
  const query = ['a', 'b', 'c', 'x', 'zz', 'a'];
  const ids = { rows: query.length, idBytes: bytes(query.join('')), idOffsets: Int32Array.of(0, 1, 2, 3, 4, 6, 7), idHashes: hashes(query) };
  const stored: Record<number, string[]> = { 0: ['a', 'b'], 1: ['a', 'c'], 2: ['q'], 3: ['d'] };
  const loaded: number[] = [];
  const hours = await earlier.latestHours(ids, async (index) => {
    loaded.push(index);
    return { bytes: bytes(stored[index]!.join('')), offsets: Int32Array.from([0, ...stored[index]!.map((_, i) => i + 1)]) };
  });
  assert.equal([...hours!], [103, 100, NO_HOUR, NO_HOUR, NO_HOUR, 103], 'c: a duplicate row is no kept copy; x: equal hashes, other bytes');
  assert.equal(loaded, [0, 1, 2], 'only partitions with a match on both hashes are fetched');
  assert.is(await new EarlierIds().latestHours(ids, () => Promise.reject(new Error('nothing to load'))), undefined);
});

test('state blobs: what was encoded comes back; a truncated, foreign or mislabelled blob is a one-line error', async () => {
  const blob = await encodeBlob('ids', '2021-01-23-10', 2, { idOffsets: Int32Array.of(0, 1, 3), idBytes: bytes('abc'), names: ['x', null] });
  const back = await decodeBlob(blob, { kind: 'ids', datehour: '2021-01-23-10', rows: 2 }, 'b');
  assert.equal([...(back.idOffsets as Int32Array)], [0, 1, 3]);
  assert.equal([...(back.idBytes as Uint8Array)], [...bytes('abc')]);
  assert.equal(back.names, ['x', null]);
  const failure = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      assert.instance(error, ConsentMetricsError);
      return (error as Error).message;
    }
    return 'no error';
  };
  assert.match(await failure(() => decodeBlob(blob.subarray(0, blob.length - 5), { kind: 'ids', datehour: '2021-01-23-10', rows: 2 }, 'b')), /^state file b is damaged: /);
  assert.match(await failure(() => decodeBlob(blob, { kind: 'events', datehour: '2021-01-23-10', rows: 2 }, 'b')), /kind "ids", expected "events"/);
  assert.match(await failure(() => decodeBlob(blob, { kind: 'ids', datehour: '2021-01-23-11', rows: 2 }, 'b')), /datehour/);
  const garbage = new Uint8Array((await encodeBlob('ids', 'x', 0, {})).length).fill(7);
  assert.match(await failure(() => decodeBlob(garbage, { kind: 'ids', datehour: 'x', rows: 0 }, 'b')), /damaged/);
});

test.run();
