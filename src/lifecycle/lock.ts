/**
 * One lifecycle command at a time per instance: a lock file holding the owner's pid. A lock whose
 * owner is gone (a crashed or killed run) is recovered with a message; a live one is reported.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, rmdirSync, writeSync } from 'node:fs';
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
      if (owner === undefined || Date.now() > giveUp) throw err;
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
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
            if (made) rmdirSync(dir);
          } catch { /* already gone, or the folder holds more now */ }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try { owner = Number(readFileSync(path, 'utf8').trim()); } catch { /* vanished: retry */ }
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
        throw Object.assign(new OperationalError(`${label} is busy: another command (pid ${owner}) is starting or stopping it`,
          'Wait for it to finish, or stop it first.'), { owner });
      }
      note(`recovered a stale lock of ${label} left by a run that is gone${Number.isInteger(owner) ? ` (pid ${owner})` : ''}`);
      rmSync(path, { force: true });
    }
  }
  throw new OperationalError(`${label}: could not take its lock at ${path}`);
}
