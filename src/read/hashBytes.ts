/** The hash given to a null user id (an empty one hashes to 0 too): only a hint, equality decides. */
export const NULL_HASH = 0;

/**
 * MurmurHash3_x86_32 over bytes: with seed 0 (the default), the hash of ids and user ids, on every
 * path of the parse (the WebAssembly scan computes the same), which the dedup set and the user counts
 * look up by; an incremental run's state keeps a second one, of another seed, beside it.
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number, seed = 0): number {
  let hash = seed;
  let at = start;
  for (; at + 4 <= end; at += 4) {
    hash ^= mixWord(bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24));
    hash = (Math.imul(rotateLeft(hash, 13), 5) + 0xe6546b64) | 0;
  }
  if (at < end) {
    let tail = 0;
    for (let shift = 0; at < end; at++, shift += 8) tail |= bytes[at]! << shift;
    hash ^= mixWord(tail);
  }
  hash ^= end - start;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

function mixWord(word: number): number {
  return Math.imul(rotateLeft(Math.imul(word, 0xcc9e2d51), 15), 0x1b873593);
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
