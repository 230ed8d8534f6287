/**
 * What the dashboard shows, as data: every leased instance of every checkout, its named and direct
 * URLs, and the state of each of its processes (apps from the lease, native infrastructure from its
 * PM2 namespace). Pure: the live part (src/proxy/dashboard/live.ts) hands in PM2's list and health.
 */
import type { Lease } from '../../leases/registry.js';
import type { Pm2Process } from '../../pm2/client.js';
import { appHost, hostLabel, hostUrl } from '../../plan/named-urls.js';
import { routeTable } from '../routes.js';

export type Health = 'ok' | 'failing' | '-';

export interface DashProcess {
  name: string;
  kind: 'app' | 'infra';
  state: string;
  port?: number;
  pid?: number;
  /** ms since epoch it (re)started, when online: the page counts uptime from it. */
  startedAt?: number;
  restarts?: number;
  health: Health;
}

export interface DashInstance {
  /** `<project>/<N>`: how actions name it. */
  id: string;
  project: string;
  instance: number;
  checkout: string;
  branch?: string;
  /** 'running' (everything online and healthy), 'stopped', 'errored', or 'partial'. */
  state: 'running' | 'stopped' | 'errored' | 'partial';
  /** The named URL of its home app (`http://<N>.<project>.localhost:<port>`), when it has one. */
  home?: string;
  /** Each app's URL: named (through the proxy, and by branch when it has one) and direct. */
  urls: { app: string; named: string; direct: string; alias?: string }[];
  processes: DashProcess[];
}

export interface Snapshot {
  port: number;
  instances: DashInstance[];
}

const stateOf = (processes: DashProcess[]): DashInstance['state'] => {
  if (processes.some((p) => p.state === 'errored')) return 'errored';
  const up = processes.filter((p) => p.state === 'online');
  if (up.length === 0) return 'stopped';
  return up.length === processes.length && processes.every((p) => p.health !== 'failing') ? 'running' : 'partial';
};

function processOf(name: string, kind: DashProcess['kind'], proc: Pm2Process | undefined, health: Health, port?: number): DashProcess {
  if (!proc) return { name, kind, state: 'stopped', health: '-', ...(port ? { port } : {}) };
  const online = proc.status === 'online';
  return {
    name, kind, state: proc.status, ...(port ? { port } : {}), ...(proc.pid ? { pid: proc.pid } : {}),
    ...(online ? { startedAt: proc.startedAt } : {}), restarts: proc.restarts, health: online ? health : '-',
  };
}

/** The instances of the registry as the dashboard shows them, by project and number. */
/** httpsPort: named URLs are HTTPS there (HTTP ones are sent there). */
export function snapshotOf(leases: readonly Lease[], procs: readonly Pm2Process[], health: ReadonlyMap<string, Health>, port: number, httpsPort?: number): Snapshot {
  const named = (host: string) => (httpsPort ? hostUrl(host, httpsPort, true) : hostUrl(host, port));
  const byName = new Map(procs.map((p) => [p.name, p]));
  // A branch name goes to one instance (the lowest number of the first project): two checkouts on the
  // same branch share it, and only the one it routes to shows it.
  const table = routeTable(leases);
  const owns = (host: string, l: Lease) => { const r = table.get(host); return r?.project === l.project && r.instance === l.instance; };
  const instances = [...leases].sort((a, b) => a.project.localeCompare(b.project) || a.instance - b.instance).map((l): DashInstance => {
    const apps = l.apps ?? [];
    const routeOf = new Map((l.routes ?? []).map((r) => [r.pm2Name, r]));
    const label = l.branch ? hostLabel(l.branch) : undefined;
    const processes = [
      ...apps.map((name) => processOf(name, 'app', byName.get(name), health.get(name) ?? '-', routeOf.get(name)?.port)),
      ...procs.filter((p) => l.namespace !== undefined && p.namespace === l.namespace && !apps.includes(p.name))
        .map((p) => processOf(p.name, 'infra', p, '-')),
    ];
    const routes = l.routes ?? [];
    return {
      id: `${l.project}/${l.instance}`, project: l.project, instance: l.instance, checkout: l.checkout,
      ...(l.branch ? { branch: l.branch } : {}), state: stateOf(processes), processes,
      ...(routes.some((r) => r.home) ? { home: named(appHost(l.project, l.instance)) } : {}),
      urls: routes.map((r) => ({
        app: r.app, named: named(appHost(l.project, l.instance, r.app)), direct: `http://localhost:${r.port}`,
        ...(label && owns(appHost(l.project, label, r.app), l) ? { alias: named(appHost(l.project, label, r.app)) } : {}),
      })),
    };
  });
  return { port, instances };
}
