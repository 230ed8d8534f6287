/**
 * Where an instance's infrastructure is placed: which request wins, how a context or a DOCKER_HOST
 * URL becomes an endpoint and an address, what is refused (exit 2), and that an instance recorded
 * on this machine is never sent to another engine by the caller's DOCKER_HOST. Contexts are real
 * docker CLI contexts, in a DOCKER_CONFIG of the test's own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import type { StackDeclaration } from '../../src/config/types.js';
import { dockerEnv, requestedHost, resolvePlacement } from '../../src/engines/docker/placement.js';
import { UsageError } from '../../src/errors.js';
import stack from '../../examples/shipsec/dev-instances.config.js';
import { tempDir } from '../helpers/cli.js';

const decl = stack as unknown as StackDeclaration;
const flagged = (raw: string) => ({ raw, from: '--host', explicit: true });
const config = tempDir('di-ctx-');
const hasDocker = spawnSync('docker', ['--version']).status === 0;

describe('placement', () => {
  after(() => config.cleanup());

  it('asks --host first, then DEV_INSTANCES_HOST, the declaration, and a DOCKER_HOST or DOCKER_CONTEXT naming another engine', () => {
    const withHost = { ...decl, host: 'from-decl' };
    assert.deepEqual(requestedHost('a', { DEV_INSTANCES_HOST: 'b' }, withHost), { raw: 'a', from: '--host', explicit: true });
    assert.deepEqual(requestedHost(undefined, { DEV_INSTANCES_HOST: 'b', DOCKER_HOST: 'tcp://x:1' }, withHost), { raw: 'b', from: 'DEV_INSTANCES_HOST', explicit: false });
    assert.equal(requestedHost(undefined, { DOCKER_HOST: 'tcp://x:1' }, withHost)?.raw, 'from-decl');
    assert.equal(requestedHost(undefined, { DOCKER_HOST: 'tcp://x:1' }, decl)?.raw, 'tcp://x:1');
    assert.equal(requestedHost(undefined, { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, decl), undefined, "a local socket is this machine's engine");
    assert.equal(requestedHost(undefined, { DOCKER_CONTEXT: 'default' }, decl), undefined);
    assert.equal(requestedHost(undefined, { DOCKER_CONTEXT: 'build-box' }, decl)?.raw, 'build-box');
    assert.equal(requestedHost(undefined, {}, decl), undefined);
  });

  it('turns URLs into an endpoint and an IPv4 address to publish on; local is this machine', async () => {
    assert.deepEqual(await resolvePlacement(flagged('tcp://10.1.2.3:2375')), { name: 'tcp://10.1.2.3:2375', docker: 'tcp://10.1.2.3:2375', address: '10.1.2.3' });
    assert.deepEqual(await resolvePlacement(flagged('ssh://deploy@10.1.2.4')), { name: 'ssh://deploy@10.1.2.4', docker: 'ssh://deploy@10.1.2.4', address: '10.1.2.4' });
    assert.equal((await resolvePlacement(flagged('ssh://localhost')))?.address, '127.0.0.1', 'a host name is resolved once, at the start that places it');
    assert.equal((await resolvePlacement(flagged('unix:///run/user/1000/docker.sock')))?.address, '127.0.0.1');
    assert.equal(await resolvePlacement(flagged('local')), undefined);
  });

  it('refuses what names no Docker engine, with the value and what is allowed (exit 2)', async () => {
    for (const bad of ['ftp://x', 'tcp://', 'bad host', '-x']) {
      await assert.rejects(resolvePlacement(flagged(bad)), (err: Error) => err instanceof UsageError
        && err.message === `invalid --host '${bad}': expected a Docker context name, tcp://HOST:PORT, ssh://[USER@]HOST or local`);
    }
    await assert.rejects(resolvePlacement(flagged('tcp://no-such-host.invalid:2375')), /its host name 'no-such-host.invalid' does not resolve to an IPv4 address here/);
  });

  it('reads a Docker context: its endpoint, under its own name', { skip: !hasDocker && 'no docker client' }, async () => {
    const docker = (...args: string[]) => spawnSync('docker', args, { env: { ...process.env, DOCKER_CONFIG: config.path }, encoding: 'utf8' });
    assert.equal(docker('context', 'create', 'build-box', '--docker', 'host=tcp://10.1.2.5:2375').status, 0);
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = config.path;
    try {
      assert.deepEqual(await resolvePlacement(flagged('build-box')), { name: 'build-box', docker: 'tcp://10.1.2.5:2375', address: '10.1.2.5' });
      assert.equal(await resolvePlacement(flagged('default')), undefined, "the default context is this machine's engine");
      await assert.rejects(resolvePlacement(flagged('nope')), (err: Error) => err instanceof UsageError && /unknown Docker context 'nope' \(--host\)/.test(err.message));
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG; else process.env.DOCKER_CONFIG = saved;
    }
  });

  it("sends a placed set to its endpoint, and keeps a set recorded on this machine here whatever the caller's DOCKER_HOST says", () => {
    const placement = { name: 'b', docker: 'tcp://10.1.2.3:2375', address: '10.1.2.3' };
    assert.deepEqual(dockerEnv({ placement }), { DOCKER_HOST: 'tcp://10.1.2.3:2375' });
    const saved = { host: process.env.DOCKER_HOST, context: process.env.DOCKER_CONTEXT };
    try {
      delete process.env.DOCKER_HOST;
      delete process.env.DOCKER_CONTEXT;
      assert.deepEqual(dockerEnv({}), {});
      process.env.DOCKER_HOST = 'tcp://10.9.9.9:2375';
      process.env.DOCKER_CONTEXT = 'elsewhere';
      assert.deepEqual(dockerEnv({}), { DOCKER_HOST: '', DOCKER_CONTEXT: 'default' });
    } finally {
      for (const [key, value] of [['DOCKER_HOST', saved.host], ['DOCKER_CONTEXT', saved.context]] as const) {
        if (value === undefined) delete process.env[key]; else process.env[key] = value;
      }
    }
  });
});
