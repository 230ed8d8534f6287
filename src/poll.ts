/**
 * The one deadline loop: ask until there is an answer or the time is up. Every wait in the tool
 * (readiness, ports to free, locks, PM2) is this loop with its own question and its own failure.
 */
import { stopIfInterrupted } from './proc/interrupt.js';

export interface PollOptions {
  deadlineMs: number;
  /** Pause between attempts; a function of the time waited so far lets a long wait poll less often. */
  intervalMs?: number | ((elapsedMs: number) => number);
  /** Settles when there is news worth asking about at once, instead of after the pause. */
  wake?: Promise<unknown>;
  /** The error to throw when the deadline passes (built then, so it can say what was seen last). */
  timeout: () => Error | Promise<Error>;
}

export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * attempt returns a value when done, undefined to keep waiting, and throws to stop waiting. A
 * signal to the process stops the wait at its next look (proc/interrupt.ts), unless it is an undo's.
 */
export async function pollUntil<T>(attempt: () => Promise<T | undefined> | T | undefined, opts: PollOptions): Promise<T> {
  const began = Date.now();
  let woken = false;
  const wake = opts.wake?.then(() => { woken = true; }, () => { woken = true; });
  for (;;) {
    stopIfInterrupted();
    const value = await attempt();
    if (value !== undefined) return value;
    const elapsed = Date.now() - began;
    if (elapsed > opts.deadlineMs) throw await opts.timeout();
    const interval = typeof opts.intervalMs === 'function' ? opts.intervalMs(elapsed) : opts.intervalMs ?? 50;
    await (wake && !woken ? Promise.race([pause(interval), wake]) : pause(interval));
  }
}

/** The promise's outcome, or a rejection naming the deadline when it takes longer (the work itself is not cancelled). */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
