import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { float64, int64, utf8 } from '@uwdata/flechette';
import { METRIC_COLUMNS } from '../metrics/computeMetrics.ts';

/** The output schema of SPEC.md: utf8 keys, int64 counts, float64 average. */
const METRIC_TYPES = {
  datehour: utf8(),
  domain: utf8(),
  country: utf8(),
  pageviews: int64(),
  pageviews_with_consent: int64(),
  consents_asked: int64(),
  consents_asked_with_consent: int64(),
  consents_given: int64(),
  consents_given_with_consent: int64(),
  avg_pageviews_per_user: float64(),
} satisfies Record<(typeof METRIC_COLUMNS)[number], unknown>;

/**
 * The metrics as Arrow IPC stream bytes with exactly the output schema (without `types`, Arrow
 * would pick the narrowest integer type). Readable by apache-arrow, parquet-wasm and flechette.
 *
 * @example
 * const table = tableFromIPC(metricsToArrowIPC(metrics)); // apache-arrow
 */
export function metricsToArrowIPC(metrics: ColumnTable): Uint8Array {
  return aq.toArrowIPC(metrics, { columns: [...METRIC_COLUMNS], types: METRIC_TYPES });
}
