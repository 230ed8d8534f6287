/**
 * Many instances at once on the native engine: 10 with isolated infrastructure, then 20 on shared
 * infrastructure, each set started concurrently with bounded parallelism. Reports wall time, whether
 * all are healthy, memory per instance (RSS of its processes, shared set divided among its users) and
 * the time of `status all`; then `clean all` must leave nothing behind.
 */
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import { withPm2 } from '../src/pm2/client.js';
import { portInUse } from '../src/ports/holder.js';
import { listDatabases } from '../src/provision/postgres.js';
import { printTable } from './lib.js';
import { type Mem, processTree, treeMem } from './proc.js';
import { sandbox } from './sandbox.js';

interface Row { mode: string; instances: number; wallS: number; healthy: string; apps: Mem; infra: Mem; statusMs: number; cleanS: number; leftovers: string }

export async function scaleBench(repo: string, parallel = 3): Promise<void> {
  const rows: Row[] = [];
  for (const [mode, count] of [['isolated', 10], ['shared', 20]] as const) rows.push(await scaleRun(repo, mode, count, parallel));
  printTable(`instances of the demo stack at once, started ${parallel} at a time (native engine)`,
    ['mode', 'instances', 'wall s', 'healthy', 'RSS MiB/inst (apps + infra)', 'PSS MiB/inst (apps + infra)', 'status all ms', 'clean all s', 'left behind'],
    rows.map((r) => [r.mode, String(r.instances), r.wallS.toFixed(1), r.healthy,
      `${(r.apps.rssMiB + r.infra.rssMiB).toFixed(0)} (${r.apps.rssMiB.toFixed(0)} + ${r.infra.rssMiB.toFixed(1)})`,
      `${(r.apps.pssMiB + r.infra.pssMiB).toFixed(0)} (${r.apps.pssMiB.toFixed(0)} + ${r.infra.pssMiB.toFixed(1)})`,
      r.statusMs.toFixed(0), r.cleanS.toFixed(1), r.leftovers]));
}

async function scaleRun(repo: string, mode: 'isolated' | 'shared', count: number, parallel: number): Promise<Row> {
  const box = sandbox(repo, 'di-sc');
  const { root, dev } = box;
  const numbers = Array.from({ length: count }, (_, i) => i + 1);
  try {
    const t0 = performance.now();
    const queue = [...numbers];
    const failures: string[] = [];
    await Promise.all(Array.from({ length: parallel }, async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        const r = await dev(String(n), ...(mode === 'shared' ? ['--infra', 'shared'] : ['--infra', 'isolated']));
        if (r.code !== 0) failures.push(`${n}: ${r.stderr.trim().split('\n').pop()}`);
      }
    }));
    const wallS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const status = await dev('status', 'all', '--json');
    const statusMs = performance.now() - t1;
    const instances = (JSON.parse(status.stdout) as { instances: { instance: number | string; processes: { health: string }[] }[] }).instances;
    const healthy = instances.filter((i) => typeof i.instance === 'number' && i.processes.length > 0 && i.processes.every((p) => p.health === 'ok')).length;

    const procs = await withPm2((s) => s.list());
    const tree = processTree();
    const perInstance = (pred: (ns: string, name: string) => boolean): Mem => procs.filter((p) => pred(p.namespace, p.name) && p.pid > 0)
      .map((p) => treeMem(p.pid, tree))
      .reduce((a, m) => ({ rssMiB: a.rssMiB + m.rssMiB / count, pssMiB: a.pssMiB + m.pssMiB / count }), { rssMiB: 0, pssMiB: 0 });
    const infraKinds = /-(postgres|redis)-/;
    const apps = perInstance((ns, name) => /-dev-\d+$/.test(ns) && !infraKinds.test(name));
    const infra = perInstance((ns, name) => (/-dev-\d+$/.test(ns) && infraKinds.test(name)) || ns.endsWith('-infra'));

    const t2 = performance.now();
    const clean = await dev('clean', 'all', '--yes');
    const cleanS = (performance.now() - t2) / 1000;
    const left: string[] = [];
    if (mode === 'shared') {
      // The shared servers outlive the instances; they must hold none of their databases or keys.
      const dbs = (await listDatabases({ host: '127.0.0.1', port: 5433, user: 'shipsec', password: box.machinePassword('postgres') })).filter((d) => d.startsWith('shipsec_dev_'));
      if (dbs.length) left.push(`databases ${dbs.join(' ')}`);
      const r = new Redis({ port: 6379, host: '127.0.0.1', lazyConnect: true, password: box.machinePassword('redis') });
      await r.connect();
      const [, keys] = await r.scan('0', 'MATCH', 'shipsec-dev-*', 'COUNT', 10_000);
      r.disconnect();
      if (keys.length) left.push(`${keys.length} Redis keys`);
      await dev('stop', 'all', '--shared');
    }
    if (clean.code !== 0) left.push(`clean failed: ${clean.stderr.trim().split('\n').pop()}`);
    if ((await withPm2((s) => s.list())).length > 0) left.push('PM2 processes');
    for (const n of numbers) {
      for (const port of [5173 + n * 100, 3211 + n * 100]) if (await portInUse(port)) left.push(`port ${port}`);
      if (existsSync(join(root, `.instances/instance-${n}`))) left.push(`instance-${n}/`);
    }
    if (mode === 'isolated') for (const n of numbers) if (await portInUse(5433 + n * 100)) left.push(`postgres ${n}`);
    return {
      mode, instances: count, wallS, healthy: `${healthy}/${count}${failures.length ? ` (${failures.length} failed: ${failures[0]})` : ''}`,
      apps, infra, statusMs, cleanS, leftovers: left.length ? left.join(', ') : 'nothing',
    };
  } finally {
    box.dispose();
  }
}
