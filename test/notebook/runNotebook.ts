// `npm run test:notebook`: executes examples/*.ipynb headless with Deno's Jupyter kernel and fails on
// any error cell, saved output, or missing table/chart. Needs Jupyter from Debian (systemNeeds.ts);
// without it the notebook is skipped, and `npm test` says so.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { recordSkip, SYSTEM_NEEDS } from '../support/systemNeeds.ts';

const notebooks = readdirSync('examples').filter((name) => name.endsWith('.ipynb'));
if (!SYSTEM_NEEDS.jupyter.present()) {
  recordSkip('jupyter', `the notebook${notebooks.length === 1 ? '' : 's'} (${notebooks.map((name) => `examples/${name}`).join(', ')})`);
  process.exit(0);
}

// Registers (or refreshes) the kernel with this checkout's deno binary.
execFileSync('node_modules/.bin/deno', ['jupyter', '--install', '--force'], { stdio: ['ignore', 'ignore', 'inherit'] });
for (const notebook of notebooks) {
  const run = spawnSync('/usr/bin/python3', ['test/notebook/run.py', `examples/${notebook}`], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
console.log(`notebooks: ${notebooks.length} passed, 0 failed`);
