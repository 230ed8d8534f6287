/**
 * A new instance's database made from data instead of empty: --seed NAME (or the declaration's
 * `seed`) gives a snapshot's, `clone` into an instance that never ran gives another instance's. The
 * keys come along under the instance's prefix. A database that exists is kept as it is (a warning
 * says how to replace it), the way a Postgres image runs its init scripts on an empty volume only.
 * On a shared server a snapshot's copy comes from its golden template, so ten instances seeded at
 * once restore the dump once; another instance's comes as the server's file copy, or its dump.
 */
import { OperationalError, firstLines } from '../errors.js';
import { pgServerOf, redisUrlOf } from '../provision/index.js';
import { databaseExists, dropDatabase, renameDatabase } from '../provision/postgres.js';
import { commitKeys, forgetReplaced, stageKeys } from '../provision/redis.js';
import { trace } from '../trace.js';
import { type IfExists, existingDatabase } from '../lifecycle/if-exists.js';
import { needDatabase } from './backups.js';
import type { Report } from '../lifecycle/events.js';
import type { FillVia } from '../lifecycle/events.js';
import { type RestoreSource, sideNames } from './sources.js';
import type { Target } from '../lifecycle/target.js';

/** Under the instance's start lock, with its infrastructure up. Returns whether the data was applied. hint: what the user can do when it fails. */
export async function seedInstance(t: Target, seed: { source: RestoreSource; ifExists: IfExists; hint: string }, report: Report): Promise<boolean> {
  const p = t.plan;
  const source = seed.source;
  trace('seed: source ready');
  const db = needDatabase(t, `no seed from ${source.label}`);
  const server = pgServerOf(p);
  if (await databaseExists(server, db.name)) {
    existingDatabase(p.instance, db.name, { name: source.label, ifExists: seed.ifExists }, report);
    return false;
  }
  const keys = await source.keys?.();
  // Made beside it and renamed at the end: an interrupted seed never leaves a half-filled database
  // that the next start would take for the instance's data.
  const { incoming } = sideNames(db.name);
  await dropDatabase(server, incoming);
  let via: FillVia;
  try {
    via = await source.fill(incoming);
  } catch (err) {
    await dropDatabase(server, incoming).catch(() => {});
    throw new OperationalError(`could not seed instance ${p.instance} from ${source.label}: ${firstLines(err)}`,
      `Its database was not created. ${seed.hint}`);
  }
  // The keys staged first, committed once the database has its name; a failure undoes both.
  const redis = keys && p.redis ? { url: redisUrlOf(p), prefix: p.redis.keyPrefix } : undefined;
  try {
    if (redis && keys) await stageKeys(redis.url, redis.prefix, keys);
    await renameDatabase(server, incoming, db.name);
    try {
      if (redis) await commitKeys(redis.url, redis.prefix);
    } catch (err) {
      await dropDatabase(server, db.name).catch(() => {});
      throw err;
    }
  } catch (err) {
    await dropDatabase(server, incoming).catch(() => {});
    if (redis) await forgetReplaced(redis.url, redis.prefix).catch(() => {});
    throw new OperationalError(`could not seed instance ${p.instance} from ${source.label}: ${firstLines(err)}`,
      `Its database was not created and its keys are as they were. Check Redis; ${seed.hint}`);
  }
  if (redis) await forgetReplaced(redis.url, redis.prefix).catch(() => {});
  trace('seed: applied');
  report({ kind: 'seeded', instance: p.instance, database: db.name, from: source.label, via, ...(source.template ? { template: source.template } : {}) });
  return true;
}
