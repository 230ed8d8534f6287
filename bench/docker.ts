/**
 * The docker engine against a real dockerd, measured in one run (the docker tests' declaration and
 * locally built images; `npm run bench -- docker`):
 * - `just dev N` warm (containers stopped, volumes present) and cold (no volumes) until its
 *   infrastructure answers, against plain compose doing the same work without the tool: `up -d` of
 *   the same services with the same files, then polling the same readiness probes; target <= 1.2x.
 *   The whole start (apps healthy) is shown beside it;
 * - the same instance's warm start on the native engine, for comparison (no target);
 * - `status all` with 5 docker instances against one `docker ps` plus one `pm2 jlist`; target <= 1.5x.
 */
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { dockerForTests } from '../test/helpers/docker.js';
import { checkDeclaration } from '../src/config/load.js';
import { composeArgs } from '../src/engines/docker/compose-files.js';
import { layoutOf } from '../src/engines/docker/index.js';
import { PROBES } from '../src/engines/probes.js';
import { plan } from '../src/plan/plan.js';
import { waitAllReady } from '../src/readiness.js';
import fixture from '../test/fixtures/docker-stack.config.js';
import { median, printTable } from './lib.js';
import { type Sandbox, sandbox } from './sandbox.js';

const TRACE_INFRA = /\[\s*(\d+) ms\] start: infrastructure ready/;

/** `just dev ARGS` with the trace on: whole wall time, and when its infrastructure answered. */
async function traced(box: Sandbox, ...args: string[]): Promise<{ whole: number; infra: number }> {
  const r = await box.dev(...args);
  if (r.code !== 0) throw new Error(`just dev ${args.join(' ')} failed: ${r.stderr}`);
  const infra = TRACE_INFRA.exec(r.stderr)?.[1];
  if (infra === undefined) throw new Error(`no trace of the infrastructure in:\n${r.stderr}`);
  return { whole: r.ms, infra: Number(infra) };
}

export async function dockerBench(repo: string, rounds = 3, fleet = 5): Promise<void> {
  const setup = dockerForTests();
  if (setup.reason) {
    console.log(`\ndocker bench skipped: ${setup.reason}`);
    return;
  }
  const box = sandbox(repo, 'di-bd', { DEV_INSTANCES_CONFIG: join(repo, 'dist', 'test', 'fixtures', 'docker-stack.config.js'), DEV_INSTANCES_TRACE: '1', ...setup.images });
  cpSync(join(repo, 'docker'), join(box.root, 'docker'), { recursive: true });
  const decl = checkDeclaration(fixture, 'docker-stack.config');
  const n = 1;
  const p = plan(decl, n, { env: { ...process.env, ...setup.images } });
  const t = { decl, scope: p.infra, root: box.root };
  const layout = await layoutOf(t);
  const compose = (...action: string[]) => {
    const r = spawnSync('docker-compose', composeArgs(p.infra, layout, ...action), { encoding: 'utf8', env: { ...process.env, COMPOSE_PROJECT_NAME: p.infra.composeProject } });
    if (r.status !== 0) throw new Error(`docker-compose ${action.join(' ')}: ${r.stderr}`);
  };
  // Plain compose: the same services, the same files, then the same probes polled until all answer.
  const plain = async () => {
    const t0 = performance.now();
    compose('up', '-d', 'postgres', 'redis');
    await waitAllReady(p.infra.ports.filter((x) => x.container && ['postgres', 'redis'].includes(x.container.service)).map((x) => {
      const kind = x.container?.service as 'postgres' | 'redis';
      return { name: kind, port: x.port, probe: () => PROBES[kind](x.port, p.infra), deadlineMs: 120_000 };
    }));
    return performance.now() - t0;
  };
  const dev = (...args: string[]) => traced(box, '--engine', 'docker', ...args);
  try {
    const rows: string[][] = [];
    for (const temperature of ['warm', 'cold'] as const) {
      const tool: { whole: number; infra: number }[] = [];
      const bare: number[] = [];
      for (let r = 0; r < rounds + 1; r++) { // round 0 warms caches and is not counted
        if (temperature === 'cold') await box.dev(String(n), 'clean', '--yes', '--no-backup');
        else await box.dev(String(n), 'stop');
        const one = await dev(String(n));
        await box.dev(String(n), 'stop');
        if (temperature === 'cold') compose('down', '--volumes');
        const other = await plain();
        compose('stop');
        if (r > 0) { tool.push(one); bare.push(other); }
      }
      const base = median(bare);
      const infra = median(tool.map((x) => x.infra));
      rows.push(
        [`plain compose: up -d + readiness (${temperature})`, base.toFixed(0), '1.00'],
        [`just dev ${n}: infrastructure answers (${temperature})`, infra.toFixed(0), (infra / base).toFixed(2)],
        [`just dev ${n}: whole instance, apps healthy (${temperature})`, median(tool.map((x) => x.whole)).toFixed(0), ''],
      );
    }
    const native: number[] = [];
    await box.dev(String(n), 'clean', '--yes', '--no-backup');
    for (let r = 0; r < rounds + 1; r++) {
      const one = await traced(box, '--engine', 'native', String(n));
      await box.dev(String(n), 'stop');
      if (r > 0) native.push(one.whole);
    }
    await box.dev(String(n), 'clean', '--yes', '--no-backup');
    rows.push([`just dev ${n} --engine native: whole instance (warm)`, median(native).toFixed(0), '']);
    printTable(`docker engine start, median of ${rounds} (target: infrastructure <= 1.2x plain compose)`, ['case', 'ms', 'x compose'], rows);

    for (let i = 1; i <= fleet; i++) await dev(String(i));
    const pm2Bin = join(repo, 'node_modules', 'pm2', 'bin', 'pm2');
    const statusRuns: number[] = [];
    const bareRuns: number[] = [];
    for (let r = 0; r < 7; r++) {
      statusRuns.push((await box.dev('status', 'all')).ms);
      const t0 = performance.now();
      spawnSync('docker', ['ps', '--all', '--filter', 'label=com.docker.compose.project'], { encoding: 'utf8' });
      spawnSync(process.execPath, [pm2Bin, 'jlist'], { env: box.env, encoding: 'utf8' });
      bareRuns.push(performance.now() - t0);
    }
    printTable(`status all with ${fleet} docker instances, median of 7 (target: <= 1.5x)`, ['command', 'ms', 'x bare'], [
      ['docker ps + pm2 jlist (bare calls)', median(bareRuns).toFixed(0), '1.00'],
      ['just dev status all', median(statusRuns).toFixed(0), (median(statusRuns) / median(bareRuns)).toFixed(2)],
    ]);
    for (let i = 1; i <= fleet; i++) await box.dev(String(i), 'clean', '--yes', '--no-backup');
  } finally {
    box.dispose();
  }
}
