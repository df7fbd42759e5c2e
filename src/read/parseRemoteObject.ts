import type { S3Client } from '@aws-sdk/client-s3';
import { readAgainOnMismatch } from '../s3/checksumMismatch.ts';
import { noRetries, retriesBetween, type RetryCounts } from '../s3/retryKinds.ts';
import type { RemoteObject } from '../source/Source.ts';
import type { FileParserOptions, ParsedFile } from './ParsedFile.ts';
import { parseStream } from './pushInBlocks.ts';

/** Reads of an object whose body does not match its checksum, without `maxAttempts` (`S3_DEFAULTS.maxAttempts`, whose module loads the SDK). */
const DEFAULT_ATTEMPTS = 5;

/** This thread's S3 clients, by the settings they were made from, with the retries already reported. */
const clients = new Map<string, Promise<{ client: S3Client; reported: RetryCounts }>>();

function clientFor(settings: RemoteObject['settings']) {
  const key = JSON.stringify(settings);
  if (!clients.has(key)) {
    // The SDK loads on a thread only when it fetches.
    clients.set(key, import('../s3/createS3Client.ts').then(({ createS3Client }) => ({ client: createS3Client(settings), reported: noRetries() })));
  }
  return clients.get(key)!;
}

/**
 * Fetches an object on this thread, with a client made from its settings (the same settings share one
 * client per thread), and parses it as its bytes arrive (gzip by its magic bytes). The result carries
 * the retries this thread's client made since it last reported (`retries`), for the run's counts.
 *
 * @example
 * const { retries, ...parsed } = await parseRemoteObject(object, 'part-0.json');
 */
export async function parseRemoteObject(object: RemoteObject, describe: string, options: FileParserOptions = {}): Promise<ParsedFile & { retries: RetryCounts }> {
  const open = async () => {
    const [{ client }, { readObjectInParts }] = await Promise.all([clientFor(object.settings), import('../s3/readObjectInParts.ts')]);
    return readObjectInParts(client, object);
  };
  // A body that does not match its checksum was parsed already: the object is parsed again from its start.
  const parsed = await readAgainOnMismatch(object.settings.maxAttempts ?? DEFAULT_ATTEMPTS, () => parseStream(open, describe, object.size ?? 0, options));
  return { ...parsed, retries: await retriesSinceReported(object.settings) };
}

async function retriesSinceReported(settings: RemoteObject['settings']): Promise<RetryCounts> {
  const entry = await clientFor(settings);
  const { retryCountsOf } = await import('../s3/retries.ts');
  const now = (await retryCountsOf(entry.client)) ?? noRetries();
  const since = retriesBetween(entry.reported, now);
  entry.reported = now;
  return since;
}
