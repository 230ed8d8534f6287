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
import { checkDeclaration } from '../../src/config/load.js';
import { composeArgs, composeInvocation, dockerEngine, forgetSeen } from '../../src/engines/docker/index.js';
import { detectCompose, probeDocker } from '../../src/engines/docker/probe.js';
import { selectEngine } from '../../src/engines/select.js';
import { forgetObtainedImages } from '../../src/engines/docker/images.js';
import type { EngineTarget } from '../../src/engines/types.js';
import { materialize } from '../../src/materialize.js';
import { plan } from '../../src/plan/plan.js';
import stack from '../../examples/shipsec/dev-instances.config.js';
import { REPO, SHIPSEC, tempDir } from '../helpers/cli.js';

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
    copyFileSync(join(SHIPSEC, 'docker', 'docker-compose.infra.yml'), join(root.path, 'docker', 'docker-compose.infra.yml'));
    await materialize(plan(decl, 1), root.path);
  });
  beforeEach(() => {
    writeFileSync(log, '');
    for (const k of ['DOCKER_SHIM_MODE', 'DOCKER_SHIM_COMPOSE', 'DOCKER_SHIM_ABSENT']) delete process.env[k];
    forgetObtainedImages(); // each test is a command of its own
    forgetSeen();
  });
  after(() => { process.env.PATH = savedPath; root.cleanup(); });

  const base = join(root.path, 'docker/docker-compose.infra.yml');
  const override = join(root.path, '.instances/instance-1/docker-compose.override.yml');
  const prefix = ['compose', '--project-name', 'shipsec-dev-1', '-f', base, '-f', override];

  const psByLabel = ['ps', '--all', '--filter', 'label=com.docker.compose.project=shipsec-dev-1', '--format',
    '{{.Names}}\t{{.State}}\t{{.Status}}\t{{.Label "com.docker.compose.service"}}\t{{.Ports}}\t{{.Label "com.docker.compose.project"}}'];

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

  it('compose hands its words to docker compose under the project, with the base file and the instance\'s override, and returns its exit code', async () => {
    assert.equal(await dockerEngine.compose?.(target(1), ['ps', '--services', '-a']), 0);
    const call = calls().find((c) => c.argv.includes('--services'));
    assert.deepEqual(call?.argv, [...prefix, 'ps', '--services', '-a']);
    assert.equal(call?.COMPOSE_PROJECT_NAME, 'shipsec-dev-1');
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
    assert.deepEqual(cli, { program: 'docker-compose', prefix: [], version: 'v1', major: 1 });
    const files = { files: [base, override] };
    assert.deepEqual(composeInvocation(cli, target(1), files, ['stop']), { program: 'docker-compose', args: [...prefix.slice(1), 'stop'] });
    delete process.env.DOCKER_SHIM_COMPOSE;
    const v2 = await detectCompose();
    assert.deepEqual(composeInvocation(v2, target(1), files, ['stop']), { program: 'docker', args: [...prefix, 'stop'] });
  });

  it('the files the command lines name merge into instance 1 only (docker-compose config)', () => {
    const args = composeArgs(target(1).scope, { files: [base, override] }, 'config');
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
    process.env.DOCKER_SHIM_MODE = 'broken';
    await assert.rejects(dockerEngine.down(target(1)), (err: Error & { hint?: string }) => {
      assert.match(err.message, /^docker compose --project-name shipsec-dev-1 .* down --remove-orphans exited with code 15$/);
      assert.match(err.hint ?? '', /refers to undefined volume pg_data/);
      return true;
    });
  });

  it('a daemon that does not answer is said in those words, for compose calls and for reading containers', async () => {
    process.env.DOCKER_SHIM_MODE = 'down';
    for (const call of [() => dockerEngine.down(target(1)), () => dockerEngine.status(target(1), [])]) {
      await assert.rejects(call(), (err: Error & { hint?: string }) => {
        assert.equal(err.message, 'no Docker engine answers, so compose project shipsec-dev-1 cannot be reached');
        assert.match(err.hint ?? '', /Is the docker daemon running\?\nStart Docker again: the project's containers and volumes \(its data\) are kept/);
        return true;
      });
    }
  });

  describe('images that are neither here nor pullable', () => {
    it('an optional one leaves its service out, with every service that depends on it, and says which variable fixes it', async () => {
      process.env.DOCKER_SHIM_ABSENT = 'temporalio/auto-setup:1.25.2';
      const found = await dockerEngine.inspect(target(1), { fetch: true });
      assert.deepEqual(found.missing, []);
      assert.deepEqual(found.unavailable.map((u) => u.service), ['temporal', 'temporal-ui']);
      assert.match(found.unavailable[0]?.detail ?? '', /image temporalio\/auto-setup:1\.25\.2 is not on this machine and cannot be pulled \(pull access denied .*\); set DEV_INSTANCES_IMAGE_TEMPORAL /);
      assert.match(found.unavailable[1]?.detail ?? '', /needs temporal, whose image is not available/);
      assert.ok(calls().some((c) => c.argv.join(' ') === 'pull --quiet temporalio/auto-setup:1.25.2'), 'it tried to pull');
    });

    it('a required one (Postgres) stops the start before any compose call, naming the image and the variable', async () => {
      process.env.DOCKER_SHIM_ABSENT = 'postgres:16-alpine';
      await assert.rejects(dockerEngine.up(target(1)), (err: Error & { hint?: string }) => {
        assert.equal(err.message, 'cannot start instance 1 on the docker engine: postgres not found');
        assert.match(err.hint ?? '', /^postgres: image postgres:16-alpine is not on this machine and cannot be pulled .*set DEV_INSTANCES_IMAGE_POSTGRES/m);
        return true;
      });
      assert.ok(!calls().some((c) => c.argv.includes('up')), 'compose up never ran');
    });

    it('auto gives such a machine the native engine, and says why in one line; --engine docker does not', async () => {
      process.env.DOCKER_SHIM_ABSENT = 'redis:7-alpine';
      const auto = await selectEngine('auto', { sets: [target(1)] });
      assert.equal(auto.engine.name, 'native');
      assert.match(auto.reason, /^native engine: docker answers, but redis: image redis:7-alpine is not on this machine and cannot be pulled [^\n]*DEV_INSTANCES_IMAGE_REDIS/);
      assert.equal((await selectEngine('docker', { sets: [target(1)] })).engine.name, 'docker');
    });

    it('auto gives a project without a compose file the native engine, without asking Docker; --engine docker refuses, naming composeFiles', async () => {
      const noCompose: EngineTarget = { ...target(1), decl: { ...decl, composeFiles: undefined } };
      const auto = await selectEngine('auto', { sets: [noCompose] });
      assert.equal(auto.engine.name, 'native');
      assert.match(auto.reason, /^native engine: the project has no compose file \(compose\.yaml, …, or composeFiles in the declaration\)$/);
      assert.equal(calls().length, 0, 'docker was not asked');
      await assert.rejects((await selectEngine('docker', { sets: [noCompose] })).engine.inspect(noCompose), /composeFiles: no compose file in /);
    });

    it('a dry run pulls nothing and says what a start would pull', async () => {
      process.env.DOCKER_SHIM_ABSENT = 'redis:7-alpine';
      const lines = await dockerEngine.describe(target(1), 'up');
      assert.match(lines[0] ?? '', /^docker pull redis:7-alpine \(not on this machine/);
      assert.ok(!calls().some((c) => c.argv[0] === 'pull'));
    });
  });
});
