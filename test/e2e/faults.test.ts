/**
 * Faults a day of real use brings, injected on purpose: killed apps and servers, a killed PM2
 * daemon, interrupted and concurrent commands, stale locks, corrupted files, missing data.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { withPm2 } from '../../src/pm2/client.js';
import { portInUse } from '../../src/ports/holder.js';
import { processesUnder } from '../helpers/pm2-home.js';
import { api, stackRoot, until } from '../helpers/stack-root.js';

const stack = stackRoot('di-faults-');
const { just, names } = stack;
const proc = async (name: string) => (await withPm2((s) => s.list())).find((p) => p.name === name);
/** SIGKILL a process PM2 runs and wait until PM2 has restarted it (a new pid, online). */
async function killAndAwaitRestart(name: string): Promise<void> {
  const before = await proc(name);
  assert.ok(before?.pid);
  process.kill(before.pid, 'SIGKILL');
  await until(`PM2 has restarted ${name}`, async () => {
    const now = await proc(name);
    return now?.status === 'online' && now.pid !== before.pid;
  }, 30_000);
}
const noStackTrace = (text: string) => assert.doesNotMatch(text, /unexpected failure|\n\s+at .+:\d+:\d+/, text);

describe('faults', () => {
  after(async () => {
    assert.deepEqual(await stack.teardown(), [], 'processes left running');
  });

  it('instance 5 starts', () => {
    const r = just('dev', '5');
    assert.equal(r.code, 0, r.stderr);
  });

  it('an app killed with SIGKILL is restarted by PM2, and status shows the restart', async () => {
    const before = await proc('shipsec-backend-5');
    assert.ok(before?.pid);
    process.kill(before.pid, 'SIGKILL');
    await until('PM2 restarted the backend', async () => {
      const p = await proc('shipsec-backend-5');
      return p?.status === 'online' && p.pid !== before.pid && (await api(3711, '/health')).status === 200;
    });
    assert.match(just('dev', '5', 'status').stdout, /^5 +shipsec-backend-5 +3711 +online +\d+ +\d+s +1 +ok$/m);
  });

  it('a crash loop ends as errored, and status says so with the last log lines', async () => {
    const { apps } = JSON.parse(readFileSync(join(stack.root, '.instances/instance-5/ecosystem.json'), 'utf8')) as { apps: { name: string; env: Record<string, string> }[] };
    const backend = apps.find((a) => a.name === 'shipsec-backend-5');
    assert.ok(backend);
    await withPm2(async (s) => {
      await s.delete(backend.name);
      // A broken build: the backend dies at start-up every time.
      await s.start({ ...backend, env: { ...backend.env, DATABASE_URL: 'postgresql://nobody:x@127.0.0.1:1/none' } } as never);
    });
    await until('the backend is errored', async () => (await proc('shipsec-backend-5'))?.status === 'errored', 30_000);
    const r = just('dev', '5', 'status');
    assert.match(r.stdout, /^5 +shipsec-backend-5 +3711 +errored /m);
    assert.match(r.stdout, /shipsec-backend-5 is errored; last lines of its log:\n[\s\S]*ECONNREFUSED/);
  });

  it('start heals an errored app with its real environment', async () => {
    const r = just('dev', '5');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await api(3711, '/health')).status, 200);
  });

  it('a killed native Postgres comes back with its data intact', async () => {
    assert.equal((await api(3711, '/records', { body: 'survives a crash' })).status, 201);
    // The killed postmaster's backends linger a moment, so only a restarted server proves anything.
    await killAndAwaitRestart('shipsec-postgres-5');
    let records: { body: string }[] = [];
    await until('the backend reads records again', async () => {
      const r = await api(3711, '/records');
      if (r.status === 200) records = r.json;
      return r.status === 200;
    }, 30_000);
    assert.deepEqual(records.map((x) => x.body), ['survives a crash']);
    assert.match(just('dev', '5', 'status').stdout, /^5 +shipsec-postgres-5 +5933 +online +\d+ +\S+ +[1-9]\d* +ok$/m);
  });

  it('a killed native Redis comes back with its keys; one that stays down shows in status and start heals it', async () => {
    assert.equal((await api(3711, '/kv/survivor', { value: 'still here' })).status, 200);
    await killAndAwaitRestart('shipsec-redis-5');
    let value: unknown;
    await until('the backend reads the key again', async () => {
      value = (await api(3711, '/kv/survivor')).json.value;
      return value !== undefined;
    }, 30_000);
    assert.equal(value, 'still here');

    // Down for good (as when PM2 gave up on it): status says so, start brings it back.
    await withPm2((s) => s.stop('shipsec-redis-5'));
    const status = just('dev', '5', 'status');
    assert.match(status.stdout, /^5 +shipsec-redis-5 +6879 +stopped /m);
    const r = just('dev', '5');
    assert.equal(r.code, 0, r.stderr);
    assert.match(just('dev', '5', 'status').stdout, /^5 +shipsec-redis-5 +6879 +online /m);
    assert.equal((await api(3711, '/kv/survivor')).json.value, 'still here');
  });

  it('after the PM2 daemon is killed, status notices and start brings the instance back once', async () => {
    const god = Number(readFileSync(join(stack.pm2Home, 'pm2.pid'), 'utf8'));
    process.kill(god, 'SIGKILL');
    await until('the daemon is gone', async () => { try { process.kill(god, 0); return false; } catch { return true; } });
    const status = just('dev', '5', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /orphaned/);
    assert.match(status.stdout, /PM2 does not run it \(was the PM2 daemon restarted\?\)/);
    const r = just('dev', '5');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ending pid \d+ \(.+ of instance 5, port \d+\): ours, but PM2 no longer runs it/);
    assert.deepEqual(await names(), ['shipsec-backend-5', 'shipsec-frontend-5', 'shipsec-postgres-5', 'shipsec-redis-5', 'shipsec-worker-5']);
    assert.deepEqual((await api(3711, '/records')).json.map((x: { body: string }) => x.body), ['survives a crash']);
    assert.doesNotMatch(just('dev', '5', 'status').stdout, /orphaned/);
  });

  // SIGTERM: the dashboard's timeout, a closed terminal; SIGINT: Ctrl-C.
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`a start interrupted half way (${signal} to the CLI alone) takes back what it started, releases its lock, exits ${code}; the next start completes`, async () => {
      const run = stack.justAsync('dev', '6');
      await until('instance 6 has infrastructure running', async () => (await proc('shipsec-postgres-6'))?.status === 'online', 30_000);
      const { execSync } = await import('node:child_process');
      // The CLI process (node bin/dev.mjs 6), not just: interrupt the one doing the work.
      const cli = execSync('ps -eo pid,args', { encoding: 'utf8' }).split('\n').find((l) => /bin\/dev\.mjs 6$/.test(l.trim()));
      assert.ok(cli, 'the start is not running any more');
      process.kill(Number(cli.trim().split(/\s+/)[0]), signal);
      const ended = await run.done;
      assert.equal(ended.code, code, ended.stderr);
      assert.match(ended.stderr, new RegExp(`^dev-instances: interrupted by ${signal}$`, 'm'));
      assert.doesNotMatch(ended.stderr, /It stopped at/);
      assert.deepEqual((await names()).filter((n) => n.endsWith('-6')), [], 'what the start had started is gone');
      assert.equal(existsSync(join(stack.root, '.instances/instance-6/.lock')), false, 'the lock was released');
      const again = just('dev', '6');
      assert.equal(again.code, 0, again.stderr);
      assert.equal((await api(3811, '/health')).status, 200);
      const stop = just('dev', '6', 'stop');
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(!(await names()).some((n) => n.endsWith('-6')));
      for (const port of [5873, 3811, 6033, 6979]) assert.equal(await portInUse(port), false, `port ${port}`);
    });
  }

  it('a stale lock from a run that is gone is recovered with a message', () => {
    writeFileSync(join(stack.root, '.instances/instance-6/.lock'), '999999\n');
    const r = just('dev', '6', 'stop');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /recovered a stale lock of instance 6 left by a run that is gone \(pid 999999\)/);
  });

  it('corrupted or hand-edited files are regenerated, never a stack trace', async () => {
    const dir = join(stack.root, '.instances/instance-5');
    for (const f of ['state.json', 'ecosystem.json', 'backend.env', 'docker-compose.override.yml']) writeFileSync(join(dir, f), '{{{ not what it was \u0000\n');
    const status = just('dev', '5', 'status');
    assert.equal(status.code, 0, status.stderr);
    noStackTrace(status.stderr);
    const r = just('dev', '5', 'restart');
    assert.equal(r.code, 0, r.stderr);
    noStackTrace(r.stderr);
    assert.equal((await api(3711, '/health')).status, 200);
    assert.doesNotThrow(() => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')));
  });

  it('the same instance started twice at once: one start, one clear message for the loser', async () => {
    const [a, b] = await Promise.all([stack.justAsync('dev', '7').done, stack.justAsync('dev', '7').done]);
    const outcomes = [a, b].map((r) => `${r.code} ${r.stdout}${r.stderr}`);
    assert.equal(outcomes.filter((o) => /Instance 7 is up/.test(o)).length, 1, outcomes.join('\n---\n'));
    const loser = outcomes.find((o) => !/Instance 7 is up/.test(o)) ?? '';
    assert.match(loser, /^1 .*instance 7 is busy: another command \(pid \d+\) is starting or stopping it|^0 Instance 7 is already running/s);
    assert.equal((await names()).filter((n) => n.endsWith('-7')).length, 5);
  });

  it('stop all while a start is in progress leaves nothing behind', async () => {
    const start = stack.justAsync('dev', '8');
    await until('the start of instance 8 holds its lock', async () => {
      try { readFileSync(join(stack.root, '.instances/instance-8/.lock')); return true; } catch { return false; }
    });
    const stop = stack.justAsync('dev', 'stop', 'all');
    const [s, t] = await Promise.all([start.done, stop.done]);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(await names(), []);
    assert.deepEqual(processesUnder(stack.root), []);
  });

  it('data that existed and is gone gets a loud warning before a new empty database is made', () => {
    rmSync(join(stack.root, '.instances/instance-7/data/postgres'), { recursive: true, force: true });
    const r = just('dev', '7');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /instance 7's database data was initialised before and is now MISSING/);
  });

  it('a server that cannot start fails the start, and the frontend started meanwhile goes too', async () => {
    const conf = join(stack.root, '.instances/instance-8/data/postgres/postgresql.conf');
    const good = readFileSync(conf, 'utf8');
    writeFileSync(conf, `${good}this is not a setting\n`);
    try {
      const r = just('dev', '8');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /starting infrastructure .*; meanwhile shipsec-frontend-8/);
      assert.match(r.stderr, /postgres of instance 8 on port 6233/);
      noStackTrace(r.stderr);
      assert.deepEqual((await names()).filter((n) => n.endsWith('-8')), []);
      for (const port of [5973, 4011, 6233, 7179]) assert.equal(await portInUse(port), false, `port ${port}`);
    } finally {
      writeFileSync(conf, good);
    }
    assert.equal(just('dev', '8').code, 0);
  });

  it('a required server whose binary is missing stops the start before anything runs', async () => {
    // PATH as on a machine that skipped the set-up line: node and a shell, no redis-server.
    const bin = join(stack.root, 'bin-without-redis');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const r = stack.justWith({ PATH: bin }, 'dev', '13');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot start instance 13 on the native engine: redis not found/);
    assert.match(r.stderr, /redis: apt-get install redis-server/);
    assert.match(r.stderr, /Nothing was started/);
    noStackTrace(r.stderr);
    assert.deepEqual((await names()).filter((n) => n.endsWith('-13')), [], 'no process of instance 13 in PM2');
    for (const port of [6473, 4511, 6733, 7679]) assert.equal(await portInUse(port), false, `port ${port}`);
  });
});
