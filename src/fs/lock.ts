/**
 * A lock file holding its owner's pid and start time: one command at a time per instance, one launch
 * of the PM2 daemon at a time. A lock whose owner is gone (a crashed or killed run, or a reboot that
 * gave its pid to another process) is recovered with a
 * message; a live one is reported, or waited for.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OperationalError } from '../errors.js';
import { pollUntil } from '../poll.js';
import { markAlive, processStart } from '../proc/alive.js';

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

/** Whether a live process holds the lock at file (a dead owner's lock holds nothing). */
export function lockHeld(file: string): boolean {
  const owner = ownerOf(file);
  return owner !== undefined && lives(owner);
}

/** The error the last attempt gives (or a plain one if the lock came free just now). */
function tryLockError(file: string, label: string): Error {
  const owner = ownerOf(file);
  return owner?.pid ? new LockBusyError(label, owner.pid) : new OperationalError(`${label}: could not take its lock at ${file}`);
}

interface Owner { pid: number; start?: string }
const MY_START = processStart(process.pid);
const isMine = (o: Owner | undefined) => o?.pid === process.pid && o.start === MY_START;
const lives = (o: Owner) => o.pid > 0 && markAlive(o.pid, o.start);

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
            if (isMine(ownerOf(file))) rmSync(file, { force: true });
            if (made) rmdirSync(dir);
          } catch { /* already gone, or the folder holds more now */ }
        },
      };
    }
    const owner = ownerOf(file);
    if (owner === undefined) continue; // released meanwhile: try again
    if (lives(owner)) throw new LockBusyError(label, owner.pid);
    if (recover(file, owner, label)) opts.onRecovered?.(owner.pid);
  }
  throw new OperationalError(`${label}: could not take its lock at ${file}`);
}

/**
 * Create the lock file with our pid already in it: written to a private file, then hard-linked into
 * place (link fails when the lock exists), so a reader never sees an empty lock and takes it for stale.
 */
function createWithPid(path: string): boolean {
  const mine = `${path}.${process.pid}`;
  writeFileSync(mine, `${process.pid}${MY_START ? ` ${MY_START}` : ''}\n`, { mode: 0o600 });
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

/** The lock's owner: its pid (0 when the file says nothing readable) and, when written, its start time. */
function ownerOf(path: string): Owner | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const [pid = '', start] = text.trim().split(/\s+/);
  return /^\d+$/.test(pid) ? { pid: Number(pid), ...(start ? { start } : {}) } : { pid: 0 };
}

/**
 * Remove a dead owner's lock, under a second lock (`.recover`, taken the same way): the lock is
 * read again under it and removed only if it still names that owner. Without it, two recoverers and
 * a newcomer could each act on what another had just changed and end with two holders.
 */
function recover(path: string, dead: Owner, label: string): boolean {
  const guard = `${path}.recover`;
  if (!createWithPid(guard)) {
    const holder = ownerOf(guard);
    if (holder && lives(holder)) throw new LockBusyError(label, holder.pid); // another command is recovering it
    rmSync(guard, { force: true }); // a recoverer that died within these few calls
    return false;
  }
  try {
    const now = ownerOf(path);
    if (now?.pid !== dead.pid || now.start !== dead.start) return false; // released or taken meanwhile
    rmSync(path, { force: true });
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}
