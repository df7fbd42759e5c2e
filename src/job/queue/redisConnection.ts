import { Redis } from 'ioredis';
import { ConsentMetricsError } from '../../errors.ts';

/**
 * A Redis connection for BullMQ from a `redis://` or `rediss://` URL. It reconnects after a drop,
 * for up to `giveUpAfter` milliseconds; then `lost` rejects with one line naming the queue. A
 * connection that never opens fails the same way. (BullMQ needs `maxRetriesPerRequest: null`.)
 *
 * @example
 * const { redis, lost } = connectRedis('redis://127.0.0.1:6379', 20_000);
 */
export function connectRedis(url: string, giveUpAfter: number): { redis: Redis; lost: Promise<never> } {
  if (!/^rediss?:\/\//.test(url)) throw new ConsentMetricsError(`--queue must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  let droppedAt = 0;
  let lastError = 'connection closed';
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: () => {
      droppedAt ||= Date.now();
      return Date.now() - droppedAt > giveUpAfter ? null : 250;
    },
  });
  const lost = new Promise<never>((_, reject) => {
    redis.on('error', (error: Error) => (lastError = error.message || (error as NodeJS.ErrnoException).code || String(error)));
    redis.on('ready', () => (droppedAt = 0));
    redis.on('end', () => reject(new ConsentMetricsError(`lost the queue at ${describeRedis(url)}: ${lastError}`)));
  });
  lost.catch(() => {}); // observed by whoever races it; never an unhandled rejection
  return { redis, lost };
}

/** The URL without a password, for messages. */
export function describeRedis(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//');
}
