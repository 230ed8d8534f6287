/**
 * status N / status all: one PM2 list for every instance, the engine's view of each instance's
 * infrastructure, quick health probes in parallel. Data for the table and for --json.
 */
import { join } from 'node:path';
import type { StackDeclaration } from '../config/types.js';
import { checkoutAt } from '../leases/checkout.js';
import type { ServiceState } from '../engines/types.js';
import { type InstancePlan, type Placement } from '../plan/plan.js';
import { httpUrls, namedUrls, portsByKey, shortHost } from '../plan/views.js';
import type { Pm2Process } from '../pm2/client.js';
import { healthOf, tailOf } from '../readiness.js';
import { findOrphans } from './orphans.js';
import { sharedSetOf } from './shared.js';
import { sliceJson } from '../slices/table.js';
import type { Target } from './target.js';

export interface ProcessRow {
  name: string;
  kind: 'app' | 'infra';
  /** The Docker host it runs on, when not this machine: its name as placed. */
  host?: string;
  port?: number;
  state: string;
  pid?: number;
  uptimeMs?: number;
  restarts?: number;
  health: 'ok' | 'failing' | '-';
  /** Last log lines of an errored process, or what an orphan is. */
  lastLines?: string;
}

export interface InstanceStatus {
  instance: number | 'shared';
  engine: string;
  running: boolean;
  ports: Record<string, number>;
  urls: Record<string, string>;
  /** App -> named URL through the local proxy, and `home` (empty when named URLs are off). */
  namedUrls: Record<string, string>;
  /** The slices' keys (database, redisPrefix, temporalNamespace, taskQueue): those the declaration has. */
  [slice: string]: unknown;
  processes: ProcessRow[];
  /** Why the engine could not say what runs (e.g. no Docker engine answers). */
  problem?: string;
  /** The Docker host its own infrastructure runs on, when not this machine. */
  placement?: Placement;
  /** The checkout the instance belongs to; here: the one the command ran in. */
  checkout?: { path: string; branch?: string; here: boolean };
}

async function appRow(proc: Pm2Process | undefined, name: string, port: number | undefined, path: string | undefined, errLog: string): Promise<ProcessRow> {
  if (!proc) return { name, kind: 'app', ...(port ? { port } : {}), state: 'stopped', health: '-' };
  const online = proc.status === 'online';
  return {
    name, kind: 'app', ...(port ? { port } : {}), state: proc.status, ...(proc.pid ? { pid: proc.pid } : {}),
    ...(online ? { uptimeMs: Date.now() - proc.startedAt } : {}), restarts: proc.restarts, health: await healthOf(online, port, path),
    ...(proc.status === 'errored' ? { lastLines: await tailOf(errLog, 5) } : {}),
  };
}

async function infraRow(s: ServiceState, placement?: Placement): Promise<ProcessRow> {
  const online = s.state === 'online';
  return {
    name: s.process, kind: 'infra', ...(placement ? { host: shortHost(placement) } : {}), ...(s.port ? { port: s.port } : {}), state: s.state === 'absent' ? 'stopped' : s.state,
    ...(s.pid ? { pid: s.pid } : {}), ...(online && s.startedAt ? { uptimeMs: Date.now() - s.startedAt } : {}),
    ...(s.restarts === undefined ? {} : { restarts: s.restarts }), health: await healthOf(online, s.port, undefined, 800, placement?.address),
    ...(s.state === 'errored' && s.logFile ? { lastLines: await tailOf(s.logFile, 5) } : {}),
  };
}

/** Infrastructure rows worth a line: the processes that exist (an unavailable service is none). */
const shown = (s: ServiceState) => s.state !== 'unavailable' && s.state !== 'absent';

function describe(decl: StackDeclaration, p: InstancePlan, engine: string, processes: ProcessRow[]): InstanceStatus {
  return {
    instance: p.instance, engine, running: processes.some((r) => r.state === 'online'),
    ports: portsByKey(p), urls: httpUrls(p), namedUrls: namedUrls(p),
    ...sliceJson(decl, p), processes,
  };
}

async function oneStatus(t: Target, procs: readonly Pm2Process[], here: string): Promise<InstanceStatus> {
  const p = t.plan;
  const byName = new Map(procs.map((x) => [x.name, x]));
  const logs = join(t.root, p.files.logs);
  // An engine that cannot be asked (a stopped Docker) is said, not shown as an instance without infrastructure.
  let problem: string | undefined;
  const infra = await t.engine.status(t.own, procs).catch((err: Error): ServiceState[] => {
    problem = err.message;
    return [];
  });
  const rows = await Promise.all([
    ...p.apps.map((a) => appRow(byName.get(a.pm2Name), a.pm2Name, a.port, a.health, join(logs, `${a.id}.err.log`))),
    ...infra.filter(shown).map((s) => infraRow(s, p.placement)),
  ]);
  // A placed host that does not answer is a row of its own: where the infrastructure is, and that it cannot be seen.
  if (problem && p.placement) rows.push({ name: p.composeProject, kind: 'infra', host: shortHost(p.placement), state: 'unreachable', health: '-' });
  // Ports held by processes of this instance that PM2 does not run: a PM2 daemon died under them.
  if (rows.some((r) => r.state !== 'online' && r.port)) {
    for (const o of await findOrphans(t, new Set(procs.map((x) => x.pid)))) {
      rows.push({ name: `pid ${o.holder.pid}`, kind: 'infra', port: o.port, state: 'orphaned', pid: o.holder.pid, health: '-',
        lastLines: `${o.what} still holds port ${o.port} but PM2 does not run it (was the PM2 daemon restarted?); just dev ${p.instance} ends it and starts afresh` });
    }
  }
  const c = checkoutAt(t.root);
  const checkout = { path: c.path, ...(c.branch ? { branch: c.branch } : {}), here: c.path === here };
  return { ...describe(t.decl, p, t.engine.name, rows), ...(problem ? { problem } : {}), ...(p.placement ? { placement: p.placement } : {}), checkout };
}

/** Status of the given instances; with withShared, the shared set too when any of it runs. */
export async function instanceStatus(
  decl: StackDeclaration, root: string, targets: readonly Target[], procs: readonly Pm2Process[], withShared: boolean,
): Promise<InstanceStatus[]> {
  const here = checkoutAt(root).path;
  const out = await Promise.all(targets.map((t) => oneStatus(t, procs, here)));
  const shared = withShared ? sharedSetOf(decl, root) : undefined;
  if (shared) {
    const states = (await shared.engine.status(shared.set, procs).catch((): ServiceState[] => [])).filter(shown);
    if (states.length > 0) {
      out.push({ instance: 'shared', engine: shared.engine.name, running: true, ports: {}, urls: {}, namedUrls: {}, processes: await Promise.all(states.map((s) => infraRow(s))) });
    }
  }
  return out;
}
