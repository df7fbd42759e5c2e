import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConsentMetricsError } from '../errors.ts';
import type { StateStore } from './StateStore.ts';

/** The lock's key in the state. */
export const LOCK_KEY = 'lock.json';
/** How often a run holding the lock says it is alive. */
const HEARTBEAT_MS = 10_000;
/** A lock not refreshed for this long belongs to a run that is gone. */
const STALE_MS = 60_000;

interface LockBody {
  run: string;
  host: string;
  pid: number;
  started: string;
  heartbeat: number;
}

/**
 * Takes the state's lock, so that a second run on the same state fails at once with one line instead
 * of working for nothing (the commit is safe without it: a manifest generation is created only if
 * absent). A lock left by a run that is gone (its process dead on this host, or no heartbeat for a
 * minute) is taken over. Call `release()` at the end, whatever happened.
 *
 * @example
 * const lock = await acquireStateLock(store);
 * try { ... } finally { await lock.release(); }
 */
export async function acquireStateLock(store: StateStore): Promise<{ release: () => Promise<void> }> {
  const body: LockBody = { run: randomUUID(), host: hostname(), pid: process.pid, started: new Date().toISOString(), heartbeat: Date.now() };
  const encode = () => new TextEncoder().encode(JSON.stringify({ ...body, heartbeat: Date.now() }));
  if (!(await store.putIfAbsent(LOCK_KEY, encode()))) {
    const holder = await readLock(store);
    if (holder && !isStale(holder)) {
      throw new ConsentMetricsError(`state ${store.describe()} is in use by another run (pid ${holder.pid} on ${holder.host}, since ${holder.started}); try again when it ends`);
    }
    await store.delete([LOCK_KEY]);
    if (!(await store.putIfAbsent(LOCK_KEY, encode()))) throw new ConsentMetricsError(`state ${store.describe()} was just taken by another run; try again when it ends`);
  }
  const timer = setInterval(() => void store.put(LOCK_KEY, encode()).catch(() => {}), HEARTBEAT_MS);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      const holder = await readLock(store).catch(() => undefined);
      if (holder?.run === body.run) await store.delete([LOCK_KEY]).catch(() => {});
    },
  };
}

async function readLock(store: StateStore): Promise<LockBody | undefined> {
  const bytes = await store.get(LOCK_KEY);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as LockBody;
  } catch {
    return undefined; // a lock cut off mid-write: stale
  }
}

function isStale(lock: LockBody): boolean {
  if (!Number.isFinite(lock.heartbeat) || Date.now() - lock.heartbeat > STALE_MS) return true;
  if (lock.host !== hostname()) return false;
  try {
    process.kill(lock.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
