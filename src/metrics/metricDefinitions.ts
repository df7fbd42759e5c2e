// The output's columns and the contract's metrics (SPEC.md), as data: the group keys, then each metric's
// definition over the counted cells and its output type. Plain data, no Arquero: the state records the
// columns its stored metrics have, and a run with a state reads them before Arquero loads.

/**
 * The columns a metrics row is grouped by, and sorted by.
 *
 * @example
 * metrics.orderby(...GROUP_KEYS);
 */
export const GROUP_KEYS = ['datehour', 'domain', 'country'] as const;

/**
 * The contract's metrics (SPEC.md), in output order: each one's definition over the pivot cells (an
 * Arquero expression over the `n_<cell>` and `users_<cell>` columns) and its output type. A new metric over the cells is
 * an entry here; one that needs a new cell also needs the cell counted (CELL_NAMES, the count loop).
 */
export const METRIC_DEFINITIONS: Readonly<Record<string, { type: 'int64' | 'float64'; value: string }>> = {
  pageviews: { type: 'int64', value: 'd => d.n_pageviews_with + d.n_pageviews_without' },
  pageviews_with_consent: { type: 'int64', value: 'd => d.n_pageviews_with' },
  consents_asked: { type: 'int64', value: 'd => d.n_consents_asked_with + d.n_consents_asked_without' },
  consents_asked_with_consent: { type: 'int64', value: 'd => d.n_consents_asked_with' },
  consents_given: { type: 'int64', value: 'd => d.n_consents_given_with + d.n_consents_given_without' },
  consents_given_with_consent: { type: 'int64', value: 'd => d.n_consents_given_with' },
  avg_pageviews_per_user: {
    type: 'float64',
    value: `d => d.n_pageviews_with + d.n_pageviews_without === 0 ? 0
      : (d.n_pageviews_with + d.n_pageviews_without) / (d.users_pageviews_with + d.users_pageviews_without)`,
  },
};

/**
 * The output columns, in order (see SPEC.md): the group's keys, then the metrics.
 *
 * @example
 * metrics.select(...METRIC_COLUMNS); // the output schema's order
 */
export const METRIC_COLUMNS: readonly string[] = [...GROUP_KEYS, ...Object.keys(METRIC_DEFINITIONS)];

/** The metrics that are counts (int64 in the output). */
export const COUNT_METRICS: readonly string[] = Object.keys(METRIC_DEFINITIONS).filter((name) => METRIC_DEFINITIONS[name]!.type === 'int64');

/** The metrics that are ratios (float64 in the output). */
export const RATIO_METRICS: readonly string[] = Object.keys(METRIC_DEFINITIONS).filter((name) => METRIC_DEFINITIONS[name]!.type === 'float64');
