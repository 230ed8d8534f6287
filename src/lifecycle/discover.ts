/**
 * Which instances exist and which run, found rather than assumed: PM2 processes in the project's
 * per-instance namespaces, and instance folders with a recorded start (docker instances). No fixed
 * range of numbers.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StackDeclaration } from '../config/types.js';
import { INSTANCES_DIR } from '../plan/plan.js';
import type { Pm2Process } from '../pm2/client.js';
import { readState } from './state.js';

export function instanceOfNamespace(decl: StackDeclaration, namespace: string): number | undefined {
  const m = new RegExp(`^${decl.project.replace(/[-]/g, '\\-')}-dev-(\\d+)$`).exec(namespace);
  return m ? Number(m[1]) : undefined;
}

/** Instance folders on disk (.instances/instance-N). */
export function instanceFolders(root: string): number[] {
  try {
    return readdirSync(join(root, INSTANCES_DIR))
      .map((d) => /^instance-(\d+)$/.exec(d)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number);
  } catch {
    return [];
  }
}

/** Instances with a PM2 process, a command in progress (a lock), or a folder whose last start used docker. */
export function discoverInstances(decl: StackDeclaration, root: string, procs: Pm2Process[]): number[] {
  const found = new Set<number>();
  for (const p of procs) {
    const n = instanceOfNamespace(decl, p.namespace);
    if (n !== undefined) found.add(n);
  }
  for (const n of instanceFolders(root)) {
    const dir = join(INSTANCES_DIR, `instance-${n}`);
    if (existsSync(join(root, dir, '.lock')) || readState(root, dir)?.engine === 'docker') found.add(n);
  }
  return [...found].sort((a, b) => a - b);
}
