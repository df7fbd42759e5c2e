// System packages some tests need beyond `npm ci`, in one place: the tests that need one skip
// themselves when it is missing and say so here, and `npm test` (scripts/test.ts) lists what was
// skipped at the end, with the one command that installs it.
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';

/** What a skipped test needed, and the Debian packages that bring it. */
export interface SystemNeed {
  /** What it is, as a person names it. */
  name: string;
  /** Debian packages that install it. */
  packages: string[];
  /** Whether this machine has it. */
  present: () => boolean;
}

const commandRuns = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

export const SYSTEM_NEEDS = {
  redis: {
    name: 'redis-server',
    packages: ['redis-server'],
    present: () => commandRuns('redis-server', ['--version']),
  },
  jupyter: {
    name: 'Jupyter',
    packages: ['jupyter-client', 'python3-nbclient', 'python3-nbformat', 'jupyter-nbconvert', 'python3-ipykernel'],
    present: () => commandRuns('/usr/bin/python3', ['-c', 'import nbclient, nbformat']),
  },
} as const satisfies Record<string, SystemNeed>;

export type SystemNeedName = keyof typeof SYSTEM_NEEDS;

/** Where skipped tests are recorded, one JSON line each: set by scripts/test.ts for the whole run. */
export const SKIPPED_LOG_VARIABLE = 'CONSENT_METRICS_SKIPPED_LOG';

/** A skip, as recorded. */
export interface Skip {
  need: SystemNeedName;
  tests: string;
}

/**
 * Records that `tests` were skipped for want of `need`, for `npm test`'s closing lines, and says so
 * on stderr at once (run outside `npm test`, nothing else would).
 */
export function recordSkip(need: SystemNeedName, tests: string): void {
  const log = process.env[SKIPPED_LOG_VARIABLE];
  if (log) appendFileSync(log, `${JSON.stringify({ need, tests } satisfies Skip)}\n`);
  else console.error(`SKIPPED ${tests}: needs ${SYSTEM_NEEDS[need].name} (${installCommand([need])})`);
}

/** The one command that installs what `needs` name. */
export function installCommand(needs: readonly SystemNeedName[]): string {
  const packages = [...new Set(needs.flatMap((need) => SYSTEM_NEEDS[need].packages))];
  return `sudo apt-get install -y ${packages.join(' ')}`;
}
