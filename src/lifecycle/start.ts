/**
 * start N, in the order docs/ENGINES.md gives: inspect (what runs, what the engine cannot run), prepare
 * (files, orphans, ports, data-loss check), infrastructure (with the apps that need none booting
 * meanwhile), provision (database, namespace, prefix), apps (start, wait for health). Starting a
 * running instance changes nothing. A failed start removes what it started.
 */
import { readdirSync, rmdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { missingError } from '../engines/inspection.js';
import { type EngineChoice, selectEngine } from '../engines/select.js';
import type { Engine, ServiceState, Unavailable, UpReport } from '../engines/types.js';
import { OperationalError } from '../errors.js';
import { claimInstance, releaseInstance } from '../leases/assign.js';
import { foreignTo, ownerGone, ownerOf } from '../leases/owner.js';
import { materialize } from '../materialize.js';
import { InterruptedError, undoing } from '../proc/interrupt.js';
import { backupsDir, lockFile } from '../plan/names.js';
import { type InstancePlan, LOCAL_HOST } from '../plan/plan.js';
import { placementLabel } from '../plan/views.js';
import { tcpAccepts } from '../readiness.js';
import { type Pm2Process, type Pm2Session, withPm2 } from '../pm2/client.js';
import { ensureDaemonCanFork } from '../pm2/daemon.js';
import { portHolder, portInUse } from '../ports/holder.js';
import { descendsFrom } from '../ports/owner.js';
import { type SliceOutcome, provision } from '../provision/index.js';
import { phrase, sliceEntries } from '../slices/table.js';
import { trace } from '../trace.js';
import { type AppsStart, type Launch, answersNow, deleteApps, newLaunch, startApps, waitAppsHealthy } from './apps.js';
import type { Report } from './events.js';
import { lockInstance } from './locking.js';
import { endOrphans, findOrphans } from './orphans.js';
import { upShared } from './shared.js';
import { forgetState, writeState } from './state.js';
import { type IfExists, existingDatabase } from './if-exists.js';
import { type Target, instancePorts, onEngine, sharesDatabaseServer } from './target.js';

/** How long a port on a placed host has to accept a connection before it counts as free. */
const REMOTE_PORT_MS = 1_500;
/** As long as a start (first images, first database) may take. */
const START_WAITS_MS = 300_000;

export interface StartOptions {
  engine: EngineChoice;
  report: Report;
  /**
   * The data a new database is made from: its name, what an existing database means (data/seed.ts
   * IfExists), and fill, which applies it under the start's lock with the infrastructure up.
   */
  seed?: { /** 'snapshot NAME', 'instance N' */ name: string; ifExists: IfExists; fill: (t: Target, report: Report) => Promise<boolean> };
  /** false: infrastructure and slices only, no app started (a clone into a new instance, left ready to start). */
  apps?: boolean;
}

export interface StartResult {
  plan: InstancePlan;
  engine: Engine;
  engineReason: string;
  alreadyRunning: boolean;
  unavailable: Unavailable[];
  /** Each slice and how the start left it (created, there already, skipped). */
  provisioned?: SliceOutcome[];
  /** Started without its apps (apps: false): ready for `just dev N`. */
  appsLeft?: boolean;
  ms: number;
}

/** What the inspect phase found: the engine, what runs, what cannot run. */
interface Situation {
  engine: Engine;
  reason: string;
  procs: Pm2Process[];
  ownStates: ServiceState[];
  /** Apps online and answering now. */
  healthy: Set<string>;
  unavailable: Unavailable[];
  running: boolean;
}

export async function startInstance(given: Target, opts: StartOptions): Promise<StartResult> {
  let t = given;
  const t0 = performance.now();
  // The number first: another checkout holding it refuses the start before anything runs.
  const first = await claimInstance(t.plan, t.root);
  trace('start: number claimed');
  // A daemon launched from a removed checkout, or of another PM2 version, cannot fork our apps.
  const handover = await ensureDaemonCanFork();
  if (handover) opts.report({ kind: 'pm2-handover', ...handover });
  trace('start: PM2 daemon checked');
  // A second start waits for the first, then finds the instance running: one set of everything.
  const lock = await lockInstance(t, opts.report, START_WAITS_MS);
  trace('start: instance locked');
  // Claimed again under the lock: a start before it that failed may have given the number back.
  const again = await claimInstance(t.plan, t.root);
  // Judged under the lock: a number this start took, for an instance with nothing in its folder yet
  // (no start before it got further), is given back with that folder when the start fails before
  // anything ran (a port taken, a server missing): no stopped instance is left to release or clean.
  const folder = join(t.root, t.plan.dir);
  const lockName = basename(lockFile(t.plan.dir));
  const giveBack = (first.fresh || again.fresh) && readdirSync(folder).every((n) => n === lockName);
  let ran = false;
  let gaveBack = false;
  try {
    // Asking Docker and connecting to PM2 both mostly wait: do them at once.
    const selecting = selectEngine(opts.engine, {
      sets: [t.own, ...(t.sharedSet ? [t.sharedSet] : [])], label: `instance ${t.plan.instance}`, ...(t.state ? { recorded: t.state.engine } : {}),
      ...(t.plan.placement ? { placement: t.plan.placement } : {}),
    });
    selecting.catch(() => {}); // awaited in inspect
    return await withPm2(async (pm2) => {
      trace('start: connected to PM2');
      const chosen = await selecting;
      trace(`start: engine chosen (${chosen.engine.name})`);
      t = onEngine(t, chosen.engine.name); // the native engine's Redis asks for a password: its URL says so
      const s = await inspect(t, pm2, chosen, opts.report);
      const done = (extra: Partial<StartResult>): StartResult => ({
        plan: t.plan, engine: s.engine, engineReason: s.reason, alreadyRunning: false, unavailable: s.unavailable,
        ms: performance.now() - t0, ...extra,
      });
      // Regenerated on every start, so edits to the source env files reach every instance. What the
      // engine cannot run is known now, so the apps that start early get the same files as the rest.
      const files = await materialize(t.plan, t.root, { unavailable: s.unavailable.map((u) => u.service) });
      for (const f of files) if (f.noSources) opts.report({ kind: 'env-sources-missing', instance: t.plan.instance, ...f.noSources });
      trace('start: files materialized');
      if (s.running) {
        if (opts.seed && t.plan.database) existingDatabase(t.plan.instance, t.plan.database.name, opts.seed, opts.report);
        return done({ alreadyRunning: true });
      }
      await prepare(t, pm2, s, opts);
      ran = true;
      const began: Began = { apps: [], handing: [], ownUp: undefined };
      try {
        const withApps = opts.apps !== false;
        const early = await infrastructure(t, pm2, s, began, withApps, opts.report);
        const provisioned = await provisionSlice(t, s, opts);
        if (withApps) await apps(t, pm2, s, early, began, opts.report);
        return done({ provisioned, ...(withApps ? {} : { appsLeft: true }) });
      } catch (err) {
        await undoing(() => undo(t, pm2, s.engine, began));
        throw withLogsHint(t, err);
      }
    });
  } catch (err) {
    if (giveBack && !ran) {
      // Done even when interrupted (Ctrl-C); the start's own failure is the error told.
      gaveBack = await undoing(async () => {
        await releaseInstance(t.plan.project, t.root, t.plan.instance);
        for (const name of readdirSync(folder)) if (name !== lockName) await rm(join(folder, name), { recursive: true, force: true });
        return true;
      }).catch(() => false);
    }
    throw err;
  } finally {
    lock.release(); // a run killed before this leaves a lock naming a dead pid: the next one recovers it
    if (gaveBack) try { rmdirSync(folder); } catch { /* another start's lock is in it now */ }
  }
}

/** Inspect: on the chosen engine, look at what runs, and refuse before anything starts when a required server cannot run. */
async function inspect(t: Target, pm2: Pm2Session, { engine, reason }: { engine: Engine; reason: string }, report: Report): Promise<Situation> {
  const sets = [t.own, ...(t.sharedSet ? [t.sharedSet] : [])];
  const inspections = await Promise.all(sets.map((set) => engine.inspect(set, { fetch: true })));
  const missing = inspections.flatMap((i) => i.missing);
  if (missing.length > 0) throw missingError(`instance ${t.plan.instance}`, engine.name, missing);
  const procs = await othersApps(t, pm2, await pm2.list(), report);
  const [ownStates, sharedStates] = await Promise.all(sets.map((set) => engine.status(set, procs)));
  const healthy = new Set((await Promise.all(t.plan.apps.map(async (a) =>
    ((await answersNow(a, procs.find((x) => x.name === a.pm2Name))) ? [a.pm2Name] : [])))).flat());
  trace('start: looked at what runs');
  const infraStates = [...(ownStates ?? []), ...(sharedStates ?? [])];
  const running = t.plan.apps.every((a) => healthy.has(a.pm2Name)) && infraStates.length > 0
    && infraStates.every((x) => x.state === 'online' || x.state === 'unavailable');
  return { engine, reason, procs, ownStates: ownStates ?? [], healthy, unavailable: inspections.flatMap((i) => i.unavailable), running };
}

/**
 * PM2 names carry no checkout: processes of this instance's namespace that another checkout started
 * are that checkout's. A live one refuses the start (no silent sharing of another checkout's code or
 * data); those of a checkout whose folder is gone are deleted. Returns PM2's list after.
 */
async function othersApps(t: Target, pm2: Pm2Session, procs: Pm2Process[], report: Report): Promise<Pm2Process[]> {
  const apps = new Set(t.plan.apps.map((a) => a.pm2Name));
  // PM2 names join project, app and number with '-': project shop's app api-v2 and project shop-api's
  // app v2 are both shop-api-v2-1. The other one is another project's: never deleted, never replaced.
  const clash = procs.find((x) => apps.has(x.name) && x.namespace !== t.plan.pm2Namespace);
  if (clash) {
    throw new OperationalError(`PM2 already runs ${clash.name} for another project (namespace ${clash.namespace}): this instance's app has the same PM2 name; nothing was started`,
      'Rename the app or the project so that <project>-<app> differs, or stop that process first.');
  }
  const foreign = procs.filter((x) => x.namespace === t.plan.pm2Namespace && foreignTo(t.root, x, apps));
  const live = foreign.find((x) => !ownerGone(x, apps));
  if (live) {
    throw new OperationalError(`instance ${t.plan.instance} runs from another checkout: ${live.name} belongs to ${ownerOf(live, apps)?.path}; nothing was started`,
      `Stop it from that checkout (just dev ${t.plan.instance} stop), or run \`just dev\` without a number: it picks a number no checkout holds.`);
  }
  if (foreign.length === 0) return procs;
  for (const x of foreign) await pm2.delete(x.name);
  report({ kind: 'reclaimed', instance: t.plan.instance, apps: foreign.map((x) => x.name), from: ownerOf(foreign[0] as Pm2Process, apps)?.path ?? '?' });
  return pm2.list();
}

/** Prepare: end this instance's orphans, check its ports, and warn loudly when its data is gone. */
async function prepare(t: Target, pm2: Pm2Session, s: Situation, { report, seed }: StartOptions): Promise<void> {
  // Processes of this instance that PM2 lost (a daemon that died) would block their own ports.
  const orphans = await findOrphans(t, new Set(s.procs.map((x) => x.pid)));
  for (const o of orphans) report({ kind: 'orphan-ended', pid: o.holder.pid, what: o.what, port: o.port });
  if (orphans.length > 0) await endOrphans(orphans);
  await checkPorts(t, pm2, s.ownStates);
  trace('start: ports checked');
  // A seed refills it: no warning that an empty database is coming.
  if (!seed && t.state?.dataInitialised && !sharesDatabaseServer(t) && !(await s.engine.databasePresent(t.own))) {
    report({ kind: 'data-loss', instance: t.plan.instance, backups: backupsDir(t.plan.instance) });
  }
}

/** The instance's own ports (apps and own infrastructure); the shared set checks its own when it starts. */
async function checkPorts(t: Target, pm2: Pm2Session, ownStates: ServiceState[]): Promise<void> {
  const p = t.plan;
  const namespaces = new Set([p.pm2Namespace, p.sharedInfra?.pm2Namespace]);
  const mine = new Set((await pm2.list()).filter((x) => namespaces.has(x.namespace) && x.pid > 0).map((x) => x.pid));
  // A running container that does not answer yet ('starting') or failed its healthcheck holds its port as much as a healthy one.
  const online = new Set(ownStates.filter((x) => x.state === 'online' || x.state === 'starting' || x.state === 'unhealthy').map((x) => x.service));
  for (const w of instancePorts(t)) {
    if (w.host !== LOCAL_HOST) {
      // On the Docker host it is placed on: only an answer there tells, and who holds it is that host's business.
      if (online.has(w.service ?? '') || !(await tcpAccepts(w.port, w.host, REMOTE_PORT_MS).then(() => true, () => false))) continue;
      throw new OperationalError(`port ${w.port} (${w.what}) is taken on the Docker host ${p.placement ? placementLabel(p.placement) : w.host} by something else there`,
        'Nothing was started. Free it on that host, or use another instance number.');
    }
    if (!(await portInUse(w.port))) continue;
    const h = portHolder(w.port);
    // Ours: an app PM2 runs for this instance, or a service of its own that is online (a container's
    // port is held by docker-proxy, which descends from nothing of ours).
    if (online.has(w.service ?? '') || (h && descendsFrom(h.pid, mine))) continue;
    throw new OperationalError(
      `port ${w.port} (${w.what}) is taken by ${h ? `pid ${h.pid} (${h.command.slice(0, 100)})` : 'another process'}`,
      'Nothing was started. Stop that process, or use another instance number.',
    );
  }
}

/** What a start has begun, so a failure can take exactly that back. */
interface Began {
  apps: string[];
  /** The hand-overs of those apps to PM2, which may still be under way when the start fails. */
  handing: Promise<unknown>[];
  ownUp: UpReport | undefined;
}

/** Infrastructure: the apps that need none boot meanwhile; then the shared set, then the instance's own. */
async function infrastructure(t: Target, pm2: Pm2Session, s: Situation, began: Began, withApps: boolean,
  report: Report): Promise<{ launch: Launch; early: AppsStart }> {
  const launch = newLaunch();
  const early = await startApps(pm2, t.plan, t.root, launch, s.healthy, (a) => withApps && !a.needsInfrastructure);
  began.apps.push(...early.started);
  began.handing.push(early.done);
  report({ kind: 'infra-starting', instance: t.plan.instance, engineReason: s.reason, meanwhile: early.started });
  if (t.sharedSet) await upShared(s.engine, t.sharedSet, [...t.shared], report);
  began.ownUp = await s.engine.up(t.own);
  trace('start: infrastructure ready');
  await writeState(t.root, t.plan.dir, {
    engine: s.engine.name, shared: [...t.shared], startedAt: new Date().toISOString(),
    unavailable: s.unavailable.map((u) => u.service), dataInitialised: !sharesDatabaseServer(t),
    ...(t.plan.placement ? { placement: t.plan.placement } : {}),
  });
  return { launch, early };
}

/** Provision: the instance's slices (its database, key prefix, Temporal namespace: each idempotent). */
async function provisionSlice(t: Target, s: Situation, { report, seed }: StartOptions): Promise<SliceOutcome[]> {
  const slices = sliceEntries(t.plan).map(phrase);
  if (slices.length > 0) report({ kind: 'provisioning', instance: t.plan.instance, slices });
  // On the engine this start chose (a new instance's target knows none): a dump is restored by that engine's server.
  if (seed) await seed.fill({ ...t, engine: s.engine }, report);
  const provisioned = await provision(t.decl, t.plan, s.unavailable.map((u) => u.service));
  trace('start: provisioned');
  return provisioned;
}

/** Apps: start the rest, then wait until every app is healthy. */
async function apps(t: Target, pm2: Pm2Session, s: Situation, first: { launch: Launch; early: AppsStart },
  began: Began, report: Report): Promise<void> {
  const late = await startApps(pm2, t.plan, t.root, first.launch, s.healthy, (a) => a.needsInfrastructure);
  began.apps.push(...late.started);
  began.handing.push(late.done);
  if (late.started.length > 0) report({ kind: 'apps-starting', instance: t.plan.instance, apps: late.started });
  trace('start: apps handed to PM2');
  await Promise.all([first.early.done, late.done, waitAppsHealthy(pm2, t.plan, t.root, first.launch)]);
  trace('start: apps healthy');
}

/** Leave nothing half-started: the apps and the instance's own infrastructure this start began. */
async function undo(t: Target, pm2: Pm2Session, engine: Engine, began: Began): Promise<void> {
  await Promise.allSettled(began.handing); // an app still being handed to PM2 is listed only once it is there
  await deleteApps(pm2, began.apps).catch(() => {});
  if (began.ownUp && began.ownUp.started.length > 0) await engine.down(t.own).catch(() => {});
  // Its first start: it still never ran (a clone into it is retried as a clone into a new instance).
  if (!t.state) forgetState(t.root, t.plan.dir);
}

function withLogsHint(t: Target, err: unknown): unknown {
  if (!(err instanceof OperationalError) || err instanceof InterruptedError) return err;
  const n = t.plan.instance;
  return new OperationalError(err.message, [err.hint, `Logs: just dev ${n} logs --no-follow (files in ${t.plan.files.logs}/)`].filter(Boolean).join('\n'));
}
