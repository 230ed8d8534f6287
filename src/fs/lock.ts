/**
 * A lock file holding its owner's pid: one command at a time per instance, one launch of the PM2
 * daemon at a time. A lock whose owner is gone (a crashed or killed run) is recovered with a
 * message; a live one is reported, or waited for.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OperationalError } from '../errors.js';
import { pollUntil } from '../poll.js';
import { processAlive as alive } from '../proc/alive.js';

export interface Lock {
  release(): void;
}

export interface LockOptions {
  /** Wait this long for a live owner to finish instead of failing at once. */
  waitMs?: number;
  /** Told once when the lock is busy and we wait, and when a dead owner's lock is recovered. */
  onWait?: (ownerPid: number) => void;
  onRecovered?: (deadPid: number) => void;
}

/** A live owner holds it; carries the owner's pid. */
export class LockBusyError extends OperationalError {
  constructor(label: string, readonly owner: number) {
    super(`${label} is busy: another command (pid ${owner}) is starting or stopping it`, 'Wait for it to finish, or stop it first.');
  }
}

/** Take the lock at `file` (its folder is created, and removed again on release if it was made for it). */
export async function acquireLock(file: string, label: string, opts: LockOptions = {}): Promise<Lock> {
  let told = false;
  return pollUntil(() => {
    try {
      return tryLock(file, label, opts);
    } catch (err) {
      if (!(err instanceof LockBusyError) || !opts.waitMs) throw err;
      if (!told) { opts.onWait?.(err.owner); told = true; }
      return undefined;
    }
  }, { deadlineMs: opts.waitMs ?? 0, intervalMs: 100, timeout: () => tryLockError(file, label) });
}

/** The error the last attempt gives (or a plain one if the lock came free just now). */
function tryLockError(file: string, label: string): Error {
  const owner = ownerOf(file);
  return owner ? new LockBusyError(label, owner) : new OperationalError(`${label}: could not take its lock at ${file}`);
}

function tryLock(file: string, label: string, opts: LockOptions): Lock {
  // A folder made only to hold the lock goes with it (stopping an instance that never ran leaves nothing).
  const dir = dirname(file);
  const made = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createWithPid(file)) {
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          try {
            if (ownerOf(file) === process.pid) rmSync(file, { force: true });
            if (made) rmdirSync(dir);
          } catch { /* already gone, or the folder holds more now */ }
        },
      };
    }
    const owner = ownerOf(file);
    if (owner === undefined) continue; // released meanwhile: try again
    if (owner > 0 && alive(owner)) throw new LockBusyError(label, owner);
    if (setAside(file, owner)) opts.onRecovered?.(owner);
  }
  throw new OperationalError(`${label}: could not take its lock at ${file}`);
}

/**
 * Create the lock file with our pid already in it: written to a private file, then hard-linked into
 * place (link fails when the lock exists), so a reader never sees an empty lock and takes it for stale.
 */
function createWithPid(path: string): boolean {
  const mine = `${path}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`, { mode: 0o600 });
  try {
    linkSync(mine, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(mine, { force: true });
  }
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) ? pid : 0;
  } catch {
    return undefined;
  }
}

/**
 * Move a dead owner's lock out of the way. Two recoverers can race: the one whose rename finds a
 * different (live) owner in the file it moved puts that lock back and lets the caller try again.
 */
function setAside(path: string, deadOwner: number): boolean {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return false; // someone else recovered it first
  }
  const moved = ownerOf(aside);
  if (moved !== deadOwner && moved !== undefined && moved > 0 && alive(moved)) {
    try { linkSync(aside, path); } catch { /* a newer lock is in place */ }
    rmSync(aside, { force: true });
    return false;
  }
  rmSync(aside, { force: true });
  return true;
}
