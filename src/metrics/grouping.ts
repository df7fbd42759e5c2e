// How a run's rows are grouped (SPEC.md, "Events, breakdowns and grain"): the time grain, the keys
// kept, and whether the rows are the metrics or a breakdown by purpose or vendor. Plain data.

/**
 * The breakdowns a run can give in place of the metrics.
 *
 * @example
 * BREAKDOWNS.includes('vendor'); // true
 */
export const BREAKDOWNS = ['purpose', 'vendor'] as const;
/**
 * `purpose` or `vendor`.
 *
 * @example
 * const by: Breakdown = 'vendor';
 */
export type Breakdown = (typeof BREAKDOWNS)[number];

/**
 * The time grains: an hour (`datehour`) or a day (`date`, `YYYY-MM-DD`).
 *
 * @example
 * GRAINS[1]; // 'day'
 */
export const GRAINS = ['hour', 'day'] as const;
/**
 * `hour` or `day`.
 *
 * @example
 * const grain: Grain = 'day';
 */
export type Grain = (typeof GRAINS)[number];

/**
 * The keys a run may group by besides time, in output order.
 *
 * @example
 * GROUP_KEY_NAMES; // ['domain', 'country']
 */
export const GROUP_KEY_NAMES = ['domain', 'country'] as const;
/**
 * `domain` or `country`.
 *
 * @example
 * const keys: GroupKeyName[] = ['domain'];
 */
export type GroupKeyName = (typeof GROUP_KEY_NAMES)[number];

/**
 * A run's grouping: `by` (none: the metrics), `grain` and `keys`.
 *
 * @example
 * const grouping: Grouping = { by: 'purpose', grain: 'day', keys: ['domain'] };
 */
export interface Grouping {
  /** A breakdown by purpose or vendor in place of the metrics. Default: the metrics. */
  by?: Breakdown;
  /** Hourly rows (`datehour`) or daily rows (`date`). Default: `'hour'`. */
  grain?: Grain;
  /** The keys kept, among `domain` and `country`; a key left out merges its groups. Default: both. */
  keys?: readonly GroupKeyName[];
}

/**
 * Whether a grouping is the job's standard one: the metrics per hour, domain and country.
 *
 * @example
 * isStandard({ grain: 'hour' }); // true
 */
export function isStandard({ by, grain = 'hour', keys }: Grouping): boolean {
  return by === undefined && grain === 'hour' && (keys === undefined || keys.length === 2);
}

/**
 * The time column of a grain.
 *
 * @example
 * timeColumn('day'); // 'date'
 */
export function timeColumn(grain: Grain = 'hour'): 'datehour' | 'date' {
  return grain === 'day' ? 'date' : 'datehour';
}

/**
 * The time value of a datehour at a grain: the datehour, or its first ten characters, the date.
 *
 * @example
 * timeOf('2021-01-23-10', 'day'); // '2021-01-23'
 */
export function timeOf(datehour: string, grain: Grain = 'hour'): string {
  return grain === 'day' ? datehour.slice(0, 10) : datehour;
}

/**
 * The keys kept, in output order (`domain` before `country`, whatever order they were given in).
 *
 * @example
 * keptKeys(['country', 'domain']); // ['domain', 'country']
 */
export function keptKeys(keys: readonly GroupKeyName[] | undefined): GroupKeyName[] {
  return GROUP_KEY_NAMES.filter((key) => keys === undefined || keys.includes(key));
}

/**
 * The columns a breakdown row has after its time column and keys (SPEC.md): the type, the name, and its counts.
 *
 * @example
 * breakdownColumns('vendor'); // ['type', 'vendor', 'events', 'enabled', 'disabled']
 */
export function breakdownColumns(by: Breakdown): string[] {
  return ['type', by, ...BREAKDOWN_COUNTS];
}

/**
 * A breakdown's counts, each int64: the group's events of the type, and of those, the events whose token
 * lists the name as enabled, and as disabled.
 *
 * @example
 * BREAKDOWN_COUNTS[0]; // 'events'
 */
export const BREAKDOWN_COUNTS = ['events', 'enabled', 'disabled'] as const;
