import { parseArgs } from 'node:util';
import { ConsentMetricsError, MetricsNotKeptError, OptionError } from '../errors.ts';
import { formatMemory, summarizeReport } from '../report/RunReport.ts';
import { formatStageTimes } from '../report/StageTimes.ts';
import { runJob } from '../job/runJob.ts';
import { writeEvents } from '../job/readEvents.ts';
import { openSink } from '../write/openSink.ts';
import { formatTable } from '../write/formatTable.ts';
import { milliseconds, parseCliArgs, wholeNumber } from './parseCliArgs.ts';
import { formatCsv, formatJson } from './formatRows.ts';
import { createProgress, type ProgressStream } from './progress.ts';


export const USAGE = `Usage: consent-metrics [ROOT] [options]
       consent-metrics events [ROOT] [--out FILE.parquet|DIR/] [selection, --lookback, --strict, S3 options]
       consent-metrics worker --queue redis://HOST:PORT [--concurrency N] [--lock-duration SECONDS]

Consent metrics per hour, domain and country from JSON Lines events in datehour=YYYY-MM-DD-HH/ folders.
ROOT is a local folder or s3://bucket/prefix. Without ROOT, runs on the bundled example data.

Options:
  --out FILE.parquet        write the metrics as Parquet, to a path or s3://bucket/key.parquet;
                            a location ending in / writes DIR/datehour=.../part-0.parquet, one per datehour read
  --partitions LIST         read only these datehours, comma-separated (each must exist)
  --from DATEHOUR           first datehour to read, inclusive (YYYY-MM-DD-HH)
  --to DATEHOUR             last datehour to read, inclusive
  --state LOCATION          keep what later runs need in this folder or s3:// prefix: a later run reads only
                            new or changed partitions and gives what one run over all of them would
  --lookback HOURS          a copy of an id counts again when its kept copy is more than HOURS before it
                            (default: unlimited, the first copy in the run wins)
  --strict                  fail on the first rejected line or invalid token, naming file and line; write nothing
  --report FILE.json        write the run report (a path or s3://...) (lines, duplicates, rejected by reason, invalid tokens) as JSON
  --concurrency N           files read at once (default 8; S3 objects on worker threads: 4 a thread, at least 8)
  --workers N               threads parsing files (default: one per 128 MiB of local files, one per core
                            for S3, at most 8; 0 parses on the main thread)
  --compression CODEC       snappy (default), zstd or none
  --endpoint URL            S3-compatible endpoint (MinIO, s3rver), path-style addressing
                            (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else AWS)
  --attempts N              S3 attempts per request and per object body, with backoff (default 5)
  --connect-timeout SECONDS S3 connection not open by then: retried (default 5)
  --idle-timeout SECONDS    S3 response or body silent this long: retried, a body from where it stopped (default 30)
  --stall-timeout SECONDS   S3 body silent this long (or 20x the run's usual gap): asked for again on another
                            connection beside the stalled one, an upload sent again (default 2)
  --checksums on|off        check each whole S3 object against the CRC64NVME checksum S3 sends (default on);
                            a body that does not match is read again whole
  --queue redis://HOST:PORT run as tasks on 'consent-metrics worker' processes sharing this Redis (BullMQ)
  --work LOCATION           with --queue: a folder or s3:// prefix every worker reaches, emptied at the end
  --memory SIZE             memory the run may use, e.g. 512MiB or 4GB (default: 80% of the machine's, or of its
                            container's limit); input that would not fit runs in tasks sized to it, keeping
                            the rest in --temp
  --temp DIR                where a run under --memory keeps what does not fit (default: the OS's temporary folder)
  --by purpose|vendor       a breakdown in place of the metrics: per group, type and name, the events and
                            those whose token lists the name enabled or disabled
  --grain hour|day          rows per datehour (default) or per date, users distinct over the day
  --keys domain,country     the keys besides time (default both; domain or country alone merges the other's groups)
  --buckets N               id buckets, shared out among the dedup lanes (default 64); with --queue, each one dedup
                            task's share (default: one per 176 MiB of input, at least 4)
  --format FORMAT           stdout: table (default, the first --limit rows), csv or json (every row)
  --limit N                 rows of the table format (default 50)
  --quiet                   no report summary or progress on stderr (errors still are)
  --profile                 print where the time went, by stage, on stderr
  -h, --help                show this help

Events: the deduplicated events, one row each, with the token's purposes and vendors as lists; as Parquet to
--out (DIR/ writes one file per datehour), else the first --limit rows to stdout.

Worker: takes tasks of queued runs until SIGTERM or SIGINT, then finishes the tasks in hand and exits 0.
  --concurrency N           tasks at once, each on one core (default 1: run a worker per core, or set the cores)
  --lock-duration SECONDS   a killed worker's task goes to another worker after this (default 30)

Examples:
  consent-metrics data/events --out out/metrics.parquet
  consent-metrics data/events --from 2021-01-23-10 --to 2021-01-23-11 --report out/report.json
  consent-metrics data/events --partitions 2021-01-23-10 --strict --out out/by-hour/
  consent-metrics s3://events/raw --out s3://results/consent-metrics/ --endpoint http://127.0.0.1:9000
  consent-metrics data/events --by purpose --grain day --keys domain --format csv
  consent-metrics events data/events --from 2021-01-23-00 --to 2021-01-23-23 --out out/events.parquet
  consent-metrics worker --queue redis://10.0.0.5:6379
  consent-metrics s3://events/raw --out s3://results/m.parquet --queue redis://10.0.0.5:6379 --work s3://scratch/cm

The metrics go to stdout; the report summary, and progress when stderr is a terminal, to stderr.
Exit codes: 0 done, 1 failed (bad input or setup, one line on stderr), 2 bad usage.`;

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where progress is drawn (only if it is a terminal). */
  progress: ProgressStream;
}

const defaultIo: Io = {
  stdout: (text) => process.stdout.write(text + '\n'),
  stderr: (text) => process.stderr.write(text + '\n'),
  progress: process.stderr,
};

/**
 * Runs the command line and returns the exit code. A user's mistake prints one line, no stack.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: string[], io: Io = defaultIo): Promise<number> {
  if (argv[0] === 'worker') return runWorkerCli(argv.slice(1), io);
  const events = argv[0] === 'events';
  let flags;
  try {
    flags = parseCliArgs(events ? argv.slice(1) : argv);
    if (events) refuseForEvents(flags.job);
  } catch (error) {
    io.stderr(`consent-metrics: ${(error as Error).message.split('. ')[0]}\nTry 'consent-metrics --help'.`);
    return 2;
  }
  if (flags.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (events) return runEventsCli(flags, io);
  const progress = createProgress(flags.quiet ? {} as ProgressStream : io.progress);
  try {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const { queue, state } = flags.job;
    // Progress by partition where this process takes them (a local run, or one with a state); by task where tasks run (workers, or a run that spills).
    const job = { ...flags.job, ...((!queue || state) && { onPartition: progress.update }), ...(!queue && !state && { onTask: progress.task }), ...(queue && { queue: { ...queue, onTask: progress.task } }) };
    const result = await runJob(job).finally(progress.done);
    const { report, written, times } = result;
    const metrics = () => result.metrics; // a run under --memory whose output did not fit writes the rows without keeping them
    const wall = performance.now() - started;
    if (flags.reportPath) {
      const { sink, key } = await openSink(flags.reportPath, flags.job.s3);
      await sink.write([{ key, bytes: Buffer.from(JSON.stringify(report, null, 2) + '\n') }]);
    }
    let printed;
    try {
      printed = metrics();
    } catch (error) {
      if (!(error instanceof MetricsNotKeptError)) throw error;
      // The table is a look at the first rows; csv and json promise every row on stdout, which it cannot give.
      if (flags.format !== 'table') throw new ConsentMetricsError(`${error.message}; --format ${flags.format} needs them all (give more --memory, or read ${error.written.join(', ')})`);
      io.stderr(`consent-metrics: ${error.rows} rows written, not printed: more than --memory keeps in memory`);
    }
    if (printed) io.stdout(flags.format === 'csv' ? formatCsv(printed) : flags.format === 'json' ? formatJson(printed) : formatTable(printed, { limit: flags.limit }));
    if (!flags.quiet) {
      io.stderr(summarizeReport(report));
      for (const location of written) io.stderr(`wrote ${location}`);
    }
    if (flags.profile) {
      const { user, system } = process.cpuUsage(cpuBefore);
      io.stderr(formatStageTimes(times, wall, (user + system) / 1000));
      if (report.memory && (flags.quiet || report.memory.spilled === 0)) io.stderr(formatMemory(report.memory)); // else in the summary
    }
    return 0;
  } catch (error) {
    if (error instanceof ConsentMetricsError) {
      io.stderr(`consent-metrics: ${error.message}`);
      return error instanceof OptionError ? 2 : 1;
    }
    throw error;
  }
}

/** The flags of a metrics run that `consent-metrics events` has no use for: refused, never ignored. */
function refuseForEvents(job: ReturnType<typeof parseCliArgs>['job']): void {
  const unused = (['state', 'queue', 'buckets', 'memory', 'temp', 'by', 'grain', 'keys'] as const).filter((name) => job[name] !== undefined);
  if (unused.length > 0) throw new Error(`events does not take ${unused.map((name) => `--${name}`).join(', ')}: it writes every deduplicated event, in this process`);
}

/** `consent-metrics events`: the deduplicated events to `--out` as Parquet, or their first rows to stdout. */
async function runEventsCli(flags: ReturnType<typeof parseCliArgs>, io: Io): Promise<number> {
  const { root, out, compression, partitions, from, to, lookback, strict, concurrency, workers, s3 } = flags.job;
  const reading = { root, partitions, from, to, lookback, strict, concurrency, workers, s3 };
  try {
    let report;
    if (out !== undefined) {
      const result = await writeEvents({ ...reading, out, compression });
      report = result.report;
      if (!flags.quiet) for (const location of result.written) io.stderr(`wrote ${location}`);
    } else {
      const { eventsOfRun } = await import('../job/readEvents.ts');
      const { eventsToArquero } = await import('../job/eventsOutput.ts');
      const tables = [];
      for await (const partition of eventsOfRun(reading)) {
        tables.push(partition.events!);
        report = partition.report();
      }
      const table = eventsToArquero(tables);
      io.stdout(flags.format === 'csv' ? formatCsv(table) : flags.format === 'json' ? formatJson(table) : formatTable(table, { limit: flags.limit }));
    }
    if (flags.reportPath && report) {
      const { sink, key } = await openSink(flags.reportPath, s3);
      await sink.write([{ key, bytes: Buffer.from(JSON.stringify(report, null, 2) + '\n') }]);
    }
    if (!flags.quiet && report) io.stderr(summarizeReport(report));
    return 0;
  } catch (error) {
    if (error instanceof ConsentMetricsError) {
      io.stderr(`consent-metrics: ${error.message}`);
      return error instanceof OptionError ? 2 : 1;
    }
    throw error;
  }
}

/** `consent-metrics worker`: takes tasks until SIGTERM or SIGINT, then finishes those in hand and returns 0. */
async function runWorkerCli(argv: string[], io: Io): Promise<number> {
  let options;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { queue: { type: 'string' }, concurrency: { type: 'string', default: '1' }, 'lock-duration': { type: 'string' } },
    });
    if (positionals.length > 0) throw new Error(`a worker takes no ROOT, got ${positionals.join(' ')}`);
    if (values.queue === undefined) throw new Error('a worker needs --queue redis://HOST:PORT');
    options = { queue: values.queue, concurrency: wholeNumber('concurrency', values.concurrency, 1), lockDuration: milliseconds('lock-duration', values['lock-duration']) };
  } catch (error) {
    io.stderr(`consent-metrics worker: ${(error as Error).message.split('. ')[0]}\nTry 'consent-metrics --help'.`);
    return 2;
  }
  const [{ startWorker }, { describeRedis }] = await Promise.all([import('../job/tasks/runWorker.ts'), import('../job/tasks/redisConnection.ts')]);
  let worker;
  try {
    worker = startWorker({
      ...options,
      onTask: (kind, error) => error && io.stderr(`consent-metrics worker: ${kind} task failed: ${error.message}`),
      onConnection: (event, why) => io.stderr(event === 'lost'
        ? `consent-metrics worker: lost ${describeRedis(options.queue)} (${why}); reconnecting`
        : `consent-metrics worker: back on ${describeRedis(options.queue)}`),
    });
  } catch (error) {
    if (!(error instanceof ConsentMetricsError)) throw error;
    io.stderr(`consent-metrics worker: ${error.message}`);
    return 2;
  }
  io.stderr(`consent-metrics worker: taking tasks from ${describeRedis(options.queue)}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await worker.close();
  return 0;
}
