/**
 * Stacks that are not ShipSec's, end to end on the native engine as a user runs them (`just dev`):
 * Postgres and two apps, one of them not Node (test/fixtures/pg-only-stack.config.ts); apps with no
 * infrastructure at all; and declarations that are refused before anything is written or started.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { portHolder } from '../../src/ports/holder.js';
import { listTopics } from '../../src/provision/kafka.js';
import { bucketExists, listKeys } from '../../src/provision/s3.js';
import { REPO } from '../helpers/cli.js';
import { api, stackRoot, until } from '../helpers/stack-root.js';

const PG_ONLY = join(REPO, 'dist', 'test', 'fixtures', 'pg-only-stack.config.js');
const S3_STACK = join(REPO, 'dist', 'test', 'fixtures', 's3-stack.config.js');
const KAFKA_STACK = join(REPO, 'dist', 'test', 'fixtures', 'kafka-stack.config.js');
const stack = stackRoot('di-stk-', { env: { DEV_INSTANCES_CONFIG: PG_ONLY } });
const { just } = stack;
const ports = (n: number) => ({ api: 4310 + n * 100, web: 4320 + n * 100, postgres: 5350 + n * 100 });
const ok = (r: { code: number | null; stdout: string; stderr: string }, what: string) =>
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);

/** A query on instance n's own database, as its apps reach it. */
async function query(n: number, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ host: '127.0.0.1', port: ports(n).postgres, user: 'pgonly', password: stack.machinePassword('postgres'), database: `pgonly_dev_${n}` });
  c.on('error', () => {});
  await c.connect();
  try { return (await c.query(sql)).rows; } finally { await c.end(); }
}

const page = (port: number): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
  get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
    let body = '';
    res.on('data', (d) => { body += d; });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
  }).on('error', reject);
});

/** A declaration written as plain JavaScript into the test root, as a user's own file would be. */
function declaration(name: string, text: string): string {
  const file = join(stack.root, `${name}.mjs`);
  writeFileSync(file, text);
  return file;
}

describe('a Postgres-only stack with a non-Node app, and an apps-only stack', () => {
  before(() => cpSync(join(REPO, 'test', 'fixtures', 'stacks'), join(stack.root, 'stacks'), { recursive: true }));
  after(async () => { assert.deepEqual(await stack.teardown(), [], 'no process of the test root is left'); });

  it('instances 1 and 2 start side by side: each its own database, both apps healthy, nothing said of Redis or Temporal', async () => {
    for (const n of [1, 2]) {
      const r = just('dev', String(n));
      ok(r, `just dev ${n}`);
      assert.match(r.stdout, new RegExp(`Database +pgonly_dev_${n} \\(created\\)`));
      assert.doesNotMatch(`${r.stdout}${r.stderr}`, /redis|temporal|namespace|prefix/i);
      const health = await api(ports(n).api, '/health');
      assert.deepEqual(health.json, { database: `pgonly_dev_${n}`, keys: [] });
      assert.deepEqual(await page(ports(n).web), { status: 200, body: `web on port ${ports(n).web}\n` });
    }
    const status = just('dev', '1', 'status', '--json');
    ok(status, 'status');
    const one = JSON.parse(status.stdout).instances[0];
    assert.equal(one.database, 'pgonly_dev_1');
    for (const k of ['redisPrefix', 'temporalNamespace', 'taskQueue']) assert.equal(k in one, false, `no ${k} in status --json`);
    assert.deepEqual(one.processes.map((p: { name: string; state: string }) => [p.name, p.state]),
      [['pgonly-api-1', 'online'], ['pgonly-web-1', 'online'], ['pgonly-postgres-1', 'online']]);
    const info = just('dev', '1', 'info');
    ok(info, 'info');
    assert.match(info.stdout, /Database +pgonly_dev_1 +postgresql:\/\/pgonly:\*\*\*\*@localhost:5450\/pgonly_dev_1/);
    assert.doesNotMatch(info.stdout, /redis|temporal/i);
    const dry = just('dev', '1', 'clean', '--dry-run');
    ok(dry, 'clean --dry-run');
    assert.match(dry.stdout, /drop database pgonly_dev_1 on 127\.0\.0\.1:5450 WITH \(FORCE\)/);
    assert.doesNotMatch(dry.stdout, /redis|temporal/i);
  });

  it('snapshot and clone copy the database and say nothing of keys; clean drops 1 and leaves 2 as it was', async () => {
    await query(1, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('from one')");
    const snap = just('dev', '1', 'snapshot', 'pg-one');
    ok(snap, 'snapshot');
    assert.match(snap.stdout, /^snapshot pg-one of instance 1: database pgonly_dev_1 \([^)]+\), in \.instances\/snapshots\/pg-one\/$/m);
    const clone = just('dev', '2', 'clone', '1', '--yes');
    ok(clone, 'clone 1 into 2');
    assert.doesNotMatch(`${clone.stdout}${clone.stderr}`, /redis|key\(s\)/i);
    assert.deepEqual(await query(2, 'SELECT body FROM notes'), [{ body: 'from one' }]);
    assert.deepEqual((await api(ports(2).api, '/health')).json.database, 'pgonly_dev_2');
    // Off a terminal, without --yes: refused, naming what this stack's clean deletes (no Redis, no Temporal here).
    const refused = just('dev', '1', 'clean');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /This deletes the database, data and files of instance 1 \(the database is backed up to \.instances\/backups\/ first\)\.$/m);
    const clean = just('dev', '1', 'clean', '--yes');
    ok(clean, 'clean 1');
    assert.match(clean.stdout, /backed up pgonly_dev_1 to \.instances\/backups\/instance-1\//);
    assert.match(clean.stdout, /dropped database pgonly_dev_1$/m);
    assert.doesNotMatch(`${clean.stdout}${clean.stderr}`, /redis|namespace/i);
    assert.equal(existsSync(join(stack.root, '.instances', 'instance-1')), false);
    assert.deepEqual(await query(2, 'SELECT body FROM notes'), [{ body: 'from one' }], 'instance 2 keeps its data');
  });

  it('stop ends the non-Node app\'s whole process tree: the shell and the python3 server under it', async () => {
    const compose = just('dev', '2', 'compose', 'ps', '--services');
    assert.equal(compose.code, 2, 'compose on the native engine is refused');
    assert.match(compose.stderr, /^dev-instances: instance 2 runs on the native engine: it has no compose project; just dev 2 status and just dev 2 logs show its servers$/m);
    const web = portHolder(ports(2).web);
    assert.match(web?.command ?? '', /python3 -m http\.server/, 'python3, a child of the app\'s shell, serves the page');
    ok(just('dev', '2', 'stop'), 'stop 2');
    assert.equal(portHolder(ports(2).web), undefined, 'nothing holds the web port');
    assert.equal(existsSync(`/proc/${web?.pid}`), false, `pid ${web?.pid} (python3) is gone`);
  });

  it('clean holds the instance\'s lock from its first step: while another command holds it, nothing is backed up, dropped or removed', async () => {
    // A live process named in the lock file, as a restore or start of instance 2 in progress would be.
    const holder = spawn('sleep', ['120'], { stdio: 'ignore' });
    const gone = new Promise((resolve) => holder.once('exit', resolve));
    writeFileSync(join(stack.root, '.instances', 'instance-2', '.lock'), `${holder.pid}\n`);
    const backupsDir = join(stack.root, '.instances', 'backups', 'instance-2');
    const backups = () => (existsSync(backupsDir) ? readdirSync(backupsDir).length : 0);
    const before = backups();
    // What a clone killed midway left (its pid long gone): swept once the clean holds the lock.
    const leftover = join(stack.root, '.instances', '.clone-2-999999');
    mkdirSync(leftover);
    writeFileSync(join(leftover, 'database.dump'), 'half');
    const clean = stack.justAsync('dev', '2', 'clean', '--yes');
    try {
      await until('clean waits for the lock', async () => clean.output().includes(`waiting for the command that holds instance 2 (pid ${holder.pid}) to finish`));
      assert.equal(backups(), before, 'nothing backed up while another command holds the instance');
      assert.ok(existsSync(join(stack.root, '.instances', 'instance-2', 'data')), 'its data is still there');
    } finally {
      holder.kill('SIGKILL');
      await gone;
    }
    const r = await clean.done;
    ok(r, 'clean 2');
    assert.match(r.stdout, /backed up pgonly_dev_2 to \.instances\/backups\/instance-2\//);
    assert.match(`${r.stdout}${r.stderr}`, /removed what interrupted commands left: \.instances\/\.clone-2-999999/);
    assert.equal(existsSync(leftover), false);
    assert.equal(backups(), before + 1);
    assert.equal(existsSync(join(stack.root, '.instances', 'instance-2')), false);
  });

  it('no infrastructure the tool knows: apps, and services run from their declared command lines; ports per instance, nothing provisioned', async () => {
    const file = declaration('apps-only', `export default {
  project: 'appsonly', portStride: 100, bindAddress: '127.0.0.1',
  services: {
    web: { label: 'Web', portKey: 'WEB', basePort: 4330 },
    files: { label: 'Files', portKey: 'FILES', basePort: 4335, ready: { http: '/' },
      native: { command: ['python3', '-m', 'http.server', '{port}', '--bind', '127.0.0.1', '--directory', '{dataDir}'] } },
    search: { label: 'Search', portKey: 'SEARCH', basePort: 4336, native: { command: ['no-such-search-server', '--port', '{port}'] } },
    queue: { label: 'Queue', portKey: 'QUEUE', basePort: 4337,
      ready: { command: ['python3', '-c', 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:{port}/")'] },
      native: { command: ['python3', '-m', 'http.server', '{port}', '--bind', '127.0.0.1', '--directory', '{dataDir}'] } },
  },
  apps: { web: { cwd: 'stacks/pg-only', command: ['sh', 'serve.sh'], port: 'web', envSources: ['stacks/pg-only/.env.wbe'] } },
  env: (ctx) => ({ HOME_URL: ctx.urls.web }),
};\n`);
    const env = { DEV_INSTANCES_CONFIG: file };
    const r = stack.justWith(env, 'dev', '3');
    ok(r, 'just dev 3');
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /database|redis|temporal|provision/i);
    assert.match(r.stderr, /^dev-instances: warning: instance 3: web's env file stacks\/pg-only\/\.env\.wbe is not there \(apps\.web\.envSources\): it gets the plan's values only$/m, 'a misspelt env file is said');
    assert.deepEqual(await page(4630), { status: 200, body: 'web on port 4630\n' });
    assert.match(r.stdout, /search: not available on the native engine: put no-such-search-server on PATH \(services\.search\.native\.command\)/);
    assert.equal((await page(4635)).status, 200, 'the files service answers on its own port');
    assert.match(stack.justWith(env, 'dev', '3', 'clean').stderr, /This deletes the data and files of instance 3\.$/m, 'nothing provisioned: only files to delete');
    const ports3 = stack.justWith(env, 'dev', '3', 'ports');
    assert.equal(ports3.stdout.trim(), 'WEB=4630\nFILES=4635\nSEARCH=4636\nQUEUE=4637');
    const status = JSON.parse(stack.justWith(env, 'dev', '3', 'status', '--json').stdout).instances[0];
    assert.deepEqual(status.processes.map((p: { name: string; state: string }) => [p.name, p.state]), [['appsonly-web-3', 'online'], ['appsonly-files-3', 'online'], ['appsonly-queue-3', 'online']]);
    assert.equal('database' in status, false);
    for (const [command, words] of [['restore', 'nothing to restore'], ['snapshot', 'no snapshot'], ['clone', 'nothing to clone into']] as const) {
      const r3 = stack.justWith(env, 'dev', '3', command, ...(command === 'clone' ? ['1', '--yes'] : command === 'restore' ? ['--yes'] : []));
      assert.equal(r3.code, 2, `${command}: ${r3.stderr}`);
      assert.match(r3.stderr, new RegExp(`^dev-instances: ${words}: instance 3 has no database \\(the declaration has no infra\\.postgres\\)$`, 'm'));
    }
    ok(stack.justWith(env, 'dev', '3', 'clean', '--yes'), 'clean 3');
    assert.equal(portHolder(4630), undefined);
    assert.equal(portHolder(4635), undefined, 'the files service stopped with its instance');
    assert.equal(portHolder(4637), undefined);
  });

  it('an app that crashes as it boots fails the start with its own words from its log; nothing of the instance is left running', () => {
    const file = declaration('crashing', `export default {
  project: 'crashing', portStride: 100, bindAddress: '127.0.0.1',
  services: { api: { label: 'API', portKey: 'API', basePort: 4340 } },
  apps: {
    api: { cwd: 'stacks/pg-only', command: ['node', '-e', "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')"], port: 'api', envSources: [] },
    jobs: { cwd: 'stacks/pg-only', command: ['node', '-e', "console.error('jobs: boom, no queue configured'); process.exit(3)"], envSources: [] },
  },
  env: () => ({}),
};\n`);
    const env = { DEV_INSTANCES_CONFIG: file };
    const r = stack.justWith(env, 'dev', '5');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^dev-instances: crashing-jobs-5: (it crashed \(\d+ restarts?\)|its process is (errored|stopped))$/m, 'why, without the probe\'s last miss');
    assert.match(r.stderr, /jobs: boom, no queue configured/, 'the last lines of its log');
    const status = JSON.parse(stack.justWith(env, 'dev', '5', 'status', '--json').stdout).instances[0];
    assert.deepEqual((status?.processes ?? []).filter((p: { state: string }) => p.state === 'online'), [], 'the start removed what it started');
    ok(stack.justWith(env, 'dev', '5', 'clean', '--yes'), 'clean 5');
  });

  it('two projects whose PM2 names meet (clash + web-a, clash-web + a: both clash-web-a-3): the second start is refused, the first keeps running', async () => {
    const one = (project: string, app: string, port: number) => declaration(project, `export default {
  project: '${project}', portStride: 100, bindAddress: '127.0.0.1',
  services: { web: { label: 'Web', portKey: 'WEB', basePort: ${port} } },
  apps: { '${app}': { cwd: 'stacks/pg-only', command: ['sh', 'serve.sh'], port: 'web', envSources: [] } },
  env: () => ({}),
};\n`);
    const first = { DEV_INSTANCES_CONFIG: one('clash', 'web-a', 4340) };
    const second = { DEV_INSTANCES_CONFIG: one('clash-web', 'a', 4345) };
    ok(stack.justWith(first, 'dev', '3'), 'clash 3');
    const r = stack.justWith(second, 'dev', '3');
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /PM2 already runs clash-web-a-3 for another project \(namespace clash-dev-3\): this instance's app has the same PM2 name; nothing was started/);
    assert.deepEqual(await page(4640), { status: 200, body: 'web on port 4640\n' }, 'the first project\'s app still answers');
    assert.equal(portHolder(4645), undefined, 'nothing of the second started');
    ok(stack.justWith(first, 'dev', '3', 'clean', '--yes'), 'clean clash 3');
    stack.justWith(second, 'dev', '3', 'release');
  });

  it('refused with exit 2 and one line naming the key, nothing written: env reading an undeclared piece, an app without a program, an unknown kind', () => {
    const base = (infra: string, apps: string, env: string) => `export default {
  project: 'bad', portStride: 100, bindAddress: '127.0.0.1',
  services: { web: { label: 'Web', portKey: 'WEB', basePort: 4340 }, postgres: { label: 'PostgreSQL', portKey: 'POSTGRES', basePort: 5360 } },
  apps: ${apps}, infra: ${infra}, env: ${env},
};\n`;
    const web = "{ web: { cwd: '.', command: 'sh serve.sh', port: 'web', envSources: [] } }";
    const cases: [string, string, RegExp][] = [
      ['reads-redis', base("{ postgres: { service: 'postgres', user: 'u', password: 'p' } }", web, '(ctx) => ({ REDIS_URL: ctx.redis.url })'),
        /^dev-instances: \S*reads-redis\.mjs: env reads ctx\.redis, but infra\.redis is not declared: declare infra\.redis, or take the keys that read it out of env$/m],
      ['no-program', base('{}', "{ web: { cwd: '.', port: 'web', envSources: [] } }", '() => ({})'),
        /^dev-instances: \S*no-program\.mjs: apps\.web: needs a command \(\['python3', 'app\.py'\] or 'bun run dev'\) or a Node script$/m],
      ['unknown-kind', base("{ mongo: { service: 'postgres' } }", web, '() => ({})'),
        /^dev-instances: \S*unknown-kind\.mjs: infra\.mongo: 'mongo' is not a kind this tool knows: postgres, redis, temporal, minio, loki, redpanda$/m],
    ];
    for (const [name, text, message] of cases) {
      const r = stack.justWith({ DEV_INSTANCES_CONFIG: declaration(name, text) }, 'dev', '4');
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(existsSync(join(stack.root, '.instances', 'instance-4')), false, `${name}: nothing written`);
    }
  });

  it('S3: instances 12 and 13 on one shared MinIO each get a bucket; what 12\'s app stores 13 does not see; clean 12 removes its bucket and objects only', async () => {
    // The native engine runs the `minio` on PATH: a real one with MINIO_BIN, else the s3rver stand-in.
    const bin = join(stack.root, 'minio-bin');
    mkdirSync(bin);
    symlinkSync(process.env.MINIO_BIN ?? join(REPO, 'test', 'fixtures', 'stand-ins', 'minio'), join(bin, 'minio'));
    const env = { DEV_INSTANCES_CONFIG: S3_STACK, PATH: `${bin}:${process.env.PATH}` };
    const store = (n: number) => 4360 + n * 100;
    // Shared: one MinIO on the base port holds both buckets, the hard case for a clean.
    const shared = { endpoint: 'http://127.0.0.1:9150', accessKey: 's3stack', secretKey: 's3stack-secret', region: 'us-east-1' };
    for (const n of [12, 13]) {
      const r = stack.justWith(env, 'dev', String(n), '--infra', 'shared');
      ok(r, `just dev ${n}`);
      assert.match(r.stdout, new RegExp(`S3 bucket +s3stack-dev-${n} \\(created\\)`));
    }
    const put = (n: number, key: string, body: string) => api(store(n), `/objects/${key}`, body);
    assert.equal((await put(12, 'report.txt', 'twelve')).json.bucket, 's3stack-dev-12');
    await put(13, 'own.txt', 'thirteen');
    assert.deepEqual((await api(store(12), '/objects')).json.keys, ['report.txt']);
    assert.deepEqual((await api(store(13), '/objects')).json.keys, ['own.txt'], '13 sees only its own object');
    const status = JSON.parse(stack.justWith(env, 'dev', '12', 'status', '--json').stdout).instances[0];
    assert.equal(status.bucket, 's3stack-dev-12');
    const clean = stack.justWith(env, 'dev', '12', 'clean', '--yes');
    ok(clean, 'clean 12');
    assert.match(clean.stdout, /dropped bucket s3stack-dev-12 \(1 object\(s\)\)/);
    assert.equal(await bucketExists(shared, 's3stack-dev-12'), false, "12's bucket is gone from the shared server");
    assert.deepEqual(await listKeys(shared, 's3stack-dev-13'), ['own.txt'], "13's bucket is as it was");
    assert.deepEqual((await api(store(13), '/objects')).json.keys, ['own.txt']);
    await assert.rejects(listKeys({ ...shared, accessKey: 'minioadmin' }, 's3stack-dev-13'), /HTTP 403/, 'the server knows only the declared key pair');
    ok(stack.justWith(env, 'dev', '13', 'clean', '--yes'), 'clean 13');
    ok(stack.justWith(env, 'dev', 'stop', 'all', '--shared'), 'stop the shared MinIO');
  });

  it('Kafka: instances 14 and 15 on one shared broker each get a topic prefix and client id; the declared topics made under it; clean 14 deletes its topics only', async () => {
    const env = { DEV_INSTANCES_CONFIG: KAFKA_STACK };
    const broker = { broker: '127.0.0.1:9170', clientId: 'test' };
    for (const n of [14, 15]) {
      const r = stack.justWith(env, 'dev', String(n), '--infra', 'shared');
      ok(r, `just dev ${n}`);
      assert.match(r.stdout, new RegExp(`Kafka topics +kstack-dev-${n}\\. \\(created\\)`));
      assert.deepEqual((await api(4370 + n * 100, '/')).json, { prefix: `kstack-dev-${n}.`, clientId: `kstack-dev-${n}`, brokers: 'localhost:9170' });
    }
    // What an app of 14 made under its prefix, and a topic of another instance whose name merely starts alike.
    const { Kafka, logLevel } = await import('kafkajs');
    const admin = new Kafka({ clientId: 'test', brokers: [broker.broker], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kstack-dev-14.made-by-app' }, { topic: 'kstack-dev-140.other' }] });
    await admin.disconnect();
    assert.equal(JSON.parse(stack.justWith(env, 'dev', '15', 'status', '--json').stdout).instances[0].kafkaTopicPrefix, 'kstack-dev-15.');
    assert.match(stack.justWith(env, 'dev', '15', 'info').stdout, /Kafka topics +'kstack-dev-15\.' at localhost:9170 \(kstack-dev-15\.events, kstack-dev-15\.audit\)/);
    const clean = stack.justWith(env, 'dev', '14', 'clean', '--yes');
    ok(clean, 'clean 14');
    assert.match(clean.stdout, /dropped 3 Kafka topic\(s\) under 'kstack-dev-14\.'/);
    assert.deepEqual((await listTopics(broker)).sort(), ['kstack-dev-140.other', 'kstack-dev-15.audit', 'kstack-dev-15.events']);
    ok(stack.justWith(env, 'dev', '15', 'clean', '--yes'), 'clean 15');
    ok(stack.justWith(env, 'dev', 'stop', 'all', '--shared'), 'stop the shared broker');
  });
});
