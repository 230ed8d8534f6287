/**
 * A data operation (backup, clean, restore, snapshot, the source of a clone) needs the instance's
 * servers answering: the shared set it uses and its own. Its apps are not touched. An instance that
 * was stopped is stopped again afterwards, so the operation leaves it as it found it.
 */
import type { UpReport } from '../engines/types.js';
import type { Report } from './events.js';
import { lockInstance } from './locking.js';
import { upShared } from './shared.js';
import { STOP_WAITS_FOR_START_MS } from './stop.js';
import type { Target } from './target.js';

/** Bring up the shared set (when the instance uses one) and the instance's own servers; the own set's report. */
export async function upServers(t: Target, report: Report): Promise<UpReport> {
  if (t.sharedSet && t.sharedEngine) await upShared(t.sharedEngine, t.sharedSet, [...t.shared], report);
  return t.engine.up(t.own);
}

/** Whether this up started the own servers from stopped (so the operation stops them again). */
export const startedFromStopped = (up: UpReport): boolean => up.alreadyRunning.length === 0 && up.started.length > 0;

/** fn under the instance's lock with its servers up; its own servers stopped again when they were stopped. */
export async function withServersUp<T>(t: Target, report: Report, fn: () => Promise<T>): Promise<T> {
  const lock = await lockInstance(t, report, STOP_WAITS_FOR_START_MS);
  try {
    const up = await upServers(t, report);
    try {
      return await fn();
    } finally {
      if (startedFromStopped(up)) await t.engine.stop(t.own);
    }
  } finally {
    lock.release();
  }
}
