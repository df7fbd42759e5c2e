// runJob's options checked as the CLI checks its flags: every option by name and kind, before anything
// is read, with an OptionError that names the option as code spells it and the flag as the CLI does.
import { OptionError } from '../errors.ts';
import { parseDatehour } from '../partitions/parseDatehour.ts';
import { COMPRESSIONS } from '../write/compressions.ts';
import { BREAKDOWNS, GRAINS, GROUP_KEY_NAMES } from '../metrics/grouping.ts';
import type { JobOptions } from './JobOptions.ts';

/** Each option: its flag (or none), and what it must be, as a check and as words. */
const OPTIONS: Record<keyof JobOptions, { flag?: string; is: (value: unknown) => boolean; expected: string }> & Checks = {
  root: { is: isText, expected: 'a folder or s3://bucket/prefix, as a string' },
  out: { flag: '--out', is: isText, expected: 'a path or s3:// location, as a string' },
  partitions: { flag: '--partitions', is: (value) => Array.isArray(value) && value.length > 0 && value.every(isDatehour), expected: "a list of datehours YYYY-MM-DD-HH, e.g. ['2021-01-23-10']" },
  from: { flag: '--from', is: isDatehour, expected: 'a datehour YYYY-MM-DD-HH' },
  to: { flag: '--to', is: isDatehour, expected: 'a datehour YYYY-MM-DD-HH' },
  s3: { is: isObject, expected: 'an object of S3 settings, e.g. s3: { endpoint: \'http://127.0.0.1:9000\' }' },
  compression: { flag: '--compression', is: (value) => COMPRESSIONS.includes(value as never), expected: `one of ${COMPRESSIONS.join(', ')}` },
  lookback: { flag: '--lookback', is: (value) => wholeFrom(value, 0), expected: 'a whole number of hours from 0' },
  state: { flag: '--state', is: isObject, expected: "an object with location as a string, e.g. state: { location: '...' }" },
  strict: { flag: '--strict', is: (value) => typeof value === 'boolean', expected: 'true or false' },
  concurrency: { flag: '--concurrency', is: (value) => wholeFrom(value, 1), expected: 'a whole number from 1' },
  workers: { flag: '--workers', is: (value) => wholeFrom(value, 0), expected: 'a whole number from 0' },
  splitBytes: { is: (value) => wholeFrom(value, 1), expected: 'a whole number of bytes from 1' },
  onPartition: { is: isFunction, expected: 'a function' },
  onTask: { is: isFunction, expected: 'a function' },
  queue: { flag: '--queue', is: isObject, expected: "an object with url as a string, e.g. queue: { url: '...' }" },
  buckets: { flag: '--buckets', is: (value) => wholeFrom(value, 1), expected: 'a whole number from 1' },
  dedupLanes: { is: (value) => wholeFrom(value, 1), expected: 'a whole number from 1' },
  countShards: { is: (value) => wholeFrom(value, 1), expected: 'a whole number from 1' },
  memory: { flag: '--memory', is: (value) => typeof value === 'number' || isText(value), expected: 'a size such as 512MiB, 4GB or a number of bytes' },
  temp: { flag: '--temp', is: isText, expected: 'a folder, as a string' },
  by: { flag: '--by', is: (value) => BREAKDOWNS.includes(value as never), expected: `one of ${BREAKDOWNS.join(', ')}` },
  grain: { flag: '--grain', is: (value) => GRAINS.includes(value as never), expected: `one of ${GRAINS.join(', ')}` },
  keys: {
    flag: '--keys',
    is: (value) => Array.isArray(value) && value.length > 0 && value.every((key) => GROUP_KEY_NAMES.includes(key)) && new Set(value).size === value.length,
    expected: `a list of ${GROUP_KEY_NAMES.join(' and/or ')}, each once, e.g. ['domain']`,
  },
};

type Checks = Record<string, { flag?: string; is: (value: unknown) => boolean; expected: string }>;

/** The fields of the nested options, checked as the top-level ones, named `s3.endpoint` and so on. */
const NESTED: Record<'s3' | 'queue' | 'state', Checks> = {
  s3: {
    client: { is: isObject, expected: 'an S3Client' },
    endpoint: { flag: '--endpoint', is: isText, expected: 'a URL, as a string' },
    region: { is: isText, expected: 'a region name, as a string' },
    credentials: { is: isObject, expected: 'an object of accessKeyId and secretAccessKey' },
    maxAttempts: { flag: '--attempts', is: (value) => wholeFrom(value, 1), expected: 'a whole number from 1' },
    connectTimeout: { flag: '--connect-timeout', is: isPositive, expected: 'a number of milliseconds above 0' },
    idleTimeout: { flag: '--idle-timeout', is: isPositive, expected: 'a number of milliseconds above 0' },
    stallTimeout: { flag: '--stall-timeout', is: isPositive, expected: 'a number of milliseconds above 0' },
    checksums: { flag: '--checksums', is: (value) => typeof value === 'boolean', expected: 'true or false' },
  },
  queue: {
    url: { flag: '--queue', is: (value) => typeof value === 'string' && /^rediss?:\/\//.test(value), expected: 'a redis:// or rediss:// URL' },
    work: { flag: '--work', is: isText, expected: 'a folder or s3:// prefix, as a string' },
    timeout: { is: isPositive, expected: 'a number of milliseconds above 0' },
    onTask: { is: isFunction, expected: 'a function' },
  },
  state: { location: { flag: '--state', is: isText, expected: 'a folder or s3:// prefix, as a string' } },
};

/**
 * Throws an OptionError unless every option of `options` is one `runJob` knows, of the kind it takes
 * (`undefined` is an option left out), datehours in their form. Values are checked further where they
 * are used (a size, a power of two, nested options' fields).
 *
 * @example
 * checkOptions({ root: 'data', compression: 'gzip' }); // OptionError: compression (--compression) must be one of snappy, zstd, none, got "gzip"
 */
export function checkOptions(options: Partial<JobOptions>, { caller = 'runJob', only }: { caller?: string; only?: readonly (keyof JobOptions)[] } = {}): void {
  if (typeof options !== 'object' || options === null) throw new OptionError(`${caller} takes an object of options, e.g. ${caller}({ root: 'data/events' }), got ${describe(options)}`);
  const known = only ? Object.fromEntries(only.map((name) => [name, OPTIONS[name]])) : OPTIONS;
  checkFields(options as unknown as Record<string, unknown>, known, '', `${caller} takes`);
  for (const name of ['s3', 'queue', 'state'] as const) {
    if (options[name] !== undefined) checkFields(options[name] as Record<string, unknown>, NESTED[name], `${name}.`, `${name} takes`);
  }
  if (options.root === undefined) throw new OptionError(`root must be ${OPTIONS.root.expected}, got nothing`);
}

/** Each field of `values` known to `checks` and of its kind; `prefix` names a nested option's fields (`s3.`). */
function checkFields(values: Record<string, unknown>, checks: Checks, prefix: string, takes: string): void {
  for (const [name, value] of Object.entries(values)) {
    const check = Object.hasOwn(checks, name) ? checks[name] : undefined;
    if (!check) throw new OptionError(`unknown option ${prefix}${name}${nearest(name, Object.keys(checks), prefix)}; ${takes} ${Object.keys(checks).join(', ')}`);
    if (value === undefined) continue;
    if (!check.is(value)) throw new OptionError(`${prefix}${name}${check.flag ? ` (${check.flag})` : ''} must be ${check.expected}, got ${describe(value)}`);
  }
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositive(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
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

/** `(did you mean lookback?)` for a name one or two letters off a known one, else nothing. */
function nearest(name: string, known: readonly string[], prefix: string): string {
  // At most 2 edits, and fewer than half the name's letters: a short name is not near every other one (`by` is not `to`).
  const most = Math.min(2, Math.floor((name.length - 1) / 2));
  const close = known.find((candidate) => candidate.toLowerCase() === name.toLowerCase())
    ?? known.map((candidate) => ({ candidate, edits: distance(candidate, name) })).filter(({ edits }) => edits <= most).sort((a, b) => a.edits - b.edits)[0]?.candidate;
  return close ? ` (did you mean ${prefix}${close}?)` : '';
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
