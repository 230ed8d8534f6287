/**
 * restore N [BACKUP|SNAPSHOT]: the instance's database becomes the dump's, all or nothing. What it
 * has is backed up first; the dump is restored into a new database beside it; only when that
 * succeeded do the two change names in one transaction. A damaged dump leaves the instance exactly
 * as it was. A snapshot also brings its Redis keys, under this instance's prefix: staged beside the
 * live ones before anything changes, swapped in at once just before the database, and swapped back
 * if the database cannot be; a backup holds none, and the keys stay as they are.
 *
 * Apps: the instance's running apps are stopped before the names change (no pool holds a connection
 * to a database that is about to be replaced) and the CLI starts them again afterwards, health-gated
 * like any start, whether the restore succeeded or not (RestoreFailed says which apps). The Temporal
 * namespace is never touched.
 */
import { OperationalError, firstLines } from '../errors.js';
import { trace } from '../trace.js';
import { withPm2 } from '../pm2/client.js';
import { pgServerOf, redisUrlOf } from '../provision/index.js';
import { dropDatabase, swapDatabase } from '../provision/postgres.js';
import { commitKeys, forgetReplaced, revertKeys, stageKeys } from '../provision/redis.js';
import { deleteApps, freeAppPorts } from '../lifecycle/apps.js';
import { type Backup, backUp, needDatabase } from './backups.js';
import type { FillVia } from '../lifecycle/events.js';
import { type RestoreSource, sideNames } from './sources.js';
import type { Report } from '../lifecycle/events.js';
import { lockInstance } from '../lifecycle/locking.js';
import { oursOf } from '../lifecycle/orphans.js';
import { startedFromStopped, upServers } from '../lifecycle/servers-up.js';
import { STOP_WAITS_FOR_START_MS } from '../lifecycle/stop.js';
import type { Target } from '../lifecycle/target.js';

export interface RestoreOptions {
  from: RestoreSource;
  /** Back up what the instance has first (default). */
  backup: boolean;
  report: Report;
}

export interface RestoreResult {
  /** The backup taken of what the instance had. */
  before?: Backup;
  /** Apps that ran and were stopped for the swap: the caller starts the instance again. */
  appsStopped: string[];
}

/** A restore that failed after it stopped the instance's apps: nothing changed, and these apps are to be started again. */
export class RestoreFailed extends OperationalError {
  constructor(message: string, hint: string, readonly appsStopped: string[]) {
    super(message, hint);
  }
}

/** Data is replaced only in an instance that was started (its database and prefix exist). */
export function requireStarted(t: Target): void {
  if (!t.state) {
    throw new OperationalError(`instance ${t.plan.instance} has nothing to restore into: it was never started here, or it was cleaned`,
      `Start it first (just dev ${t.plan.instance}), then restore or clone into it.`);
  }
}

export async function restoreInstance(t: Target, o: RestoreOptions): Promise<RestoreResult> {
  const p = t.plan;
  requireStarted(t);
  const lock = await lockInstance(t, o.report, STOP_WAITS_FOR_START_MS);
  try {
    const up = await upServers(t, o.report);
    trace('restore: infrastructure up');
    const db = needDatabase(t, 'nothing to restore');
    const server = pgServerOf(p);
    const side = sideNames(db.name);
    // What an interrupted restore left beside it.
    await dropDatabase(server, side.incoming);
    await dropDatabase(server, side.replaced);

    const before = o.backup ? await backUp(t, o.from.spare) : undefined;
    const keys = await o.from.keys?.();
    trace('restore: backed up');
    if (o.backup) o.report(before ? { kind: 'backed-up', database: db.name, file: before.file } : { kind: 'nothing-to-back-up', database: db.name });

    let via: FillVia;
    try {
      via = await o.from.fill(side.incoming);
    } catch (err) {
      await dropDatabase(server, side.incoming).catch(() => {});
      throw new OperationalError(`could not restore ${o.from.label}: ${firstLines(err)}`,
        `Nothing changed: instance ${p.instance}'s database ${db.name} is as it was.`);
    }

    trace('restore: side database filled');
    const redis = keys && p.redis ? { url: redisUrlOf(p), prefix: p.redis.keyPrefix } : undefined;
    if (redis && keys) {
      try {
        await stageKeys(redis.url, redis.prefix, keys);
      } catch (err) {
        await dropDatabase(server, side.incoming).catch(() => {});
        throw new OperationalError(`could not restore ${o.from.label}: its Redis keys could not be staged: ${firstLines(err)}`,
          `Nothing changed: instance ${p.instance}'s database ${db.name} and keys under ${redis.prefix} are as they were.`);
      }
    }
    const appsStopped = await withPm2(async (pm2) => {
      // In the declaration's order, whatever order PM2 lists them in.
      const running = new Set((await pm2.list()).filter((x) => x.status === 'online').map((x) => x.name));
      const online = p.apps.map((a) => a.pm2Name).filter((name) => running.has(name));
      await deleteApps(pm2, online);
      return online;
    });
    if (appsStopped.length > 0) {
      o.report({ kind: 'apps-stopped', instance: p.instance, apps: appsStopped });
      try {
        await freeAppPorts(p, await oursOf(t));
      } catch (err) {
        // Nothing swapped yet (a port still held, or a signal): the apps are started again by the caller.
        await dropDatabase(server, side.incoming).catch(() => {});
        if (redis) await forgetReplaced(redis.url, redis.prefix).catch(() => {});
        throw new RestoreFailed(`could not restore ${o.from.label}: ${firstLines(err)}`,
          `Nothing changed: instance ${p.instance}'s database ${db.name}${redis ? ` and keys under ${redis.prefix}` : ''} are as they were.`, appsStopped);
      }
    }
    trace('restore: apps stopped');
    // The keys first (they can be swapped back), then the database (which cannot, once renamed).
    try {
      if (redis) await commitKeys(redis.url, redis.prefix);
      try {
        await swapDatabase(server, db.name, side.incoming, side.replaced);
      } catch (err) {
        if (redis) await revertKeys(redis.url, redis.prefix);
        throw err;
      }
    } catch (err) {
      await dropDatabase(server, side.incoming).catch(() => {});
      if (redis) await forgetReplaced(redis.url, redis.prefix).catch(() => {});
      throw new RestoreFailed(`could not restore ${o.from.label}: ${firstLines(err)}`,
        `Nothing changed: instance ${p.instance}'s database ${db.name}${redis ? ` and keys under ${redis.prefix}` : ''} are as they were.`, appsStopped);
    }
    trace('restore: swapped');
    if (redis) await forgetReplaced(redis.url, redis.prefix).catch(() => {}); // set-aside keys: dropped again by the next restore
    o.report({ kind: 'restored', database: db.name, from: o.from.label, via, ...(o.from.template ? { template: o.from.template } : {}) });
    if (redis && keys) o.report({ kind: 'keys-restored', keys: keys.length, prefix: redis.prefix });
    // Its infrastructure was stopped before: stopped again, as it was.
    if (appsStopped.length === 0 && startedFromStopped(up)) await t.engine.stop(t.own);
    return { ...(before ? { before } : {}), appsStopped };
  } finally {
    lock.release();
  }
}
