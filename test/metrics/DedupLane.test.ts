// Deduplication in lanes: each piece's ids split into buckets, the buckets shared out among lanes,
// each lane deduplicated on its own in run order. Together they must find exactly what a naive
// first-wins pass over every id finds (a Set of strings), for any number of buckets and lanes, with
// copies across pieces, partitions and lanes' edges; and, with a lookback, what the naive rule gives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bucketsOfLane, DedupLane, marksOf } from '../../src/metrics/DedupLane.ts';
import { bucketFile } from '../../src/job/dedupLanes.ts';
import type { ExpandedFile } from '../../src/job/countPartition.ts';
import { hashBytes } from '../../src/read/hashBytes.ts';
import { NO_HOUR } from '../../src/metrics/IdSet.ts';
import { seededRandom } from '../support/random.ts';

/** A piece with only the columns deduplication reads (the others are empty: bucketFile passes them on). */
function piece(ids: string[]): ExpandedFile {
  const encoded = ids.map((id) => new TextEncoder().encode(id));
  const idOffsets = new Int32Array(ids.length + 1);
  encoded.forEach((bytes, row) => (idOffsets[row + 1] = idOffsets[row]! + bytes.length));
  const idBytes = new Uint8Array(idOffsets[ids.length]!);
  encoded.forEach((bytes, row) => idBytes.set(bytes, idOffsets[row]!));
  const idHashes = Int32Array.from(ids, (_, row) => hashBytes(idBytes, idOffsets[row]!, idOffsets[row + 1]!));
  return { rows: ids.length, idBytes, idOffsets, idHashes } as unknown as ExpandedFile;
}

/** Partitions (hour, pieces of ids) of random ids: UUIDs, short and odd ids, many repeated across pieces and hours. */
function randomRun(seed: number) {
  const r = seededRandom(seed);
  const pool = Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? crypto.randomUUID() : r.pick(['', 'a', 'é', '\u00fe', `id-${i}`, `x${'y'.repeat(r.int(60))}${i}`])));
  return Array.from({ length: 6 }, (_, index) => ({
    hour: 100 + index * 2,
    pieces: Array.from({ length: 1 + r.int(3) }, () => Array.from({ length: r.int(120) }, () => r.pick(pool))),
  }));
}

/** The naive rule: a copy is a duplicate when the latest kept copy of its id is at most `lookback` hours before (unlimited: any). */
function naiveMarks(run: ReturnType<typeof randomRun>, lookback?: number): number[][] {
  const kept = new Map<string, number>();
  return run.map(({ hour, pieces }) => pieces.flat().map((id) => {
    const before = kept.get(id);
    if (before !== undefined && (lookback === undefined || hour - before <= lookback)) return 1;
    kept.set(id, hour);
    return 0;
  }));
}

test('lanes take contiguous ranges that cover every bucket once', () => {
  for (const [lanes, buckets] of [[1, 64], [3, 64], [8, 64], [5, 3], [2, 1]]) {
    const ranges = Array.from({ length: lanes! }, (_, lane) => bucketsOfLane(lane, lanes!, buckets!));
    assert.is(ranges[0]![0], 0);
    assert.is(ranges[lanes! - 1]![1], buckets);
    for (let lane = 1; lane < lanes!; lane++) assert.is(ranges[lane]![0], ranges[lane - 1]![1]);
  }
});

for (const [seed, buckets, lanes, lookback] of [[1, 1, 1, undefined], [2, 64, 2, undefined], [3, 7, 3, undefined], [4, 3, 5, undefined], [5, 64, 3, 2], [6, 5, 2, 0]] as const) {
  test(`seed ${seed}: ${lanes} lanes over ${buckets} buckets${lookback === undefined ? '' : `, lookback ${lookback}`}: the duplicates a naive pass finds`, () => {
    const run = randomRun(seed);
    const laneSets = Array.from({ length: lanes }, () => new DedupLane({ lookback }));
    const marks = run.map(({ hour, pieces }) => {
      const bucketed = pieces.map((ids) => bucketFile(piece(ids), buckets, lanes));
      const losers = laneSets.map((lane, at) => lane.take(bucketed.map((file) => file.idShares[at]!), hour));
      return [...marksOf(pieces.map((ids) => ids.length), losers)];
    });
    const expected = naiveMarks(run, lookback);
    assert.equal(marks, expected);
    assert.ok(expected.flat().filter(Boolean).length > 50, 'copies to find');
  });
}

for (const [seed, buckets, lanes, lookback] of [[7, 1, 1, undefined], [8, 64, 3, undefined], [9, 1, 1, 3], [10, 7, 2, 2]] as const) {
  test(`seed ${seed}: an incremental run's later partitions, ${lanes} lanes${lookback === undefined ? '' : `, lookback ${lookback}`}, the earlier ones given as each row's earlier kept hour: the naive pass's duplicates`, () => {
    const run = randomRun(seed);
    const expected = naiveMarks(run, lookback);
    // The first 3 partitions are the state's: their kept ids, by latest hour, are what a lookup gives.
    const keptBefore = new Map<string, number>();
    run.slice(0, 3).forEach(({ hour, pieces }, index) => pieces.flat().forEach((id, row) => expected[index]![row] === 0 && keptBefore.set(id, hour)));
    const laneSets = Array.from({ length: lanes }, () => new DedupLane({ lookback }));
    const marks = run.slice(3).map(({ hour, pieces }) => {
      const bucketed = pieces.map((ids) => bucketFile(piece(ids), buckets, lanes));
      const earlierHours = pieces.map((ids) => Int32Array.from(ids, (id) => keptBefore.get(id) ?? NO_HOUR));
      const losers = laneSets.map((lane, at) => lane.take(bucketed.map((file) => file.idShares[at]!), hour, undefined, earlierHours));
      return [...marksOf(pieces.map((ids) => ids.length), losers)];
    });
    assert.equal(marks, expected.slice(3));
    assert.ok(expected.slice(3).flat().filter(Boolean).length > 20, 'copies to find');
  });
}

test('a damaged share is an error, not a wrong result', () => {
  const { idShares } = bucketFile(piece(['a', 'b', 'c']), 4, 2);
  const share = idShares.find((ids) => ids instanceof Uint8Array && ids.length > 14) as Uint8Array;
  const damaged = share.slice(0, share.length - 2);
  assert.throws(() => new DedupLane().take([damaged], 0), /damaged/);
});

test.run();
