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
 * Replacing a prefix's keys, all or nothing, in three steps around whatever else must change with
 * them (a database): stageKeys puts the new keys under a staging prefix (nothing of the live prefix
 * changes; a failure removes what was staged); commitKeys then, in one Lua script (no other client
 * runs meanwhile, so a key written since the dump cannot survive), moves the live keys aside and the
 * staged ones in; revertKeys undoes that; forgetReplaced drops what was set aside. The staging and
 * set-aside prefixes never fall under the live one.
 */
const stagedPrefix = (live: string) => `dev-instances:staged:${live}`;
const asidePrefix = (live: string) => `dev-instances:replaced:${live}`;

// Every key under a pattern first (a SCAN that renames while it walks may miss some), then the moves.
const LUA_KEYS = `local function keys(pattern)
  local out, cursor = {}, '0'
  repeat
    local r = redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = r[1]
    for _, k in ipairs(r[2]) do out[#out + 1] = k end
  until cursor == '0'
  return out
end
local function move(pattern, from, to)
  local ks = keys(pattern)
  for _, k in ipairs(ks) do redis.call('RENAME', k, to .. string.sub(k, #from + 1)) end
  return #ks
end
`;
// ARGV: live, its pattern, aside, staged, its pattern.
const COMMIT = `${LUA_KEYS}local aside = move(ARGV[2], ARGV[1], ARGV[3])
local moved = move(ARGV[5], ARGV[4], ARGV[1])
return { aside, moved }`;
// ARGV: live, its pattern, aside, its pattern.
const REVERT = `${LUA_KEYS}for _, k in ipairs(keys(ARGV[2])) do redis.call('UNLINK', k) end
return move(ARGV[4], ARGV[3], ARGV[1])`;

const pattern = (prefix: string) => `${escapeGlob(prefix)}*`;

async function withClient<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = client(url);
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** The new keys under the staging prefix of `live` (what an earlier try left there removed first). Throws with nothing staged. */
export async function stageKeys(url: string, live: string, keys: readonly KeyDump[]): Promise<void> {
  if (live === '') throw new Error('refusing to replace an empty Redis prefix (that is every key)');
  const staged = stagedPrefix(live);
  await forgetReplaced(url, live); // what an interrupted replacement left
  try {
    await withClient(url, async (r) => {
      const pipe = r.pipeline();
      for (const k of keys) pipe.restore(Buffer.concat([Buffer.from(staged), k.key]), k.ttlMs, k.value, 'REPLACE');
      const failed = ((await pipe.exec()) ?? []).find(([err]) => err);
      if (failed?.[0]) throw failed[0];
    });
  } catch (err) {
    await dropPrefix(url, staged).catch(() => {});
    throw err;
  }
}

/** The staged keys become the live ones and the live ones are set aside, atomically. */
export async function commitKeys(url: string, live: string): Promise<void> {
  await withClient(url, (r) => r.eval(COMMIT, 0, live, pattern(live), asidePrefix(live), stagedPrefix(live), pattern(stagedPrefix(live))));
}

/** Undo commitKeys: the live keys go, the set-aside ones come back, atomically. */
export async function revertKeys(url: string, live: string): Promise<void> {
  await withClient(url, (r) => r.eval(REVERT, 0, live, pattern(live), asidePrefix(live), pattern(asidePrefix(live))));
}

/** After a commit that stays: the set-aside keys (and anything left staged) are dropped. */
export async function forgetReplaced(url: string, live: string): Promise<void> {
  await dropPrefix(url, asidePrefix(live));
  await dropPrefix(url, stagedPrefix(live));
}
