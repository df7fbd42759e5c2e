import { basename, dirname } from 'node:path';
import { localSink } from './localSink.ts';
import type { Sink } from './Sink.ts';

/** Where `--out` points: a sink and the key under it (a folder prefix ending in `/` for per-datehour files). */
export interface OutputTarget {
  sink: Sink;
  key: string;
  /** `true` when the target ends in `/`: one file per datehour under it. */
  byDatehour: boolean;
}

/**
 * Resolves an output location: `out/metrics.parquet` (one file) or `out/` (one file per datehour).
 *
 * @example
 * const { sink, key } = openSink('out/metrics.parquet');
 */
export function openSink(out: string): OutputTarget {
  const byDatehour = out.endsWith('/');
  return byDatehour
    ? { sink: localSink(out), key: '', byDatehour }
    : { sink: localSink(dirname(out)), key: basename(out), byDatehour };
}
