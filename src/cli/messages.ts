/** User-facing wording of the CLI, in one place. */
import { basename } from 'node:path';
import { describeCheckout } from '../leases/checkout.js';
import type { FillVia, LifecycleEvent } from '../lifecycle/events.js';
import type { InstancePlan } from '../plan/plan.js';
import { placementLabel } from '../plan/views.js';
import { UNAVAILABLE_SERVICES_KEY } from '../plan/names.js';
import type { SliceOutcome } from '../provision/index.js';
import { sliceEntries } from '../slices/table.js';
import { type Tint, tint } from '../text/colour.js';
import { columns } from '../text/columns.js';
import { formatBytes } from '../text/bytes.js';
import type { Snapshot } from '../data/snapshots.js';



/** The `info` text: what a person needs to reach and recognise the instance. */
export function infoText(p: InstancePlan, baseImages: Readonly<Record<string, string>> = {}): string {
  const chosen = { ...p.sharedInfra?.images, ...p.infra.images };
  const images = columns(Object.keys(baseImages).map((svc) => {
    const c = chosen[svc];
    return c ? [svc, c.image, `(${c.from})`] : [svc, baseImages[svc] ?? '', '(base file)'];
  })).map((line): [string, string] => ['', line]);
  const rows: [string, string][] = [
    ...(p.proxy ? [['Open', `${p.proxy.home}  (named URLs through the local proxy; dashboard http://localhost:${p.proxy.port}/)`] as [string, string]] : []),
    ...p.ports.map((x): [string, string] => [x.label, namedFirst(p, x.port) ?? address(x.scheme, x.host, x.port)]),
    ['', ''],
    ...(p.placement ? [['Infrastructure', `on the Docker host ${placementLabel(p.placement)}, ports published on ${p.placement.address}; apps here`] as [string, string]] : []),
    ['Compose project', p.composeProject],
    ...sliceEntries(p).map((e): [string, string] => [e.kind.title, e.kind.show(e.value)]),
    ['PM2 apps', `${p.apps.map((a) => a.pm2Name).join(', ')}  (namespace ${p.pm2Namespace})`],
    ['Files', `${p.dir}/`],
    ...(images.length ? [['Images', 'docker engine: each compose service, and where its image comes from'] as [string, string], ...images] : []),
  ];
  return [`Instance ${p.instance} of ${p.project}`, ...columns(rows, { indent: '  ' })].join('\n');
}

/** An app's port as its named URL with the direct one beside it; undefined for any other port. */
function namedFirst(p: InstancePlan, port: number): string | undefined {
  const named = p.apps.find((a) => a.port === port)?.url?.named;
  return named ? `${named}  (direct http://localhost:${port})` : undefined;
}

function address(scheme: string | undefined, host: string, port: number): string {
  return scheme === 'http' || scheme === 'postgresql' || scheme === 'redis' ? `${scheme}://${host}:${port}` : `${host}:${port}`;
}

/** Each slice of a start: its name, and how the start left it (or that its server does not run here). */
function sliceRows(p: InstancePlan, down: readonly string[], provisioned: SliceOutcome[] | undefined): [string, string][] {
  return sliceEntries(p).map((e) => {
    const outcome = provisioned?.find((o) => o.key === e.kind.key);
    if (outcome?.state === 'skipped' || (!outcome && down.includes(e.kind.infra))) return [e.kind.title, 'not available on this engine'];
    return [e.kind.title, `${e.kind.name(e.value)}${outcome && outcome.state !== 'nothing' ? ` (${outcome.state})` : ''}`];
  });
}

/** The servers of an instance's slices: 'Postgres 10.0.0.2:5533'. */
const serversOf = (p: InstancePlan): string[] =>
  sliceEntries(p).map((e) => `${e.kind.infra[0]?.toUpperCase()}${e.kind.infra.slice(1)} ${e.kind.server(e.value)}`);

/** The command that replaces an instance's data with a source's ('snapshot NAME', 'instance M'). */
const replaceWith = (n: number, from: string): string => {
  const [kind, name] = from.split(' ');
  return `just dev ${n} ${kind === 'instance' ? 'clone' : 'restore'} ${name} --yes`;
};

/** What a finished `start` prints: where everything of the instance lives. */
export function startSummary(r: {
  plan: InstancePlan; engineReason: string; alreadyRunning: boolean; ms: number;
  unavailable: { service: string; detail: string }[];
  provisioned?: SliceOutcome[]; appsLeft?: boolean;
}, dashboard?: string): string {
  const p = r.plan;
  const took = `${(r.ms / 1000).toFixed(1)} s (${r.engineReason})`;
  const head = r.alreadyRunning
    ? `Instance ${p.instance} is already running; nothing changed.`
    : r.appsLeft ? `Instance ${p.instance}'s infrastructure and data are ready in ${took}; its apps start with: just dev ${p.instance}`
      : `Instance ${p.instance} is up in ${took}.`;
  const down = r.unavailable.map((u) => u.service);
  const urls = r.appsLeft ? [] : p.ports.filter((x) => x.scheme === 'http' && !down.some((d) => x.label.toLowerCase().startsWith(d)))
    .map((x): [string, string] => [x.label, namedFirst(p, x.port) ?? `http://${x.host}:${x.port}`]);
  return [
    head,
    ...columns([
      ...(p.proxy ? [['Open', p.proxy.home] as [string, string]] : []),
      ...urls,
      ...sliceRows(r.plan, down, r.provisioned),
      ...(p.placement ? [['Infrastructure', `on ${placementLabel(p.placement)}: ${serversOf(p).join(', ')}`] as [string, string]] : []),
      ...(down.length ? [['Not running', `${down.join(', ')} (apps see ${UNAVAILABLE_SERVICES_KEY}):`] as [string, string]] : []),
    ], { indent: '  ' }),
    ...r.unavailable.map((u) => `    ${u.service}: ${u.detail}`),
    `Logs: just dev ${p.instance} logs    Status: just dev ${p.instance} status    Stop: just dev ${p.instance} stop`,
    ...(p.proxy ? [`Dashboard of every instance: ${dashboard ?? `http://localhost:${p.proxy.port}/`}`] : []),
  ].join('\n');
}

interface StatusRowView {
  name: string; host?: string; port?: number; state: string; pid?: number; uptimeMs?: number; restarts?: number; health: string; lastLines?: string;
}

const uptime = (ms: number | undefined): string => {
  if (ms === undefined) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
};

/** The status table: one row per process, readable at a glance; other checkouts' instances named below it. */
/** How a process's state looks on a terminal. */
const STATE_TINT: Readonly<Record<string, Tint>> = { online: 'green', starting: 'yellow', unhealthy: 'red', errored: 'red', orphaned: 'red', stopped: 'dim' };

export function statusTable(instances: {
  instance: number | 'shared'; engine: string; processes: StatusRowView[]; checkout?: { path: string; branch?: string; here: boolean };
}[]): string {
  if (instances.length === 0) return 'No instance is running.';
  const elsewhere = instances.filter((i) => i.checkout && !i.checkout.here);
  const where = (i: (typeof instances)[number]): string[] => (elsewhere.length === 0 ? []
    : [!i.checkout || i.checkout.here ? 'here' : (i.checkout.branch ?? basename(i.checkout.path))]);
  // Where each process runs, once any runs on another Docker host.
  const placed = instances.some((i) => i.processes.some((r) => r.host));
  const header = ['INSTANCE', ...(elsewhere.length ? ['CHECKOUT'] : []), 'PROCESS', ...(placed ? ['HOST'] : []), 'PORT', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'HEALTH'];
  const rows = instances.flatMap((i) => i.processes.map((r) => [
    String(i.instance), ...where(i), r.name, ...(placed ? [r.host ?? 'here'] : []), r.port ? String(r.port) : '-', r.state, r.pid ? String(r.pid) : '-',
    uptime(r.uptimeMs), r.restarts === undefined ? '-' : String(r.restarts), r.health,
  ].map((cell, c, row) => (c === row.length - 1 ? tint(r.health === 'ok' ? 'green' : r.health === 'failing' ? 'red' : 'dim', cell)
    : c === row.length - 5 ? tint(STATE_TINT[r.state] ?? 'dim', cell) : cell))));
  const errored = instances.flatMap((i) => i.processes.filter((r) => r.lastLines).map((r) => (r.state === 'orphaned'
    ? `\n${r.name}: ${r.lastLines}`
    : `\n${r.name} is ${r.state}; last lines of its log:\n${r.lastLines}`)));
  const checkouts = elsewhere.length === 0 ? [] : ['', 'Other checkouts:', ...columns(elsewhere.map((i) => [
    `  instance ${i.instance}`, describeCheckout(i.checkout as { path: string; branch?: string }),
  ]))];
  return [...columns([header, ...rows]), ...errored, ...checkouts].join('\n');
}

/** Loud: the data of an instance that had some is gone, and an empty one is about to be created. */
export function dataLossWarning(instance: number, backups: string): string {
  return [
    `!!! instance ${instance}'s database data was initialised before and is now MISSING.`,
    `!!! A new, EMPTY database is being created. If that is not what you wanted: just dev ${instance} stop,`,
    `!!! then restore from ${backups}/ (docs/DATA.md).`,
  ].join('\n');
}

/** How a database was made, as the end of a sentence. */
function viaWords(via: FillVia, template: string | undefined): string {
  switch (via) {
    case 'dump': return ' (pg_restore)';
    case 'template-built': return ` (pg_restore into the golden template ${template ?? ''}, then a file copy of it; the next instance gets the copy alone)`;
    case 'template': return ` (a file copy of the golden template ${template ?? ''})`;
    case 'copy': return ' (a file copy made by the server)';
  }
}

/** One lifecycle event in words, and whether it is a warning. */
export function eventLine(e: LifecycleEvent): { warning: boolean; text: string } {
  const note = (text: string) => ({ warning: false, text });
  switch (e.kind) {
    case 'lock-wait': return note(`waiting for the command that holds ${e.label} (pid ${e.owner}) to finish`);
    case 'lock-recovered': return note(`recovered a stale lock of ${e.label} left by a run that is gone (pid ${e.owner})`);
    case 'orphan-ended': return note(`ending pid ${e.pid} (${e.what}, port ${e.port}): ours, but PM2 no longer runs it`);
    case 'infra-starting':
      return note(`instance ${e.instance}: starting infrastructure (${e.engineReason})${e.meanwhile.length > 0 ? `; meanwhile ${e.meanwhile.join(', ')}` : ''}`);
    case 'provisioning': return note(`instance ${e.instance}: provisioning ${e.slices.join(', ')}`);
    case 'apps-starting': return note(`instance ${e.instance}: starting apps ${e.apps.join(', ')}`);
    case 'data-loss': return { warning: true, text: dataLossWarning(e.instance, e.backups) };
    case 'backed-up': return note(`backed up ${e.database} to ${e.file}`);
    case 'nothing-to-back-up': return note(`no database ${e.database} to back up`);
    case 'restored': return note(`restored ${e.database} from ${e.from}${viaWords(e.via, e.template)}`);
    case 'seeded': return note(`instance ${e.instance} starts with the data of ${e.from}${viaWords(e.via, e.template)}`);
    case 'env-sources-missing': return { warning: true, text: `instance ${e.instance}: ${e.app}'s env file${e.sources.length > 1 ? 's' : ''} ${e.sources.join(', ')} ${e.sources.length > 1 ? 'are' : 'is'} not there (apps.${e.app}.envSources): it gets the plan's values${e.local ? ` and ${e.app}.local.env` : ''} only` };
    case 'seed-skipped': return { warning: true, text: `instance ${e.instance} has a database already (${e.database}): the data of ${e.from} was not applied; ${replaceWith(e.instance, e.from)} replaces its data` };
    case 'keys-restored': return note(`restored ${e.keys} Redis key(s) under ${e.prefix}`);
    case 'apps-stopped': return note(`stopped ${e.apps.join(', ')} of instance ${e.instance} while the database is replaced; they start again next`);
    case 'dropped': return note(`dropped ${e.slices.join(', ')}`);
    case 'removed': return note(`removed ${e.dir}/`);
    case 'shared-stopped': return note('stopped the shared infrastructure');
    case 'released': return note(`gave instance number ${e.instance} back (any checkout may take it now)`);
    case 'leftovers-swept': return note(`removed what interrupted commands left: ${e.paths.join(', ')}`);
    case 'pm2-handover':
      return {
        warning: true,
        text: (e.problem
          ? `the PM2 daemon could not start this checkout's apps (${e.problem}): replaced it with this checkout's PM2 and started its ${e.restored.length} process(es) again`
          : `finished a PM2 daemon handover an earlier command began: started ${e.restored.length} more process(es) again`)
          + (e.leftOut.length > 0 ? `; left out ${e.leftOut.join(', ')} (their scripts no longer exist)` : '')
          + (e.failed.length > 0 ? `; PM2 refused ${e.failed.map((f) => `${f.name} (${f.reason})`).join(', ')}` : ''),
      };
    case 'reclaimed': return note(`instance ${e.instance}: deleted ${e.apps.join(', ')}, left running by ${e.from}, which no longer exists`);
  }
}

export const noLogs = (instances: readonly number[]): string => (instances.length === 0
  ? 'No instance is running.'
  : `No logs yet for instance${instances.length > 1 ? 's' : ''} ${instances.join(', ')}: start ${instances.length > 1 ? 'them' : 'it'} with just dev N.`);

/** --dry-run: the plan of one instance's start, stop or clean, step by step. */
export function dryRunText(d: { instance: number; action: string; engine: string; engineReason: string; steps: { title: string; lines: string[] }[] }): string {
  return [
    `Dry run: ${d.action} instance ${d.instance} (${d.engineReason}). Nothing was run or written.`,
    ...d.steps.flatMap((s, i) => [`${i + 1}. ${s.title}`, ...s.lines.map((l) => `     ${l}`)]),
  ].join('\n');
}

/** What a restore or clone replaces in an instance: its database, and its Redis keys when it has a Redis. */
export const dataOf = (p: InstancePlan, withKeys = true): string =>
  `the database ${p.database?.name}${p.redis && withKeys ? ` and the Redis keys under ${p.redis.keyPrefix}` : ''} of instance ${p.instance}`;

/** A snapshot in brief: where it came from, when, and what it holds. */
export const snapshotBrief = (s: Snapshot): string =>
  `instance ${s.instance}, ${s.takenAt}; ${formatBytes(s.database.bytes)} database${s.redis ? `, ${s.redis.keys} keys` : ', no Redis keys'}`;
