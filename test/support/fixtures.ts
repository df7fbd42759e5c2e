import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Row } from './referenceJob.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export interface GoldenCase {
  name: string;
  root: string;
  description: string;
  options: { partitions?: string[]; from?: string; to?: string };
  rows: Row[];
  report: {
    lines: number; duplicates: number; invalid_tokens: number;
    rejected: { invalid_json: number; missing_id: number; unknown_type: number };
    files?: number; partitions?: string[];
  };
  warnings?: number;
}

/** Every `fixtures/<case>/` with an `input/` folder and an `expected.json`. */
export function goldenCases(): GoldenCase[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const expected = JSON.parse(readFileSync(`${FIXTURES}${entry.name}/expected.json`, 'utf8'));
      return { name: entry.name, root: `${FIXTURES}${entry.name}/input`, options: {}, ...expected };
    });
}

/** Rows equal, floats to 1e-12 (7/3 computed two ways may differ in the last bit). */
export function rowsDiffer(actual: unknown[][], expected: unknown[][]): string | null {
  if (actual.length !== expected.length) return `${actual.length} rows, expected ${expected.length}`;
  for (const [index, row] of actual.entries()) {
    const want = expected[index]!;
    const same = row.length === want.length && row.every((value, column) =>
      typeof value === 'number' && typeof want[column] === 'number'
        ? Math.abs(value - (want[column] as number)) < 1e-12
        : value === want[column]);
    if (!same) return `row ${index}: ${JSON.stringify(row)}, expected ${JSON.stringify(want)}`;
  }
  return null;
}

/** A run's report without its memory figures, which differ from run to run (peak) and by how it ran: for comparing what two runs read. */
export function withoutMemory<T extends { memory?: unknown }>({ memory: _, ...report }: T): Omit<T, 'memory'> {
  return report;
}
