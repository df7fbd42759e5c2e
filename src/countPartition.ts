import { parseToken, type TokenFacts } from './expand/parseToken.ts';
import { countRows, type GroupCounts } from './metrics/countRows.ts';
import type { ParsedFile } from './read/FileParser.ts';
import { concatBytes, concatInt32, concatOffsets, mergeDictionaries } from './read/columnBuilders.ts';
import type { WorkerHandler } from './read/workerProtocol.ts';
import { StageTimes, type Stage } from './report/StageTimes.ts';
import { Tally, type TallyCounts } from './report/Tally.ts';

// Typed arrays only (no Arrow, no Arquero): this runs on worker threads, where loading those costs
// more than a small partition's count.

/**
 * One partition counted without the rows marked as duplicates: counts per group, and the invalid
 * tokens met.
 *
 * @example
 * const { counts, tally }: PartitionCounts = countPartition('2021-01-23-10', files, duplicates, new Map());
 */
export interface PartitionCounts {
  /** Events and users per group and cell (`groupCountTables` makes the tables `metricsFromCounts` takes). */
  counts: GroupCounts;
  /** Invalid tokens (kept without consent), with examples. */
  tally: TallyCounts;
  /** Milliseconds spent in each step, on the thread that counted. */
  milliseconds: Record<CountStage, number>;
}

/** The steps of a count, as `--profile` names them. */
export const COUNT_STAGES = ['assemble', 'expand', 'count'] as const satisfies readonly Stage[];
type CountStage = (typeof COUNT_STAGES)[number];

/** A parsed file without its ids: what counting reads. */
export type CountingFile = Omit<ParsedFile, 'idBytes' | 'idOffsets' | 'idHashes'>;

/** The file without its ids, which stay with the dedup (a copy of the object, not of the columns). */
export function withoutIds({ idBytes, idOffsets, idHashes, ...rest }: ParsedFile): CountingFile {
  return rest;
}

/** Distinct tokens whose facts a thread keeps between partitions. */
const TOKEN_CACHE_LIMIT = 100_000;

/**
 * Counts one partition from its parsed files (in key order): each token's consent, the rows marked
 * in `duplicates` (1 = a copy of an id met earlier in the run) left out, events and users per group
 * and cell. Needs no ids: the duplicates are found before, on the thread that holds every id of the
 * run. Runs on any thread: a worker's, or the calling one.
 *
 * @example
 * const { counts } = countPartition(read.partition.datehour, read.parsed.map(withoutIds), duplicates, tokenCache);
 */
export function countPartition(datehour: string, files: readonly CountingFile[], duplicates: Uint8Array, tokenCache: Map<string, TokenFacts>): PartitionCounts {
  const times = new StageTimes();
  const tally = new Tally();
  const consent = times.measure('expand', () => concatBytes(files.map((file) => consentOf(file, tokenCache, tally))));
  const columns = times.measure('assemble', () => ({
    rows: duplicates.length,
    datehour,
    type: concatInt32(files.map((file) => file.type)),
    domain: mergeDictionaries(files.map((file) => file.domain)),
    country: mergeDictionaries(files.map((file) => file.country)),
    userIdBytes: concatBytes(files.map((file) => file.userIdBytes)),
    userIdOffsets: concatOffsets(files.map((file) => file.userIdOffsets)),
    userIdHashes: concatInt32(files.map((file) => file.userIdHashes)),
    userIdNull: concatBytes(files.map((file) => file.userIdNull)),
    consent,
  }));
  const counts = times.measure('count', () => countRows(columns, duplicates));
  if (tokenCache.size > TOKEN_CACHE_LIMIT) tokenCache.clear(); // bounded memory when tokens are randomized
  const { lines, rejected, invalidTokens, examples } = tally;
  const milliseconds = Object.fromEntries(COUNT_STAGES.map((stage) => [stage, times.milliseconds[stage]])) as Record<CountStage, number>;
  return { counts, tally: { lines, rejected, invalidTokens, examples }, milliseconds };
}

/**
 * Whether each row's token gives consent (1), from the file's distinct tokens, each parsed once
 * (what `expandToken` does for a table). Invalid tokens are reported, with their file and line,
 * and give no consent.
 */
function consentOf(file: CountingFile, tokenCache: Map<string, TokenFacts>, tally: Tally): Uint8Array {
  const facts = file.token.values.map((text) => {
    let parsed = tokenCache.get(text);
    if (!parsed) tokenCache.set(text, (parsed = parseToken(text)));
    return parsed;
  });
  const consentByCode = Uint8Array.from(facts, (fact) => (fact.consent ? 1 : 0));
  const invalidByCode = Uint8Array.from(facts, (fact) => (fact.valid ? 0 : 1));
  const codes = file.token.codes;
  const consent = new Uint8Array(file.rows);
  for (let row = 0; row < file.rows; row++) {
    const code = codes[row]!;
    if (code < 0) continue;
    consent[row] = consentByCode[code]!;
    if (invalidByCode[code]) tally.report({ reason: 'invalid_token', file: file.file, line: file.line[row]!, detail: facts[code]!.problem ?? 'invalid token' });
  }
  return consent;
}

/** The buffers of a file that counting reads, to transfer to the thread that counts. */
export function countingBuffers(file: CountingFile): ArrayBuffer[] {
  return [file.type, file.line, file.domain.codes, file.country.codes, file.token.codes, file.userIdBytes, file.userIdOffsets, file.userIdHashes, file.userIdNull]
    .map((array) => array.buffer as ArrayBuffer);
}

/** Token facts a worker thread keeps between the partitions it counts. */
const workerTokenCache = new Map<string, TokenFacts>();

/** {@link countPartition} as a worker thread's request handler. */
export const countHandler: WorkerHandler = async (request) => {
  const { datehour, files, duplicates } = request as unknown as { datehour: string; files: CountingFile[]; duplicates: Uint8Array };
  const result = countPartition(datehour, files, duplicates, workerTokenCache);
  const { domainCodes, countryCodes, n, users } = result.counts;
  return { result, transfer: [domainCodes, countryCodes, n, users].map((array) => array.buffer as ArrayBuffer) };
};
