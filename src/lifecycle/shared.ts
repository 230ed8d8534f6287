/**
 * The infrastructure set shared by instances: brought up by one command at a time on the machine,
 * from its one home (shared-home.ts), never stopped by an instance's stop or clean, stopped by
 * `stop --shared` only when no instance of any checkout uses it.
 */
import type { StackDeclaration } from '../config/types.js';
import type { Engine, EngineTarget, UpReport } from '../engines/types.js';
import { OperationalError } from '../errors.js';
import { acquireLock } from '../fs/lock.js';
import { SHARED_DIR } from '../plan/names.js';
import { type InstancePlan, composeServices, plan } from '../plan/plan.js';
import { engineNamed, engineOfRecord } from '../engines/registry.js';
import type { Report } from './events.js';
import { lockEvents } from './locking.js';
import { recordSharedHome, sharedHome, sharedLockFile } from './shared-home.js';
import { readState, writeState } from './state.js';
import { passwordsFor } from './target.js';

const lockShared = (project: string, report: Report) =>
  acquireLock(sharedLockFile(project), 'the shared infrastructure', { waitMs: 180_000, ...lockEvents('the shared infrastructure', report) });

export async function upShared(engine: Engine, t: EngineTarget, shared: readonly string[], report: Report): Promise<UpReport> {
  const lock = await lockShared(t.decl.project, report);
  try {
    // Asked again under the lock: another checkout may have started (and homed) it meanwhile.
    const home = sharedHome(t.decl.project, t.root);
    const set = home === t.root ? t : { ...t, root: home };
    const up = await engine.up(set);
    await writeState(set.root, set.scope.dir, { engine: engine.name, shared: [...shared], startedAt: new Date().toISOString(), unavailable: [] });
    if (home === t.root) await recordSharedHome(t.decl.project, home);
    return up;
  } finally {
    lock.release();
  }
}

/** An instance that uses the shared set, and the checkout it belongs to when that is another one. */
export interface SharedUser {
  instance: number;
  elsewhere?: string;
}

/**
 * Stop the shared set; refused while an instance of any checkout still uses it. usersNow is asked
 * under the set's lock: a start that brought the set up before it cannot be missed.
 */
export async function stopShared(decl: StackDeclaration, root: string, usersNow: () => Promise<SharedUser[]>, report: Report): Promise<void> {
  const lock = await lockShared(decl.project, report);
  try {
    const users = await usersNow();
    if (users.length > 0) {
      const named = users.map((u) => `${u.instance}${u.elsewhere ? ` (of ${u.elsewhere})` : ''}`).join(', ');
      throw new OperationalError(`the shared infrastructure is still used by instance${users.length > 1 ? 's' : ''} ${named}`,
        users.some((u) => u.elsewhere) ? 'Stop them first, in their checkouts (just dev stop all there); nothing was stopped of the shared infrastructure.'
          : 'Stop them first (just dev stop all --shared stops everything).');
    }
    const shared = sharedSetOf(decl, root);
    if (!shared) return;
    await shared.engine.down(shared.set);
    report({ kind: 'shared-stopped' });
  } finally {
    lock.release();
  }
}

/** The shared set as it was last started, from its home (for status all, stop --shared), or undefined when none was. */
export function sharedSetOf(decl: StackDeclaration, root: string): { engine: Engine; set: EngineTarget } | undefined {
  const home = sharedHome(decl.project, root);
  const state = readState(home, SHARED_DIR);
  if (!state) return undefined;
  const engine = engineNamed(state.engine);
  const p = sharedPlan(decl, root);
  if (!p.sharedInfra) return undefined;
  return { engine, set: { decl, scope: p.sharedInfra, root: home } };
}

/**
 * The plan of the shared set (services: which of it; all by default) as its engine runs it: the
 * native engine's Postgres and Redis ask for the machine's passwords. Never started: as the native engine would.
 */
export function sharedPlan(decl: StackDeclaration, root: string, services: ReadonlySet<string> = new Set(composeServices(decl))): InstancePlan {
  const engine = engineOfRecord(readState(sharedHome(decl.project, root), SHARED_DIR)?.engine);
  return plan(decl, 0, { shared: services, ...passwordsFor(decl, services, engine, engine) });
}
