/**
 * Native-engine infrastructure start-up and memory, measured in one run:
 * - from "instance has no processes" to "all its infrastructure answers", cold (first start, initdb)
 *   and warm (data initialised), next to the slowest single service started alone the same way;
 *   target: the whole instance within 1.3x of its slowest service;
 * - RSS of one instance's infrastructure, isolated vs shared (the shared set divided by the
 *   instances using it).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkDeclaration } from '../src/config/load.js';
import { nativeEngine } from '../src/engines/native/index.js';
import type { EngineTarget } from '../src/engines/types.js';
import { type InfraScope, plan } from '../src/plan/plan.js';
import { withPm2 } from '../src/pm2/client.js';
import stack from '../examples/shipsec/dev-instances.config.js';
import { printTable } from './lib.js';
import { treeMem } from './proc.js';

const only = (scope: InfraScope, service: string): InfraScope => ({
  ...scope, ports: scope.ports.filter((p) => p.container?.service === service), services: [service],
});

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function infraBench(repo: string, rounds = 3): Promise<void> {
  const home = mkdtempSync('/tmp/di-bench-pm2-');
  process.env.PM2_HOME = home;
  const decl = checkDeclaration(stack, 'stack.config.ts');
  const rows: string[][] = [];
  try {
    const cases: { label: string; scope: (s: InfraScope) => InfraScope }[] = [
      { label: 'whole instance (postgres + redis)', scope: (s) => s },
      { label: 'postgres alone', scope: (s) => only(s, 'postgres') },
      { label: 'redis alone', scope: (s) => only(s, 'redis') },
    ];
    const results = new Map<string, { cold: number[]; warm: number[] }>();
    for (let r = 0; r < rounds; r++) {
      for (const c of cases) {
        const root = mkdtempSync('/tmp/di-bench-');
        chmodSync(root, 0o755);
        const t: EngineTarget = { decl, scope: c.scope(plan(decl, 9).infra), root };
        const cold = await timed(() => nativeEngine.up(t));
        await nativeEngine.down(t);
        const warm = await timed(() => nativeEngine.up(t));
        await nativeEngine.down(t);
        rmSync(root, { recursive: true, force: true });
        const entry = results.get(c.label) ?? { cold: [], warm: [] };
        entry.cold.push(cold);
        entry.warm.push(warm);
        results.set(c.label, entry);
      }
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const singles = cases.slice(1).map((c) => results.get(c.label) ?? { cold: [0], warm: [0] });
    for (const phase of ['cold', 'warm'] as const) {
      const slowest = Math.max(...singles.map((s) => med(s[phase])));
      for (const c of cases) {
        const v = med(results.get(c.label)?.[phase] ?? [0]);
        rows.push([`${phase}: ${c.label}`, v.toFixed(0), c === cases[0] ? (v / slowest).toFixed(2) : '']);
      }
    }
    printTable(`native infrastructure start-up to ready, median of ${rounds} (target: whole <= 1.3x slowest single service)`,
      ['case', 'ms', 'x slowest'], rows);

    // Memory: one isolated instance vs the shared set used by 10 instances.
    const root = mkdtempSync('/tmp/di-bench-');
    chmodSync(root, 0o755);
    const isolated: EngineTarget = { decl, scope: plan(decl, 9).infra, root };
    await nativeEngine.up(isolated);
    const isoMiB = await rssOf(isolated.scope.pm2Namespace);
    await nativeEngine.down(isolated);
    const sharedScope = plan(decl, 9, { shared: new Set(['postgres', 'redis']) }).sharedInfra;
    if (!sharedScope) throw new Error('no shared scope');
    const sharedOnlyPgRedis = { ...sharedScope, ports: sharedScope.ports.filter((p) => ['postgres', 'redis'].includes(p.container?.service ?? '')) };
    const shared: EngineTarget = { decl, scope: sharedOnlyPgRedis, root };
    await nativeEngine.up(shared);
    const sharedMiB = await rssOf(sharedScope.pm2Namespace);
    await nativeEngine.down(shared);
    rmSync(root, { recursive: true, force: true });
    printTable('RSS of one instance\'s infrastructure (postgres + redis, idle, process trees)',
      ['mode', 'MiB per instance'], [
        ['isolated (own servers)', isoMiB.toFixed(1)],
        ['shared set, total', sharedMiB.toFixed(1)],
        ['shared, per instance of 10', (sharedMiB / 10).toFixed(1)],
      ]);
  } finally {
    spawnSync(process.execPath, [join(repo, 'node_modules', 'pm2', 'bin', 'pm2'), 'kill'], { env: { ...process.env, PM2_HOME: home }, stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
  }
}

async function rssOf(namespace: string): Promise<number> {
  const procs = await withPm2((s) => s.list());
  return procs.filter((p) => p.namespace === namespace).reduce((sum, p) => sum + treeMem(p.pid).rssMiB, 0);
}
