/**
 * Which instances exist and which run, found rather than assumed: PM2 processes in the project's
 * per-instance namespaces, commands in progress (a lock), and instances whose engine runs outside
 * PM2 (recorded in their folder). No fixed range of numbers.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StackDeclaration } from '../config/types.js';
import { engineNamed } from '../engines/registry.js';
import { INSTANCES_DIR, instanceDir, instanceOfDirName, instanceOfProject, lockFile } from '../plan/names.js';
import type { Pm2Process } from '../pm2/client.js';
import { readState } from './state.js';

/** Instance folders on disk (.instances/instance-N). */
export function instanceFolders(root: string): number[] {
  try {
    return readdirSync(join(root, INSTANCES_DIR)).map(instanceOfDirName).filter((n): n is number => n !== undefined);
  } catch {
    return [];
  }
}

export function discoverInstances(decl: StackDeclaration, root: string, procs: readonly Pm2Process[]): number[] {
  const found = new Set<number>();
  for (const p of procs) {
    const n = instanceOfProject(decl.project, p.namespace);
    if (n !== undefined) found.add(n);
  }
  for (const n of instanceFolders(root)) {
    const dir = instanceDir(n);
    const state = readState(root, dir);
    if (existsSync(join(root, lockFile(dir))) || (state && !engineNamed(state.engine).underPm2)) found.add(n);
  }
  return [...found].sort((a, b) => a - b);
}
