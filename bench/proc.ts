/**
 * Memory of a process tree, from /proc (Linux). RSS counts every shared page (the node binary, the
 * Postgres shared buffers) in full in every process; PSS divides each shared page among the
 * processes that map it, so PSS figures add up to what the machine really spends.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface Mem {
  rssMiB: number;
  pssMiB: number;
}

function kbOf(file: string, key: string): number {
  try {
    return Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function processTree(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch { /* exited */ }
  }
  return children;
}

/** RSS and PSS in MiB of pid and every descendant (Postgres forks a process per backend and helper). */
export function treeMem(pid: number, children = processTree()): Mem {
  let rss = 0;
  let pss = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop() ?? 0;
    rss += kbOf(`/proc/${p}/status`, 'VmRSS');
    pss += kbOf(`/proc/${p}/smaps_rollup`, 'Pss');
    stack.push(...(children.get(p) ?? []));
  }
  return { rssMiB: rss / 1024, pssMiB: pss / 1024 };
}
