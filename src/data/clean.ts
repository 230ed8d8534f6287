/**
 * clean N: back the database up (a pg_dump kept outside the instance folder, the newest few kept),
 * then stop the instance and drop its slices (database, key prefix, namespace: those it has), its
 * own volumes or data and its folder. Nothing of another instance, nor the shared set itself, is touched.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { releaseInstance } from '../leases/assign.js';
import { instanceDataDir } from '../plan/names.js';
import { unprovision } from '../provision/index.js';
import { backUp } from './backups.js';
import type { Report } from '../lifecycle/events.js';
import { upServers } from '../lifecycle/servers-up.js';
import { lockInstance } from '../lifecycle/locking.js';
import { STOP_WAITS_FOR_START_MS, stopLocked } from '../lifecycle/stop.js';
import type { Target } from '../lifecycle/target.js';

export interface CleanOptions {
  backup: boolean;
  report: Report;
}

export async function cleanInstance(t: Target, opts: CleanOptions): Promise<void> {
  const p = t.plan;
  // Every step under the instance's lock, as every data operation: a restore, backup or start of the
  // same instance waits for the clean to finish (and the clean for them).
  const lock = await lockInstance(t, opts.report, STOP_WAITS_FOR_START_MS);
  try {
    // The database must be reachable to back it up and drop it: bring the instance's own infrastructure
    // up. Also when its folder (and so its state) was deleted by hand but an engine outside the checkout
    // (docker volumes) still holds its data.
    const known = t.state !== undefined || existsSync(join(t.root, instanceDataDir(p.dir)));
    if (known || (!t.engine.underPm2 && (await t.engine.databasePresent(t.own)))) {
      await upServers(t, opts.report);
      if (opts.backup && p.database) {
        const taken = await backUp(t);
        opts.report(taken ? { kind: 'backed-up', database: p.database.name, file: taken.file } : { kind: 'nothing-to-back-up', database: p.database.name });
      }
      const dropped = await unprovision(t.decl, p, t.state?.unavailable ?? []).catch((err: Error) => {
        if (t.sharedSet) throw err; // the shared servers keep the data: dropping must succeed
        return undefined; // own servers: their data goes with them below
      });
      if (dropped && dropped.length > 0) opts.report({ kind: 'dropped', slices: dropped });
    }
    await stopLocked(t);
    await t.engine.removeData(t.own);
    await rm(join(t.root, p.dir), { recursive: true, force: true });
    opts.report({ kind: 'removed', dir: p.dir });
  } finally {
    lock.release();
  }
  // Nothing of the instance is left: its number goes back for any checkout to take.
  if (await releaseInstance(p.project, t.root, p.instance)) opts.report({ kind: 'released', instance: p.instance });
}
