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

const stored: Record<number, string[]> = { 0: ['a', 'b'], 1: ['a', 'c'], 2: ['q'], 3: ['d'] };
const query = ['a', 'b', 'c', 'x', 'zz', 'a'];
const ids = { rows: query.length, idBytes: bytes(query.join('')), idOffsets: Int32Array.of(0, 1, 2, 3, 4, 6, 7), idHashes: hashes(query) };

/** Four earlier partitions; `fetched` records each fetch of their hashes. */
function earlierOf(holdBytes: number, fetched: number[]): EarlierIds {
  const earlier = new EarlierIds(holdBytes);
  const add = (index: number, hour: number, names: string[], duplicates?: Uint8Array) =>
    earlier.add(index, hour, names.length, async () => (fetched.push(index), { hashes: hashes(names), secondHashes: hashes(names, SECOND_HASH_SEED), duplicates }), duplicates !== undefined);
  add(0, 100, ['a', 'b']);
  add(1, 103, ['a', 'c'], Uint8Array.of(0, 1)); // c is a duplicate there: not kept
  add(2, 104, ['x']); // partition 2 claims the hashes of 'x' for bytes 'q': a collision on both hashes
  add(3, 105, ['d']); // matches nothing: its ids never loaded
  return earlier;
}

test('EarlierIds: the latest kept hour of each id, confirmed by its bytes; a match on both hashes alone is not enough', async () => {
  const earlier = earlierOf(Infinity, []);
  await earlier.hold(2);
  const loaded: number[] = [];
  const hours = await earlier.latestHours(ids, async (index) => {
    loaded.push(index);
    return { bytes: bytes(stored[index]!.join('')), offsets: Int32Array.from([0, ...stored[index]!.map((_, i) => i + 1)]) };
  });
  assert.equal([...hours!], [103, 100, NO_HOUR, NO_HOUR, NO_HOUR, 103], 'c: a duplicate row is no kept copy; x: equal hashes, other bytes');
  assert.equal(loaded, [0, 1, 2], 'only partitions with a match on both hashes are fetched');
  assert.is(await new EarlierIds().latestHours(ids, () => Promise.reject(new Error('nothing to load'))), undefined);
});

test('EarlierIds within a byte budget: the latest partitions held, the others fetched at each lookup; the same answers', async () => {
  const loadIds = async (index: number) => ({ bytes: bytes(stored[index]!.join('')), offsets: Int32Array.from([0, ...stored[index]!.map((_, i) => i + 1)]) });
  const everything = await earlierOf(Infinity, []).latestHours(ids, loadIds);
  for (const [holdBytes, held] of [[0, []], [8, [3]], [17, [3, 2]], [35, [3, 2, 1]], [1000, [3, 2, 1, 0]]] as const) {
    const fetched: number[] = [];
    const earlier = earlierOf(holdBytes, fetched);
    await earlier.hold(2);
    assert.equal(fetched.sort(), [...held].sort(), `held at ${holdBytes} bytes: the latest that fit (8 bytes an id, 9 with duplicate marks)`);
    for (let lookup = 1; lookup <= 2; lookup++) {
      assert.equal(await earlier.latestHours(ids, loadIds), everything, `${holdBytes} bytes, lookup ${lookup}`);
      assert.is(fetched.length, held.length + lookup * (4 - held.length), 'the others fetched again at each lookup');
    }
    assert.is(earlier.fetchedAgain, 2 * [[0, 16], [1, 18], [2, 8], [3, 8]].filter(([index]) => !(held as readonly number[]).includes(index!)).reduce((sum, [, size]) => sum + size!, 0));
  }
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
