/** The instance lock of a lifecycle command, with its waits and recoveries reported as events. */
import { join } from 'node:path';
import { sweepLeftovers } from '../fs/leftovers.js';
import { type Lock, type LockOptions, acquireLock, lockHeld } from '../fs/lock.js';
import { lockFile } from '../plan/names.js';
import type { Report } from './events.js';
import type { Target } from './target.js';

export const lockEvents = (label: string, report: Report): Pick<LockOptions, 'onWait' | 'onRecovered'> => ({
  onWait: (owner) => report({ kind: 'lock-wait', label, owner }),
  onRecovered: (owner) => report({ kind: 'lock-recovered', label, owner }),
});

/**
 * One lifecycle command at a time per instance; waitMs > 0 waits for a command in progress. Once it
 * holds the lock, what killed commands left in .instances/ (their pids gone) is swept.
 */
export async function lockInstance(t: Target, report: Report, waitMs = 0): Promise<Lock> {
  const label = `instance ${t.plan.instance}`;
  const lock = await acquireLock(join(t.root, lockFile(t.plan.dir)), label, { waitMs, ...lockEvents(label, report) });
  const swept = sweepLeftovers(t.root);
  if (swept.length > 0) report({ kind: 'leftovers-swept', paths: swept });
  return lock;
}

/** A command (a start, a data operation) is at work on the instance now. */
export const instanceBusy = (t: Target): boolean => lockHeld(join(t.root, lockFile(t.plan.dir)));
