/** Resident memory of a process tree, from /proc (Linux). */
import { readFileSync, readdirSync } from 'node:fs';

function rssKb(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** RSS in MiB of pid and every descendant (Postgres forks a process per backend and helper). */
export function treeRssMiB(pid: number): number {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch { /* exited */ }
  }
  let kb = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop() ?? 0;
    kb += rssKb(p);
    stack.push(...(children.get(p) ?? []));
  }
  return kb / 1024;
}
