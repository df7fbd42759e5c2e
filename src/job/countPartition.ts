import { parseToken, type TokenFacts } from '../expand/parseToken.ts';
import { countBreakdown, type BreakdownRows } from '../metrics/countBreakdown.ts';
import { countRowParts, type GroupCounts } from '../metrics/countRows.ts';
import { emptyCounts } from '../metrics/groupCounts.ts';
import type { Grouping } from '../metrics/grouping.ts';
import type { DictionaryColumn } from '../read/ParsedFile.ts';
import type { ParsedFile } from '../read/ParsedFile.ts';
import { shiftLines } from '../read/planSplits.ts';
import { StageTimes, type Stage } from '../report/StageTimes.ts';
import { Tally, type TallyCounts } from '../report/Tally.ts';

// Typed arrays only (no Arrow, no Arquero): this runs on worker threads, where loading those costs
// more than a small partition's count.

/**
 * One partition counted without the rows marked as duplicates: counts per group.
 *
 * @example
 * const { counts }: PartitionCounts = countPartition('2021-01-23-10', files, duplicates);
 */
export interface PartitionCounts {
  /** Events and users per group and cell (`groupCountTables` makes the tables `metricsFromCounts` takes); with `by`, no group, only `kept`. */
  counts: GroupCounts;
  /** With `by`: the breakdown's rows. */
  breakdown?: BreakdownRows;
  /** Milliseconds spent in each step, on the thread that counted. */
  milliseconds: Record<CountStage, number>;
}

/** The steps of a count, as `--profile` names them. */
export const COUNT_STAGES = ['count'] as const satisfies readonly Stage[];
type CountStage = (typeof COUNT_STAGES)[number];

/**
 * A parsed file whose tokens are judged: consent per row instead of the token column, and the
 * invalid tokens reported. The job's worker threads expand each file right after parsing it, so
 * token texts never cross threads.
 *
 * @example
 * const expanded: ExpandedFile = expandFile(parsed, new Map());
 */
export interface ExpandedFile extends Omit<ParsedFile, 'token' | 'tokenVerdicts'> {
  /** With `keepTokens`: the token texts (a breakdown reads their lists). */
  token?: DictionaryColumn;
  /** 1 where the row's token gives consent. */
  consent: Uint8Array;
  /** The file's invalid tokens (kept without consent), with examples. */
  tokens: TallyCounts;
  /** Milliseconds the expansion took, on the thread that did it. */
  expandMilliseconds: number;
}

/** Whether a file came expanded (from a job's worker thread, whose parse requests expand too). */
export function isExpanded(file: ParsedFile | ExpandedFile): file is ExpandedFile {
  return 'consent' in file;
}

/**
 * `shiftLines` for the files a job's threads post, expanded: the examples of their invalid tokens move too.
 *
 * @example
 * readPartitionFiles(source, partitions, { shiftLines: shiftExpandedLines }, pool);
 */
export function shiftExpandedLines(file: ParsedFile | ExpandedFile, lines: number): void {
  shiftLines(file, lines);
  if (isExpanded(file)) for (const problem of file.tokens.examples) problem.line += lines;
}

/** An expanded file without its ids: what counting reads (the ids stay with the dedup). */
export type CountingFile = Omit<ExpandedFile, 'idBytes' | 'idOffsets' | 'idHashes'>;

/** The file without its ids (a copy of the object, not of the columns). */
export function withoutIds({ idBytes, idOffsets, idHashes, ...rest }: ExpandedFile): CountingFile {
  return rest;
}

/**
 * Judges a parsed file's tokens: whether each row's token gives consent, from the file's distinct
 * tokens, each parsed once (`expandToken` does the same for a table). Invalid tokens are reported
 * with their file and line, and give no consent.
 *
 * @example
 * const { consent, tokens } = expandFile(parsed, tokenCache);
 */
export function expandFile(file: ParsedFile, tokenCache: Map<string, TokenFacts>, { keepTokens = false }: { keepTokens?: boolean } = {}): ExpandedFile {
  const started = performance.now();
  const { token, tokenVerdicts, ...rest } = file;
  const tally = new Tally();
  // A token the scan judged needs no parse; the others are parsed once per thread while cached.
  const facts = token.values.map((text, code) => {
    if (tokenVerdicts[code]! >= 0) return tokenVerdicts[code] === 1 ? JUDGED_CONSENT : JUDGED_NO_CONSENT;
    let parsed = tokenCache.get(text);
    if (!parsed) tokenCache.set(text, (parsed = parseToken(text)));
    return parsed;
  });
  if (tokenCache.size > TOKEN_CACHE_LIMIT) tokenCache.clear(); // bounded memory when tokens are randomized
  const consentByCode = Uint8Array.from(facts, (fact) => (fact.consent ? 1 : 0));
  const invalidByCode = Uint8Array.from(facts, (fact) => (fact.valid ? 0 : 1));
  const codes = token.codes;
  const consent = new Uint8Array(file.rows);
  if (consentOfRows(codes, file.rows, consentByCode, invalidByCode, consent) > 0) {
    for (let row = 0; row < file.rows; row++) {
      const code = codes[row]!;
      if (code >= 0 && invalidByCode[code]) tally.report({ reason: 'invalid_token', file: file.file, line: file.line[row]!, detail: facts[code]!.problem ?? 'invalid token' });
    }
  }
  const { lines, rejected, invalidTokens, examples } = tally;
  return { ...rest, ...(keepTokens ? { token } : {}), consent, tokens: { lines, rejected, invalidTokens, examples }, expandMilliseconds: performance.now() - started };
}

/** Writes each row's consent from its token code (none without a token); returns the rows with an invalid token. */
function consentOfRows(codes: Int32Array, rows: number, consentByCode: Uint8Array, invalidByCode: Uint8Array, consent: Uint8Array): number {
  let invalid = 0;
  for (let row = 0; row < rows; row++) {
    const code = codes[row]!;
    if (code < 0) continue;
    consent[row] = consentByCode[code]!;
    invalid += invalidByCode[code]!;
  }
  return invalid;
}

/** What a judged token says here (consent is all a job reads; the scan does not count the lists). */
const JUDGED_CONSENT: Pick<TokenFacts, 'valid' | 'consent' | 'problem'> = { valid: true, consent: true };
const JUDGED_NO_CONSENT: Pick<TokenFacts, 'valid' | 'consent' | 'problem'> = { valid: true, consent: false };

/** Distinct tokens whose facts a thread keeps between partitions. */
const TOKEN_CACHE_LIMIT = 100_000;

/**
 * Counts one partition from its expanded files (in key order): the rows marked in `duplicates`
 * (1 = a copy of an id met earlier in the run) left out, events and users per group and cell.
 * Needs no ids: the duplicates are found before, on the thread that holds every id of the run.
 * Runs on any thread: a worker's, or the calling one.
 *
 * @example
 * const { counts } = countPartition(read.partition.datehour, files.map(withoutIds), duplicates);
 */
export function countPartition(datehour: string, files: readonly CountingFile[], duplicates: Uint8Array, { by, keys }: Grouping = {}): PartitionCounts {
  const times = new StageTimes();
  // A key left out is one null value for every row: its groups merge.
  const merged = files.map((file) => ({
    ...file,
    ...(keys && !keys.includes('domain') ? { domain: { codes: new Int32Array(file.rows).fill(-1), values: [] } } : {}),
    ...(keys && !keys.includes('country') ? { country: { codes: new Int32Array(file.rows).fill(-1), values: [] } } : {}),
  }));
  if (by !== undefined) {
    if (merged.some((file) => !file.token)) throw new Error(`a breakdown of ${datehour} needs its files' tokens (keepTokens)`);
    const breakdown = times.measure('count', () => countBreakdown(datehour, merged as (CountingFile & { token: DictionaryColumn })[], duplicates, by));
    const kept = duplicates.reduce((sum, mark) => sum + (mark ? 0 : 1), 0);
    return { counts: emptyCounts(datehour, kept), breakdown, milliseconds: { count: times.milliseconds.count } };
  }
  const counts = times.measure('count', () => countRowParts(datehour, merged, duplicates));
  const milliseconds = Object.fromEntries(COUNT_STAGES.map((stage) => [stage, times.milliseconds[stage]])) as Record<CountStage, number>;
  return { counts, milliseconds };
}

/** The buffers of a file that counting reads, to transfer to the thread that counts. */
export function countingBuffers(file: CountingFile): ArrayBuffer[] {
  return [file.type, file.line, file.domain.codes, file.country.codes, file.consent, file.userIdBytes, file.userIdOffsets, file.userIdHashes, file.userIdNull,
    ...(file.token ? [file.token.codes] : [])].map((array) => array.buffer as ArrayBuffer);
}
