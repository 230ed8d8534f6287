/**
 * The docker engine without a Docker engine: a recording `docker` on PATH checks the exact command
 * lines; Debian's docker-compose renders the merged configuration they point at.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parse } from 'yaml';
import { checkDeclaration } from '../src/config/load.js';
import { composeArgs, composeInvocation, detectCompose, dockerEngine, probeDocker } from '../src/engines/docker.js';
import { selectEngine } from '../src/engines/select.js';
import type { EngineTarget } from '../src/engines/types.js';
import { materialize } from '../src/materialize.js';
import { plan } from '../src/plan/plan.js';
import stack from '../stack.config.js';
import { REPO, tempDir } from './helpers/cli.js';

const root = tempDir('di-docker-');
const decl = checkDeclaration(stack, 'stack.config.ts');
const target = (n: number): EngineTarget => ({ decl, scope: plan(decl, n).infra, root: root.path });
const log = join(root.path, 'docker-calls.jsonl');
const savedPath = process.env.PATH;
const calls = (): { prog: string; argv: string[]; COMPOSE_PROJECT_NAME: string }[] =>
  readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('docker engine', () => {
  before(async () => {
    const bin = join(root.path, 'bin');
    mkdirSync(bin);
    for (const prog of ['docker', 'docker-compose']) {
      copyFileSync(join(REPO, 'test', 'fixtures', 'docker-shim.sh'), join(bin, prog));
      spawnSync('chmod', ['+x', join(bin, prog)]);
    }
    process.env.PATH = `${bin}:${savedPath}`;
    process.env.DOCKER_SHIM_LOG = log;
    mkdirSync(join(root.path, 'docker'));
    copyFileSync(join(REPO, 'docker', 'docker-compose.infra.yml'), join(root.path, 'docker', 'docker-compose.infra.yml'));
    await materialize(plan(decl, 1), root.path);
  });
  beforeEach(() => { writeFileSync(log, ''); delete process.env.DOCKER_SHIM_MODE; delete process.env.DOCKER_SHIM_COMPOSE; });
  after(() => { process.env.PATH = savedPath; root.cleanup(); });

  const base = join(root.path, 'docker/docker-compose.infra.yml');
  const override = join(root.path, '.instances/instance-1/docker-compose.override.yml');
  const prefix = ['compose', '--project-name', 'shipsec-dev-1', '-f', base, '-f', override];

  const psByLabel = ['ps', '--all', '--filter', 'label=com.docker.compose.project=shipsec-dev-1', '--format',
    '{{.Names}}\t{{.State}}\t{{.Status}}\t{{.Label "com.docker.compose.service"}}\t{{.Ports}}'];

  it('up runs compose up --detach (no --wait, which v1 lacks) under the project, then waits itself: an exited container fails it fast, named', async () => {
    process.env.DOCKER_SHIM_MODE = 'exited';
    const began = Date.now();
    await assert.rejects(dockerEngine.up(target(1)), (err: Error) => {
      assert.match(err.message, /postgres of instance 1 \(container\) on port 5533: its container shipsec-dev-1-postgres-1 exited \(1\) 2 seconds ago:\nFATAL: the shim's container log/);
      return true;
    });
    assert.ok(Date.now() - began < 10_000, 'did not wait for the deadline');
    const up = calls().find((c) => c.argv.includes('up'));
    assert.deepEqual(up?.argv, [...prefix, 'up', '--detach',
      'temporal', 'temporal-ui', 'postgres', 'minio', 'redis', 'loki', 'redpanda', 'redpanda-console']);
    assert.ok(calls().filter((c) => c.argv.includes('--project-name')).every((c) => c.COMPOSE_PROJECT_NAME === 'shipsec-dev-1'));
  });

  it('stop, down and remove-data map to stop, down and down --volumes of this project only', async () => {
    assert.equal(await dockerEngine.stop(target(1)), true, 'the shim reports a running postgres');
    await dockerEngine.down(target(1));
    await dockerEngine.removeData(target(1));
    assert.deepEqual(calls().map((c) => c.argv), [
      psByLabel,
      [...prefix, 'stop'],
      [...prefix, 'down', '--remove-orphans'],
      [...prefix, 'down', '--volumes', '--remove-orphans'],
    ]);
  });

  it('status reads the project\'s containers by compose\'s label (no local file needed, v1 and v2 alike)', async () => {
    const states = await dockerEngine.status(target(1), []);
    assert.deepEqual(states.map((s) => [s.service, s.state, s.port]), [['postgres', 'online', 5533], ['redis', 'stopped', 0]]);
    assert.deepEqual(calls().map((c) => c.argv), [psByLabel]);
  });

  it('compose v1 where the plugin is missing: docker-compose with the same words', async () => {
    process.env.DOCKER_SHIM_COMPOSE = 'v1';
    const cli = await detectCompose();
    assert.deepEqual(cli, { program: 'docker-compose', prefix: [], version: '1.29.2', major: 1 });
    assert.deepEqual(composeInvocation(cli, target(1), ['stop']), { program: 'docker-compose', args: [...prefix.slice(1), 'stop'] });
    delete process.env.DOCKER_SHIM_COMPOSE;
    const v2 = await detectCompose();
    assert.deepEqual(composeInvocation(v2, target(1), ['stop']), { program: 'docker', args: [...prefix, 'stop'] });
  });

  it('the files the command lines name merge into instance 1 only (docker-compose config)', () => {
    const args = composeArgs(target(1), 'config');
    const r = spawnSync('/usr/bin/docker-compose', ['-p', args[1] ?? '', '-f', args[3] ?? '', '-f', args[5] ?? '', 'config'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const cfg = parse(r.stdout) as { services: Record<string, { ports?: string[] }> };
    assert.deepEqual(cfg.services.postgres?.ports, ['127.0.0.1:5533:5432/tcp']);
  });

  it('detects an engine and Compose v2, and says what is missing when the daemon is down', async () => {
    assert.deepEqual(await probeDocker(), { ok: true, serverVersion: '27.3.1', composeVersion: '2.29.7' });
    assert.equal((await selectEngine('auto')).engine.name, 'docker');
    process.env.DOCKER_SHIM_MODE = 'down';
    const probe = await probeDocker();
    assert.equal(probe.ok, false);
    assert.equal(probe.problem, 'no Docker engine answers');
    assert.match(probe.detail ?? '', /Cannot connect to the Docker daemon/);
    const auto = await selectEngine('auto');
    assert.equal(auto.engine.name, 'native');
    assert.equal(auto.reason, 'native engine: no Docker engine answers');
    await assert.rejects(selectEngine('docker'), /the docker engine was asked for, but no Docker engine answers \(Cannot connect/);
  });

  it('a failing compose call names the project and shows its stderr', async () => {
    process.env.DOCKER_SHIM_MODE = 'down';
    await assert.rejects(dockerEngine.down(target(1)), (err: Error & { hint?: string }) => {
      assert.match(err.message, /^docker compose --project-name shipsec-dev-1 .* down --remove-orphans exited with code 1$/);
      assert.match(err.hint ?? '', /Cannot connect to the Docker daemon/);
      return true;
    });
  });
});
