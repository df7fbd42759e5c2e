import { ConsentMetricsError } from '../errors.ts';
import type { TallyCounts } from '../report/Tally.ts';

/** What every manifest says it is. */
export const STATE_FORMAT = 'consent-metrics-state';
/** The manifest and blob layout this version writes and reads (docs/state.md). */
export const STATE_VERSION = 1;

/** The objects the state keeps of each partition. */
export const PARTITION_OBJECTS = ['events', 'ids', 'hashes', 'counted', 'metrics'] as const;

/** An input file a partition was read from, as listed: a later run re-reads the partition when these change. */
export interface InputFile {
  key: string;
  size: number;
  /** `etag:...` on S3, `mtime:...` locally. */
  version: string;
}

/** An object in the state, with what checks it on read. */
export interface StateObject {
  /** Relative to the state's root. */
  key: string;
  bytes: number;
  sha256: string;
}

/** What the state keeps of one partition. */
export interface PartitionState {
  datehour: string;
  /** The input files it was read from, in key order. */
  files: InputFile[];
  /** Events accepted (before deduplication). */
  rows: number;
  /** Its lines, rejected lines and invalid tokens, with their first examples. */
  tally: TallyCounts;
  /** Each file's columns for counting (type, domain, country, user, consent). */
  events: StateObject;
  /** Its ids: bytes and offsets, in file and line order. */
  ids: StateObject;
  /** Its ids' two hashes: what a later run holds of them. */
  hashes: StateObject;
  /** Its duplicates (1 a row), as of the last run. */
  counted: StateObject;
  /** Its output rows, as an Arrow IPC file: a run rewrites only the datehours whose rows' SHA-256 changed. */
  metrics: StateObject;
  /** Events counted (rows not duplicates). */
  kept: number;
}

/** Where the last run wrote the output, so that a run with nothing new rewrites nothing. */
export interface OutputState {
  location: string;
  compression: string;
  /** Datehours written there (every datehour of the state, for a file). */
  datehours: string[];
}

/** The state's manifest: one JSON file per committed generation (`manifest-<generation>.json`); the highest wins. */
export interface Manifest {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  generation: number;
  /** The input root the state was made from. */
  root: string;
  /** The lookback its duplicates were found with; null for unlimited. */
  lookback: number | null;
  /**
   * The columns of the metrics it stores (`METRIC_COLUMNS` when written). A run whose columns differ (a
   * metric added) counts every partition again from the state; absent in manifests written before it was
   * kept, which are counted again once.
   */
  metricColumns?: string[];
  committedAt: string;
  /** The partitions, in datehour order. */
  partitions: PartitionState[];
  output: OutputState | null;
}

/** The manifest of generation `generation`, relative to the state's root. */
export function manifestKey(generation: number): string {
  return `manifest-${String(generation).padStart(12, '0')}.json`;
}

/** The generation a manifest key names, or null for any other key. */
export function generationOf(key: string): number | null {
  const match = /^manifest-(\d{12})\.json$/.exec(key);
  return match ? Number(match[1]) : null;
}

/**
 * Checks a manifest read back, field by field: a damaged or foreign file, or one of another format
 * version, fails with one line naming it, never gives a wrong result.
 */
export function parseManifest(bytes: Uint8Array, describe: string, generation: number): Manifest {
  const fail = (why: string) => new ConsentMetricsError(`state manifest ${describe} ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw fail('is damaged: not JSON');
  }
  const manifest = value as Manifest;
  if (!isObject(manifest) || manifest.format !== STATE_FORMAT) throw fail('is not a consent-metrics state');
  if (manifest.version !== STATE_VERSION) {
    throw fail(`was written in state format version ${JSON.stringify(manifest.version)}; this consent-metrics reads version ${STATE_VERSION}`);
  }
  const problem = manifestProblem(manifest, generation);
  if (problem) throw fail(`is damaged: ${problem}`);
  return manifest;
}

function manifestProblem(manifest: Manifest, generation: number): string | null {
  if (manifest.generation !== generation) return `generation ${manifest.generation} in a file named for ${generation}`;
  if (typeof manifest.root !== 'string') return 'no root';
  if (manifest.lookback !== null && !(Number.isInteger(manifest.lookback) && manifest.lookback >= 0)) return 'a bad lookback';
  if (manifest.metricColumns !== undefined && !(Array.isArray(manifest.metricColumns) && manifest.metricColumns.every((name) => typeof name === 'string'))) return 'bad metric columns';
  if (!Array.isArray(manifest.partitions)) return 'no partitions';
  let previous = '';
  for (const partition of manifest.partitions) {
    if (!isObject(partition) || typeof partition.datehour !== 'string' || partition.datehour <= previous) return 'partitions out of datehour order';
    previous = partition.datehour;
    if (!Array.isArray(partition.files) || !partition.files.every((file) => isObject(file) && typeof file.key === 'string' && Number.isInteger(file.size) && typeof file.version === 'string')) {
      return `bad input files for ${partition.datehour}`;
    }
    if (![partition.rows, partition.kept].every((count) => Number.isInteger(count) && count >= 0) || partition.kept > partition.rows) return `bad counts for ${partition.datehour}`;
    if (!isTally(partition.tally)) return `a bad tally for ${partition.datehour}`;
    for (const name of PARTITION_OBJECTS) {
      const object = partition[name];
      if (!isObject(object) || typeof object.key !== 'string' || !Number.isInteger(object.bytes) || !/^[0-9a-f]{64}$/.test(object.sha256 ?? '')) {
        return `a bad ${name} object for ${partition.datehour}`;
      }
    }
  }
  const { output } = manifest;
  if (output !== null && (!isObject(output) || typeof output.location !== 'string' || !Array.isArray(output.datehours))) return 'a bad output';
  return null;
}

function isTally(tally: TallyCounts): boolean {
  return isObject(tally) && Number.isInteger(tally.lines) && Number.isInteger(tally.invalidTokens) && isObject(tally.rejected) && Array.isArray(tally.examples);
}

const isObject = (value: unknown): value is Record<string, never> => typeof value === 'object' && value !== null && !Array.isArray(value);
