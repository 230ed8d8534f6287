/**
 * stop N: the instance's apps and its own infrastructure stop, data stays; then every port of the
 * instance must be free. The shared set is never stopped here: only `stop --shared`, and only when no
 * instance uses it any more.
 */
import type { StackDeclaration } from '../config/types.js';
import { pm2Namespace } from '../plan/names.js';
import { withPm2 } from '../pm2/client.js';
import { deleteApps, freeAppPorts } from './apps.js';
import type { Report } from './events.js';
import { lockInstance } from './locking.js';
import { oursOf } from './orphans.js';
import type { Target } from './target.js';

export const STOP_WAITS_FOR_START_MS = 180_000;

/**
 * Returns whether anything of the instance was running. infra false: its apps only (its Docker host
 * is known not to answer now; `all` asks each host once).
 */
export async function stopInstance(t: Target, report: Report, { infra = true } = {}): Promise<boolean> {
  // A start in progress finishes first: stopping under it would leave what it starts next behind.
  const lock = await lockInstance(t, report, STOP_WAITS_FOR_START_MS);
  try {
    return await stopLocked(t, { infra });
  } finally {
    lock.release();
  }
}

/** stopInstance for a command that already holds the instance's lock (clean). */
export async function stopLocked(t: Target, { infra = true } = {}): Promise<boolean> {
  const p = t.plan;
  const appsRan = await withPm2(async (pm2) => {
    const running = (await pm2.list()).some((x) => x.namespace === p.pm2Namespace);
    await deleteApps(pm2, p.apps.map((a) => a.pm2Name));
    return running;
  });
  await freeAppPorts(p, await oursOf(t));
  const infraRan = infra && await t.engine.stop(t.own);
  return appsRan || infraRan;
}

/** An instance today's declaration no longer allows (it changed since): remove its PM2 processes by namespace. */
export async function stopStray(decl: StackDeclaration, n: number): Promise<void> {
  await withPm2(async (pm2) => {
    for (const x of await pm2.list()) if (x.namespace === pm2Namespace(decl.project, n)) await pm2.delete(x.name);
  });
}
