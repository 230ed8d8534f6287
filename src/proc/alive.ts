/** Is a process there, and is it still the one that left a mark (a reused pid is another process)? */
import { readFileSync } from 'node:fs';

/** Whether a process with this pid exists (one of another user's counts: EPERM means it is there). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When the process started (clock ticks after boot: /proc/PID/stat's 22nd field), or undefined where /proc does not say. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name in parentheses may hold spaces: the fields after it start at the third.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The process that left a mark (its pid, and its start time where it wrote one) still runs. */
export function markAlive(pid: number, start?: string): boolean {
  if (!processAlive(pid)) return false;
  if (start === undefined) return true;
  const now = processStart(pid);
  return now === undefined || now === start;
}
