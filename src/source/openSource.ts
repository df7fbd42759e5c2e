import { localSource } from './localSource.ts';
import type { Source } from './Source.ts';

/**
 * The {@link Source} for a root: a local folder path.
 *
 * @example
 * const source = await openSource('fixtures/example/input');
 */
export async function openSource(root: string): Promise<Source> {
  return localSource(root);
}
