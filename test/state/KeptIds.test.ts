// KeptIds answers from hashes only where bytes agree; blobs refuse what is not theirs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError } from '../../src/index.ts';
import { hashBytes } from '../../src/read/hashBytes.ts';
import { KeptIds, SECOND_HASH_SEED } from '../../src/state/KeptIds.ts';
import { decodeBlob, encodeBlob } from '../../src/state/stateBlobs.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const hashes = (ids: string[], seed = 0) => Int32Array.from(ids, (id) => hashBytes(bytes(id), 0, id.length, seed));

test('KeptIds: the latest kept hour of an id, confirmed by its bytes; a match on both hashes alone is not enough', () => {
  const kept = new KeptIds();
  kept.add(0, 100, hashes(['a', 'b']), hashes(['a', 'b'], SECOND_HASH_SEED));
  kept.add(1, 103, hashes(['a', 'c']), hashes(['a', 'c'], SECOND_HASH_SEED), Uint8Array.of(0, 1)); // c is a duplicate there: not kept
  // Partition 2 claims the hashes of 'x' for bytes 'q': a collision on both hashes.
  kept.add(2, 104, hashes(['x']), hashes(['x'], SECOND_HASH_SEED));
  const query = ['a', 'b', 'c', 'x', 'zz'];
  const column = { rows: query.length, idBytes: bytes(query.join('')), idOffsets: Int32Array.of(0, 1, 2, 3, 4, 6), idHashes: hashes(query) };
  assert.equal(kept.partitionsToLoad([column]), [0, 1, 2]);
  kept.setBytes(0, { bytes: bytes('ab'), offsets: Int32Array.of(0, 1, 2) });
  kept.setBytes(1, { bytes: bytes('ac'), offsets: Int32Array.of(0, 1, 2) });
  kept.setBytes(2, { bytes: bytes('q'), offsets: Int32Array.of(0, 1) });
  const latest = (id: string) => kept.latestHour(bytes(id), 0, id.length, hashBytes(bytes(id), 0, id.length));
  assert.is(latest('a'), 103);
  assert.is(latest('b'), 100);
  assert.is(latest('c'), undefined, 'a duplicate row is not a kept copy');
  assert.is(latest('x'), undefined, 'equal hashes, other bytes');
  assert.is(latest('zz'), undefined);
  assert.is(kept.size, 4);
});

test('state blobs: what was encoded comes back; a truncated, foreign or mislabelled blob is a one-line error', () => {
  const blob = encodeBlob('ids', '2021-01-23-10', 2, { idOffsets: Int32Array.of(0, 1, 3), idBytes: bytes('abc'), names: ['x', null] });
  const back = decodeBlob(blob, { kind: 'ids', datehour: '2021-01-23-10', rows: 2 }, 'b');
  assert.equal([...(back.idOffsets as Int32Array)], [0, 1, 3]);
  assert.equal([...(back.idBytes as Uint8Array)], [...bytes('abc')]);
  assert.equal(back.names, ['x', null]);
  const failure = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      assert.instance(error, ConsentMetricsError);
      return (error as Error).message;
    }
    return 'no error';
  };
  assert.match(failure(() => decodeBlob(blob.subarray(0, blob.length - 5), { kind: 'ids', datehour: '2021-01-23-10', rows: 2 }, 'b')), /^state file b is damaged: /);
  assert.match(failure(() => decodeBlob(blob, { kind: 'events', datehour: '2021-01-23-10', rows: 2 }, 'b')), /kind "ids", expected "events"/);
  assert.match(failure(() => decodeBlob(blob, { kind: 'ids', datehour: '2021-01-23-11', rows: 2 }, 'b')), /datehour/);
  assert.match(failure(() => decodeBlob(new Uint8Array(encodeBlob('ids', 'x', 0, {}).length).fill(7), { kind: 'ids', datehour: 'x', rows: 0 }, 'b')), /damaged/);
});

test.run();
