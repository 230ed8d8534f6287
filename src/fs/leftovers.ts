/**
 * What a command that was killed midway leaves in `.instances/`, swept by the next command that
 * takes an instance's lock: every such name carries the pid of the process that made it, and only
 * those of processes that no longer run are removed (a live one may still be writing).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../proc/alive.js';

/** The leftovers' names and the pid in each (their makers: data/backups.ts, data/snapshots.ts, data/clone.ts, engines/native/postgres.ts). */
const LEFTOVERS = [
  /\.(\d+)\.(?:partial|removing)$/, // a backup or snapshot being written, a snapshot being removed
  /^\.clone-\d+-(\d+)$/, // a clone's dump folder
  /^\.pwfile-(\d+)$/, // initdb's superuser password file
];

/** How deep under `.instances/` leftovers are looked for (instance-N/data/.pwfile-PID is three down). */
const DEPTH = 3;

/** Remove the leftovers of dead processes under root/.instances; returns what was removed (relative to root). */
export function sweepLeftovers(root: string, alive: (pid: number) => boolean = processAlive): string[] {
  const removed: string[] = [];
  const visit = (rel: string, depth: number) => {
    let entries;
    try { entries = readdirSync(join(root, rel), { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const path = join(rel, e.name);
      const pid = LEFTOVERS.map((re) => re.exec(e.name)?.[1]).find((p) => p !== undefined);
      if (pid !== undefined && !alive(Number(pid))) {
        rmSync(join(root, path), { recursive: true, force: true });
        removed.push(path);
      } else if (e.isDirectory() && depth < DEPTH && e.name !== 'volumes') visit(path, depth + 1);
    }
  };
  visit('.instances', 1);
  return removed;
}
