const DATEHOUR = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})$/;

/**
 * Validates a datehour value `YYYY-MM-DD-HH` (a real calendar date, hour 00-23).
 * Returns the value, or `null` when it is not one.
 *
 * @example
 * parseDatehour('2021-01-23-10'); // '2021-01-23-10'
 * parseDatehour('2021-02-30-10'); // null
 */
export function parseDatehour(value: string): string | null {
  const match = DATEHOUR.exec(value);
  if (!match) return null;
  const [year, month, day, hour] = match.slice(1).map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  const isRealDay = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return isRealDay && hour <= 23 ? value : null;
}

/**
 * The datehour of a Hive partition folder name `datehour=YYYY-MM-DD-HH`, or `null` when the name is
 * not a datehour partition or its value is malformed.
 *
 * @example
 * datehourFromFolder('datehour=2021-01-23-10'); // '2021-01-23-10'
 * datehourFromFolder('datehour=yesterday');     // null
 */
export function datehourFromFolder(name: string): string | null {
  const prefix = 'datehour=';
  return name.startsWith(prefix) ? parseDatehour(name.slice(prefix.length)) : null;
}

/**
 * Whole hours from 1970-01-01 00:00 UTC to a datehour `YYYY-MM-DD-HH` (validated by `parseDatehour`
 * first): the time a lookback measures in.
 *
 * @example
 * hoursSince1970('2021-01-23-11') - hoursSince1970('2021-01-23-10'); // 1
 */
export function hoursSince1970(datehour: string): number {
  const [year, month, day, hour] = datehour.split('-').map(Number) as [number, number, number, number];
  return Date.UTC(year, month - 1, day, hour) / 3_600_000;
}
