import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConsentMetricsError } from '../../errors.ts';

/** How a run's folder in the temporary folder is named: the prefix, then its process id and a random part. */
const PREFIX = 'consent-metrics-spill-';

/** Folders of this process's runs not yet removed: a signal that ends the process removes them first. */
const open = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Makes a run's own folder in `temp` (default: the OS's temporary folder) for what does not fit in
 * its memory, after removing the folders runs left there whose process is gone (killed with SIGKILL,
 * or out of memory). Until `remove()`, SIGINT, SIGTERM and SIGHUP remove it before the process ends as
 * it would have.
 *
 * @example
 * const folder = openSpillFolder('/mnt/scratch');
 * try { ... } finally { folder.remove(); }
 */
export function openSpillFolder(temp = tmpdir()): { path: string; remove(): void } {
  const parent = resolve(temp);
  removeAbandoned(parent);
  const path = join(parent, `${PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new ConsentMetricsError(`cannot make a folder in the temporary folder ${parent} (temp, --temp): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (open.size === 0) for (const signal of SIGNALS) process.on(signal, removeAndResignal);
  open.add(path);
  return {
    path,
    remove() {
      rmSync(path, { recursive: true, force: true });
      open.delete(path);
      if (open.size === 0) for (const signal of SIGNALS) process.off(signal, removeAndResignal);
    },
  };
}

/**
 * Removes the run folders in `temp` whose process is no longer running (a folder of a live process,
 * this one's or another's, is its run's). Returns the folders removed.
 *
 * @example
 * removeAbandoned('/tmp'); // ['/tmp/consent-metrics-spill-4242-9f3a01bc']
 */
export function removeAbandoned(temp = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(temp);
  } catch {
    return []; // no such folder yet: nothing left there
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(/^consent-metrics-spill-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (!pid || isRunning(pid)) continue;
    rmSync(join(temp, name), { recursive: true, force: true });
    removed.push(join(temp, name));
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // running, as another user
  }
}

/** On a signal: removes the open folders; then, unless the program listens for it too, ends the process as the signal would have. */
function removeAndResignal(signal: NodeJS.Signals): void {
  for (const path of open) rmSync(path, { recursive: true, force: true });
  open.clear();
  for (const each of SIGNALS) process.off(each, removeAndResignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
