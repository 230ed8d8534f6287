/**
 * Instance data on the native engine, as a user meets it: real `just`, PM2, Postgres, Redis and the
 * demo apps. Backups are listed; a restore gives back the rows a clean took away, all or nothing (a
 * truncated dump changes nothing); a snapshot of one instance restores into another with its keys;
 * names that are neither are refused.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { withPm2 } from '../../src/pm2/client.js';
import { listDatabases } from '../../src/provision/postgres.js';
import { api, stackRoot } from '../helpers/stack-root.js';

const stack = stackRoot('di-data-');
const { just } = stack;
const BACKEND = 3311;
const BACKUPS = join(stack.root, '.instances/backups/instance-1');
const bodies = async () => ((await api(BACKEND, '/records')).json as { body: string }[]).map((x) => x.body);
// The machine's password (the native engine's, src/secrets.ts), read when a client is made: the first start writes it.
const PG = { host: '127.0.0.1', port: 5533, user: 'shipsec', get password() { return stack.pgPassword(); } };

const { withRedis } = stack;

/** An instance's rows (every table) and keys with their values: what must not change. */
async function instanceData(n: number): Promise<unknown> {
  const c = new pg.Client({ ...PG, port: 5433 + n * 100, database: `shipsec_dev_${n}` });
  await c.connect();
  try {
    const tables = (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename as string);
    const rows: unknown[] = [];
    for (const t of tables) rows.push(t, (await c.query(`SELECT * FROM "${t}" ORDER BY 1`)).rows);
    const keys = await withRedis(6379 + n * 100, async (r) => {
      const names = (await r.keys('*')).sort();
      return Promise.all(names.map(async (k) => [k, await r.dump(k)]));
    });
    return { rows, keys };
  } finally {
    await c.end();
  }
}

describe('backups and restore (native engine)', () => {
  before(async () => {
    const r = just('dev', '1');
    assert.equal(r.code, 0, r.stderr);
    for (const body of ['alpha', 'beta']) assert.equal((await api(BACKEND, '/records', { body })).status, 201);
  });
  after(async () => {
    assert.deepEqual(await stack.teardown(), [], 'processes left running');
  });

  it('restores the rows a clean took away, after backing up what the instance had', async () => {
    assert.equal(just('dev', '1', 'clean', '--yes').code, 0);
    assert.equal(just('dev', '1').code, 0);
    assert.deepEqual(await bodies(), []);
    const listed = just('dev', '1', 'backups');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME +TAKEN \(UTC\) +SIZE +INSTANCE\nshipsec_dev_1-\d{8}T\d{6}\.dump +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +[\d.]+ KB +1\n/);

    const refused = just('dev', '1', 'restore'); // no terminal, no --yes
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /restore replaces data: confirm on a terminal, or pass --yes\. This replaces the database shipsec_dev_1 of instance 1 with \.instances\/backups\/instance-1\/shipsec_dev_1-\d{8}T\d{6}\.dump/);

    const r = just('dev', '1', 'restore', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /backed up shipsec_dev_1 to \.instances\/backups\/instance-1\/shipsec_dev_1-\d{8}T\d{6}\.dump/);
    assert.match(r.stdout, /stopped shipsec-frontend-1, shipsec-backend-1, shipsec-worker-1 of instance 1 while the database is replaced/);
    assert.match(r.stdout, /restored shipsec_dev_1 from \.instances\/backups\/instance-1\/shipsec_dev_1-/);
    assert.match(r.stdout, /Instance 1 is up in/);
    // The apps came back (health-gated) and read the restored rows.
    assert.deepEqual(await bodies(), ['alpha', 'beta']);
    const json = JSON.parse(just('dev', '1', 'backups', '--json').stdout) as { name: string; bytes: number; instance: number }[];
    assert.equal(json.length, 2, 'the clean\'s backup and the one restore took first');
    assert.ok(json.every((b) => b.instance === 1 && b.bytes > 0));
  });

  it('leaves the database exactly as it was when the dump is truncated', async () => {
    assert.equal((await api(BACKEND, '/records', { body: 'gamma' })).status, 201);
    const good = readdirSync(BACKUPS).filter((f) => f.endsWith('.dump')).sort().at(-1) ?? '';
    const bytes = readFileSync(join(BACKUPS, good));
    const cut = 'shipsec_dev_1-20000101T000000.dump';
    writeFileSync(join(BACKUPS, cut), bytes.subarray(0, Math.floor(bytes.length * 0.6)), { mode: 0o600 });
    const r = just('dev', '1', 'restore', cut, '--yes', '--no-backup');
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /could not restore \.instances\/backups\/instance-1\/shipsec_dev_1-20000101T000000\.dump: .*pg_restore/);
    assert.match(r.stderr, /Nothing changed: instance 1's database shipsec_dev_1 is as it was\./);
    assert.deepEqual(await bodies(), ['alpha', 'beta', 'gamma'], 'rows unchanged, apps never stopped');
    assert.deepEqual((await listDatabases(PG)).filter((d) => d.startsWith('di_')), [], 'nothing left beside it');
  });

  it('a snapshot whose dump cannot lock a table (an app holds it in an open transaction) fails after the lock wait, naming the table, instead of hanging', async () => {
    const c = new pg.Client({ ...PG, database: 'shipsec_dev_1' });
    await c.connect();
    let r: ReturnType<typeof just>;
    try {
      await c.query('BEGIN');
      await c.query('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
      r = stack.justWith({ DEV_INSTANCES_PG_LOCK_WAIT: '1s' }, 'dev', '1', 'snapshot', 'locked');
    } finally {
      await c.query('ROLLBACK');
      await c.end();
    }
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /pg_dump .*--lock-wait-timeout=1s.* exited with code 1/);
    assert.match(r.stderr, /canceling statement due to statement timeout\n.*Query was: LOCK TABLE public\.records IN ACCESS SHARE MODE/);
    assert.match(r.stderr, /DEV_INSTANCES_PG_LOCK_WAIT sets how long a dump waits for a lock/);
    assert.equal(just('dev', 'snapshots').stdout.includes('locked'), false, 'no snapshot, nothing half-written listed');
  });

  it("restores instance 1's snapshot into instance 2: its rows, and its keys under 2's prefix with their TTLs; 1 untouched", async () => {
    assert.equal((await api(BACKEND, '/kv/owner', { value: 'one' })).status, 200);
    await withRedis(6479, (r) => r.set('shipsec-dev-1:session:abc', 'alice', 'PX', 600_000));
    const r = just('dev', '1', 'snapshot', 'golden');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^snapshot golden of instance 1: database shipsec_dev_1 \([\d.]+ KB\), 2 Redis key\(s\) under shipsec-dev-1:, in \.instances\/snapshots\/golden\/\n/);
    assert.match(just('dev', 'snapshots').stdout, /^NAME +TAKEN \(UTC\) +FROM +DATABASE +KEYS +CODE\ngolden +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +instance 1 +[\d.]+ KB +2 +-\n/);
    for (const f of ['database.dump', 'redis-keys.jsonl', 'manifest.json']) assert.equal(statSync(join(stack.root, '.instances/snapshots/golden', f)).mode & 0o777, 0o600, f);
    assert.equal(just('dev', '1', 'snapshot', 'golden').code, 2, 'a name in use is refused');

    const one = await instanceData(1);
    assert.equal(just('dev', '2').code, 0);
    assert.equal((await api(3411, '/records', { body: 'only in two' })).status, 201);
    await api(3411, '/kv/stale', { value: 'goes' });
    const restored = just('dev', '2', 'restore', 'golden', '--yes');
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /restored shipsec_dev_2 from snapshot golden \(pg_restore\)\nrestored 2 Redis key\(s\) under shipsec-dev-2:\n/);
    assert.deepEqual(((await api(3411, '/records')).json as { body: string }[]).map((x) => x.body), ['alpha', 'beta', 'gamma']);
    assert.equal((await api(3411, '/kv/owner')).json.value, 'one');
    assert.equal((await api(3411, '/kv/stale')).json.value, null, "2's own keys were replaced");
    const ttl = await withRedis(6579, (c) => c.pttl('shipsec-dev-2:session:abc'));
    assert.ok(ttl > 500_000 && ttl <= 600_000, `TTL kept: ${ttl}`);
    assert.deepEqual(await instanceData(1), one, 'instance 1 byte for byte as before');
  });

  it('a restore whose keys Redis refuses changes nothing: instance 2\'s rows and keys as they were, its apps never stopped', async () => {
    const two = await instanceData(2);
    const backendPid = async () => (await withPm2((pm2) => pm2.list())).find((x) => x.name === 'shipsec-backend-2')?.pid;
    const backend = await backendPid();
    assert.ok(backend);
    await withRedis(6579, (r) => r.config('SET', 'maxmemory', '1')); // every write refused: out of memory
    let r: ReturnType<typeof just>;
    try {
      r = just('dev', '2', 'restore', 'golden', '--yes', '--no-backup');
    } finally {
      await withRedis(6579, (c) => c.config('SET', 'maxmemory', '0'));
    }
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /could not restore snapshot golden: its Redis keys could not be staged: .*OOM/);
    assert.match(r.stderr, /Nothing changed: instance 2's database shipsec_dev_2 and keys under shipsec-dev-2: are as they were\./);
    assert.doesNotMatch(r.stdout, /stopped .* while the database is replaced/, 'the apps were never stopped');
    assert.deepEqual(await instanceData(2), two, 'rows and keys byte for byte as before');
    assert.equal(await backendPid(), backend, 'the same backend process runs');
    assert.equal((await api(3411, '/health')).status, 200);
    assert.deepEqual((await listDatabases({ ...PG, port: 5633 })).filter((d) => d.startsWith('di_')), [], 'nothing left beside it');
  });

  it("clones instance 1 into instance 2 across their two Postgres servers (pg_dump, pg_restore); 1 untouched", async () => {
    assert.equal((await api(BACKEND, '/records', { body: 'delta' })).status, 201);
    assert.equal((await api(BACKEND, '/kv/owner', { value: 'still one' })).status, 200);
    const one = await instanceData(1);
    const r = just('dev', '2', 'clone', '1', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /restored shipsec_dev_2 from instance 1 \(pg_restore\)\nrestored 2 Redis key\(s\) under shipsec-dev-2:\n/);
    assert.deepEqual(((await api(3411, '/records')).json as { body: string }[]).map((x) => x.body), ['alpha', 'beta', 'gamma', 'delta']);
    assert.equal((await api(3411, '/kv/owner')).json.value, 'still one');
    assert.deepEqual(await instanceData(1), one, 'instance 1 byte for byte as before');
    assert.deepEqual(readdirSync(join(stack.root, '.instances')).filter((f) => f.startsWith('.clone')), [], 'the dump file is gone');
  });

  it('refuses a name that is not a backup of the instance, with exit 2 and nothing written', () => {
    const before = readdirSync(BACKUPS).sort();
    const refused = (args: string[], message: RegExp) => {
      const r = just('dev', ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    };
    refused(['1', 'restore', 'shipsec_dev_1-20990101T000000.dump', '--yes'], /invalid backup 'shipsec_dev_1-20990101T000000\.dump': expected a file name just dev 1 backups lists \(shipsec_dev_1-/);
    refused(['1', 'restore', '../../../etc/passwd', '--yes'], /invalid snapshot name '\.\.\/\.\.\/\.\.\/etc\/passwd': use letters, digits/);
    refused(['1', 'restore', 'nosuch', '--yes'], /unknown snapshot 'nosuch': expected one just dev snapshots lists \(golden\)/);
    refused(['1', 'snapshot', '../x'], /invalid snapshot name '\.\.\/x'/);
    const keep = stack.justWith({ DEV_INSTANCES_BACKUPS_KEEP: '0' }, 'dev', '1', 'restore', '--yes');
    assert.equal(keep.code, 2);
    assert.match(keep.stderr, /invalid DEV_INSTANCES_BACKUPS_KEEP '0': expected how many backups to keep per instance, 1 to 1000/);
    assert.deepEqual(readdirSync(BACKUPS).sort(), before);
    assert.deepEqual(readdirSync(join(stack.root, '.instances/snapshots')), ['golden']);
  });
});
