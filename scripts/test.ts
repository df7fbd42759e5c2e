// `npm test`: type-check, then every test: uvu under Node, Deno, the notebook. Tests that need a
// system package this machine lacks (test/support/systemNeeds.ts) skip themselves; their list and the
// one command that installs what they need close the run. Under CI (CI=true) a skipped test fails
// the run, so CI never passes with tests left out.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCommand, SKIPPED_LOG_VARIABLE, SYSTEM_NEEDS, type Skip } from '../test/support/systemNeeds.ts';

interface Step {
  name: string;
  command: string[];
  /** Passed, failed and skipped tests read from the step's output; null when it prints none. */
  counts: (output: string) => { passed: number; failed: number; skipped: number } | null;
}

const number = (output: string, pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? 0);
const bin = (name: string) => join('node_modules/.bin', name);

const STEPS: Step[] = [
  { name: 'typecheck', command: [bin('tsc'), '--noEmit'], counts: () => null },
  {
    name: 'unit',
    command: [process.execPath, '--import', 'tsx', 'node_modules/uvu/bin.js', 'test', '\\.test\\.ts$'],
    counts: (output) => /Total:/.test(output)
      ? { passed: number(output, /Passed:\s+(\d+)/), failed: number(output, /Total:\s+(\d+)/) - number(output, /Passed:\s+(\d+)/), skipped: number(output, /Skipped:\s+(\d+)/) }
      : null,
  },
  {
    name: 'deno',
    command: [bin('deno'), 'test', '--quiet', '--allow-read', '--allow-env', '--allow-sys', '--allow-write', 'test/deno/'],
    counts: (output) => /(\d+) passed \| (\d+) failed/.test(output) ? { passed: number(output, /(\d+) passed \|/), failed: number(output, /\| (\d+) failed/), skipped: 0 } : null,
  },
  {
    name: 'notebook',
    command: [process.execPath, '--import', 'tsx', 'test/notebook/runNotebook.ts'],
    counts: (output) => /notebooks: (\d+) passed, (\d+) failed/.test(output) ? { passed: number(output, /notebooks: (\d+) passed/), failed: number(output, /passed, (\d+) failed/), skipped: 0 } : null,
  },
];

/** Runs a step with its output passed through and kept; resolves with its exit code and output. */
function run({ command: [program, ...args] }: Step, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(program!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (process.stdout.write(chunk), (output += chunk)));
    child.stderr.on('data', (chunk: Buffer) => (process.stderr.write(chunk), (output += chunk)));
    child.on('error', (error) => resolve({ code: 127, output: `${output}${error.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'consent-metrics-test-'));
const skippedLog = join(scratch, 'skipped.jsonl');
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', [SKIPPED_LOG_VARIABLE]: skippedLog };
const failedSteps: string[] = [];
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const step of STEPS) {
  const { code, output } = await run(step, env);
  const counts = step.counts(output.replace(/\x1b\[[0-9;]*m/g, ''));
  if (counts) for (const key of ['passed', 'failed', 'skipped'] as const) totals[key] += counts[key];
  if (code !== 0) failedSteps.push(step.name);
}

const skips: Skip[] = existsSync(skippedLog) ? readFileSync(skippedLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Skip) : [];
rmSync(scratch, { recursive: true, force: true });
const ci = Boolean(process.env.CI) && process.env.CI !== 'false';
console.log('');
if (skips.length > 0) {
  console.log(`${ci ? 'FAILED, under CI: tests skipped' : 'skipped'} for want of system packages:`);
  for (const { need, tests } of skips) console.log(`  ${tests}: needs ${SYSTEM_NEEDS[need].name}`);
  console.log(`install them with: ${installCommand([...new Set(skips.map((skip) => skip.need))])}`);
}
if (failedSteps.length > 0) console.log(`failed steps: ${failedSteps.join(', ')}`);
// uvu counts the skipped suites it ran; a step skipped whole (the notebook) is counted by its record.
const skipped = Math.max(totals.skipped, skips.length);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${skipped} skipped`);
process.exit(failedSteps.length > 0 || (ci && skips.length > 0) ? 1 : 0);
