/**
 * The dashboard's live view: the registry and PM2's list, looked at once a second while a page
 * watches (and on demand otherwise), with quick health probes of the apps that are online. Pages
 * are told only when something changed. Also the dashboard's two doings: a process's last log
 * lines, and an instance's start, stop or restart through its own checkout's CLI.
 */
import { type Lease, readLeases } from '../../leases/registry.js';
import { instanceEnvVar } from '../../plan/names.js';
import { type Pm2Process, withPm2 } from '../../pm2/client.js';
import { run } from '../../proc/run.js';
import { healthOf, tailOf } from '../../readiness.js';
import { type Health, type Snapshot, snapshotOf } from './model.js';

const REFRESH_MS = 1_000;
/** A page asking for the state within this long of the last look gets that look... */
const FRESH_MS = 500;
/** ...and within this long gets it at once while a new look starts (the page follows events anyway). */
const STALE_OK_MS = 10_000;
const HEALTH_TIMEOUT_MS = 800;
/** As long as a start may take (first images, first database). */
const ACTION_DEADLINE_MS = 300_000;

export const ACTIONS = ['start', 'stop', 'restart'] as const;
export type Action = (typeof ACTIONS)[number];

export interface ActionResult {
  ok: boolean;
  /** The CLI's exit code, and what it said (its JSON on success, its error line otherwise). */
  code: number;
  output: string;
}

export class Monitor {
  private latest: { at: number; snapshot: Snapshot; json: string; leases: Lease[]; procs: Pm2Process[] } | undefined;
  private looking: Promise<void> | undefined;
  private readonly watchers = new Set<(json: string) => void>();
  private timer: NodeJS.Timeout | undefined;

  /** env: the proxy's environment (where the registry is, what a CLI child inherits). */
  /** httpsPort: where named URLs are HTTPS, when they are. */
  constructor(private readonly port: number, private readonly env: NodeJS.ProcessEnv, private readonly httpsPort?: number) {}

  /** The state now, as JSON: a look at most FRESH_MS old, or (for a first paint) one at most STALE_OK_MS old while a new one runs. */
  async json(): Promise<string> {
    const age = this.latest ? Date.now() - this.latest.at : Infinity;
    if (age > STALE_OK_MS) await this.look();
    else if (age > FRESH_MS) void this.look().catch(() => {});
    return (this.latest as { json: string }).json;
  }

  /** Call fn with the state now and whenever it changes; returns the unsubscribe. */
  watch(fn: (json: string) => void): () => void {
    this.watchers.add(fn);
    void this.json().then(fn, () => {});
    this.timer ??= setInterval(() => { void this.look().catch(() => {}); }, REFRESH_MS);
    return () => {
      this.watchers.delete(fn);
      if (this.watchers.size === 0 && this.timer) { clearInterval(this.timer); this.timer = undefined; }
    };
  }

  /** One look at a time; callers meanwhile share it. */
  private look(): Promise<void> {
    this.looking ??= this.lookNow().finally(() => { this.looking = undefined; });
    return this.looking;
  }

  private async lookNow(): Promise<void> {
    const leases = readLeases(this.env);
    const procs = await withPm2((s) => s.list());
    const byName = new Map(procs.map((p) => [p.name, p]));
    const probes = leases.flatMap((l) => (l.routes ?? []).map(async (r): Promise<[string, Health]> =>
      [r.pm2Name, await healthOf(byName.get(r.pm2Name)?.status === 'online', r.port, r.health, HEALTH_TIMEOUT_MS)]));
    const health = new Map(await Promise.all(probes));
    const snapshot = snapshotOf(leases, procs, health, this.port, this.httpsPort);
    const json = JSON.stringify(snapshot);
    const changed = json !== this.latest?.json;
    this.latest = { at: Date.now(), snapshot, json, leases, procs };
    if (changed) for (const fn of this.watchers) fn(json);
  }

  /** The last lines of a process of a leased instance (out and err logs); undefined for any other process. */
  async logs(name: string, lines: number): Promise<string | undefined> {
    await this.json();
    const { leases, procs } = this.latest as NonNullable<Monitor['latest']>;
    const namespaces = new Set(leases.flatMap((l) => (l.namespace ? [l.namespace] : [])));
    const proc = procs.find((p) => p.name === name && namespaces.has(p.namespace));
    if (!proc) return undefined;
    const files = [...new Set([proc.outLog, proc.errLog].filter((f): f is string => Boolean(f)))];
    const parts = await Promise.all(files.map(async (f) => ({ f, text: await tailOf(f, lines) })));
    return parts.filter((p) => p.text).map((p) => (files.length > 1 ? `==> ${p.f} <==\n${p.text}` : p.text)).join('\n\n');
  }

  /** Start, stop or restart an instance the way its own checkout would: its CLI, its environment. */
  async act(project: string, instance: number, action: Action): Promise<ActionResult | undefined> {
    const lease = readLeases(this.env).find((l) => l.project === project && l.instance === instance);
    if (!lease?.cli) return undefined;
    // The user's basics, then what that checkout's CLI ran with; nothing PM2 put into the proxy's environment.
    const env = { ...childEnv(this.env), ...lease.cli.env, [instanceEnvVar(project)]: '' };
    const r = await run(process.execPath, [lease.cli.script, String(instance), action, '--json'],
      { env, inheritEnv: false, reject: false, timeoutMs: ACTION_DEADLINE_MS });
    void this.look().catch(() => {});
    return { ok: r.code === 0, code: r.code, output: r.code === 0 ? r.stdout.trim() : (r.stderr.trim() || r.stdout.trim()) };
  }
}

const PASSED = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|TZ|TMPDIR|LC_\w+|XDG_\w+|DOCKER_\w+|DEV_INSTANCES_\w+|PM2_HOME)$/;

/** The variables a CLI run needs from the proxy's environment. */
const childEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(env).filter(([k]) => PASSED.test(k)));
