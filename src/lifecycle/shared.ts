/**
 * The infrastructure set shared by instances: brought up by one command at a time, never stopped by
 * an instance's stop or clean, stopped by `stop --shared` only when no instance uses it.
 */
import { join } from 'node:path';
import type { StackDeclaration } from '../config/types.js';
import type { Engine, EngineTarget, UpReport } from '../engines/types.js';
import { OperationalError } from '../errors.js';
import { acquireLock } from '../fs/lock.js';
import { SHARED_DIR, lockFile } from '../plan/names.js';
import { composeServices, plan } from '../plan/plan.js';
import { engineNamed } from '../engines/registry.js';
import type { Report } from './events.js';
import { lockEvents } from './locking.js';
import { readState, writeState } from './state.js';

export async function upShared(engine: Engine, t: EngineTarget, shared: readonly string[], report: Report): Promise<UpReport> {
  const lock = await acquireLock(join(t.root, lockFile(t.scope.dir)), 'the shared infrastructure',
    { waitMs: 180_000, ...lockEvents('the shared infrastructure', report) });
  try {
    const up = await engine.up(t);
    await writeState(t.root, t.scope.dir, { engine: engine.name, shared: [...shared], startedAt: new Date().toISOString(), unavailable: [] });
    return up;
  } finally {
    lock.release();
  }
}

/** Stop the shared set; refused while an instance (users) still uses it. */
export async function stopShared(decl: StackDeclaration, root: string, users: readonly number[], report: Report): Promise<void> {
  if (users.length > 0) {
    throw new OperationalError(`the shared infrastructure is still used by instance${users.length > 1 ? 's' : ''} ${users.join(', ')}`,
      'Stop them first (just dev stop all --shared stops everything).');
  }
  const shared = sharedSetOf(decl, root);
  if (!shared) return;
  await shared.engine.down(shared.set);
  report({ kind: 'shared-stopped' });
}

/** The shared set as it was last started (for status all), or undefined when none was. */
export function sharedSetOf(decl: StackDeclaration, root: string): { engine: Engine; set: EngineTarget } | undefined {
  const state = readState(root, SHARED_DIR);
  const p = plan(decl, 0, { shared: new Set(composeServices(decl)) });
  if (!state || !p.sharedInfra) return undefined;
  return { engine: engineNamed(state.engine), set: { decl, scope: p.sharedInfra, root } };
}
