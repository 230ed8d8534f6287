/**
 * The lifecycle as users feel it, measured in one run on the native engine:
 * - `just dev N` warm (data initialised, nothing running) to all-healthy, against the slowest single
 *   component started alone (each infrastructure server alone, each app alone on running
 *   infrastructure); target: within 1.5x;
 * - the same for a Postgres-only stack against its dependency chain alone; target: within 1.3x (and, for
 *   what the tool itself adds, against that chain plus one bare `pm2 jlist`);
 * - `just dev status all` with 10 running instances against one bare `pm2 jlist`; target: within 1.5x.
 */
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { checkDeclaration } from '../src/config/load.js';
import { nativeEngine } from '../src/engines/native/index.js';
import { appCheck, newLaunch, startApps } from '../src/lifecycle/apps.js';
import { type InfraScope, plan } from '../src/plan/plan.js';
import { withPm2 } from '../src/pm2/client.js';
import { provision } from '../src/provision/index.js';
import { waitReady } from '../src/readiness.js';
import stack from '../examples/shipsec/dev-instances.config.js';
import pgOnly from '../test/fixtures/pg-only-stack.config.js';
import { median, printTable } from './lib.js';
import { mustDev, sandbox } from './sandbox.js';

/**
 * Another stack (test/fixtures/pg-only-stack.config.ts: Postgres, a Node API and a shell-and-python
 * app): `just dev N` warm against its dependency chain alone, done by hand with the tool's own parts
 * (Postgres up, the database made, both apps started and answering); target: within 1.3x.
 */
async function pgOnlyBench(repo: string, rounds: number): Promise<void> {
  const box = sandbox(repo, 'di-bp', { DEV_INSTANCES_CONFIG: join(repo, 'dist', 'test', 'fixtures', 'pg-only-stack.config.js'), DEV_INSTANCES_ENGINE: 'native' });
  cpSync(join(repo, 'test', 'fixtures', 'stacks'), join(box.root, 'stacks'), { recursive: true });
  const dev = (...args: string[]) => mustDev(box, ...args);
  const decl = checkDeclaration(pgOnly, 'pg-only-stack.config.ts');
  try {
    const n = 12;
    const p = plan(decl, n);
    await dev(String(n)); // cold: initdb
    await dev(String(n), 'stop');
    const whole: number[] = [];
    const chain: number[] = [];
    const bare: number[] = [];
    const pm2Bin = join(repo, 'node_modules', 'pm2', 'bin', 'pm2');
    for (let r = 0; r < rounds; r++) {
      const t1 = performance.now();
      spawnSync(process.execPath, [pm2Bin, 'jlist'], { env: box.env, encoding: 'utf8' });
      bare.push(performance.now() - t1);
      whole.push(await dev(String(n)));
      await dev(String(n), 'stop');
      const t0 = performance.now();
      await nativeEngine.up({ decl, scope: p.infra, root: box.root });
      await provision(decl, p, []);
      await withPm2(async (pm2) => {
        const launch = newLaunch();
        const started = await startApps(pm2, p, box.root, launch);
        await Promise.all([started.done, ...p.apps.map((a) => waitReady(appCheck(pm2, p, box.root, launch, a)))]);
        chain.push(performance.now() - t0);
        for (const a of p.apps) await pm2.delete(a.pm2Name);
      });
      await nativeEngine.down({ decl, scope: p.infra, root: box.root });
    }
    printTable(`Postgres-only stack: just dev ${n} warm to all-healthy, median of ${rounds} (target: <= 1.3x its dependency chain alone)`,
      ['case', 'ms', 'x chain'], [
        ['chain alone: Postgres, then its database, then both apps', median(chain).toFixed(0), '1.00'],
        [`just dev ${n} (whole instance)`, median(whole).toFixed(0), (median(whole) / median(chain)).toFixed(2)],
        // What any command that hands processes to PM2 pays before it starts anything: a Node process, PM2's client, one call.
        ['one bare `pm2 jlist` (a command line that asks PM2 once)', median(bare).toFixed(0), (median(bare) / median(chain)).toFixed(2)],
        [`just dev ${n} against chain + one bare pm2 call`, median(whole).toFixed(0), (median(whole) / (median(chain) + median(bare))).toFixed(2)],
      ]);
  } finally {
    box.dispose();
  }
}

export async function lifecycleBench(repo: string, rounds = 3, fleet = 10): Promise<void> {
  await pgOnlyBench(repo, rounds);
  const box = sandbox(repo, 'di-bl', { DEV_INSTANCES_ENGINE: 'native' });
  const { root, env } = box;
  const dev = (...args: string[]) => mustDev(box, ...args);
  const decl = checkDeclaration(stack, 'stack.config.ts');
  try {
    const n = 11;
    await dev(String(n)); // cold: initdb, Vite's first optimisation
    await dev(String(n), 'stop');
    const whole: number[] = [];
    const chain: number[] = [];
    const singles = new Map<string, number[]>();
    const add = (k: string, v: number) => singles.set(k, [...(singles.get(k) ?? []), v]);
    const p = plan(decl, n);
    for (let r = 0; r < rounds; r++) {
      whole.push(await dev(String(n)));
      await dev(String(n), 'stop');
      for (const service of ['postgres', 'redis']) {
        const scope: InfraScope = { ...p.infra, ports: p.infra.ports.filter((x) => x.container?.service === service), services: [service] };
        const t0 = performance.now();
        await nativeEngine.up({ decl, scope, root });
        add(service, performance.now() - t0);
        await nativeEngine.down({ decl, scope, root });
      }
      // The dependency chain alone: infrastructure, then the instance's database, then the backend.
      {
        const backend = p.apps.find((a) => a.id === 'backend');
        const alone = { ...p, apps: backend ? [backend] : [] };
        const t0 = performance.now();
        await nativeEngine.up({ decl, scope: p.infra, root });
        await provision(decl, p, ['temporal', 'minio', 'redpanda']); // what the native engine cannot run here
        await withPm2(async (pm2) => {
          const launch = newLaunch();
          const started = await startApps(pm2, alone, root, launch);
          await Promise.all([started.done, ...alone.apps.map((a) => waitReady(appCheck(pm2, alone, root, launch, a)))]);
          chain.push(performance.now() - t0);
          for (const a of alone.apps) await pm2.delete(a.pm2Name);
        });
      }
      for (const app of p.apps) {
        const alone = { ...p, apps: [app] };
        await withPm2(async (pm2) => {
          const t0 = performance.now();
          const launch = newLaunch();
          const started = await startApps(pm2, alone, root, launch);
          await Promise.all([started.done, waitReady(appCheck(pm2, alone, root, launch, app))]);
          add(app.id, performance.now() - t0);
          await pm2.delete(app.pm2Name);
        });
      }
      await nativeEngine.down({ decl, scope: p.infra, root });
    }
    const slowest = Math.max(...[...singles.values()].map(median));
    printTable(`just dev ${n} warm to all-healthy, median of ${rounds} (target: <= 1.5x the slowest single component)`,
      ['case', 'ms', 'x slowest'], [
        [`just dev ${n} (whole instance)`, median(whole).toFixed(0), (median(whole) / slowest).toFixed(2)],
        ...[...singles.entries()].map(([k, v]) => [`${k} alone`, median(v).toFixed(0), '']),
        ['chain alone: infrastructure, then database, then backend', median(chain).toFixed(0), (median(chain) / slowest).toFixed(2)],
      ]);

    for (let i = 1; i <= fleet; i++) await dev(String(i));
    const pm2Bin = join(repo, 'node_modules', 'pm2', 'bin', 'pm2');
    const statusRuns: number[] = [];
    const listRuns: number[] = [];
    for (let r = 0; r < 7; r++) {
      statusRuns.push(await dev('status', 'all'));
      const t0 = performance.now();
      spawnSync(process.execPath, [pm2Bin, 'jlist'], { env, encoding: 'utf8' });
      listRuns.push(performance.now() - t0);
    }
    printTable(`status all with ${fleet} running instances (${fleet * 5} processes), median of 7 (target: <= 1.5x)`,
      ['command', 'ms', 'x pm2 jlist'], [
        ['pm2 jlist (bare PM2 list call)', median(listRuns).toFixed(0), '1.00'],
        ['just dev status all', median(statusRuns).toFixed(0), (median(statusRuns) / median(listRuns)).toFixed(2)],
      ]);
  } finally {
    box.dispose();
  }
}
