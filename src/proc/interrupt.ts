/**
 * A command interrupted (Ctrl-C, the dashboard's timeout, a closed terminal) ends the way a failed
 * one does: the children it runs get SIGTERM (a terminal's Ctrl-C reaches them anyway; a SIGTERM sent
 * to this process alone would not), every wait stops at its next look (pollUntil), the step's own
 * undo runs (a start removes what it started, a restore starts the apps it stopped), locks are
 * released on the way out, and the exit code is 128 + the signal's number. A second signal (a second
 * later or more) ends the process at once. Leftovers of a process that could not finish are swept by the next command
 * (fs/leftovers.ts).
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { constants } from 'node:os';
import { OperationalError } from '../errors.js';

let received: NodeJS.Signals | undefined;
const listeners = new Set<() => void>();
// Made by the first undo: commands that never undo (ports, in shell scripts) never load async_hooks.
let undoScope: AsyncLocalStorage<true> | undefined;

export class InterruptedError extends OperationalError {
  override readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
    this.exitCode = exitCodeOf(signal);
  }
}

export const exitCodeOf = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? 0);

/** The signal this process received, if any. */
export const interrupted = (): NodeJS.Signals | undefined => received;

/** Throws InterruptedError once a signal came, except inside an undo (which must run to its end). */
export function stopIfInterrupted(): void {
  if (received && !undoScope?.getStore()) throw new InterruptedError(received);
}

/** fn runs to its end even after a signal: what a failed or interrupted step does to take itself back. */
export async function undoing<T>(fn: () => Promise<T>): Promise<T> {
  undoScope ??= new (await import('node:async_hooks')).AsyncLocalStorage<true>();
  return undoScope.run(true, fn);
}

/** Called once, when the first signal comes (proc/run.ts: stop the children). */
export function onInterrupt(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Signals closer together than this are one interruption. */
const REPEAT_MS = 1_000;

/**
 * Take these signals as interruptions (the CLI's entry). The first is remembered and told to the
 * listeners; the second exits at once. graceMs: how long the unwinding may take before the process exits anyway.
 */
export function interruptOn(signals: readonly NodeJS.Signals[], graceMs = 60_000): void {
  let at = 0;
  for (const sig of signals) {
    process.on(sig, () => {
      if (received) {
        // One Ctrl-C under npx arrives twice (npm passes it on), a closed terminal sends SIGHUP twice:
        // only a signal well after the first means "stop now".
        if (Date.now() - at > REPEAT_MS) process.exit(exitCodeOf(received));
        return;
      }
      received = sig;
      at = Date.now();
      for (const fn of listeners) fn();
      setTimeout(() => process.exit(exitCodeOf(sig)), graceMs).unref();
    });
  }
}
