/**
 * Clones and seeds on shared infrastructure (one Postgres, one Redis: the case the golden template
 * exists for), with real just, PM2, Postgres, Redis and the demo apps. A clone of a running instance
 * that keeps writing leaves it running and unharmed; a clone of a stopped one is a server-side copy;
 * three instances seeded at once build the snapshot's template once and each get its data.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { cloneFamily } from '../../src/data/clone.js';
import { withPm2 } from '../../src/pm2/client.js';
import { REPO } from '../helpers/cli.js';
import { api, stackRoot, until } from '../helpers/stack-root.js';

const stack = stackRoot('di-clone-');
const { just } = stack;
const backend = (n: number) => 3211 + n * 100;
const bodies = async (n: number) => ((await api(backend(n), '/records')).json as { body: string }[]).map((x) => x.body);
// The machine's password (the native engine's, src/secrets.ts), read when a client is made: the first start writes it.
const PG = { host: '127.0.0.1', port: 5433, user: 'shipsec', get password() { return stack.pgPassword(); } };

async function query<T>(database: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ ...PG, database });
  c.on('error', () => {});
  await c.connect();
  try { return (await c.query(sql)).rows as T[]; } finally { await c.end(); }
}

const withRedis = <T>(fn: (r: Redis) => Promise<T>, port = 6379): Promise<T> => stack.withRedis(port, fn);

/** The keys under an instance's prefix, with their values, without the prefix (on the shared Redis, unless port says another). */
const keysOf = (n: number, port?: number) => withRedis(async (r) => {
  const prefix = `shipsec-dev-${n}:`;
  const names = (await r.keys(`${prefix}*`)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (k) => [k.slice(prefix.length), await r.get(k)])));
}, port);

/** pid and restart count of each of the instance's PM2 apps: a clone must not touch them. */
const processes = (n: number) => withPm2(async (s) =>
  (await s.list()).filter((p) => p.name.endsWith(`-${n}`)).map((p) => `${p.name}:${p.status}:${p.pid}:${p.restarts}`).sort());

describe('clones and seeds on shared infrastructure', () => {
  before(async () => {
    const r = just('dev', '1', '--infra', 'shared');
    assert.equal(r.code, 0, r.stderr);
    for (const body of ['alpha', 'beta']) assert.equal((await api(backend(1), '/records', { body })).status, 201);
    await withRedis((r) => r.set('shipsec-dev-1:colour', 'blue'));
  });
  after(async () => {
    assert.deepEqual(await stack.teardown(), [], 'processes left running');
  });

  it('refuses a clone without a source, into itself, or from an unknown snapshot, and a start with an unknown seed, changing nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['dev', '2', 'clone'], /clone needs a source: just dev 2 clone N, just dev 2 clone --from N, or just dev 2 clone --from-snapshot NAME/],
      [['dev', '1', 'clone', '1', '--yes'], /cannot clone instance 1 into itself/],
      [['dev', '2', 'clone', '1', '--from', '3'], /clone got two sources, 1 and --from 3: give one/],
      [['dev', '2', 'clone', '--from-snapshot', 'nope', '--yes'], /unknown snapshot 'nope': expected one just dev snapshots lists \(there are none\)/],
      [['dev', '2', 'clone', '--from', 'x1'], /invalid source instance 'x1': expected a number/],
      [['dev', '1', 'clone', '3', '--start', '--yes'], /--start is for a clone into an instance that never ran; instance 1 has run/],
      [['dev', '2', '--seed', '../golden'], /invalid snapshot name '\.\.\/golden'/],
      [['dev', '2', '--seed', 'nope'], /unknown snapshot 'nope'/],
    ];
    for (const [args, message] of cases) {
      const r = just(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const nothing = just('dev', '7', 'clone', '6');
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /instance 6 has no data to clone: it was never started here, or it was cleaned/);
    assert.equal(existsSync(join(stack.root, '.instances', 'instance-7')), false, 'instance 7 was not started for it');
    assert.deepEqual(await processes(2), [], 'nothing of instance 2 was started');
    assert.deepEqual(await bodies(1), ['alpha', 'beta']);
  });

  it('a restore interrupted by SIGTERM while its backup waits changes nothing: exit 143, the rows and the running apps as they were', async () => {
    assert.equal(just('dev', '1', 'snapshot', 'pre').code, 0);
    const before = await processes(1);
    // An open transaction holds the table: the restore's backup (pg_dump) waits for it, visibly.
    const holder = new pg.Client({ ...PG, database: 'shipsec_dev_1' });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
      const run = stack.justAsync('dev', '1', 'restore', 'pre', '--yes');
      await until('the restore\'s pg_dump waits for the lock', async () => (await query<{ n: number }>('postgres',
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pg_dump' AND wait_event_type = 'Lock'"))[0]?.n === 1, 30_000);
      const { execSync } = await import('node:child_process');
      const cli = execSync('ps -eo pid,args', { encoding: 'utf8' }).split('\n').find((l) => /bin\/dev\.mjs 1 restore pre --yes$/.test(l.trim()));
      assert.ok(cli, 'the restore is running');
      process.kill(Number(cli.trim().split(/\s+/)[0]), 'SIGTERM');
      const ended = await run.done;
      assert.equal(ended.code, 143, ended.stderr);
      assert.match(ended.stderr, /^dev-instances: interrupted by SIGTERM$/m);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
    assert.deepEqual(await bodies(1), ['alpha', 'beta'], 'the data is as it was');
    assert.deepEqual(await processes(1), before, 'the apps ran throughout, untouched');
    assert.equal(just('dev', 'snapshots', '--rm', 'pre', '--yes').code, 0);
    const left = readdirSync(join(stack.root, '.instances', 'backups', 'instance-1')).filter((f) => f.includes('partial'));
    assert.deepEqual(left, [], 'no half-written backup is left');
  });

  it('seeds three instances started at once from one snapshot: the template is built once, each gets the rows and keys', async () => {
    const taken = just('dev', '1', 'snapshot', 'golden');
    assert.equal(taken.code, 0, taken.stderr);
    const runs = await Promise.all([2, 3, 4].map((n) => stack.justAsync('dev', String(n), '--infra', 'shared', '--seed', 'golden').done));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const said = runs.map((r) => r.stderr);
    assert.equal(said.filter((s) => /starts with the data of snapshot golden \(pg_restore into the golden template di_tpl_\w+/.test(s)).length, 1, said.join('\n'));
    assert.equal(said.filter((s) => /starts with the data of snapshot golden \(a file copy of the golden template di_tpl_\w+\)/.test(s)).length, 2, said.join('\n'));
    for (const n of [2, 3, 4]) {
      assert.deepEqual(await bodies(n), ['alpha', 'beta'], `instance ${n} reads the snapshot's rows through its backend`);
      assert.deepEqual(await keysOf(n), { colour: 'blue' }, `instance ${n} has the snapshot's key under its own prefix`);
    }
    const templates = await query<{ datname: string; datallowconn: boolean }>('postgres', "SELECT datname, datallowconn FROM pg_database WHERE datname LIKE 'di\\_%'");
    assert.equal(templates.length, 1, JSON.stringify(templates));
    assert.match(templates[0]?.datname ?? '', /^di_tpl_[0-9a-f]{12}_[0-9a-f]{12}$/);
    assert.equal(templates[0]?.datallowconn, false, 'nobody can connect to the template');

    // An instance with data keeps it: the seed is for a new database only.
    assert.equal((await api(backend(2), '/records', { body: 'two' })).status, 201);
    assert.equal(just('dev', '2', 'stop').code, 0);
    const kept = just('dev', '2', '--seed', 'golden');
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stderr, /instance 2 has a database already \(shipsec_dev_2\): the data of snapshot golden was not applied; just dev 2 restore golden --yes replaces its data/);
    assert.deepEqual(await bodies(2), ['alpha', 'beta', 'two']);
    for (const n of [3, 4]) assert.equal(just('dev', String(n), 'stop').code, 0);
  });

  it("starts a new instance from the declaration's seed; a declared seed that is no snapshot here is a warning; a malformed one exit 2", async () => {
    const declaration = (seed: string) => {
      const file = join(stack.root, `seeded-${seed.replace(/\W/g, '')}.mjs`);
      writeFileSync(file, `import stack from ${JSON.stringify(join(REPO, 'dist', 'examples', 'shipsec', 'dev-instances.config.js'))};\nexport default { ...stack, seed: ${JSON.stringify(seed)} };\n`);
      return { DEV_INSTANCES_CONFIG: file };
    };
    const seeded = stack.justWith(declaration('golden'), 'dev', '5', '--infra', 'shared');
    assert.equal(seeded.code, 0, seeded.stderr);
    assert.match(seeded.stderr, /instance 5 starts with the data of snapshot golden \(a file copy of the golden template di_tpl_\w+\)/);
    assert.deepEqual(await bodies(5), ['alpha', 'beta']);
    const again = stack.justWith(declaration('golden'), 'dev', '5');
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /seed|snapshot/, 'a declared seed says nothing where it does not apply');
    assert.equal(just('dev', '5', 'stop').code, 0);

    const missing = stack.justWith(declaration('nope'), 'dev', '6', '--infra', 'shared');
    assert.equal(missing.code, 0, missing.stderr);
    assert.match(missing.stderr, /the declaration's seed 'nope' is not a snapshot of this checkout \(just dev snapshots lists them\): instance 6 starts with an empty database/);
    assert.deepEqual(await bodies(6), []);
    assert.equal(just('dev', '6', 'clean', '--yes', '--no-backup').code, 0);

    const malformed = stack.justWith(declaration('../x'), 'dev', '6', 'ports');
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /seed: '\.\.\/x' must be a snapshot name/);
  });

  it('clones a running instance that keeps writing: it stays up, unharmed, and the clone has its rows and keys', async () => {
    const before = await processes(1);
    assert.equal(before.length, 3);
    let writing = true;
    let written = 0;
    const failures: string[] = [];
    const writer = (async () => {
      while (writing) {
        const r = await api(backend(1), '/records', { body: `w${written}` }).catch((err: Error) => ({ status: 0, json: err.message }));
        if (r.status === 201) written++;
        else failures.push(`${r.status} ${JSON.stringify(r.json)}`);
      }
    })();
    const r = await stack.justAsync('dev', '2', 'clone', '1', '--yes').done;
    writing = false;
    await writer;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(failures, [], 'every write to instance 1 during the clone succeeded');
    assert.ok(written > 0, 'instance 1 was written to during the clone');
    assert.match(r.stdout, /backed up shipsec_dev_2 to \.instances\/backups\/instance-2\//);
    assert.match(r.stdout, /restored shipsec_dev_2 from instance 1 \(pg_restore\)/, 'a running source is read with pg_dump');
    assert.match(r.stdout, /cloned instance 2 from instance 1/);
    assert.deepEqual(await processes(1), before, 'instance 1 was neither restarted nor stopped');

    const cloned = await bodies(2);
    assert.deepEqual(cloned.slice(0, 2), ['alpha', 'beta']);
    assert.ok(!cloned.includes('two'), "instance 2's own row is gone");
    const all = await bodies(1);
    assert.deepEqual(all, cloned.concat(all.slice(cloned.length)), "the clone is a prefix of instance 1's rows: one consistent point in time");
    assert.equal(all.length, 2 + written);
    assert.deepEqual(await keysOf(2), { colour: 'blue' });
    assert.deepEqual(await keysOf(1), { colour: 'blue' });
  });

  it('clones a stopped instance with a server-side file copy and leaves no side database', async () => {
    assert.equal(just('dev', '1', 'stop').code, 0);
    await withRedis((r) => r.set('shipsec-dev-1:colour', 'green'));
    const lsn = async () => (await query<{ l: string }>('postgres', 'SELECT pg_current_wal_lsn() AS l'))[0]?.l ?? '';
    // What a clone killed midway left, under a pid that now belongs to another process (this test's):
    // its start time tells them apart, and the next clone into 3 drops it.
    await query('postgres', `CREATE DATABASE ${cloneFamily('shipsec_dev_3')}${process.pid}_1`);
    const walBefore = await lsn();
    const r = just('dev', '3', 'clone', '--from', '1', '--yes', '--json', '--no-backup');
    assert.equal(r.code, 0, r.stderr);
    // FILE_COPY copies files; WAL_LOG (Postgres 15's default) would write the whole database into the WAL.
    const [sizes] = await query<{ wal: string; db: string }>('postgres',
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${walBefore}') AS wal, pg_database_size('shipsec_dev_1') AS db`);
    assert.ok(Number(sizes?.wal) < Number(sizes?.db) / 4, `WAL written ${sizes?.wal} bytes for a ${sizes?.db}-byte database: not a file copy`);
    const out = JSON.parse(r.stdout) as { instance: number; cloned: string; restarted: string[]; events: { kind: string; via?: string }[] };
    assert.equal(out.cloned, 'instance 1');
    assert.deepEqual(out.restarted, [], 'instance 3 was stopped and stays stopped');
    assert.equal(out.events.find((e) => e.kind === 'restored')?.via, 'copy');
    assert.deepEqual(await processes(1), [], 'instance 1 stays stopped');
    assert.equal(just('dev', '3').code, 0);
    assert.equal((await bodies(3)).length, (await query('shipsec_dev_1', 'SELECT 1 FROM records')).length);
    assert.deepEqual(await keysOf(3), { colour: 'green' });
    const left = await query<{ datname: string }>('postgres', "SELECT datname FROM pg_database WHERE datname LIKE 'di\\_clone%' OR datname LIKE 'di\\_incoming%'");
    assert.deepEqual(left, [], 'no side database is left');
  });

  it('makes an instance that never ran from a copy: its database holds the copy from the start, its apps wait for just dev N (or --start)', async () => {
    const rows = (await query('shipsec_dev_1', 'SELECT 1 FROM records')).length;
    // Instance 1 is stopped: on the shared server, the server copies its files.
    const r = just('dev', '8', 'clone', '1', '--infra', 'shared');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /instance 8 starts with the data of instance 1 \(a file copy/);
    assert.match(r.stdout, /^Instance 8's infrastructure and data are ready in [\d.]+ s \([^)]*\); its apps start with: just dev 8$/m);
    assert.deepEqual(await processes(8), [], 'no app of instance 8 was started');
    assert.equal((await query('shipsec_dev_8', 'SELECT 1 FROM records')).length, rows);
    assert.deepEqual(await keysOf(8), { colour: 'green' });
    assert.equal(just('dev', '8').code, 0);
    assert.equal((await bodies(8)).length, rows, 'the start keeps the cloned data');

    // Instance 8 runs: its copy is read with pg_dump, restored into instance 9's own new Postgres, and --start starts 9's apps.
    const own = just('dev', '9', 'clone', '8', '--infra', 'isolated', '--start');
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stderr, /instance 9 starts with the data of instance 8 \(pg_restore/);
    assert.match(own.stdout, /^Instance 9 is up in /m);
    assert.deepEqual(await bodies(9), await bodies(8));
    assert.deepEqual(await keysOf(9, 6379 + 900), { colour: 'green' }, 'on its own Redis');
    for (const n of [8, 9]) assert.equal(just('dev', String(n), 'clean', '--yes', '--no-backup').code, 0);
  });

  it('a clone into a new instance whose database exists fails, keeps that data, and leaves the instance as never run', async () => {
    await query('postgres', 'CREATE DATABASE shipsec_dev_10');
    await query('shipsec_dev_10', "CREATE TABLE mine (v text); INSERT INTO mine VALUES ('kept')");
    for (let attempt = 1; attempt <= 2; attempt++) {
      const r = just('dev', '10', 'clone', '1', '--infra', 'shared');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /instance 10 has a database already \(shipsec_dev_10\): nothing of instance 1's data was applied/);
      assert.match(r.stderr, /just dev 10 clone 1 --yes \(a backup is taken first\)/);
      assert.equal(existsSync(join(stack.root, '.instances/instance-10/state.json')), false, `attempt ${attempt}: no record of a start that failed`);
    }
    assert.deepEqual(await query('shipsec_dev_10', 'SELECT v FROM mine'), [{ v: 'kept' }]);
    assert.deepEqual(await processes(10), []);
    await query('postgres', 'DROP DATABASE shipsec_dev_10');
  });

  it('removes a snapshot with its golden template, only when confirmed', async () => {
    const refused = just('dev', 'snapshots', '--rm', 'golden');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /snapshots --rm deletes data: confirm on a terminal, or pass --yes\. This deletes snapshot golden \(instance 1, /);
    assert.equal(just('dev', 'snapshots', '--rm', 'nope', '--yes').code, 2, 'an unknown name');
    const templates = () => query<{ datname: string }>('postgres', "SELECT datname FROM pg_database WHERE datname LIKE 'di\\_tpl\\_%'");
    assert.equal((await templates()).length, 1);
    const r = just('dev', 'snapshots', '--rm', 'golden', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^removed snapshot golden \(\.instances\/snapshots\/golden\/\)\ndropped its golden template di_tpl_\w+ from the shared Postgres\n/);
    assert.deepEqual(await templates(), []);
    assert.deepEqual(JSON.parse(just('dev', 'snapshots', '--json').stdout), []);
  });
});
