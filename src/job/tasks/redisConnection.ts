import { Redis } from 'ioredis';
import { ConsentMetricsError } from '../../errors.ts';

/**
 * A Redis connection for BullMQ from a `redis://` or `rediss://` URL. It reconnects after a drop,
 * with backoff (250 ms, doubling to 5 s), for up to `giveUpAfter` milliseconds; then `lost` rejects
 * with one line naming the queue. A connection that never opens fails the same way. `onDrop` hears
 * of each drop once, with why, and `onBack` when the connection is ready again. (BullMQ needs
 * `maxRetriesPerRequest: null`.)
 *
 * @example
 * const { redis, lost } = connectRedis('redis://127.0.0.1:6379', 20_000);
 */
export function connectRedis(
  url: string,
  giveUpAfter: number,
  { onDrop, onBack }: { onDrop?: (why: string) => void; onBack?: () => void } = {},
): { redis: Redis; lost: Promise<never> } {
  if (!/^rediss?:\/\//.test(url)) throw new ConsentMetricsError(`--queue must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  let droppedAt = 0;
  let lastError = 'connection closed';
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => {
      if (!droppedAt) onDrop?.(lastError);
      droppedAt ||= Date.now();
      return Date.now() - droppedAt > giveUpAfter ? null : Math.min(250 * 2 ** (attempt - 1), 5_000);
    },
  });
  const lost = new Promise<never>((_, reject) => {
    redis.on('error', (error: Error) => (lastError = error.message || (error as NodeJS.ErrnoException).code || String(error)));
    redis.on('ready', () => {
      if (droppedAt) onBack?.();
      droppedAt = 0;
    });
    redis.on('end', () => reject(new ConsentMetricsError(`lost the queue at ${describeRedis(url)}: ${lastError}`)));
  });
  lost.catch(() => {}); // observed by whoever races it; never an unhandled rejection
  return { redis, lost };
}

/** The URL without a password, for messages. */
export function describeRedis(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//');
}
