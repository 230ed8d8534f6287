/**
 * stop N: the instance's apps and its own infrastructure stop, data stays; then every port of the
 * instance must be free. The shared set is never stopped here: only `stop --shared`, and only when no
 * instance uses it any more.
 */
import { join } from 'node:path';
import { OperationalError } from '../cli/errors.js';
import type { StackDeclaration } from '../config/types.js';
import { dockerEngine } from '../engines/docker.js';
import { nativeEngine } from '../engines/native/index.js';
import type { Engine } from '../engines/types.js';
import { instanceDirName, instanceEnvVar, pm2Namespace } from '../plan/names.js';
import { INSTANCES_DIR, type InstancePlan, SHARED_DIR, composeServices, plan } from '../plan/plan.js';
import { withPm2 } from '../pm2/client.js';
import { deleteApps, freeAppPorts } from './apps.js';
import { discoverInstances } from './discover.js';
import { acquireLock } from './lock.js';
import { readState } from './state.js';

export const STOP_WAITS_FOR_START_MS = 180_000;

export const engineNamed = (name: 'docker' | 'native'): Engine => (name === 'docker' ? dockerEngine : nativeEngine);

/** The plan of an instance as it was started (its recorded sharing), or as declared. */
export function planAsStarted(decl: StackDeclaration, n: number, root: string): { plan: InstancePlan; engine: Engine } {
  const state = readState(root, `${INSTANCES_DIR}/${instanceDirName(n)}`);
  if (!state) return { plan: plan(decl, n), engine: nativeEngine };
  return { plan: plan(decl, n, { shared: new Set(state.shared) }), engine: engineNamed(state.engine) };
}

/** Returns whether anything of the instance was running under PM2 (or it runs on docker). */
export async function stopInstance(decl: StackDeclaration, n: number, root: string, note: (l: string) => void): Promise<boolean> {
  const { plan: p, engine } = planAsStarted(decl, n, root);
  // A start in progress finishes first: stopping under it would leave what it starts next behind.
  const lock = await acquireLock(join(root, p.dir), `instance ${n}`, note, { waitMs: STOP_WAITS_FOR_START_MS });
  try {
    const wasRunning = await withPm2(async (pm2) => {
      const running = (await pm2.list()).some((x) => x.namespace === p.pm2Namespace);
      await deleteApps(pm2, p.apps.map((a) => a.pm2Name));
      return running;
    });
    await freeAppPorts(p, root, instanceEnvVar(decl.project));
    const own = { decl, scope: p.infra, root };
    if (engine.name === 'docker') await engine.stop(own);
    else await engine.down(own);
    return wasRunning || engine.name === 'docker';
  } finally {
    lock.release();
  }
}

/** Stops every running instance; with `shared`, the shared set too once nothing uses it. */
export async function stopAll(
  decl: StackDeclaration, root: string, shared: boolean, note: (l: string) => void, stopped: (n: number) => void,
): Promise<number[]> {
  const procs = await withPm2((pm2) => pm2.list());
  const instances = discoverInstances(decl, root, procs);
  for (const n of instances) {
    try {
      await stopInstance(decl, n, root, note);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      // A number outside today's range (the declaration changed since): stop its processes by namespace.
      await withPm2(async (pm2) => {
        for (const x of await pm2.list()) if (x.namespace === pm2Namespace(decl.project, n)) await pm2.delete(x.name);
      });
    }
    stopped(n);
  }
  if (shared) await stopShared(decl, root, note);
  return instances;
}

export async function stopShared(decl: StackDeclaration, root: string, note: (l: string) => void): Promise<void> {
  const procs = await withPm2((pm2) => pm2.list());
  const users = discoverInstances(decl, root, procs).filter((n) => planAsStarted(decl, n, root).plan.sharedInfra);
  if (users.length > 0) {
    throw new OperationalError(`the shared infrastructure is still used by instance${users.length > 1 ? 's' : ''} ${users.join(', ')}`,
      'Stop them first (just dev stop all --shared stops everything).');
  }
  const p = plan(decl, 0, { shared: new Set(composeServices(decl)) });
  if (!p.sharedInfra) return;
  const state = readState(root, SHARED_DIR);
  await engineNamed(state?.engine ?? 'native').down({ decl, scope: p.sharedInfra, root });
  note('stopped the shared infrastructure');
}
