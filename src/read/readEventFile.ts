import { ConsentMetricsError } from '../errors.ts';
import { Tally } from '../report/Tally.ts';
import type { Source } from '../source/Source.ts';
import { EventColumns } from './EventColumns.ts';
import { forEachLine } from './forEachLine.ts';
import { gunzipIfNeeded } from './gunzipIfNeeded.ts';

/** `_SUCCESS` markers, `.crc` checksums and other hidden files are not data. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}

/**
 * Reads one JSON Lines file (plain or gzip) into columns, tallying the lines it rejects. Blank lines
 * are skipped and counted nowhere.
 *
 * @example
 * const { columns, tally } = await readEventFile(source, 'datehour=2021-01-23-10/part-0.json');
 */
export async function readEventFile(source: Source, key: string, strict = false): Promise<{ columns: EventColumns; tally: Tally }> {
  const where = source.describe(key);
  const columns = new EventColumns(where);
  const tally = new Tally(strict);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    await forEachLine(gunzipIfNeeded(await source.open(key)), (bytes, lineNumber) => {
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        tally.lines++;
        tally.report({ reason: 'invalid_json', file: where, line: lineNumber, detail: 'not valid UTF-8' });
        return;
      }
      if (text.trim() === '') return;
      tally.lines++;
      const rejected = columns.appendJsonLine(text, lineNumber);
      if (rejected) tally.report({ ...rejected, file: where, line: lineNumber });
    });
  } catch (error) {
    if (error instanceof ConsentMetricsError) throw error;
    throw new ConsentMetricsError(`cannot read ${where}: ${(error as Error).message}`);
  }
  return { columns, tally };
}
