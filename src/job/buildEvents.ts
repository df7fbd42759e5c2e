import { tableToIPC, type Table } from 'apache-arrow';
import { EVENT_ENCODINGS, eventsTable, type TokenReading } from '../expand/eventsTable.ts';
import type { ParsedFile } from '../read/ParsedFile.ts';
import { Tally, type TallyCounts } from '../report/Tally.ts';
import type { CompressionName } from '../write/compressions.ts';
import { encodeParquet } from '../write/encodeParquet.ts';

/**
 * A partition's events as built: the table, or (asked for Parquet) one file's bytes; its rows, and what
 * its tokens reported (invalid ones), for the run's tally in datehour order.
 *
 * @example
 * const { events, rows, tokens }: BuiltEvents = buildEvents(datehour, parsed, duplicates, { tokens: cache });
 */
export interface BuiltEvents {
  /** The kept events (`EVENT_COLUMNS`), unless asked for Parquet. */
  events?: Table;
  /** With `parquet`: the kept events as one Parquet file's bytes. */
  parquet?: Uint8Array;
  /** Kept events. */
  rows: number;
  /** The tokens' problems (invalid tokens), with examples. */
  tokens: TallyCounts;
}

/** Distinct tokens a thread keeps read between partitions (tokens may be randomized: memory stays bounded). */
const TOKEN_READINGS_KEPT = 100_000;

/**
 * One partition's events table (`eventsTable`) from its files as parsed and the rows `duplicates` marks,
 * on whichever thread runs it; with `parquet` (a compression), encoded there as one file.
 *
 * @example
 * const built = buildEvents('2021-01-23-10', parsed, duplicates, { tokens: new Map(), fileKey: (file) => file });
 */
export function buildEvents(
  datehour: string, files: readonly ParsedFile[], duplicates: Uint8Array,
  { tokens, fileKey, parquet }: { tokens: Map<string, TokenReading>; fileKey: (file: string) => string; parquet?: CompressionName },
): BuiltEvents {
  const tally = new Tally();
  const events = eventsTable(datehour, files, duplicates, { tally, tokens, fileKey });
  if (tokens.size > TOKEN_READINGS_KEPT) tokens.clear();
  const { lines, rejected, invalidTokens, examples } = tally;
  const problems = { lines, rejected, invalidTokens, examples };
  if (parquet === undefined) return { events, rows: events.numRows, tokens: problems };
  return { parquet: encodeParquet(tableToIPC(events, 'stream'), parquet, EVENT_ENCODINGS), rows: events.numRows, tokens: problems };
}
