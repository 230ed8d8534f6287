/**
 * The proxy's route table, from the machine's lease registry: every leased instance of every
 * checkout, whether it runs or not (a stopped one's names answer with a page saying so). Pure.
 */
import type { Lease } from '../leases/registry.js';
import { appHost, hostLabel } from '../plan/named-urls.js';

export interface Route {
  /** The host name it answers to. */
  host: string;
  project: string;
  instance: number;
  app: string;
  /** Where the app listens, on loopback. */
  port: number;
  pm2Name: string;
  checkout: string;
  branch?: string;
}

/** Host name -> route. Number names first, then branch names where no other route took the name. */
export function routeTable(leases: readonly Lease[]): Map<string, Route> {
  const table = new Map<string, Route>();
  const sorted = [...leases].sort((a, b) => a.project.localeCompare(b.project) || a.instance - b.instance);
  const add = (host: string, l: Lease, r: NonNullable<Lease['routes']>[number]) => {
    if (table.has(host)) return;
    table.set(host, {
      host, project: l.project, instance: l.instance, app: r.app, port: r.port, pm2Name: r.pm2Name,
      checkout: l.checkout, ...(l.branch ? { branch: l.branch } : {}),
    });
  };
  for (const l of sorted) {
    for (const r of l.routes ?? []) {
      add(appHost(l.project, l.instance, r.app), l, r);
      if (r.home) add(appHost(l.project, l.instance), l, r);
    }
  }
  for (const l of sorted) {
    const label = l.branch ? hostLabel(l.branch) : undefined;
    if (!label) continue;
    for (const r of l.routes ?? []) {
      add(appHost(l.project, label, r.app), l, r);
      if (r.home) add(appHost(l.project, label), l, r);
    }
  }
  return table;
}

/** The named URLs of one lease's instance, home first: what the dashboard links to. */
export function leaseHosts(table: ReadonlyMap<string, Route>, l: Lease): Route[] {
  return [...table.values()].filter((r) => r.project === l.project && r.instance === l.instance);
}
