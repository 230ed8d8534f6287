/**
 * Where a project's shared infrastructure lives on this machine. Its servers have one machine-wide
 * name (`<project>-infra`: PM2 processes, a compose project), so its data, state and lock have one
 * place too: the checkout that first started it, recorded in the state directory, for as long as
 * that checkout has it; else the asking checkout, which records itself when it starts the set. Every
 * worktree of a repository then runs, stops and backs up the same set, from the same data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../plan/names.js';
import { stateDir } from '../state-dir.js';

const recordFile = (project: string): string => join(stateDir(), 'shared', `${project}.json`);

/** The one lock of the project's shared set on this machine: its start, its stop. */
export const sharedLockFile = (project: string): string => join(stateDir(), 'shared', `${project}.lock`);

/** The checkout whose folder holds the shared set's data and state: the recorded one while it has it, else root. */
export function sharedHome(project: string, root: string): string {
  try {
    const recorded = (JSON.parse(readFileSync(recordFile(project), 'utf8')) as { root?: unknown }).root;
    if (typeof recorded === 'string' && existsSync(join(recorded, SHARED_DIR))) return recorded;
  } catch { /* none recorded yet */ }
  return root;
}

/** Record root as the home, under the shared set's lock, when it starts the set. */
export async function recordSharedHome(project: string, root: string): Promise<void> {
  const { writeFileAtomic } = await import('../fs/atomic.js');
  await writeFileAtomic(recordFile(project), `${JSON.stringify({ root })}\n`, 0o600, { durable: true });
}
