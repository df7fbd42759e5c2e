// runJob's options checked as the CLI checks its flags: every option by name and kind, before anything
// is read, with an OptionError that names the option as code spells it and the flag as the CLI does.
import { OptionError } from '../errors.ts';
import { parseDatehour } from '../partitions/parseDatehour.ts';
import { COMPRESSIONS } from '../write/compressions.ts';
import type { JobOptions } from './JobOptions.ts';

/** Each option: its flag (or none), and what it must be, as a check and as words. */
const OPTIONS: Record<keyof JobOptions, { flag?: string; is: (value: unknown) => boolean; expected: string }> = {
  root: { is: isText, expected: 'a folder or s3://bucket/prefix, as a string' },
  out: { flag: '--out', is: isText, expected: 'a path or s3:// location, as a string' },
  partitions: { flag: '--partitions', is: (value) => Array.isArray(value) && value.length > 0 && value.every(isDatehour), expected: "a list of datehours YYYY-MM-DD-HH, e.g. ['2021-01-23-10']" },
  from: { flag: '--from', is: isDatehour, expected: 'a datehour YYYY-MM-DD-HH' },
  to: { flag: '--to', is: isDatehour, expected: 'a datehour YYYY-MM-DD-HH' },
  s3: { flag: '--endpoint', is: (value) => typeof value === 'object' && value !== null, expected: 'an object of S3 settings' },
  compression: { flag: '--compression', is: (value) => COMPRESSIONS.includes(value as never), expected: `one of ${COMPRESSIONS.join(', ')}` },
  lookback: { flag: '--lookback', is: (value) => wholeFrom(value, 0), expected: 'a whole number of hours from 0' },
  state: { flag: '--state', is: () => true, expected: '' }, // nested: runJob checks its fields (refuseUnused)
  strict: { flag: '--strict', is: (value) => typeof value === 'boolean', expected: 'true or false' },
  concurrency: { flag: '--concurrency', is: (value) => wholeFrom(value, 1), expected: 'a whole number from 1' },
  workers: { flag: '--workers', is: (value) => wholeFrom(value, 0), expected: 'a whole number from 0' },
  splitBytes: { is: (value) => wholeFrom(value, 1), expected: 'a whole number of bytes from 1' },
  onPartition: { is: isFunction, expected: 'a function' },
  onTask: { is: isFunction, expected: 'a function' },
  queue: { flag: '--queue', is: () => true, expected: '' }, // nested: runJob checks its fields (refuseUnused)
  buckets: { flag: '--buckets', is: (value) => wholeFrom(value, 1), expected: 'a whole number from 1' },
  dedupLanes: { is: (value) => wholeFrom(value, 1), expected: 'a whole number from 1' },
  countShards: { is: (value) => wholeFrom(value, 1), expected: 'a whole number from 1' },
  memory: { flag: '--memory', is: (value) => typeof value === 'number' || isText(value), expected: 'a size such as 512MiB, 4GB or a number of bytes' },
  temp: { flag: '--temp', is: isText, expected: 'a folder, as a string' },
};

/**
 * Throws an OptionError unless every option of `options` is one `runJob` knows, of the kind it takes
 * (`undefined` is an option left out), datehours in their form. Values are checked further where they
 * are used (a size, a power of two, nested options' fields).
 *
 * @example
 * checkOptions({ root: 'data', compression: 'gzip' }); // OptionError: compression (--compression) must be one of snappy, zstd, none, got "gzip"
 */
export function checkOptions(options: JobOptions): void {
  if (typeof options !== 'object' || options === null) throw new OptionError(`runJob takes an object of options, e.g. runJob({ root: 'data/events' }), got ${describe(options)}`);
  for (const [name, value] of Object.entries(options)) {
    const option = Object.hasOwn(OPTIONS, name) ? OPTIONS[name as keyof JobOptions] : undefined;
    if (!option) throw new OptionError(`unknown option ${name}${nearest(name)}; runJob takes ${Object.keys(OPTIONS).join(', ')}`);
    if (value === undefined) continue;
    if (!option.is(value)) throw new OptionError(`${name}${option.flag ? ` (${option.flag})` : ''} must be ${option.expected}, got ${describe(value)}`);
  }
  if (options.root === undefined) throw new OptionError(`root must be ${OPTIONS.root.expected}, got nothing`);
}

function isDatehour(value: unknown): boolean {
  return typeof value === 'string' && parseDatehour(value) !== null;
}

function isText(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

function isFunction(value: unknown): boolean {
  return typeof value === 'function';
}

function wholeFrom(value: unknown, least: number): boolean {
  return Number.isInteger(value) && (value as number) >= least;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value); // a value JSON cannot hold (a BigInt inside, a cycle)
  }
}

/** `(did you mean lookback?)` for a name one or two letters off a known option, else nothing. */
function nearest(name: string): string {
  const close = Object.keys(OPTIONS).find((known) => known.toLowerCase() === name.toLowerCase() || distance(known, name) <= 2);
  return close ? ` (did you mean ${close}?)` : '';
}

/** Edits (insert, delete, replace) from `a` to `b`. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, at) => at);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}
