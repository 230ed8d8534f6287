/**
 * Infrastructure on a remote Docker host (`npm run bench -- remote`): the second dockerd of
 * test/images/remote-host.sh, in a network namespace of its own, reached over TCP. Measured in one run:
 * - the first start there, whose images the host cannot pull: `just dev 1 --host` until its
 *   infrastructure answers, against the bare `docker save | docker load` of the same two images
 *   (the copy is most of it);
 * - warm starts (containers stopped, volumes there) until the infrastructure answers: placed against
 *   plain compose with DOCKER_HOST doing the same work (target <= 1.2x), and against the same
 *   instance on this machine's engine;
 * - `status all` while the host's API is silent: the tool's deadline against a bare `docker ps`,
 *   which waits for docker's own dial timeout.
 * Needs root (a network namespace); skipped with the reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { checkDeclaration } from '../src/config/load.js';
import { composeArgs } from '../src/engines/docker/compose-files.js';
import { PROBES } from '../src/engines/probes.js';
import { writeComposeFiles } from '../src/engines/docker/index.js';
import { plan } from '../src/plan/plan.js';
import { waitAllReady } from '../src/readiness.js';
import fixture from '../test/fixtures/docker-stack.config.js';
import { dockerForTests } from '../test/helpers/docker.js';
import { median, printTable } from './lib.js';
import { type Sandbox, sandbox } from './sandbox.js';

const ADDRESS = '10.231.77.2';
const REMOTE = `tcp://${ADDRESS}:2375`;
const TRACE_INFRA = /\[\s*(\d+) ms\] start: infrastructure ready/;

async function infraMs(box: Sandbox, ...args: string[]): Promise<number> {
  const r = await box.dev(...args);
  const at = TRACE_INFRA.exec(r.stderr)?.[1];
  if (r.code !== 0 || at === undefined) throw new Error(`just dev ${args.join(' ')} failed: ${r.stderr}`);
  return Number(at);
}

const timed = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

export async function remoteBench(repo: string, rounds = 3): Promise<void> {
  const setup = dockerForTests();
  const host = (action: string) => spawnSync('bash', [join(repo, 'test', 'images', 'remote-host.sh'), action], { encoding: 'utf8' });
  if (setup.reason || process.getuid?.() !== 0) {
    console.log(`\nremote bench skipped: ${setup.reason ?? 'a network namespace needs root'}`);
    return;
  }
  host('stop');
  const started = host('start');
  if (started.status !== 0) throw new Error(`remote host: ${started.stderr}`);
  const box = sandbox(repo, 'di-br', { DEV_INSTANCES_CONFIG: join(repo, 'dist', 'test', 'fixtures', 'docker-stack.config.js'), DEV_INSTANCES_TRACE: '1', DEV_INSTANCES_ENGINE: 'docker', ...setup.images });
  cpSync(join(repo, 'docker'), join(box.root, 'docker'), { recursive: true });
  const images = Object.values(setup.images);
  try {
    // 1. A host without the images: the bare copy, then emptied again, then the tool's first start.
    const copy = timed(() => {
      for (const image of images) {
        const r = spawnSync('sh', ['-c', `docker save "$1" | DOCKER_HOST=${REMOTE} docker load --quiet`, 'copy', image], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`copy ${image}: ${r.stderr}`);
      }
    });
    spawnSync('docker', ['image', 'rm', ...images], { env: { ...process.env, DOCKER_HOST: REMOTE } });
    const first = await infraMs(box, '1', '--host', REMOTE);
    printTable('first start on a host without the images (one run)', ['case', 'ms', 'x copy'], [
      ['docker save | docker load of both images (bare)', copy.toFixed(0), '1.00'],
      ['just dev 1 --host: infrastructure answers', first.toFixed(0), (first / copy).toFixed(2)],
    ]);

    // 2. Warm starts: placed, plain compose against the same host, and this machine's engine.
    const decl = checkDeclaration(fixture, 'docker-stack.config');
    const placement = { name: REMOTE, docker: REMOTE, address: ADDRESS };
    const p = plan(decl, 2, { env: { ...process.env, ...setup.images }, placement });
    const t = { decl, scope: p.infra, root: box.root };
    const composeEnv = { ...process.env, COMPOSE_PROJECT_NAME: p.infra.composeProject, DOCKER_HOST: REMOTE };
    const layout = await writeComposeFiles(t); // instance 2's override, as a placed start writes it
    const compose = (...action: string[]) => {
      const r = spawnSync('docker-compose', composeArgs(p.infra, layout, ...action), { encoding: 'utf8', env: composeEnv });
      if (r.status !== 0) throw new Error(`docker-compose ${action.join(' ')}: ${r.stderr}`);
    };
    const plain = async () => {
      const t0 = performance.now();
      compose('up', '-d', 'postgres', 'redis');
      await waitAllReady(p.infra.ports.filter((x) => x.container && ['postgres', 'redis'].includes(x.container.service)).map((x) => {
        const kind = x.container?.service as 'postgres' | 'redis';
        return { name: kind, port: x.port, probe: () => PROBES[kind](x.port, p.infra, ADDRESS), deadlineMs: 120_000 };
      }));
      return performance.now() - t0;
    };
    await infraMs(box, '3', '--host', 'local');
    const placed: number[] = [];
    const bare: number[] = [];
    const local: number[] = [];
    for (let r = 0; r < rounds + 1; r++) { // round 0 creates everything and is not counted
      await box.dev('1', 'stop');
      await box.dev('3', 'stop');
      const one = r % 2 ? await plain() : 0; // alternate which goes first
      compose('stop');
      const two = await infraMs(box, '1');
      const three = await infraMs(box, '3');
      const four = r % 2 ? 0 : await plain();
      compose('stop');
      if (r > 0) { placed.push(two); local.push(three); bare.push(one || four); }
    }
    const base = median(bare);
    printTable(`warm start, infrastructure answers, median of ${rounds} (target: placed <= 1.2x plain compose on that host)`, ['case', 'ms', 'x compose'], [
      ['plain compose with DOCKER_HOST: up -d + readiness', base.toFixed(0), '1.00'],
      ['just dev 1 (placed on the remote host)', median(placed).toFixed(0), (median(placed) / base).toFixed(2)],
      ['just dev 3 (this machine\'s engine)', median(local).toFixed(0), (median(local) / base).toFixed(2)],
    ]);
    compose('down', '--volumes');

    // 3. A silent host: the tool's deadline, against docker's own.
    host('mute');
    const status = await box.dev('status', 'all');
    const ps = timed(() => { spawnSync('docker', ['ps'], { env: { ...process.env, DOCKER_HOST: REMOTE } }); });
    host('unmute');
    printTable('status all while the host\'s API drops every packet (one run)', ['case', 'ms', 'x docker ps'], [
      ['docker ps against that host (docker\'s dial timeout)', ps.toFixed(0), '1.00'],
      ['just dev status all (1 placed, 1 local instance)', status.ms.toFixed(0), (status.ms / ps).toFixed(2)],
    ]);
    for (const n of ['1', '3']) await box.dev(n, 'clean', '--yes', '--no-backup');
  } finally {
    box.dispose();
    host('stop');
  }
}
