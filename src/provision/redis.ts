/**
 * One Redis key prefix per instance. Apps use it through ioredis `keyPrefix`; dropping uses a client
 * without keyPrefix (keyPrefix is not applied to SCAN patterns, and deleting full names through a
 * prefixed client would prefix them twice), SCAN MATCH with the prefix glob-escaped, and UNLINK in
 * batches. Never KEYS.
 */
import { Redis } from 'ioredis';

export const escapeGlob = (s: string): string => s.replace(/[\\*?[\]]/g, (c) => `\\${c}`);

function client(url: string): Redis {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  r.on('error', () => {}); // surfaced through the failing command instead
  return r;
}

/** Deletes every key starting with prefix; returns how many were deleted. */
export async function dropPrefix(url: string, prefix: string, batch = 500): Promise<number> {
  if (prefix === '') throw new Error('refusing to drop an empty Redis prefix (that is every key)');
  const r = client(url);
  await r.connect();
  try {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', batch);
      cursor = next;
      if (keys.length > 0) deleted += await r.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    r.disconnect();
  }
}

/** Readiness: the server answers PING. */
export async function redisAnswers(url: string): Promise<void> {
  const r = client(url);
  try {
    await r.connect();
    const pong = await r.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } finally {
    r.disconnect();
  }
}
