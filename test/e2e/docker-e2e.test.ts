/**
 * The docker engine against a real dockerd, end to end as a user runs it: the real `just`, compose
 * (v1 here), containers from the locally built images, PM2 apps, and checks made with real clients
 * (psql, redis-cli, docker) rather than the tool's own word. The test declaration
 * (test/fixtures/docker-stack.config.ts) says what runs and why the rest cannot.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  TEST_CONFIG, TEST_PROJECT, containers, docker, dockerForTests, dockerd, dockerdIsOurs, networks, psql, redisCli,
  removeTestProjects, sh, skipUnlessDocker, volumes,
} from '../helpers/docker.js';
import { api, stackRoot } from '../helpers/stack-root.js';
import { pollUntil } from '../../src/poll.js';

const setup = dockerForTests();
const skip = skipUnlessDocker(setup, 'docker end-to-end tests');
const stack = stackRoot('di-dk-', { engine: 'docker', env: { DEV_INSTANCES_CONFIG: TEST_CONFIG, ...setup.images } });
const { just } = stack;

// The test declaration's ports (stack.config.ts's, moved by 40): instance N at base + N*100.
const ports = (n: number) => ({ backend: 3251 + n * 100, postgres: 5473 + n * 100, redis: 6419 + n * 100 });
const project = (n: number) => `${TEST_PROJECT}-dev-${n}`;
const db = (n: number) => `${TEST_PROJECT}_dev_${n}`;
const ok = (r: { code: number | null; stdout: string; stderr: string }, what: string) =>
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);

describe('docker engine, for real', { skip }, () => {
  before(() => {
    assert.equal(setup.reason, undefined, `CI must run the docker tests: ${setup.reason}`);
    removeTestProjects(); // what an interrupted earlier run may have left
  });
  after(async () => {
    if (skip) return;
    await stack.teardown();
    removeTestProjects();
  });

  it('instances 1 and 2 side by side: each its own compose project, exactly its own ports on 127.0.0.1, its own volumes, its apps on its containers', async () => {
    ok(just('dev', '1'), 'just dev 1');
    const two = just('dev', '2');
    ok(two, 'just dev 2');
    assert.match(two.stdout, /Instance 2 is up in [\d.]+ s \(docker engine [^,]+, compose v1 \(docker-compose\)\)/);
    assert.match(two.stdout, /temporal: not available on the docker engine: image 127\.0\.0\.1:9\/dev-instances-test\/temporal:absent is not on this machine and cannot be pulled/);
    for (const n of [1, 2]) {
      const cs = containers(project(n));
      assert.deepEqual([...cs.keys()].sort(), ['postgres', 'redis'], `instance ${n} runs exactly postgres and redis`);
      assert.equal(cs.get('postgres')?.ports, `127.0.0.1:${ports(n).postgres}->5432/tcp`);
      assert.equal(cs.get('redis')?.ports, `127.0.0.1:${ports(n).redis}->6379/tcp`);
      assert.ok(volumes(project(n)).includes(`${project(n)}_postgres_data`));
      assert.equal(psql(ports(n).postgres, db(n), 'SELECT current_database()').stdout.trim(), db(n));
      assert.equal(redisCli(ports(n).redis, 'PING').stdout.trim(), 'PONG');
      const health = await api(ports(n).backend, '/health');
      assert.equal(health.status, 200);
      assert.deepEqual([health.json.database, health.json.unavailable], [db(n), ['temporal']]);
    }
    // What start waited for is what status reports: right after "up", every container is online, whatever Docker's healthcheck clock says.
    for (const n of [1, 2]) {
      const status = just('dev', String(n), 'status', '--json');
      ok(status, `status ${n}`);
      const rows = JSON.parse(status.stdout).instances[0].processes as { kind: string; state: string }[];
      assert.deepEqual(rows.map((r) => r.state), rows.map(() => 'online'), `instance ${n} right after its start`);
    }
    // `compose` runs docker compose as the instance's project: ps lists its containers and no other's.
    const ps = just('dev', '2', 'compose', 'ps');
    ok(ps, 'just dev 2 compose ps');
    assert.match(ps.stdout, new RegExp(`${project(2)}_postgres_1|${project(2)}-postgres-1`));
    assert.doesNotMatch(ps.stdout, new RegExp(project(1)));
    // What the apps write lands in their own containers, and only there.
    assert.equal((await api(ports(1).backend, '/records', { body: 'one' })).status, 201);
    assert.equal((await api(ports(1).backend, '/kv/colour', { value: 'blue' })).status, 200);
    assert.equal(psql(ports(1).postgres, db(1), 'SELECT body FROM records').stdout.trim(), 'one');
    assert.equal(psql(ports(2).postgres, db(2), 'SELECT count(*) FROM records').stdout.trim(), '0');
    assert.equal(redisCli(ports(1).redis, 'GET', `${project(1)}:colour`).stdout.trim(), 'blue');
    assert.equal(redisCli(ports(2).redis, 'EXISTS', `${project(1)}:colour`).stdout.trim(), '0');
  });

  it('stop keeps the volumes and frees the ports; start again finds the data', async () => {
    ok(just('dev', '1', 'stop'), 'stop');
    const cs = containers(project(1));
    assert.deepEqual([...cs.values()].map((c) => c.state), ['exited', 'exited']);
    assert.ok(volumes(project(1)).includes(`${project(1)}_postgres_data`));
    assert.notEqual(psql(ports(1).postgres, db(1), 'SELECT 1').code, 0, 'the port is closed');
    const again = just('dev', '1');
    ok(again, 'start again');
    assert.match(again.stdout, new RegExp(`Database +${db(1)} \\(exists\\)`));
    assert.equal(psql(ports(1).postgres, db(1), 'SELECT body FROM records').stdout.trim(), 'one');
    assert.equal((await api(ports(1).backend, '/kv/colour')).json.value, 'blue');
  });

  it('a container killed by hand shows in status, and `just dev N` heals it with its data', async () => {
    const killed = containers(project(1)).get('postgres');
    ok(docker('kill', killed?.name ?? ''), 'docker kill');
    const status = just('dev', '1', 'status', '--json');
    ok(status, 'status');
    const rows = JSON.parse(status.stdout).instances[0].processes as { name: string; kind: string; state: string }[];
    assert.equal(rows.find((r) => r.name === killed?.name)?.state, 'errored');
    ok(just('dev', '1'), 'heal');
    assert.equal(containers(project(1)).get('postgres')?.state, 'running');
    assert.equal(psql(ports(1).postgres, db(1), 'SELECT body FROM records').stdout.trim(), 'one');
  });

  it('Docker\'s healthcheck: a container it judged unhealthy is unhealthy though it answers; before its first check the probe decides (online, or starting)', async () => {
    const image = setup.images.DEV_INSTANCES_IMAGE_REDIS ?? '';
    const run = (n: number, service: string, health: string[], ...rest: string[]) => ok(docker('run', '--detach', '--name', `${project(n)}-${service}-1`,
      '--label', `com.docker.compose.project=${project(n)}`, '--label', `com.docker.compose.service=${service}`, ...health, image, ...rest), `docker run ${service} of ${n}`);
    // Instance 9: a Redis that answers PING on its port, but whose healthcheck fails at once.
    run(9, 'redis', ['-p', `127.0.0.1:${ports(9).redis}:6379`, '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1']);
    // Instance 8: two containers whose first healthcheck is an hour away: a Redis that answers, and a "Postgres" that never will.
    const later = ['--health-cmd', 'true', '--health-interval', '1h'];
    run(8, 'redis', ['-p', `127.0.0.1:${ports(8).redis}:6379`, ...later]);
    run(8, 'postgres', later, 'sleep', 'infinity');
    try {
      await pollUntil(() => (/\(unhealthy\)/.test(containers(project(9)).get('redis')?.status ?? '') ? true : undefined), {
        deadlineMs: 30_000, intervalMs: 250, timeout: () => new Error(`Docker never judged it unhealthy: ${containers(project(9)).get('redis')?.status}`),
      });
      assert.equal(redisCli(ports(9).redis, 'PING').stdout.trim(), 'PONG', 'it answers all the same');
      const infraStates = (n: number) => {
        const status = just('dev', String(n), 'status', '--json');
        ok(status, `status ${n}`);
        return Object.fromEntries((JSON.parse(status.stdout).instances[0].processes as { name: string; kind: string; state: string }[])
          .filter((r) => r.kind === 'infra').map((r) => [r.name, r.state]));
      };
      assert.deepEqual(infraStates(9), { [`${project(9)}-redis-1`]: 'unhealthy' });
      assert.match(containers(project(8)).get('redis')?.status ?? '', /health: starting/);
      assert.deepEqual(infraStates(8), { [`${project(8)}-postgres-1`]: 'starting', [`${project(8)}-redis-1`]: 'online' });
    } finally {
      for (const n of [8, 9]) for (const c of containers(project(n)).values()) docker('rm', '--force', '--volumes', c.name);
    }
  });

  it('status all and stop all find compose projects by their label when .instances/instance-N/ was deleted by hand', () => {
    rmSync(join(stack.root, '.instances', 'instance-2'), { recursive: true, force: true });
    const status = just('dev', 'status', 'all', '--json');
    ok(status, 'status all');
    const found = JSON.parse(status.stdout).instances as { instance: number; processes: { kind: string; state: string }[] }[];
    assert.deepEqual(found.map((i) => i.instance), [1, 2]);
    assert.deepEqual(found[1]?.processes.filter((x) => x.kind === 'infra').map((x) => x.state), ['online', 'online']);
    ok(just('dev', 'stop', 'all'), 'stop all');
    for (const n of [1, 2]) assert.deepEqual([...containers(project(n)).values()].map((c) => c.state), ['exited', 'exited'], `instance ${n} stopped`);
  });

  it('clean backs up with pg_dump inside the container, then removes the project\'s containers, volumes and network, and nothing of the other', () => {
    ok(just('dev', '1'), 'start 1');
    const before1 = containers(project(1));
    ok(just('dev', '2'), 'start 2');
    ok(psql(ports(2).postgres, db(2), "INSERT INTO records (body) VALUES ('two')"), 'insert');
    const clean = just('dev', '2', 'clean', '--yes');
    ok(clean, 'clean 2');
    const dir = join(stack.root, '.instances', 'backups', 'instance-2');
    const dumps = readdirSync(dir).filter((f) => f.endsWith('.dump'));
    assert.equal(dumps.length, 1);
    const listed = sh('pg_restore', ['--list', join(dir, dumps[0] ?? '')]);
    ok(listed, 'pg_restore --list');
    assert.match(listed.stdout, /TABLE DATA public records/);
    assert.deepEqual([containers(project(2)).size, volumes(project(2)), networks(project(2))], [0, [], []]);
    assert.equal(existsSync(join(stack.root, '.instances', 'instance-2')), false);
    // Instance 1: the same containers, still running, its data intact.
    const after1 = containers(project(1));
    assert.deepEqual([...after1.values()].map((c) => [c.id, c.state]), [...before1.values()].map((c) => [c.id, 'running']));
    assert.equal(psql(ports(1).postgres, db(1), 'SELECT body FROM records').stdout.trim(), 'one');
  });

  it('restore after clean, and a snapshot of 1 restored into 2: pg_restore inside the container, keys under 2\'s prefix', () => {
    ok(just('dev', '2'), 'start 2 again');
    assert.equal(psql(ports(2).postgres, db(2), 'SELECT count(*) FROM records').stdout.trim(), '0');
    ok(just('dev', '2', 'restore', '--yes'), 'restore 2');
    assert.equal(psql(ports(2).postgres, db(2), 'SELECT body FROM records').stdout.trim(), 'two');
    ok(just('dev', '1', 'snapshot', 'dk-one'), 'snapshot 1');
    const r = just('dev', '2', 'restore', 'dk-one', '--yes');
    ok(r, 'restore the snapshot into 2');
    assert.match(r.stdout, /restored \d+ Redis key\(s\) under /);
    assert.equal(psql(ports(2).postgres, db(2), 'SELECT body FROM records').stdout.trim(), 'one');
    assert.equal(redisCli(ports(2).redis, 'GET', `${project(2)}:colour`).stdout.trim(), 'blue');
    assert.equal(psql(ports(1).postgres, db(1), 'SELECT body FROM records').stdout.trim(), 'one');
    assert.equal(psql(ports(2).postgres, 'postgres', "SELECT count(*) FROM pg_database WHERE datname LIKE 'di\\_%'").stdout.trim(), '0', 'no side database left');
    psql(ports(1).postgres, db(1), "INSERT INTO records (body) VALUES ('uno')");
    const cloned = just('dev', '2', 'clone', '1', '--yes');
    ok(cloned, 'clone 1 into 2');
    assert.match(cloned.stdout, /restored \w+ from instance 1 \(pg_restore\)/);
    assert.equal(psql(ports(2).postgres, db(2), 'SELECT string_agg(body, \',\' ORDER BY id) FROM records').stdout.trim(), 'one,uno');
  });

  it('a volume removed by hand: the loud data-loss warning before an empty database is created', () => {
    ok(just('dev', '1', 'stop'), 'stop');
    ok(docker('rm', containers(project(1)).get('postgres')?.name ?? ''), 'docker rm');
    ok(docker('volume', 'rm', `${project(1)}_postgres_data`), 'docker volume rm');
    const r = just('dev', '1');
    ok(r, 'start');
    assert.match(r.stderr, /instance 1's database data was initialised before and is now MISSING/);
    assert.match(r.stdout, new RegExp(`Database +${db(1)} \\(created\\)`));
    assert.equal(psql(ports(1).postgres, db(1), "SELECT to_regclass('records') IS NULL OR (SELECT count(*) FROM records) = 0").stdout.trim(), 't');
  });

  it('a foreign process or container on an instance port is refused before anything starts', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(ports(3).postgres, '127.0.0.1', resolve));
    try {
      const r = just('dev', '3');
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`port ${ports(3).postgres} \\(PostgreSQL of instance 3\\) is taken by pid ${process.pid}`));
      assert.equal(containers(project(3)).size, 0, 'no container was created');
      assert.ok(!(await stack.names()).some((n) => n.endsWith('-3')), 'no app was started');
    } finally {
      server.close();
    }
    const foreign = docker('run', '--detach', '--rm', '--name', 'ditest-foreign', '-p', `127.0.0.1:${ports(3).redis}:6379`, setup.images.DEV_INSTANCES_IMAGE_REDIS ?? '');
    ok(foreign, 'a foreign container');
    try {
      const r = just('dev', '3');
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`port ${ports(3).redis} \\(Redis of instance 3\\) is taken by pid \\d+ \\(.*docker-proxy`));
      assert.equal(containers(project(3)).size, 0, 'no container was created');
    } finally {
      docker('rm', '--force', '--volumes', 'ditest-foreign');
    }
  });

  it('two starts of one instance at once give one set of containers', async () => {
    const [a, b] = await Promise.all([stack.justAsync('dev', '4').done, stack.justAsync('dev', '4').done]);
    ok(a, 'first start');
    ok(b, 'second start');
    assert.deepEqual([...containers(project(4)).keys()].sort(), ['postgres', 'redis']);
    assert.match(`${a.stdout}${b.stdout}`, /Instance 4 is already running; nothing changed\./);
  });

  it('shared infrastructure on docker: one project for the shared set, a database and a prefix per instance; stop and clean of one never stop it', async () => {
    ok(just('dev', '5', '--infra', 'shared'), 'start 5');
    ok(just('dev', '6', '--infra', 'shared'), 'start 6');
    const infra = containers(`${TEST_PROJECT}-infra`);
    assert.deepEqual([...infra.keys()].sort(), ['postgres', 'redis']);
    assert.equal(containers(project(5)).size + containers(project(6)).size, 0, 'no per-instance containers');
    const shared = ports(0);
    assert.equal(psql(shared.postgres, 'postgres', `SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE '${TEST_PROJECT}_dev_%'`).stdout.trim(), `${db(5)},${db(6)}`);
    await api(ports(5).backend, '/kv/k', { value: 'five' });
    await api(ports(6).backend, '/kv/k', { value: 'six' });
    ok(just('dev', '5', 'clean', '--yes'), 'clean 5');
    ok(just('dev', '6', 'stop'), 'stop 6');
    const still = containers(`${TEST_PROJECT}-infra`);
    assert.deepEqual([...still.values()].map((c) => [c.id, c.state]), [...infra.values()].map((c) => [c.id, 'running']));
    assert.equal(psql(shared.postgres, 'postgres', `SELECT count(*) FROM pg_database WHERE datname = '${db(5)}'`).stdout.trim(), '0');
    assert.equal(psql(shared.postgres, db(6), 'SELECT 1').stdout.trim(), '1');
    assert.equal(redisCli(shared.redis, 'GET', `${project(6)}:k`).stdout.trim(), 'six');
    assert.equal(redisCli(shared.redis, 'EXISTS', `${project(5)}:k`).stdout.trim(), '0');
    // A new database from a snapshot on the shared server: through its golden template, restored with
    // the shared container's own pg_restore.
    const seeded = just('dev', '5', '--infra', 'shared', '--seed', 'dk-one');
    ok(seeded, 'start 5 from snapshot dk-one');
    assert.match(seeded.stderr, /instance 5 starts with the data of snapshot dk-one \(pg_restore into the golden template di_tpl_\w+/);
    assert.equal(psql(shared.postgres, db(5), 'SELECT body FROM records').stdout.trim(), 'one');
    assert.equal(redisCli(shared.redis, 'GET', `${project(5)}:colour`).stdout.trim(), 'blue');
    ok(just('dev', 'stop', 'all', '--shared'), 'stop all --shared');
    assert.ok(![...containers(`${TEST_PROJECT}-infra`).values()].some((c) => c.state === 'running'), 'the shared set stopped');
    assert.ok(volumes(`${TEST_PROJECT}-infra`).includes(`${TEST_PROJECT}-infra_postgres_data`), 'its data kept');
  });

  it('the daemon stopped while an instance runs: a clear error, nothing lost; it comes back with Docker', { skip: !process.env.CI && !dockerdIsOurs() && 'dockerd was not started by test/images/dockerd.sh, so this test will not stop it' }, async () => {
    ok(just('dev', '1'), 'start');
    await api(ports(1).backend, '/records', { body: 'kept' });
    ok(dockerd('stop'), 'stop dockerd');
    try {
      const status = just('dev', '1', 'status');
      assert.equal(status.code, 1);
      assert.match(status.stderr, /no Docker engine answers, so compose project ditest-dev-1 cannot be reached/);
      const start = stack.justWith({ DEV_INSTANCES_ENGINE: 'auto' }, 'dev', '1');
      assert.equal(start.code, 1);
      assert.match(start.stderr, /instance 1 last ran on the docker engine, where its data is, but no Docker engine answers/);
      assert.ok(!existsSync(join(stack.root, '.instances', 'instance-1', 'data')), 'nothing started on the native engine instead');
    } finally {
      ok(dockerd('start'), 'start dockerd');
    }
    ok(just('dev', '1'), 'start with Docker back');
    assert.equal(psql(ports(1).postgres, db(1), 'SELECT body FROM records ORDER BY id DESC LIMIT 1').stdout.trim(), 'kept');
  });
});
