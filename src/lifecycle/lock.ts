/**
 * One lifecycle command at a time per instance: a lock file holding the owner's pid. A lock whose
 * owner is gone (a crashed or killed run) is recovered with a message; a live one is reported.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OperationalError } from '../cli/errors.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export interface Lock {
  release(): void;
}

export interface LockOptions {
  /** Wait this long for a live owner to finish instead of failing at once. */
  waitMs?: number;
}

export async function acquireLock(dir: string, label: string, note: (line: string) => void, opts: LockOptions = {}): Promise<Lock> {
  const giveUp = Date.now() + (opts.waitMs ?? 0);
  let told = false;
  for (;;) {
    try {
      return tryLock(dir, label, note);
    } catch (err) {
      const owner = (err as { owner?: number }).owner;
      if (owner === undefined || !opts.waitMs || Date.now() > giveUp) throw err;
      if (!told) { note(`waiting for the command that holds ${label} (pid ${owner}) to finish`); told = true; }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function tryLock(dir: string, label: string, note: (line: string) => void): Lock {
  // A folder made only to hold the lock goes with it (stopping an instance that never ran leaves nothing).
  const made = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, '.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createWithPid(path)) {
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          try {
            if (ownerOf(path) === process.pid) rmSync(path, { force: true });
            if (made) rmdirSync(dir);
          } catch { /* already gone, or the folder holds more now */ }
        },
      };
    }
    const owner = ownerOf(path);
    if (owner === undefined) continue; // released meanwhile: try again
    if (owner > 0 && alive(owner)) {
      throw Object.assign(new OperationalError(`${label} is busy: another command (pid ${owner}) is starting or stopping it`,
        'Wait for it to finish, or stop it first.'), { owner });
    }
    if (setAside(path, owner)) note(`recovered a stale lock of ${label} left by a run that is gone (pid ${owner})`);
  }
  throw new OperationalError(`${label}: could not take its lock at ${path}`);
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
