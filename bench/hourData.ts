// One hour of N events for the benchmarks that read a large hour (bench:scale --hour, bench:scale-out
// hour:N): generated once into bench/data/hour-N, ~800k events a file (63 files of ~307 MB at 50M).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The folder of one hour of `events` events, generated if it is not there; and its files. */
export function hourData(events: number): { data: string; files: number } {
  const data = `bench/data/hour-${events}`;
  const files = Math.max(1, Math.ceil(events / 800_000));
  if (!existsSync(data)) {
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', String(events), '--hours', '1', '--files', String(files), '--seed', '11', '--out', data], { stdio: 'inherit' });
  }
  return { data, files };
}
