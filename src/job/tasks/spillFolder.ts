import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConsentMetricsError } from '../../errors.ts';

/** A run's folder in the temporary folder: the prefix, this host, its process id, a random part. */
const PREFIX = 'consent-metrics-spill-';
const HOST = hostname().replace(/[^A-Za-z0-9.]/g, '_');

/** Folders of this process's runs not yet removed, each with how to stop what writes into it. */
const open = new Map<string, () => Promise<void>>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Makes a run's own folder in `temp` (default: the OS's temporary folder) for what does not fit in
 * its memory, after removing the folders runs on this host left there whose process is gone (killed
 * with SIGKILL, or out of memory). Until `remove()`, SIGINT, SIGTERM and SIGHUP, when nothing else in
 * the program listens for them, stop the run's writers (`stop`), remove the folder and end the process
 * as the signal would have; a program that listens itself decides, and the run's own end removes it.
 *
 * @example
 * const folder = openSpillFolder('/mnt/scratch', () => session.close());
 * try { ... } finally { folder.remove(); }
 */
export function openSpillFolder(temp = tmpdir(), stop: () => Promise<void> = async () => {}): { path: string; parent: string; remove(): void } {
  const parent = resolve(temp);
  removeAbandoned(parent);
  const path = join(parent, `${PREFIX}${HOST}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new ConsentMetricsError(`cannot make a folder in the temporary folder ${parent} (temp, --temp): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (open.size === 0) for (const signal of SIGNALS) process.on(signal, removeAndResignal);
  open.set(path, stop);
  return {
    path,
    parent,
    remove() {
      removeQuietly(path);
      open.delete(path);
      if (open.size === 0) for (const signal of SIGNALS) process.off(signal, removeAndResignal);
    },
  };
}

/**
 * Removes the run folders in `temp` that this host's runs left and whose process is no longer running
 * (or is this one, which has no run of that folder open): a folder of a live run is left, as are
 * other hosts' (a shared folder) and other users' ones. Returns the folders removed.
 *
 * @example
 * removeAbandoned('/tmp'); // ['/tmp/consent-metrics-spill-build-7-4242-9f3a01bc']
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
    const match = new RegExp(`^${PREFIX}(.+)-(\\d+)-[0-9a-f]{8}$`).exec(name);
    const path = join(temp, name);
    if (!match || match[1] !== HOST || open.has(path)) continue;
    const pid = Number(match[2]);
    if (pid !== process.pid && isRunning(pid)) continue;
    try {
      if (process.getuid && statSync(path).uid !== process.getuid()) continue; // another user's: not ours to remove
      rmSync(path, { recursive: true, force: true, maxRetries: 3 });
      removed.push(path);
    } catch {
      // gone meanwhile, or not removable: it stays for its owner
    }
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

function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 5 });
  } catch {
    // what is left, the next run removes (removeAbandoned)
  }
}

/**
 * On a signal nothing else listens for: stops what writes into the open folders, removes them, then
 * ends the process as the signal would have. When the program listens too, it decides.
 */
function removeAndResignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return; // the program's own handler decides; the run's end removes its folder
  for (const each of SIGNALS) process.off(each, removeAndResignal);
  const folders = [...open];
  open.clear();
  void Promise.allSettled(folders.map(([, stop]) => stop())).then(() => {
    for (const [path] of folders) removeQuietly(path);
    process.kill(process.pid, signal);
  });
}
