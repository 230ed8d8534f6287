/**
 * End to end on the native engine, as a user runs it: the real `just` binary, real PM2, Postgres,
 * Redis and the demo apps (Vite included), and headless Chromium for the frontend.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { withPm2 } from '../../src/pm2/client.js';
import { portInUse } from '../../src/ports/holder.js';
import { processesUnder } from '../helpers/pm2-home.js';
import { REPO } from '../helpers/cli.js';
import { api, stackRoot, until } from '../helpers/stack-root.js';

const stack = stackRoot('di-e2e-');
const { just, names } = stack;
const justAsync = (...args: string[]) => stack.justAsync(...args).done;

const PORTS = { 1: [5273, 3311, 5533, 6479], 2: [5373, 3411, 5633, 6579], 3: [5473, 3511, 5733, 6679] } as const;

describe('just dev lifecycle (native engine)', () => {
  after(async () => {
    assert.deepEqual(await stack.teardown(), [], 'processes left running');
  });

  it('starts instances 1 and 2 concurrently and prints their URLs', async () => {
    const [one, two] = await Promise.all([justAsync('dev', '1'), justAsync('dev', '2')]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.code, 0, two.stderr);
    assert.match(one.stdout, /Instance 1 is up in [\d.]+ s \(native engine/);
    assert.match(one.stdout, /Frontend +http:\/\/localhost:5273/);
    assert.match(two.stdout, /Backend +http:\/\/localhost:3411/);
  });

  it('runs every process under its expected name', async () => {
    const want = [1, 2].flatMap((n) => ['frontend', 'backend', 'worker', 'postgres', 'redis'].map((x) => `shipsec-${x}-${n}`)).sort();
    assert.deepEqual(await names(), want);
  });

  it('start --dry-run prints the plan and the actions, and runs and writes nothing', async () => {
    const before = await names();
    const r = just('dev', '9', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Dry run: start instance 9 \(native engine, as asked\)\. Nothing was run or written\.$/m);
    assert.match(r.stdout, /pm2 start shipsec-postgres-9 \(namespace shipsec-dev-9\): \S+\/postgres -D \S+ -p 6333 /);
    assert.match(r.stdout, /pm2 start shipsec-redis-9 .*redis-server \S+\/dev-instances-redis\.conf --port 7279 /);
    assert.match(r.stdout, /create database shipsec_dev_9 on 127\.0\.0\.1:6333 \(if missing\)/);
    assert.match(r.stdout, /pm2 start shipsec-backend-9: node server\.mjs in apps\/backend, port 4111, healthy when \/health answers 200/);
    assert.equal(existsSync(join(stack.root, '.instances/instance-9')), false, 'no folder written');
    assert.deepEqual(await names(), before, 'no process started');
    for (const port of [6073, 4111, 6333, 7279]) assert.equal(await portInUse(port), false, `port ${port}`);
  });

  it('stop --dry-run and clean --dry-run of a running instance leave it running with its data', async () => {
    assert.equal((await api(3411, '/kv/dry-run', { value: 'kept' })).status, 200);
    const stop = just('dev', '2', 'stop', '--dry-run');
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /^Dry run: stop instance 2 \(native engine, as last started \(/m);
    assert.match(stop.stdout, /pm2 delete shipsec-backend-2/);
    assert.match(stop.stdout, /pm2 delete shipsec-postgres-2; wait until port 5633 is free/);
    const clean = just('dev', '2', 'clean', '--dry-run'); // no --yes needed: nothing is deleted
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /pg_dump -Fc shipsec_dev_2 > \.instances\/backups\/instance-2\/shipsec_dev_2-<time>\.dump/);
    assert.match(clean.stdout, /drop database shipsec_dev_2 on 127\.0\.0\.1:5633 WITH \(FORCE\)/);
    assert.match(clean.stdout, /remove \.instances\/instance-2\//);
    assert.equal((await api(3411, '/health')).status, 200);
    assert.equal((await api(3411, '/kv/dry-run')).json.value, 'kept');
    assert.equal(existsSync(join(stack.root, '.instances/backups/instance-2')), false, 'no backup written');
  });

  it('each backend answers on its own port with its own database and prefix', async () => {
    for (const [n, port] of [[1, 3311], [2, 3411]] as const) {
      const { status, json } = await api(port, '/health');
      assert.equal(status, 200);
      assert.equal(json.instance, n);
      assert.equal(json.database, `shipsec_dev_${n}`);
      assert.equal(json.redisPrefix, `shipsec-dev-${n}:`);
      assert.equal(json.temporalNamespace, `shipsec-dev-${n}`);
      assert.deepEqual(json.unavailable, ['temporal', 'minio', 'loki', 'redpanda', 'redpanda-console']);
    }
  });

  it('a record or key written through backend 1 is invisible to backend 2', async () => {
    assert.equal((await api(3311, '/records', { body: 'only in one' })).status, 201);
    assert.equal((await api(3411, '/records', { body: 'only in two' })).status, 201);
    assert.deepEqual((await api(3311, '/records')).json.map((r: { body: string }) => r.body), ['only in one']);
    assert.deepEqual((await api(3411, '/records')).json.map((r: { body: string }) => r.body), ['only in two']);
    await api(3311, '/kv/color', { value: 'red' });
    assert.equal((await api(3411, '/kv/color')).json.value, null);
  });

  it("the worker takes its own instance's jobs", async () => {
    await api(3411, '/jobs', { n: 42 });
    const giveUp = Date.now() + 10_000;
    let results: { payload: { n: number }; done_by: string }[] = [];
    while (results.length === 0 && Date.now() < giveUp) {
      results = (await api(3411, '/jobs/results')).json;
      if (results.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(results.map((r) => [r.payload.n, r.done_by]), [[42, 'worker-2']]);
    assert.deepEqual((await api(3311, '/jobs/results')).json, []);
  });

  it('starting a running instance changes nothing and says so', async () => {
    const before = (await withPm2((s) => s.list())).map((p) => [p.name, p.pid]);
    const r = just('dev', '1');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Instance 1 is already running; nothing changed/);
    assert.deepEqual((await withPm2((s) => s.list())).map((p) => [p.name, p.pid]), before);
  });

  it('status all --json carries ports, URLs, pids, database, namespace and prefix', () => {
    const r = just('dev', 'status', 'all', '--json');
    assert.equal(r.code, 0, r.stderr);
    const { instances } = JSON.parse(r.stdout) as { instances: any[] };
    assert.deepEqual(instances.map((i) => i.instance), [1, 2]);
    const two = instances[1];
    assert.equal(two.ports.BACKEND, 3411);
    assert.equal(two.urls.Frontend, 'http://localhost:5373');
    assert.equal(two.database, 'shipsec_dev_2');
    assert.equal(two.redisPrefix, 'shipsec-dev-2:');
    assert.ok(two.processes.every((p: { state: string; pid: number; health: string }) => p.state === 'online' && p.pid > 0 && p.health === 'ok'));
    for (const pw of [stack.pgPassword(), stack.machinePassword('redis') ?? '']) assert.ok(pw && !r.stdout.includes(pw), 'a password in status output');
    const table = just('dev', 'status', 'all').stdout;
    assert.match(table, /^INSTANCE +PROCESS +PORT +STATE +PID +UPTIME +RESTARTS +HEALTH$/m);
    assert.match(table, /^2 +shipsec-backend-2 +3411 +online +\d+ +\d+s +0 +ok$/m);
  });

  it("instance 2's frontend shows instance 2's data in headless Chromium", () => {
    const r = spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu',
      '--no-first-run', `--user-data-dir=${join(stack.root, 'chromium')}`, '--virtual-time-budget=10000', '--dump-dom', 'http://localhost:5373/'],
      { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.error, undefined, `chromium could not run (apt-get install chromium): ${r.error?.message}`);
    assert.match(r.stdout, /<body data-loaded="true">/, r.stdout.slice(0, 2000));
    assert.match(r.stdout, /<span id="instance">2<\/span>/);
    assert.match(r.stdout, /<code id="database">shipsec_dev_2<\/code>/);
    assert.match(r.stdout, /<li>only in two<\/li>/);
    assert.doesNotMatch(r.stdout, /only in one/);
  });

  it('a foreign process on instance 3\'s backend port makes start 3 fail cleanly', async () => {
    const squatter = createServer().listen(3511, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      const r = just('dev', '3');
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`port 3511 \\(backend of instance 3\\) is taken by pid ${process.pid}`));
      assert.ok(!(await names()).some((n) => n.endsWith('-3')));
      for (const port of PORTS[3].filter((p) => p !== 3511)) assert.equal(await portInUse(port), false, `port ${port}`);
      // Never started here before: its number is given back and its folder removed, so nothing is left to release or clean.
      assert.equal(existsSync(join(stack.root, '.instances', 'instance-3')), false);
      const all = JSON.parse(just('dev', 'status', 'all', '--json').stdout) as { instances: { instance: number }[] };
      assert.deepEqual(all.instances.map((i) => i.instance), [1, 2]);
    } finally {
      squatter.close();
    }
  });

  it('plain PM2 can start the materialized app list (documented path)', async () => {
    assert.equal(just('dev', '3', 'render').code, 0);
    const pm2 = (...args: string[]) => spawnSync(process.execPath, [join(REPO, 'node_modules/pm2/bin/pm2'), ...args],
      { encoding: 'utf8', env: { ...process.env, PM2_HOME: stack.pm2Home } });
    const r = pm2('start', join(stack.root, '.instances/instance-3/ecosystem.json'), '--only', 'shipsec-frontend-3');
    assert.equal(r.status, 0, r.stderr);
    try {
      await until('Vite of instance 3 answers', () => portInUse(5473));
      assert.equal((await names()).filter((n) => n.endsWith('-3')).join(), 'shipsec-frontend-3');
    } finally {
      pm2('delete', 'shipsec-frontend-3');
    }
  });

  it('bad input: usage on stderr, exit 2, nothing started', async () => {
    for (const args of [['dev', '1', 'frobnicate'], ['dev', 'stop', 'all', 'extra'], ['dev', '99', 'start'], ['dev', '1', 'logs', '--lines', 'many'], ['dev', '4', '--engine', 'podman']]) {
      const r = just(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
    assert.ok(!(await names()).some((n) => n.endsWith('-4')));
  });

  it('clean refuses without --yes when not on a terminal', () => {
    const r = just('dev', '1', 'clean');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /clean deletes data: confirm on a terminal, or pass --yes/);
    assert.ok(existsSync(join(stack.root, '.instances/instance-1')));
  });

  it('restart 2 picks up an edited source env file', async () => {
    writeFileSync(join(stack.root, 'apps/backend/.env'), 'FEATURE_FLAG=on\n');
    const r = just('dev', '2', 'restart');
    assert.equal(r.code, 0, r.stderr);
    const backend = (await withPm2((s) => s.list())).find((p) => p.name === 'shipsec-backend-2');
    assert.ok(backend && backend.pid > 0);
    assert.match(readFileSync(`/proc/${backend.pid}/environ`, 'utf8'), /(^|\0)FEATURE_FLAG=on(\0|$)/);
    assert.match(readFileSync(join(stack.root, '.instances/instance-2/backend.env'), 'utf8'), /^FEATURE_FLAG=on$/m);
    assert.deepEqual((await api(3411, '/records')).json.map((x: { body: string }) => x.body), ['only in two']);
  });

  it('stop 1 frees its ports and leaves 2 healthy', async () => {
    const r = just('dev', '1', 'stop');
    assert.equal(r.code, 0, r.stderr);
    for (const port of PORTS[1]) assert.equal(await portInUse(port), false, `port ${port}`);
    assert.equal((await api(3411, '/health')).status, 200);
  });

  it('logs all prints the lines of every running instance', () => {
    const r = just('dev', 'logs', 'all', '--no-follow', '--lines', '2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^shipsec-backend-2 +\| /m);
    assert.doesNotMatch(r.stdout, /^shipsec-backend-1 +\| /m, 'instance 1 is stopped');
  });

  it('logs prints prefixed lines of apps and infrastructure', () => {
    const r = just('dev', '2', 'logs', '--no-follow', '--lines', '5');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^shipsec-backend-2 +\| .*backend of instance 2 on http:\/\/localhost:3411$/m);
    assert.match(r.stdout, /^shipsec-postgres-2 +\| /m);
  });

  it('logs N APP: one app\'s lines, or one service\'s by its kind; an unknown name is exit 2 naming what there is', () => {
    const app = just('dev', '2', 'logs', 'backend', '--no-follow', '--lines', '5');
    assert.equal(app.code, 0, app.stderr);
    assert.match(app.stdout, /^shipsec-backend-2 +\| /m);
    assert.deepEqual([...new Set(app.stdout.trim().split('\n').map((l) => l.split(' ')[0]))], ['shipsec-backend-2']);
    const pg = just('dev', '2', 'logs', 'postgres', '--no-follow', '--lines', '5');
    assert.equal(pg.code, 0, pg.stderr);
    assert.deepEqual([...new Set(pg.stdout.trim().split('\n').map((l) => l.split(' ')[0]))], ['shipsec-postgres-2']);
    const bad = just('dev', '2', 'logs', 'nope', '--no-follow');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown app or service 'nope' for logs: expected one of frontend, backend, worker, temporal, temporal-ui, postgres/);
  });

  it('clean 1 backs up and removes only instance 1', async () => {
    const r = just('dev', '1', 'clean', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(stack.root, '.instances/instance-1')));
    const backups = readdirSync(join(stack.root, '.instances/backups/instance-1'));
    assert.equal(backups.length, 1);
    assert.equal(statSync(join(stack.root, '.instances/backups/instance-1', backups[0] ?? '')).mode & 0o777, 0o600);
    assert.deepEqual((await api(3411, '/records')).json.map((x: { body: string }) => x.body), ['only in two']);
  });

  it('stop all leaves nothing running', async () => {
    const r = just('dev', 'stop', 'all');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stopped instance 2/);
    assert.deepEqual(await names(), []);
    for (const port of PORTS[2]) assert.equal(await portInUse(port), false, `port ${port}`);
    assert.deepEqual(processesUnder(stack.root), []);
  });

  it('clean all removes every instance folder and keeps the backups', () => {
    const r = just('dev', 'clean', 'all', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cleaned instance 2/);
    assert.deepEqual(readdirSync(join(stack.root, '.instances')).filter((d) => d.startsWith('instance-')), []);
    assert.deepEqual(readdirSync(join(stack.root, '.instances/backups')).sort(), ['instance-1', 'instance-2']);
  });
});
