// Arquero itself, for scripts and notebooks that have not installed it: the same copy the job's tables
// come from (its reference: https://idl.uw.edu/arquero/api/).
import * as arquero from 'arquero';

/**
 * Arquero's API (tables, verbs, `from`, `fromArrow`, `desc`...), the copy consent-metrics uses.
 *
 * @example
 * const byCountry = aq.table({ country: ['FR', 'DE', 'FR'], pageviews: [3, 1, 2] }).groupby('country').rollup({ pageviews: op.sum('pageviews') });
 */
export const aq: typeof arquero = arquero;

/**
 * Arquero's expression functions (`op.sum`, `op.mean`, `op.parse_json`...), for verbs' expressions.
 *
 * @example
 * metrics.rollup({ consent_rate: (d) => op.sum(d.pageviews_with_consent) / op.sum(d.pageviews) });
 */
export const op: typeof arquero.op = arquero.op;
