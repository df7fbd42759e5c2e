import type { Source } from '../../src/index.ts';

/** A Source over an in-memory map of key -> content, optionally slow, counting reads in flight. */
export function memorySource(files: Record<string, string | Uint8Array>, { delayMs = 0, chunkSize = Infinity } = {}) {
  const stats = { inFlight: 0, maxInFlight: 0, opened: [] as string[] };
  const keys = Object.keys(files).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const source: Source = {
    describe: (key = '') => `mem://${key}`,
    listFolders: async (prefix) => {
      const start = prefix ? `${prefix}/` : '';
      const names = keys.filter((key) => key.startsWith(start) && key.slice(start.length).includes('/'))
        .map((key) => key.slice(start.length).split('/')[0]!);
      return [...new Set(names)];
    },
    listFiles: async (prefix) => keys.filter((key) => key.startsWith(`${prefix}/`) && !key.slice(prefix.length + 1).includes('/')),
    open: async (key) => {
      const content = files[key];
      if (content === undefined) throw new Error(`no such key ${key}`);
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      stats.opened.push(key);
      return (async function* () {
        stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
        try {
          if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
          for (let at = 0; at < bytes.length; at += Math.min(chunkSize, bytes.length)) yield bytes.subarray(at, at + chunkSize);
        } finally {
          stats.inFlight--;
        }
      })();
    },
  };
  return { source, stats };
}

/** One JSON Lines event, with defaults for what a test does not care about. */
export function eventLine(fields: { id: string; type?: string; domain?: string | null; country?: string | null; user?: string | null; token?: string | null }): string {
  const { id, type = 'pageview', domain = 'd1', country = 'FR', user = 'u1', token = null } = fields;
  return JSON.stringify({ id, datetime: '2021-01-23 10:00:00', domain, type, user: { id: user, country, token } });
}
