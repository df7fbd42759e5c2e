import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI's source entry, run through tsx: tests see the current source, with no build step in between. */
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Runs the real CLI as a child process; resolves whatever the exit code. */
export function runCliProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}
