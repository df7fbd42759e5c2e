// For bench/memory.ts: a run in tasks under a memory budget even when the input would fit in-process,
// from the compiled library (npm run build): node bench/boundedRun.mjs ROOT OUT.parquet BUDGET_BYTES REPORT.json
import { writeFileSync } from 'node:fs';
import { runBounded } from '../dist/job/tasks/runBounded.js';
import { memoryReport } from '../dist/report/RunReport.js';

const [root, out, budget, reportFile] = process.argv.slice(2);
const { report, work } = await runBounded({ root, out }, { budget: Number(budget) });
writeFileSync(reportFile, JSON.stringify({ ...report, memory: memoryReport(Number(budget), work) }));
