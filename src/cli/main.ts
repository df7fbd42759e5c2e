// The executable's entry: the command line with this process's arguments. `bin/consent-metrics.mjs`
// runs its compiled form, bundled (dist/cli/bundle/main.js, see scripts/bundle.mjs); `npm start` runs
// this source through tsx.

import { setFlagsFromString } from 'node:v8';
import { jobWorkerEntry } from '../job/jobWorkerEntry.ts';
import { prestartWorker } from '../read/ParserPool.ts';
import { parseCliArgs } from './parseCliArgs.ts';

// V8 compiles a WebAssembly function again, optimized, once it has run a while (its tiering budget).
// Writing one hour's output, that was ~90 ms of CPU on V8's threads for parquet-wasm's encoder,
// beside the run on two cores, and the exit waited for it: an incremental hourly run took 0.47 s,
// 0.43 s with a budget 55x the default (docs/performance.md). Long writes and parsing still tier up
// (24 hours: 1.24 s either way). Set for the command's process only, before any module compiles; a
// program using the library keeps its own V8 settings.
setFlagsFromString('--wasm-tiering-budget=100000000');

// The AWS SDK warns about Node 20 on every start: noise on a CLI's stderr. Set before the SDK loads,
// hence the dynamic import below.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// A run in this process parses on worker threads: the first one starts now, beside the loading below.
if (runsJobHere(process.argv.slice(2))) prestartWorker(jobWorkerEntry());
const { runCli } = await import('./runCli.ts');
const code = await runCli(process.argv.slice(2));
// A stopped worker exits even if a connection to an absent Redis is still retrying in the background.
if (process.argv[2] === 'worker') process.exit(code);
process.exitCode = code;

/**
 * Whether the arguments run a job in this process with worker threads: not a queue's worker nor a
 * queued run, not help, not `--workers 0`, not a mistake (the command then says what is wrong).
 */
function runsJobHere(argv: string[]): boolean {
  if (argv[0] === 'worker' || argv[0] === 'events') return false; // a worker runs tasks; events parse on plain parser threads
  try {
    const { help, job } = parseCliArgs(argv);
    return !help && job.queue === undefined && job.workers !== 0;
  } catch {
    return false;
  }
}
