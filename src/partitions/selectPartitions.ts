import { ConsentMetricsError, OptionError } from '../errors.ts';
import type { Source } from '../source/Source.ts';
import { datehourFromFolder, parseDatehour } from './parseDatehour.ts';

/**
 * One hourly partition of a source.
 *
 * @example
 * const hour: Partition = { datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' };
 */
export interface Partition {
  /** `YYYY-MM-DD-HH`, from the folder name. */
  datehour: string;
  /** The folder's key under the source root, e.g. `datehour=2021-01-23-10`. */
  key: string;
}

/**
 * Which partitions a run reads. With none of these set, all of them.
 *
 * @example
 * const lastDay: PartitionSelection = { from: '2021-01-23-00', to: '2021-01-23-23' };
 * await runJob({ root: 'data/events', ...lastDay });
 */
export interface PartitionSelection {
  /** Exactly these datehours; each must exist. Default: all. */
  partitions?: string[];
  /** First datehour of an inclusive range. Default: no lower bound. */
  from?: string;
  /** Last datehour of an inclusive range. Default: no upper bound. */
  to?: string;
}

/**
 * The partitions a selection found, and what was skipped on the way.
 *
 * @example
 * const { partitions, warnings }: SelectedPartitions = await selectPartitions(source);
 */
export interface SelectedPartitions {
  /** The selected partitions, in ascending datehour order. */
  partitions: Partition[];
  /** Folders that look like partitions but whose value is malformed; they are not read. */
  warnings: string[];
}

/**
 * Discovers the `datehour=` folders under a source's root and selects some of them, in ascending
 * datehour order. Fails with a one-line error when a listed partition is missing or nothing matched.
 *
 * @example
 * const { partitions } = await selectPartitions(source, { from: '2021-01-23-10', to: '2021-01-23-10' });
 */
export async function selectPartitions(source: Source, selection: PartitionSelection = {}): Promise<SelectedPartitions> {
  const { partitions: wanted, from, to } = selection;
  for (const [name, value] of [['from', from], ['to', to]] as const) {
    if (value !== undefined && (typeof value !== 'string' || parseDatehour(value) === null)) {
      throw new OptionError(`${name} (--${name}) expects a datehour YYYY-MM-DD-HH, got ${JSON.stringify(value)}`);
    }
  }
  if (wanted !== undefined && !Array.isArray(wanted)) {
    throw new OptionError(`partitions (--partitions) expects a list of datehours, e.g. ['2021-01-23-10'], got ${JSON.stringify(wanted)}`);
  }
  for (const value of wanted ?? []) {
    if (typeof value !== 'string' || parseDatehour(value) === null) {
      throw new OptionError(`partitions (--partitions) expects datehours YYYY-MM-DD-HH, got ${JSON.stringify(value)}`);
    }
  }
  if (from !== undefined && to !== undefined && from > to) {
    throw new OptionError(`from (--from) ${from} is after to (--to) ${to}`);
  }

  const warnings: string[] = [];
  const found: Partition[] = [];
  for (const key of await source.listFolders('')) {
    const datehour = datehourFromFolder(key);
    if (datehour !== null) found.push({ datehour, key });
    else if (key.startsWith('datehour=')) warnings.push(`ignored partition with a malformed datehour: ${source.describe(key)}`);
  }
  found.sort((a, b) => (a.datehour < b.datehour ? -1 : a.datehour > b.datehour ? 1 : 0));

  let selected = found;
  if (wanted) {
    const byDatehour = new Map(found.map((partition) => [partition.datehour, partition]));
    const missing = wanted.filter((datehour) => !byDatehour.has(datehour));
    if (missing.length > 0) {
      throw new ConsentMetricsError(`partition not found: ${missing.map((d) => source.describe(`datehour=${d}`)).join(', ')}`);
    }
    const set = new Set(wanted);
    selected = found.filter((partition) => set.has(partition.datehour));
  }
  selected = selected.filter(
    (partition) => (from === undefined || partition.datehour >= from) && (to === undefined || partition.datehour <= to),
  );
  if (selected.length === 0) {
    const range = from !== undefined || to !== undefined ? ` between ${from ?? 'the first'} and ${to ?? 'the last'}` : '';
    throw new ConsentMetricsError(`no datehour= partitions${range} under ${source.describe()}`);
  }
  return { partitions: selected, warnings };
}
