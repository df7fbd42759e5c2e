// A partition's objects in an incremental run's state: written from a partition just read (here or
// by a queued read task), read back to count it again, each checked against the manifest.
import { createHash, randomBytes } from 'node:crypto';
import { ConsentMetricsError } from '../errors.ts';
import type { TokenFacts } from '../expand/parseToken.ts';
import type { RowPart } from '../metrics/countRows.ts';
import type { ParsedFile } from '../read/ParsedFile.ts';
import type { PartitionFiles } from '../read/readPartitionFiles.ts';
import { Tally, type TallyCounts } from '../report/Tally.ts';
import type { InputFile, PartitionState, StateObject } from '../state/manifest.ts';
import { decodeEvents, decodeHashes, decodeIds, encodeEvents, encodeHashes, encodeIds, joinIds, type LoadedPartition } from '../state/partitionBlobs.ts';
import type { StateStore } from '../state/StateStore.ts';
import { expandFile, isExpanded, withoutIds, type ExpandedFile } from './countPartition.ts';

/** A partition's manifest entry, but for what counting gives (its duplicates, rows and events kept). */
export type PartitionBase = Omit<PartitionState, 'counted' | 'metrics' | 'kept'>;

/**
 * A partition to count, and (`base`) its entry in the next manifest but for what counting gives; for a
 * partition read, `base` writes its new objects, called once it is counted (zlib's threads then pack
 * them beside the next partition's reading, not before this one's deduplication).
 */
export type Counting = { parts: RowPart[]; ids: LoadedPartition['ids']; base: () => Promise<PartitionBase> };

/**
 * A partition read from its raw files (its files as listed in `files`): its columns, and its new
 * objects in the state. In strict mode, its first problem fails it.
 */
export function readPartition(
  datehour: string,
  files: InputFile[],
  read: PartitionFiles,
  tokenCache: Map<string, TokenFacts>,
  objects: ObjectWriter,
  strict = false,
): Counting {
  const { parts, ids, tally: counts } = expandPartition(read, tokenCache, strict);
  const base = () => {
    const written = Promise.all([
      objects.put(datehour, 'events', encodeEvents(datehour, parts)), objects.put(datehour, 'ids', encodeIds(datehour, ids)), objects.put(datehour, 'hashes', encodeHashes(datehour, ids)),
    ]).then(([events, idsObject, hashes]) => ({ datehour, files, rows: ids.rows, tally: counts, events, ids: idsObject, hashes }));
    written.catch(() => {}); // awaited once every partition is counted
    return written;
  };
  return { parts, ids, base };
}

/**
 * A partition's files as read, expanded (tokens judged, where a worker thread has not already): each
 * file's counting columns, the partition's ids as one column, and its tally (lines, rejections, invalid
 * tokens). In strict mode, its first problem, in file and line order, fails it.
 *
 * @example
 * const { parts, ids, tally } = expandPartition(read, new Map());
 */
export function expandPartition(read: PartitionFiles, tokenCache: Map<string, TokenFacts>, strict = false): { parts: RowPart[]; ids: LoadedPartition['ids']; tally: TallyCounts } {
  const { parts, idFiles, tally } = expandFiles(read, tokenCache, strict);
  return { parts, ids: joinIds(idFiles), tally };
}

/**
 * {@link expandPartition} with the ids left in their files (`idFiles`, in file order), for a caller that
 * copies them on anyway (a queued run's read task splits them into buckets).
 *
 * @example
 * const { parts, idFiles, tally } = expandFiles(read, new Map());
 */
export function expandFiles(read: PartitionFiles, tokenCache: Map<string, TokenFacts>, strict = false): { parts: RowPart[]; idFiles: ExpandedFile[]; tally: TallyCounts } {
  const expanded = read.parsed.map((file: ParsedFile | ExpandedFile) => (isExpanded(file) ? file : expandFile(file, tokenCache)));
  const tally = new Tally(strict).merge(read.tally);
  for (const file of expanded) tally.merge(file.tokens);
  const { lines, rejected, invalidTokens, examples } = tally;
  return { parts: expanded.map(withoutIds), idFiles: expanded, tally: { lines, rejected, invalidTokens, examples } };
}

/** A partition taken from the state's columns. */
export async function loadPartition(store: StateStore, old: PartitionBase): Promise<Counting> {
  const [parts, column, { hashes }] = await Promise.all([
    getObject(store, old.events).then((bytes) => decodeEvents(bytes, old, old.events.key)),
    getObject(store, old.ids).then((bytes) => decodeIds(bytes, old, old.ids.key)),
    getObject(store, old.hashes).then((bytes) => decodeHashes(bytes, old, old.hashes.key)),
  ]);
  const { datehour, files, rows, tally, events, ids, hashes: hashesObject } = old;
  const base = { datehour, files, rows, tally, events, ids, hashes: hashesObject };
  return { parts, ids: { ...column, rows: old.rows, idHashes: hashes }, base: () => Promise.resolve(base) };
}

/**
 * Writes a run's new objects under names of their own (the run's start and random digits), with their
 * checks for the manifest.
 *
 * @example
 * const entry = await new ObjectWriter(store).put('2021-01-23-10', 'ids', encodeIds('2021-01-23-10', ids));
 */
export class ObjectWriter {
  /** @param version what names this run's objects: its start time and random digits (a queued run's read tasks share the run's) */
  constructor(private readonly store: StateStore, readonly version = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`) {}

  /** Writes `bytes` once ready; resolves with the object's entry for the manifest. */
  put(datehour: string, kind: string, bytes: Promise<Uint8Array>): Promise<StateObject> {
    const key = `partitions/datehour=${datehour}/${this.version}.${kind}`;
    const written = bytes.then(async (ready) => {
      await this.store.put(key, ready);
      return { key, bytes: ready.length, sha256: sha256(ready) };
    });
    written.catch(() => {}); // awaited when the manifest is made
    return written;
  }
}

/** An object of the state, checked against its size and SHA-256 in the manifest. */
export async function getObject(store: StateStore, object: StateObject): Promise<Uint8Array> {
  const bytes = await store.get(object.key);
  if (!bytes) throw new ConsentMetricsError(`state ${store.describe()} is damaged: ${object.key} is missing (or another run replaced it: run again)`);
  if (bytes.length !== object.bytes || sha256(bytes) !== object.sha256) throw new ConsentMetricsError(`state ${store.describe()} is damaged: ${object.key} does not match its checksum`);
  return bytes;
}


export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
