/**
 * Replacing an instance's Redis keys all or nothing, against a real redis-server: new keys staged
 * beside the live ones, swapped in at once (a key written meanwhile does not survive), swapped back
 * exactly, and nothing left under the staging prefixes; another instance's prefix never touched.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pollUntil } from '../../src/poll.js';
import { type KeyDump, commitKeys, dumpPrefix, forgetReplaced, redisAnswers, revertKeys, stageKeys } from '../../src/provision/redis.js';

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  }).on('error', reject);
});

describe('Redis keys of an instance, replaced all or nothing', () => {
  let server: ChildProcess;
  let url = '';
  let r: Redis;
  const live = 'ditest-dev-1:';
  const other = 'ditest-dev-10:'; // starts like live's: must never be touched
  const every = async () => (await r.keys('*')).sort();
  const valuesOf = async (prefix: string) => Object.fromEntries(await Promise.all((await r.keys(`${prefix}*`)).sort().map(async (k) => [k, await r.get(k)])));
  /** Keys as a snapshot holds them (DUMP's serialization), one at a time through a scratch key. */
  const dumps = async (entries: [string, string][]): Promise<KeyDump[]> => {
    const out: KeyDump[] = [];
    for (const [k, v] of entries) {
      await r.set('scratch', v);
      out.push({ key: Buffer.from(k), ttlMs: k === 'session' ? 600_000 : 0, value: (await r.dumpBuffer('scratch')) as Buffer });
    }
    await r.del('scratch');
    return out;
  };

  before(async () => {
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await pollUntil(() => redisAnswers(url).then(() => true, () => undefined), { deadlineMs: 10_000, intervalMs: 50, timeout: () => new Error('redis-server did not answer') });
    r = new Redis(url);
  });
  after(async () => {
    r.disconnect();
    server.kill('SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
  });

  it('staged keys change nothing live; the commit swaps them in at once, with their TTLs, and a key written meanwhile does not survive', async () => {
    await r.mset(`${live}a`, 'old a', `${live}stale`, 'old stale', `${other}a`, 'ten');
    await stageKeys(url, live, await dumps([['a', 'new a'], ['session', 'alice']]));
    assert.deepEqual(await valuesOf(live), { [`${live}a`]: 'old a', [`${live}stale`]: 'old stale' }, 'staging touches nothing live');
    await r.set(`${live}written-meanwhile`, 'x');
    await commitKeys(url, live);
    assert.deepEqual(await valuesOf(live), { [`${live}a`]: 'new a', [`${live}session`]: 'alice' });
    const ttl = await r.pttl(`${live}session`);
    assert.ok(ttl > 500_000 && ttl <= 600_000, `TTL kept: ${ttl}`);
    assert.deepEqual(await valuesOf(other), { [`${other}a`]: 'ten' }, 'instance 10 untouched');
  });

  it('revert brings the replaced keys back exactly and takes the new ones away', async () => {
    await revertKeys(url, live);
    assert.deepEqual(await valuesOf(live), { [`${live}a`]: 'old a', [`${live}stale`]: 'old stale', [`${live}written-meanwhile`]: 'x' });
    assert.deepEqual(await valuesOf(other), { [`${other}a`]: 'ten' });
  });

  it('forgetReplaced leaves nothing beside the live keys; a new replacement first clears what an interrupted one left', async () => {
    await stageKeys(url, live, await dumps([['b', 'new b']]));
    await commitKeys(url, live);
    await forgetReplaced(url, live);
    assert.deepEqual(await every(), [`${other}a`, `${live}b`]);
    const before = await dumpPrefix(url, live);
    // An interrupted try left keys staged: the next staging starts clean.
    await r.set(`dev-instances:staged:${live}leftover`, 'x');
    await stageKeys(url, live, await dumps([['c', 'new c']]));
    await commitKeys(url, live);
    assert.deepEqual(await valuesOf(live), { [`${live}c`]: 'new c' });
    await revertKeys(url, live);
    assert.deepEqual(await dumpPrefix(url, live), before);
    await forgetReplaced(url, live);
  });

  it('staging that Redis refuses (out of memory) throws and leaves nothing staged, the live keys as they were', async () => {
    const keys = await dumps([['d', 'new d']]);
    const before = await every();
    await r.config('SET', 'maxmemory', '1');
    try {
      await assert.rejects(stageKeys(url, live, keys), /OOM/);
    } finally {
      await r.config('SET', 'maxmemory', '0');
    }
    assert.deepEqual(await every(), before);
  });
});
