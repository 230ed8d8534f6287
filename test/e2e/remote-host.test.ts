/**
 * Instances whose infrastructure runs on another Docker host, for real: a second dockerd in a
 * network namespace of the test's own (test/images/remote-host.sh, its own address 10.231.77.2),
 * reached over TCP as a remote engine is. The apps run here under PM2; psql, redis-cli and
 * `docker --host` check what happened there, not the tool's word. Its link is taken down and its API
 * silenced to play a lost host. Traffic goes only to that namespace, loopback and the test's containers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  TEST_PROJECT, containers, dockerForTests, dockerOn, psql, redisCliAt, remoteHost, removeTestProjects, sh, skipUnlessDocker, volumes,
} from '../helpers/docker.js';
import { TEST_CONFIG } from '../helpers/docker.js';
import { JUST, REPO, tempDir } from '../helpers/cli.js';
import { api, stackRoot } from '../helpers/stack-root.js';

const setup = dockerForTests();
const skip = skipUnlessDocker(setup, 'remote Docker host tests');
// Docker contexts live in the docker CLI's config: one of the test's own, not the user's.
const dockerConfig = tempDir('di-rh-docker-');
const stack = stackRoot('di-rh-', { engine: 'docker', env: { DEV_INSTANCES_CONFIG: TEST_CONFIG, DOCKER_CONFIG: dockerConfig.path, ...setup.images } });
const { just } = stack;

const ADDRESS = '10.231.77.2';
const REMOTE = `tcp://${ADDRESS}:2375`;
/** A second remote host (test/images/remote-host.sh … 2), for instance 14. */
const ADDRESS_B = '10.231.77.6';
const REMOTE_B = `tcp://${ADDRESS_B}:2375`;
/** The Docker context instance 11 is placed with (instance 12 names the endpoint itself). */
const CONTEXT = 'build-box';
const LABEL = `${CONTEXT} \\(tcp://10\\.231\\.77\\.2:2375\\)`;
// The test declaration's ports (stack.config.ts's, moved by 40): instance N at base + N*100.
const ports = (n: number) => ({ backend: 3251 + n * 100, postgres: 5473 + n * 100, redis: 6419 + n * 100 });
const project = (n: number) => `${TEST_PROJECT}-dev-${n}`;
const db = (n: number) => `${TEST_PROJECT}_dev_${n}`;
const ok = (r: { code: number | null; stdout: string; stderr: string }, what: string) =>
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
const failsWith = (r: { code: number | null; stdout: string; stderr: string }, code: number, pattern: RegExp) => {
  assert.equal(r.code, code, `expected exit ${code}:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, pattern);
};

interface StatusRow { name: string; kind: string; host?: string; state: string }
const statusOf = (json: string) => JSON.parse(json).instances as { instance: number; processes: StatusRow[]; problem?: string }[];
/**
 * `just dev …` that must be done well before docker's own 32 s dial timeout: a silent host is given
 * the tool's deadline (8 s) once per command, not docker's per call. A run past limitMs is killed and fails.
 */
function justWithin(limitMs: number, ...args: string[]) {
  const r = spawnSync(JUST, ['--justfile', join(REPO, 'justfile'), '--working-directory', REPO, 'dev', ...args], {
    encoding: 'utf8', timeout: limitMs, env: { ...process.env, DEV_INSTANCES_NO_REBUILD: '1', SHIPSEC_INSTANCE: '', ...stack.env },
  });
  assert.equal(r.error, undefined, `just dev ${args.join(' ')} was still waiting after ${limitMs / 1000} s`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Anything of instance N a refused start might have left running or recorded here: PM2 apps, its state. */
const leftHere = async (n: number) => [
  ...(await stack.names()).filter((name) => name.endsWith(`-${n}`)),
  ...(existsSync(join(stack.root, '.instances', `instance-${n}`, 'state.json')) ? [`.instances/instance-${n}/state.json`] : []),
];

// 11 and 12 are placed on remote host A, 14 on host B, 13 runs on this machine's engine: numbers no other docker test uses.
describe('infrastructure on a remote Docker host, for real', { skip }, () => {
  before(() => {
    assert.equal(setup.reason, undefined, `CI must run the remote host tests: ${setup.reason}`);
    // What an interrupted earlier run may have left; then both hosts at once (each takes ~16 s to answer).
    remoteHost('stop');
    remoteHost('stop', 2);
    const script = join(REPO, 'test', 'images', 'remote-host.sh');
    const started = sh('bash', ['-c', 'bash "$0" start 1 & one=$!; bash "$0" start 2; two=$?; wait $one; exit $(( $? | two ))', script], {}, 120_000);
    assert.equal(started.code, 0, `the remote hosts did not start:\n${started.stderr}`);
    ok(sh('docker', ['context', 'create', CONTEXT, '--docker', `host=${REMOTE}`], { DOCKER_CONFIG: dockerConfig.path }), 'docker context create');
    removeTestProjects();
  });
  after(async () => {
    if (skip) return;
    remoteHost('unmute');
    remoteHost('up');
    await stack.teardown();
    remoteHost('stop');
    remoteHost('stop', 2);
    removeTestProjects();
    dockerConfig.cleanup();
  });

  it('start --host CONTEXT: its containers run there, bound to its address; the apps run here and reach them; nothing on the local engine', async () => {
    const r = just('dev', '11', '--host', CONTEXT);
    ok(r, 'just dev 11 --host');
    assert.match(r.stdout, new RegExp(`Infrastructure +on ${LABEL}: Postgres ${ADDRESS}:${ports(11).postgres}, Redis ${ADDRESS}:${ports(11).redis}`));
    // Reachable from that network with credentials the repository holds: said before it starts.
    assert.match(r.stderr, new RegExp(`warning: instance 11 publishes Postgres on ${ADDRESS}:${ports(11).postgres} \\(user \\w+, the declaration's password\\) and Redis on ${ADDRESS}:${ports(11).redis} \\(no password\\) on ${LABEL}: anyone who reaches that address`));
    const there = containers(project(11), REMOTE);
    assert.deepEqual([...there.keys()].sort(), ['postgres', 'redis']);
    assert.equal(there.get('postgres')?.ports, `${ADDRESS}:${ports(11).postgres}->5432/tcp`, 'published on the host\'s own address, not 0.0.0.0');
    assert.equal(containers(project(11)).size, 0, 'nothing of it on this machine\'s engine');
    assert.deepEqual(volumes(project(11)), []);
    // The images were not there (no registry): they came from this machine, through the same endpoint.
    assert.match(dockerOn(REMOTE, 'images', '--format', '{{.Repository}}').stdout, /dev-instances-test\/postgres/);

    const health = await api(ports(11).backend, '/health');
    assert.equal(health.status, 200);
    assert.equal(health.json.database, db(11));
    assert.equal((await api(ports(11).backend, '/records', { body: 'remote' })).status, 201);
    assert.equal((await api(ports(11).backend, '/kv/colour', { value: 'teal' })).status, 200);
    assert.equal(psql(ports(11).postgres, db(11), 'SELECT body FROM records', ADDRESS).stdout.trim(), 'remote');
    assert.equal(redisCliAt(ADDRESS, ports(11).redis, 'GET', `${project(11)}:colour`).stdout.trim(), 'teal');

    const status = just('dev', '11', 'status', '--json');
    ok(status, 'status');
    const rows = statusOf(status.stdout)[0]?.processes ?? [];
    assert.deepEqual(rows.filter((x) => x.kind === 'infra').map((x) => [x.host, x.state]), [[CONTEXT, 'online'], [CONTEXT, 'online']]);
    assert.ok(rows.filter((x) => x.kind === 'app').every((x) => x.host === undefined), 'apps run here');
    assert.match(just('dev', '11', 'info').stdout, new RegExp(`Infrastructure +on the Docker host ${LABEL}, ports published on ${ADDRESS}`));
    assert.match(just('dev', '11', 'env', 'backend').stdout, new RegExp(`DATABASE_URL=.*@${ADDRESS.replace(/\./g, '\\.')}:${ports(11).postgres}/`));
  });

  it('stop and start again follow the recorded host (no --host) and keep the data; logs, snapshot and restore reach it; --host elsewhere is refused', async () => {
    ok(just('dev', '11', 'stop'), 'stop');
    assert.deepEqual([...containers(project(11), REMOTE).values()].map((c) => c.state), ['exited', 'exited']);
    ok(just('dev', '11'), 'start again');
    assert.equal(psql(ports(11).postgres, db(11), 'SELECT body FROM records', ADDRESS).stdout.trim(), 'remote');
    assert.equal((await api(ports(11).backend, '/kv/colour')).json.value, 'teal');
    const logs = just('dev', '11', 'logs', '--no-follow', '--lines', '5');
    ok(logs, 'logs');
    assert.match(logs.stdout, /ditest-dev-11_postgres_1/, "the containers' own logs, read from that host");
    // Snapshot and restore: pg_dump and pg_restore run inside its containers there, the keys through its address.
    ok(just('dev', '11', 'snapshot', 'rh-one'), 'snapshot');
    assert.equal((await api(ports(11).backend, '/records', { body: 'after the snapshot' })).status, 201);
    ok(just('dev', '11', 'restore', 'rh-one', '--yes'), 'restore');
    assert.equal(psql(ports(11).postgres, db(11), 'SELECT string_agg(body, \',\') FROM records', ADDRESS).stdout.trim(), 'remote');
    assert.equal(redisCliAt(ADDRESS, ports(11).redis, 'GET', `${project(11)}:colour`).stdout.trim(), 'teal');
    failsWith(just('dev', '11', '--host', 'local'), 2, new RegExp(`instance 11's infrastructure and data are on the Docker host ${LABEL}; --host local would start it afresh`));
  });

  it('refused before anything starts: a port taken on the remote host, a bad --host, --host with the native engine', async () => {
    const squat = dockerOn(REMOTE, 'run', '--detach', '--name', 'di-squat', '--publish', `${ADDRESS}:${ports(12).postgres}:6379`, setup.images.DEV_INSTANCES_IMAGE_REDIS ?? '');
    ok(squat, 'a container holding instance 12\'s Postgres port there');
    try {
      failsWith(just('dev', '12', '--host', REMOTE), 1, new RegExp(`port ${ports(12).postgres} \\(PostgreSQL of instance 12\\) is taken on the Docker host ${REMOTE} by something else there`));
      assert.deepEqual(await leftHere(12), [], 'nothing of instance 12 was started or written here');
      assert.equal(containers(project(12), REMOTE).size, 0, 'nor there');
    } finally {
      dockerOn(REMOTE, 'rm', '--force', '--volumes', 'di-squat');
    }
    failsWith(just('dev', '12', '--host', 'ftp://x'), 2, /invalid --host 'ftp:\/\/x': expected a Docker context name, tcp:\/\/HOST:PORT, ssh:\/\/\[USER@\]HOST or local/);
    failsWith(just('dev', '12', '--host', 'no-such-context'), 2, /unknown Docker context 'no-such-context'/);
    failsWith(just('dev', '12', '--host', REMOTE, '--engine', 'native'), 2, /the native engine runs it on this machine/);
    assert.deepEqual(await leftHere(12), []);
  });

  it('a lost host: status names it without holding up the other host or the local instance, apps keep running, start and stop all say so, and it heals', async () => {
    ok(just('dev', '13'), 'instance 13 on this machine\'s engine');
    assert.equal(containers(project(13)).get('postgres')?.state, 'running');
    ok(just('dev', '14', '--host', REMOTE_B), 'instance 14 on host B');
    assert.equal(containers(project(14), REMOTE_B).get('postgres')?.ports, `${ADDRESS_B}:${ports(14).postgres}->5432/tcp`);
    assert.equal(containers(project(14), REMOTE).size, 0, 'nothing of 14 on host A');

    // Link down: the host cannot be reached at all.
    ok(remoteHost('down'), 'link down');
    const down = just('dev', 'status', 'all', '--json');
    assert.equal(down.code, 1, 'status says something could not be seen');
    const seen = statusOf(down.stdout);
    const eleven = seen.find((s) => s.instance === 11);
    assert.match(eleven?.problem ?? '', new RegExp(`the Docker host ${LABEL} does not answer, so compose project ${project(11)} there cannot be reached`));
    assert.deepEqual(eleven?.processes.filter((x) => x.kind === 'infra').map((x) => [x.name, x.host, x.state]), [[project(11), CONTEXT, 'unreachable']]);
    assert.ok(eleven?.processes.filter((x) => x.kind === 'app').every((x) => x.state === 'online'), 'its apps keep running');
    assert.deepEqual(seen.find((s) => s.instance === 13)?.processes.filter((x) => x.kind === 'infra').map((x) => x.state), ['online', 'online'], 'the local instance is shown in full');
    assert.deepEqual(seen.find((s) => s.instance === 14)?.processes.filter((x) => x.kind === 'infra').map((x) => [x.host, x.state]), [[ADDRESS_B, 'online'], [ADDRESS_B, 'online']], 'so is the other host\'s');

    failsWith(just('dev', '12', '--host', REMOTE), 1, /the Docker host tcp:\/\/10\.231\.77\.2:2375 of instance 12: no Docker engine answers .*; nothing was started/);
    assert.deepEqual(await leftHere(12), [], 'nothing started here for an unreachable host');

    // Silent: the host's API drops every packet, so each question runs into the tool's deadline rather than TCP's minutes.
    ok(remoteHost('up'), 'link up');
    ok(remoteHost('mute'), 'API silenced');
    const silent = justWithin(25_000, 'status', 'all', '--json');
    assert.equal(silent.code, 1);
    for (const n of [13, 14]) {
      assert.deepEqual(statusOf(silent.stdout).find((s) => s.instance === n)?.processes.filter((x) => x.kind === 'infra').map((x) => x.state), ['online', 'online']);
    }
    const stopAll = justWithin(25_000, 'stop', 'all');
    failsWith(stopAll, 1, new RegExp(`instance 11: its apps stopped, but the Docker host ${LABEL} does not answer, so its containers were not stopped`));
    assert.match(stopAll.stdout, /stopped instance 13\nstopped instance 14/);
    assert.equal(containers(project(13)).get('postgres')?.state, 'exited', 'the local instance was stopped regardless');
    assert.equal(containers(project(14), REMOTE_B).get('postgres')?.state, 'exited', 'so was the other host\'s');
    assert.deepEqual((await stack.names()).filter((x) => x.endsWith('-11')), [], 'instance 11\'s apps were stopped');

    ok(remoteHost('unmute'), 'API answers again');
    assert.equal(containers(project(11), REMOTE).get('postgres')?.state, 'running', 'its containers ran on meanwhile');
    const healed = just('dev', '11');
    ok(healed, 'start heals');
    assert.equal((await api(ports(11).backend, '/health')).status, 200);
    assert.equal(psql(ports(11).postgres, db(11), 'SELECT body FROM records', ADDRESS).stdout.trim(), 'remote');
  });

  it('clean removes the remote project and its volumes there, and nothing on the other hosts', () => {
    remoteHost('unmute'); // as the test before left it, also when it failed half-way
    remoteHost('up');
    assert.ok(volumes(project(11), REMOTE).includes(`${project(11)}_postgres_data`));
    ok(just('dev', '11', 'clean', '--yes'), 'clean');
    assert.equal(containers(project(11), REMOTE).size, 0);
    assert.deepEqual(volumes(project(11), REMOTE), []);
    assert.ok(volumes(project(13)).includes(`${project(13)}_postgres_data`), 'the local instance keeps its data');
    assert.ok(volumes(project(14), REMOTE_B).includes(`${project(14)}_postgres_data`), 'so does host B\'s');
    ok(just('dev', '14', 'clean', '--yes'), 'clean 14');
    assert.deepEqual([containers(project(14), REMOTE_B).size, volumes(project(14), REMOTE_B)], [0, []]);
    assert.ok(!existsSync(join(stack.root, '.instances', 'instance-11')));
  });
});
