/** User-facing wording of the CLI, in one place. */
import type { InstancePlan } from '../plan/plan.js';

export const PROGRAM = 'dev-instances';

export function usage(commands: readonly { name: string; usage: string; summary: string }[], max: number, envVar: string): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  return [
    'Usage: just dev [N|all] [ACTION] [FLAGS]     (or: dev-instance-manager ACTION N)',
    '',
    'Actions:',
    ...commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    `N is an instance number from 0 to ${max}; without N, ${envVar} or else 0.`,
  ].join('\n');
}

export const errorLine = (message: string): string => `${PROGRAM}: ${message}`;
export const warningLine = (message: string): string => `${PROGRAM}: warning: ${message}`;
export const noteLine = (message: string): string => `${PROGRAM}: ${message}`;

export const notATarget = (raw: string, max: number, actions: readonly string[]): string =>
  `'${raw}' is neither an action nor an instance number: expected an integer from 0 to ${max}, or one of ${actions.join(', ')}`;

export const noAllFor = (action: string): string => `${action} works on one instance; give a number, not 'all'`;

export const mask = (url: string, password: string): string =>
  password === '' ? url : url.replace(`:${encodeURIComponent(password)}@`, ':****@');

/** The `info` text: what a person needs to reach and recognise the instance. */
export function infoText(p: InstancePlan): string {
  const rows: [string, string][] = p.ports.map((x) => [x.label, address(x.scheme, x.port)]);
  const width = Math.max(...rows.map(([k]) => k.length), 'Compose project'.length);
  const line = (k: string, v: string) => `  ${k.padEnd(width)}  ${v}`;
  return [
    `Instance ${p.instance} of ${p.project}`,
    ...rows.map(([k, v]) => line(k, v)),
    '',
    line('Compose project', p.composeProject),
    line('Database', `${p.database.name}  ${mask(p.database.url, p.database.password)}`),
    line('Temporal', `namespace ${p.temporal.namespace}, task queue ${p.temporal.taskQueue} at ${p.temporal.address}`),
    line('Redis prefix', `'${p.redis.keyPrefix}' at ${p.redis.url}`),
    line('PM2 apps', `${p.apps.map((a) => a.pm2Name).join(', ')}  (namespace ${p.pm2Namespace})`),
    line('Files', `${p.dir}/`),
  ].join('\n');
}

function address(scheme: string | undefined, port: number): string {
  switch (scheme) {
    case 'http': return `http://localhost:${port}`;
    case 'postgresql': return `postgresql://localhost:${port}`;
    case 'redis': return `redis://localhost:${port}`;
    default: return `localhost:${port}`;
  }
}

/** What a finished `start` prints: where everything of the instance lives. */
export function startSummary(r: {
  plan: InstancePlan; engineReason: string; alreadyRunning: boolean; ms: number;
  unavailable: { service: string; detail: string }[];
  provisioned?: { database: string; namespace: string };
}): string {
  const p = r.plan;
  const head = r.alreadyRunning
    ? `Instance ${p.instance} is already running; nothing changed.`
    : `Instance ${p.instance} is up in ${(r.ms / 1000).toFixed(1)} s (${r.engineReason}).`;
  const urls = p.ports.filter((x) => x.scheme === 'http').map((x) => [x.label, `http://localhost:${x.port}`] as const);
  const width = Math.max(...urls.map(([k]) => k.length), 'Redis prefix'.length);
  const line = (k: string, v: string) => `  ${k.padEnd(width)}  ${v}`;
  const down = r.unavailable.map((u) => u.service);
  return [
    head,
    ...urls.filter(([label]) => !down.some((d) => label.toLowerCase().startsWith(d))).map(([k, v]) => line(k, v)),
    line('Database', `${p.database.name}${r.provisioned ? ` (${r.provisioned.database})` : ''}`),
    line('Temporal', down.includes('temporal') ? 'not available on this engine' : `namespace ${p.temporal.namespace}${r.provisioned ? ` (${r.provisioned.namespace})` : ''}`),
    line('Redis prefix', p.redis.keyPrefix),
    ...(down.length ? [line('Not running', `${down.join(', ')} (not available on this engine; apps see ${'DEV_INSTANCES_UNAVAILABLE'})`)] : []),
    `Logs: just dev ${p.instance} logs    Status: just dev ${p.instance} status    Stop: just dev ${p.instance} stop`,
  ].join('\n');
}

interface StatusRowView {
  name: string; port?: number; state: string; pid?: number; uptimeMs?: number; restarts?: number; health: string; lastLines?: string;
}

const uptime = (ms: number | undefined): string => {
  if (ms === undefined) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
};

/** The status table: one row per process, readable at a glance. */
export function statusTable(instances: { instance: number | 'shared'; engine: string; processes: StatusRowView[] }[]): string {
  if (instances.length === 0) return 'No instance is running.';
  const header = ['INSTANCE', 'PROCESS', 'PORT', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'HEALTH'];
  const rows = instances.flatMap((i) => i.processes.map((r) => [
    String(i.instance), r.name, r.port ? String(r.port) : '-', r.state, r.pid ? String(r.pid) : '-',
    uptime(r.uptimeMs), r.restarts === undefined ? '-' : String(r.restarts), r.health,
  ]));
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((x, c) => x.padEnd(widths[c] ?? 0)).join('  ').trimEnd();
  const errored = instances.flatMap((i) => i.processes.filter((r) => r.lastLines).map((r) => (r.state === 'orphaned'
    ? `\n${r.name}: ${r.lastLines}`
    : `\n${r.name} is ${r.state}; last lines of its log:\n${r.lastLines}`)));
  return [fmt(header), ...rows.map(fmt), ...errored].join('\n');
}

/** Loud: the data of an instance that had some is gone, and an empty one is about to be created. */
export function dataLossWarning(p: InstancePlan): string {
  return [
    `!!! instance ${p.instance}'s database data was initialised before and is now MISSING.`,
    `!!! A new, EMPTY database is being created. If that is not what you wanted: just dev ${p.instance} stop,`,
    `!!! then restore from .instances/backups/instance-${p.instance}/ (README: Backups and restore).`,
  ].join('\n');
}
