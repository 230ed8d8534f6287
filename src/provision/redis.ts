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

/** The keys under prefix, a SCAN batch at a time (names as bytes: a key need not be UTF-8). */
async function* scanPrefix(r: Redis, prefix: string, batch: number): AsyncGenerator<Buffer[]> {
  let cursor = '0';
  do {
    const [next, keys] = await r.scanBuffer(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', batch);
    cursor = String(next);
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/** Deletes every key starting with prefix; returns how many were deleted. */
export async function dropPrefix(url: string, prefix: string, batch = 500): Promise<number> {
  if (prefix === '') throw new Error('refusing to drop an empty Redis prefix (that is every key)');
  const r = client(url);
  await r.connect();
  try {
    let deleted = 0;
    for await (const keys of scanPrefix(r, prefix, batch)) deleted += await r.unlink(...keys);
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

/** One key of a prefix as DUMP gives it: its name after the prefix, its time to live, its value. */
export interface KeyDump {
  key: Buffer;
  /** Milliseconds left, or 0 for none. */
  ttlMs: number;
  value: Buffer;
}

/** Every key under prefix with its TTL, as DUMP serializes it (any type); SCAN, never KEYS. */
export async function dumpPrefix(url: string, prefix: string, batch = 500): Promise<KeyDump[]> {
  if (prefix === '') throw new Error('refusing to dump an empty Redis prefix (that is every key)');
  const r = client(url);
  await r.connect();
  try {
    const out: KeyDump[] = [];
    for await (const keys of scanPrefix(r, prefix, batch)) {
      const pipe = r.pipeline();
      for (const k of keys) pipe.dumpBuffer(k).pttl(k);
      const answers = (await pipe.exec()) ?? [];
      keys.forEach((k, i) => {
        const value = answers[2 * i]?.[1] as Buffer | null;
        const ttl = answers[2 * i + 1]?.[1] as number;
        // A key that expired between SCAN and DUMP is gone: nothing to keep.
        if (value) out.push({ key: k.subarray(Buffer.byteLength(prefix)), ttlMs: ttl > 0 ? ttl : 0, value });
      });
    }
    return out;
  } finally {
    r.disconnect();
  }
}

/**
 * The keys under prefix become exactly these (each under prefix, with its TTL), in one MULTI/EXEC:
 * another client sees the old set or the new one, never a mix.
 */
export async function replacePrefix(url: string, prefix: string, keys: readonly KeyDump[], batch = 500): Promise<void> {
  if (prefix === '') throw new Error('refusing to replace an empty Redis prefix (that is every key)');
  const r = client(url);
  await r.connect();
  try {
    const old: Buffer[] = [];
    for await (const keys of scanPrefix(r, prefix, batch)) old.push(...keys);
    const tx = r.multi();
    if (old.length > 0) tx.unlink(...old);
    for (const k of keys) tx.restore(Buffer.concat([Buffer.from(prefix), k.key]), k.ttlMs, k.value, 'REPLACE');
    const results = (await tx.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
  } finally {
    r.disconnect();
  }
}
