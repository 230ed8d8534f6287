/** Whose is a process? Ancestry and environment from /proc (Linux); other systems answer "unknown". */
import { readFileSync } from 'node:fs';

export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** True when pid is one of roots or descends from one. */
export function descendsFrom(pid: number, roots: ReadonlySet<number>): boolean {
  for (let p: number | undefined = pid, hops = 0; p && p > 1 && hops < 64; p = parentOf(p), hops++) {
    if (roots.has(p)) return true;
  }
  return false;
}

/** The value of one environment variable of a process, when readable. */
export function envOf(pid: number, key: string): string | undefined {
  try {
    const prefix = `${key}=`;
    const entry = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith(prefix));
    return entry?.slice(prefix.length);
  } catch {
    return undefined;
  }
}
