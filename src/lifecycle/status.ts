/**
 * status N / status all: one PM2 list for every instance, compose ps for docker instances, quick
 * health probes in parallel. Data for the table and for --json.
 */
import { join } from 'node:path';
import type { StackDeclaration } from '../config/types.js';
import { type InstancePlan, SHARED_DIR } from '../plan/plan.js';
import { type Pm2Process, withPm2 } from '../pm2/client.js';
import { tailOf, tcpAccepts } from '../readiness.js';
import { request } from 'node:http';
import { discoverInstances } from './discover.js';
import { readState } from './state.js';
import { findOrphans } from './orphans.js';
import { planAsStarted } from './stop.js';

export interface ProcessRow {
  name: string;
  kind: 'app' | 'infra';
  port?: number;
  state: string;
  pid?: number;
  uptimeMs?: number;
  restarts?: number;
  health: 'ok' | 'failing' | '-';
  /** Last log lines of an errored process. */
  lastLines?: string;
}

export interface InstanceStatus {
  instance: number | 'shared';
  engine: string;
  running: boolean;
  ports: Record<string, number>;
  urls: Record<string, string>;
  database?: string;
  temporalNamespace?: string;
  taskQueue?: string;
  redisPrefix?: string;
  processes: ProcessRow[];
}

function httpOk(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 800 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
const tcpOk = (port: number) => tcpAccepts(port, '127.0.0.1', 800).then(() => true, () => false);

async function rowOf(proc: Pm2Process | undefined, name: string, kind: 'app' | 'infra', port: number | undefined,
  healthPath: string | undefined, errLog: string): Promise<ProcessRow> {
  if (!proc) return { name, kind, ...(port ? { port } : {}), state: 'stopped', health: '-' };
  const online = proc.status === 'online';
  const health = !online ? '-' : port === undefined ? 'ok' : (await (healthPath ? httpOk(port, healthPath) : tcpOk(port))) ? 'ok' : 'failing';
  return {
    name, kind, ...(port ? { port } : {}), state: proc.status, pid: proc.pid || undefined,
    uptimeMs: online ? Date.now() - proc.startedAt : undefined, restarts: proc.restarts, health,
    ...(proc.status === 'errored' ? { lastLines: await tailOf(errLog, 5) } : {}),
  } as ProcessRow;
}

function describe(p: InstancePlan, engine: string, processes: ProcessRow[]): InstanceStatus {
  const urls: Record<string, string> = {};
  for (const x of p.ports) if (x.scheme === 'http') urls[x.label] = `http://localhost:${x.port}`;
  return {
    instance: p.instance, engine, running: processes.some((r) => r.state === 'online'),
    ports: Object.fromEntries(p.ports.map((x) => [x.key, x.port])), urls,
    database: p.database.name, temporalNamespace: p.temporal.namespace, taskQueue: p.temporal.taskQueue,
    redisPrefix: p.redis.keyPrefix, processes,
  };
}

export async function instanceStatus(decl: StackDeclaration, root: string, which: number | 'all'): Promise<InstanceStatus[]> {
  const procs = await withPm2((pm2) => pm2.list());
  const byName = new Map(procs.map((x) => [x.name, x]));
  const numbers = which === 'all' ? discoverInstances(decl, root, procs) : [which];
  const out = await Promise.all(numbers.map(async (n) => {
    const { plan: p, engine } = planAsStarted(decl, n, root);
    const logs = join(root, p.files.logs);
    const rows = await Promise.all([
      ...p.apps.map((a) => rowOf(byName.get(a.pm2Name), a.pm2Name, 'app', a.port, a.health, join(logs, `${a.id}.err.log`))),
      ...procs.filter((x) => x.namespace === p.pm2Namespace && !p.apps.some((a) => a.pm2Name === x.name)).map((x) => {
        const kind = x.name.slice(decl.project.length + 1, x.name.lastIndexOf('-'));
        const port = p.infra.ports.find((e) => e.id === kind || e.container?.service === kind)?.port;
        return rowOf(x, x.name, 'infra', port, undefined, join(logs, `${kind}.log`));
      }),
    ]);
    // Ports held by processes of this instance that PM2 does not run: a PM2 daemon died under them.
    if (rows.some((r) => r.state !== 'online' && r.port)) {
      for (const o of await findOrphans(decl, p, root, new Set(procs.map((x) => x.pid)))) {
        rows.push({ name: `pid ${o.holder.pid}`, kind: 'infra', port: o.port, state: 'orphaned', pid: o.holder.pid, health: '-',
          lastLines: `${o.what} still holds port ${o.port} but PM2 does not run it (was the PM2 daemon restarted?); just dev ${n} ends it and starts afresh` });
      }
    }
    if (engine.name === 'docker') {
      for (const s of await engine.status({ decl, scope: p.infra, root }).catch(() => [])) {
        rows.push({ name: s.process, kind: 'infra', port: s.port || undefined, state: s.state, health: s.state === 'online' ? 'ok' : '-' } as ProcessRow);
      }
    }
    return describe(p, engine.name, rows);
  }));
  if (which === 'all') {
    const shared = procs.filter((x) => x.namespace === `${decl.project}-infra`);
    if (shared.length > 0) {
      out.push({
        instance: 'shared', engine: readState(root, SHARED_DIR)?.engine ?? 'native', running: true, ports: {}, urls: {},
        processes: await Promise.all(shared.map((x) => rowOf(x, x.name, 'infra', undefined, undefined, ''))),
      });
    }
  }
  return out;
}
