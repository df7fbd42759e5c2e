// `npm run test:notebook`: executes examples/*.ipynb headless with Deno's Jupyter kernel and fails on
// any error cell, saved output, or missing table/chart. Needs Debian's jupyter-client, python3-nbclient,
// python3-nbformat, jupyter-nbconvert and python3-ipykernel (.ci/run installs them). Without them it
// fails under CI and, elsewhere, says it skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const python = '/usr/bin/python3';
const probe = spawnSync(python, ['-c', 'import nbclient, nbformat'], { encoding: 'utf8' });
if (probe.status !== 0) {
  const message = 'notebook test needs Jupyter: apt-get install jupyter-client python3-nbclient python3-nbformat jupyter-nbconvert python3-ipykernel';
  if (process.env.CI) {
    console.error(`FAILED: ${message}`);
    process.exit(1);
  }
  console.error(`SKIPPED: ${message} (or run .ci/run)`);
  process.exit(0);
}

// Registers (or refreshes) the kernel with this checkout's deno binary.
execFileSync('node_modules/.bin/deno', ['jupyter', '--install', '--force'], { stdio: ['ignore', 'ignore', 'inherit'] });
const notebooks = readdirSync('examples').filter((name) => name.endsWith('.ipynb'));
for (const notebook of notebooks) {
  const run = spawnSync(python, ['test/notebook/run.py', `examples/${notebook}`], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
console.log(`notebooks: ${notebooks.length} passed, 0 failed`);
