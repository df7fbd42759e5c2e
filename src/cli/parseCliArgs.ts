// The command's flags, parsed and validated, in a module of its own: the executable reads them before it
// loads the rest of the command (main.ts).
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { JobOptions } from '../job/JobOptions.ts';
import { COMPRESSIONS, type CompressionName } from '../write/compressions.ts';

/** The bundled example data, run when no root is given. */
export const EXAMPLE_ROOT = fileURLToPath(new URL('../../fixtures/example/input', import.meta.url));

const FORMATS = ['table', 'csv', 'json'] as const;

/** Parses and validates the flags; throws an Error with a one-line message on bad usage. */
export function parseCliArgs(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string' },
      partitions: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      strict: { type: 'boolean', default: false },
      lookback: { type: 'string' },
      state: { type: 'string' },
      report: { type: 'string' },
      concurrency: { type: 'string' },
      workers: { type: 'string' },
      compression: { type: 'string', default: 'snappy' },
      endpoint: { type: 'string' },
      attempts: { type: 'string' },
      'connect-timeout': { type: 'string' },
      'idle-timeout': { type: 'string' },
      'stall-timeout': { type: 'string' },
      checksums: { type: 'string' },
      queue: { type: 'string' },
      work: { type: 'string' },
      buckets: { type: 'string' },
      memory: { type: 'string' },
      temp: { type: 'string' },
      by: { type: 'string' },
      grain: { type: 'string' },
      keys: { type: 'string' },
      limit: { type: 'string', default: '50' },
      format: { type: 'string', default: 'table' },
      quiet: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (positionals.length > 1) throw new Error(`expected one ROOT, got ${positionals.length}: ${positionals.join(' ')}`);
  const compression = values.compression as CompressionName;
  if (!COMPRESSIONS.includes(compression)) {
    throw new Error(`--compression must be one of ${COMPRESSIONS.join(', ')}, got '${values.compression}'`);
  }
  const format = values.format as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new Error(`--format must be one of ${FORMATS.join(', ')}, got '${values.format}'`);
  if (values.work !== undefined && values.queue === undefined) throw new Error('--work applies with --queue only');
  return {
    help: values.help,
    quiet: values.quiet,
    profile: values.profile,
    format,
    reportPath: values.report,
    limit: wholeNumber('limit', values.limit, 0),
    job: {
      root: positionals[0] ?? EXAMPLE_ROOT,
      out: values.out,
      partitions: values.partitions?.split(',').map((value) => value.trim()).filter(Boolean),
      from: values.from,
      to: values.to,
      strict: values.strict,
      state: values.state === undefined ? undefined : { location: values.state },
      lookback: values.lookback === undefined ? undefined : wholeNumber('lookback', values.lookback, 0),
      concurrency: values.concurrency === undefined ? undefined : wholeNumber('concurrency', values.concurrency, 1),
      workers: values.workers === undefined ? undefined : wholeNumber('workers', values.workers, 0),
      compression,
      queue: values.queue === undefined ? undefined : { url: values.queue, work: values.work },
      buckets: values.buckets === undefined ? undefined : wholeNumber('buckets', values.buckets, 1),
      memory: values.memory,
      temp: values.temp,
      // Checked with the other options (checkOptions): a bad value exits 2 naming the flag.
      by: values.by as JobOptions['by'],
      grain: values.grain as JobOptions['grain'],
      keys: values.keys?.split(',').map((key) => key.trim()) as JobOptions['keys'],
      s3: {
        endpoint: values.endpoint,
        maxAttempts: values.attempts === undefined ? undefined : wholeNumber('attempts', values.attempts, 1),
        connectTimeout: milliseconds('connect-timeout', values['connect-timeout']),
        idleTimeout: milliseconds('idle-timeout', values['idle-timeout']),
        stallTimeout: milliseconds('stall-timeout', values['stall-timeout']),
        checksums: onOrOff('checksums', values.checksums),
      },
    },
  };
}

/** A positive number of seconds, as milliseconds; undefined when the flag is absent. */
export function milliseconds(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new Error(`--${flag} must be a number of seconds above 0, got '${text}'`);
  return Math.round(seconds * 1000);
}

/** `on` as true, `off` as false; undefined when the flag is absent. */
function onOrOff(flag: string, text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  if (text !== 'on' && text !== 'off') throw new Error(`--${flag} must be on or off, got '${text}'`);
  return text === 'on';
}

/** A whole number of at least `min`, from flag `--flag`'s text. */
export function wholeNumber(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min) throw new Error(`--${flag} must be a whole number from ${min}, got '${text}'`);
  return value;
}

