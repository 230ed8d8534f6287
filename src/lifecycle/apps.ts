/** The instance's apps under PM2: start what is not running, wait for health, stop, find leftovers. */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { EnvDocument } from '../env/dotenv-doc.js';
import { privateDir } from '../fs/private.js';
import type { AppPlan, InstancePlan } from '../plan/plan.js';
import { pm2Apps } from '../pm2/ecosystem.js';
import { checkoutEnv } from '../leases/checkout.js';
import type { Pm2Process, Pm2Session } from '../pm2/client.js';
import type { Holder } from '../ports/holder.js';
import { freePorts } from '../ports/reaper.js';
import { type ReadinessCheck, tcpAccepts, waitAllReady } from '../readiness.js';

export const APP_DEADLINE_MS = 45_000;
/** A port-less app counts as up once it has stayed online this long without a restart. */
const SETTLE_MS = 1_000;

const online = (p: Pm2Process | undefined) => p?.status === 'online';

/** What one start has asked PM2 for, shared by its early and late app starts and its health wait. */
export interface Launch {
  /** Apps whose start was asked for: absent from PM2's list only until it gets to them. */
  requested: Set<string>;
  /** wait_ready apps whose start PM2 has answered (they said they are ready). */
  readySignalled: Set<string>;
  /** PM2's answer to each start (for wait_ready apps: the app said it is ready). */
  answered: Map<string, Promise<void>>;
}

export const newLaunch = (): Launch => ({ requested: new Set(), readySignalled: new Set(), answered: new Map() });

export interface AppsStart {
  /** Names of the apps this call starts. */
  started: string[];
  /** Settles when PM2 has answered every start (for wait_ready apps: once they said ready). */
  done: Promise<void>;
}

/**
 * Start the chosen apps (`which`) that are not online and healthy, all at once. PM2 answers a wait_ready app's start only when
 * the app has said it is ready, so `done` is part of the health wait, not something to wait for first.
 */
export async function startApps(
  pm2: Pm2Session, p: InstancePlan, root: string, launch: Launch,
  healthy: ReadonlySet<string> = new Set(), which: (app: AppPlan) => boolean = () => true,
): Promise<AppsStart> {
  const envOfApp = (id: string) => {
    const app = p.apps.find((a) => a.id === id);
    return app ? EnvDocument.parse(readFileSync(join(root, app.envFile), 'utf8')).toObject() : {};
  };
  // PM2 writes the apps' logs here (with what they print: tokens, queries): only this user reads them.
  await privateDir(join(root, p.files.logs));
  const running = new Map((await pm2.list()).map((x) => [x.name, x]));
  const started: string[] = [];
  const starts: Promise<void>[] = [];
  const chosen = new Set(p.apps.filter(which).map((a) => a.pm2Name));
  for (const app of pm2Apps(p, root, envOfApp).filter((a) => chosen.has(a.name))) {
    const current = running.get(app.name);
    if (online(current) && healthy.has(app.name)) continue;
    if (current) await pm2.delete(app.name); // errored, stopped or unhealthy: start afresh with today's environment
    started.push(app.name);
    launch.requested.add(app.name);
    const answered = pm2.start({ ...app, env: { ...app.env, ...checkoutEnv(root) } }).then(() => { launch.readySignalled.add(app.name); });
    launch.answered.set(app.name, answered);
    starts.push(answered);
  }
  const done = Promise.all(starts).then(() => {});
  done.catch(() => {}); // observed through the health wait
  return { started, done };
}

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 2_000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** One quick look: is this app up right now? (For deciding what a start must (re)start.) */
export async function answersNow(app: AppPlan, proc: Pm2Process | undefined): Promise<boolean> {
  if (!online(proc)) return false;
  if (app.port === undefined) return true;
  try {
    if (app.health) return (await httpStatus(app.port, app.health)) === 200;
    await tcpAccepts(app.port);
    return true;
  } catch {
    return false;
  }
}

export function appCheck(pm2: Pm2Session, p: InstancePlan, root: string, launch: Launch, app: AppPlan): ReadinessCheck {
  const { requested, readySignalled } = launch;
  const find = async () => (await pm2.list()).find((x) => x.name === app.pm2Name);
  const logFile = join(root, p.files.logs, `${app.id}.err.log`);
  const { port, health } = app;
  const probe = port === undefined
    ? async () => {
      const signalled = app.ready === 'signal' && requested.has(app.pm2Name);
      if (signalled && !readySignalled.has(app.pm2Name)) throw new Error('has not said it is ready yet');
      const proc = await find();
      if (!online(proc)) throw new Error('not online yet');
      if (!signalled && Date.now() - (proc?.startedAt ?? 0) < SETTLE_MS) throw new Error('not settled yet');
    }
    : health
      ? async () => {
        const status = await httpStatus(port, health);
        if (status !== 200) throw new Error(`${health} answered ${status}`);
      }
      : () => tcpAccepts(port);
  return {
    name: `${app.pm2Name}`, port: port ?? 0, probe, deadlineMs: APP_DEADLINE_MS, logFile, wake: launch.answered.get(app.pm2Name),
    gone: async () => {
      const proc = await find();
      if (!proc) return requested.has(app.pm2Name) ? undefined : 'its process is gone';
      if (proc.status === 'errored' || proc.status === 'stopped') return `its process is ${proc.status}`;
      if (proc.restarts > 0) return `it crashed (${proc.restarts} restart${proc.restarts > 1 ? 's' : ''})`;
      return undefined;
    },
  };
}

export async function waitAppsHealthy(pm2: Pm2Session, p: InstancePlan, root: string, launch: Launch): Promise<void> {
  await waitAllReady(p.apps.map((a) => appCheck(pm2, p, root, launch, a)));
}

export async function deleteApps(pm2: Pm2Session, names: readonly string[]): Promise<void> {
  const present = new Set((await pm2.list()).map((x) => x.name));
  for (const name of names) if (present.has(name)) await pm2.delete(name);
}

/**
 * After PM2 removed the apps, their ports must be free. A process that outlived its PM2 parent (a
 * dev server's child, say) is ended when it is ours; anything else is reported, never killed.
 */
export async function freeAppPorts(p: InstancePlan, ours: (h: Holder) => boolean, deadlineMs = 10_000): Promise<void> {
  const ports = p.apps.flatMap((a) => (a.port === undefined ? [] : [{ port: a.port, what: `${a.id} of instance ${p.instance}` }]));
  await freePorts(ports, { ours, deadlineMs, context: 'after stop' });
}
