/**
 * start N: lock, check every port, materialize, bring the infrastructure up and wait until it answers,
 * provision, start the apps and wait for their health. Starting a running instance changes nothing.
 * A failed start removes what it started and says where the logs are.
 */
import { OperationalError } from '../cli/errors.js';
import type { StackDeclaration } from '../config/types.js';
import { type EngineChoice, selectEngine } from '../engines/select.js';
import type { Engine, EngineTarget, ServiceState, UpReport } from '../engines/types.js';
import { materialize } from '../materialize.js';
import { type InstancePlan, plan } from '../plan/plan.js';
import { type Pm2Session, withPm2 } from '../pm2/client.js';
import { descendsFrom } from '../ports/owner.js';
import { portHolder, portInUse } from '../ports/holder.js';
import { type ProvisionReport, provision } from '../provision/index.js';
import { answersNow, deleteApps, startApps, waitAppsHealthy } from './apps.js';
import { runDocker } from '../engines/docker.js';
import { isInitialised } from '../engines/native/postgres.js';
import { nativeServices } from '../engines/native/recipes.js';
import { dataLossWarning } from '../cli/messages.js';
import { acquireLock } from './lock.js';
import { endOrphans, findOrphans } from './orphans.js';
import { readState, writeState } from './state.js';
import { join } from 'node:path';
import { trace } from '../trace.js';

export interface StartOptions {
  engine: EngineChoice;
  /** Compose services served by the shared set (the CLI resolves flag, recorded state, declaration). */
  shared: ReadonlySet<string>;
  note: (line: string) => void;
  warn: (line: string) => void;
}

const postgresService = (decl: StackDeclaration): string =>
  decl.services[decl.infra.postgres.service]?.container?.service ?? decl.infra.postgres.service;

/** Is the instance's own database data still there (native cluster, or docker volume)? */
async function databaseDataPresent(engine: Engine, t: EngineTarget): Promise<boolean> {
  if (engine.name === 'docker') {
    const volume = `${t.scope.composeProject}_postgres_data`;
    return (await runDocker(['volume', 'inspect', volume], {}, 10_000)).code === 0;
  }
  const pg = (await nativeServices(t.decl, t.scope, t.root)).find((s) => s.kind === 'postgres');
  return pg === undefined || isInitialised(pg.dataDir);
}

export interface StartResult {
  plan: InstancePlan;
  engine: Engine;
  engineReason: string;
  alreadyRunning: boolean;
  unavailable: { service: string; detail: string }[];
  provisioned?: ProvisionReport;
  ms: number;
}

const onlineSet = (states: ServiceState[]) => new Set(states.filter((s) => s.state === 'online').map((s) => s.service));

/** The shared set is brought up by one command at a time; the others wait and then find it running. */
export async function upShared(engine: Engine, t: EngineTarget, shared: string[], note: (l: string) => void): Promise<UpReport> {
  const lock = await acquireLock(join(t.root, t.scope.dir), 'the shared infrastructure', note, { waitMs: 180_000 });
  try {
    const report = await engine.up(t);
    await writeState(t.root, t.scope.dir, { engine: engine.name, shared, startedAt: new Date().toISOString(), unavailable: [] });
    return report;
  } finally {
    lock.release();
  }
}

/** The instance's own ports (apps and own infrastructure); the shared set checks its own when it starts. */
async function checkPorts(pm2: Pm2Session, p: InstancePlan, ownOnline: Set<string>): Promise<void> {
  const procs = await pm2.list();
  const namespaces = new Set([p.pm2Namespace, p.sharedInfra?.pm2Namespace]);
  const mine = new Set(procs.filter((x) => namespaces.has(x.namespace) && x.pid > 0).map((x) => x.pid));
  const wanted = [
    ...p.apps.flatMap((a) => (a.port === undefined ? [] : [{ port: a.port, what: `${a.id} of instance ${p.instance}`, online: false }])),
    ...p.infra.ports.map((x) => ({ port: x.port, what: `${x.label} of instance ${p.instance}`, online: ownOnline.has(x.container?.service ?? '') })),
  ];
  for (const w of wanted) {
    if (!(await portInUse(w.port))) continue;
    const h = portHolder(w.port);
    if (h ? descendsFrom(h.pid, mine) : w.online) continue;
    throw new OperationalError(
      `port ${w.port} (${w.what}) is taken by ${h ? `pid ${h.pid} (${h.command.slice(0, 100)})` : 'another process'}`,
      'Nothing was started. Stop that process, or use another instance number.',
    );
  }
}

export async function startInstance(decl: StackDeclaration, n: number, root: string, opts: StartOptions): Promise<StartResult> {
  const t0 = performance.now();
  const { shared } = opts;
  const p = plan(decl, n, { shared });
  trace('start: planned');
  const lock = await acquireLock(join(root, p.dir), `instance ${n}`, opts.note);
  try {
    // Asking Docker and connecting to PM2 both mostly wait: do them at once.
    const selecting = selectEngine(opts.engine);
    selecting.catch(() => {}); // awaited below
    const own: EngineTarget = { decl, scope: p.infra, root };
    const sharedTarget: EngineTarget | undefined = p.sharedInfra && { decl, scope: p.sharedInfra, root };
    return await withPm2(async (pm2) => {
      trace('start: connected to PM2');
      const { engine, reason } = await selecting;
      trace(`start: engine chosen (${engine.name})`);
      // The compose override must exist before compose can report on the project.
      if (engine.name === 'docker') await materialize(p, root);
      const [ownStates, sharedStates, procs] = await Promise.all([
        engine.status(own), sharedTarget ? engine.status(sharedTarget) : Promise.resolve([]), pm2.list(),
      ]);
      const healthy = new Set((await Promise.all(p.apps.map(async (a) =>
        ((await answersNow(a, procs.find((x) => x.name === a.pm2Name))) ? [a.pm2Name] : [])))).flat());
      trace('start: looked at what runs');
      const appsOnline = p.apps.every((a) => healthy.has(a.pm2Name));
      const infraUp = [...ownStates, ...sharedStates].every((s) => s.state === 'online' || s.state === 'unavailable');
      const unavailableNow = [...ownStates, ...sharedStates].filter((s) => s.state === 'unavailable')
        .map((s) => ({ service: s.service, detail: s.detail ?? '' }));
      // Regenerated on every start, so edits to the source env files reach every instance. What the
      // engine cannot run is known now, so the apps that start early get the same files as the rest.
      await materialize(p, root, { unavailable: unavailableNow.map((u) => u.service) });
      trace('start: files materialized');
      if (appsOnline && infraUp && ownStates.length + sharedStates.length > 0) {
        return { plan: p, engine, engineReason: reason, alreadyRunning: true, unavailable: unavailableNow, ms: performance.now() - t0 };
      }
      // Processes of this instance that PM2 lost (a daemon that died) would block their own ports.
      const orphans = await findOrphans(decl, p, root, new Set(procs.map((x) => x.pid)));
      if (orphans.length > 0) {
        for (const o of orphans) opts.note(`ending pid ${o.holder.pid} (${o.what}, port ${o.port}): ours, but PM2 no longer runs it`);
        await endOrphans(orphans);
      }
      await checkPorts(pm2, p, onlineSet(ownStates));
      trace('start: ports checked');

      let ownUp: UpReport | undefined;
      let appsStarted: string[] = [];
      try {
        const before = readState(root, p.dir);
        const ownsDatabase = p.infra.services.includes(postgresService(decl));
        if (before?.dataInitialised && ownsDatabase && !(await databaseDataPresent(engine, own))) {
          opts.warn(dataLossWarning(p));
        }
        // Apps that need no infrastructure (a dev server) boot while the infrastructure comes up.
        const early = await startApps(pm2, p, root, healthy, (a) => !a.needsInfrastructure);
        appsStarted = [...early.started];
        opts.note(`instance ${n}: starting infrastructure (${reason})${early.started.length > 0 ? `; meanwhile ${early.started.join(', ')}` : ''}`);
        const sharedUp = sharedTarget ? await upShared(engine, sharedTarget, [...shared], opts.note) : undefined;
        ownUp = await engine.up(own);
        trace('start: infrastructure ready');
        const unavailable = [...(sharedUp?.unavailable ?? []), ...ownUp.unavailable];
        const names = unavailable.map((u) => u.service);
        await writeState(root, p.dir, {
          engine: engine.name, shared: [...shared], startedAt: new Date().toISOString(), unavailable: names, dataInitialised: ownsDatabase,
        });
        opts.note(`instance ${n}: provisioning database ${p.database.name}, namespace and key prefix`);
        const provisioned = await provision(p, !names.includes('temporal'));
        trace('start: provisioned');
        const late = await startApps(pm2, p, root, healthy, (a) => a.needsInfrastructure);
        appsStarted.push(...late.started);
        if (late.started.length > 0) opts.note(`instance ${n}: starting apps ${late.started.join(', ')}`);
        trace('start: apps handed to PM2');
        await Promise.all([early.done, late.done, waitAppsHealthy(pm2, p, root)]);
        trace('start: apps healthy');
        return { plan: p, engine, engineReason: reason, alreadyRunning: false, unavailable, provisioned, ms: performance.now() - t0 };
      } catch (err) {
        // Leave nothing half-started: the apps and the instance's own infrastructure this call started.
        await deleteApps(pm2, appsStarted).catch(() => {});
        if (ownUp && ownUp.started.length > 0) await engine.down(own).catch(() => {});
        if (err instanceof OperationalError) {
          throw new OperationalError(err.message, [err.hint, `Logs: just dev ${n} logs --no-follow (files in ${p.files.logs}/)`].filter(Boolean).join('\n'));
        }
        throw err;
      }
    });
  } finally {
    lock.release(); // a run killed before this leaves a lock naming a dead pid: the next one recovers it
  }
}
