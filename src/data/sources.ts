/**
 * Where an instance's new data comes from, for restore, clone and --seed: a backup (a dump), a
 * snapshot (a dump and keys) or another instance (its database and keys as they are now). Each is a
 * RestoreSource: a way to make a new database on the instance's Postgres server that holds the data,
 * and the Redis keys that go with it.
 *
 * On a server several instances share, a snapshot goes through a golden template (templates.ts): the
 * first taker restores the dump once, every later one gets a server-side file copy.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pgServerOf } from '../provision/index.js';
import { createDatabase } from '../provision/postgres.js';
import type { KeyDump } from '../provision/redis.js';
import { type Backup, databaseHome, databaseRef } from './backups.js';
import { type Snapshot, readKeys, snapshotFiles } from './snapshots.js';
import { type Target, sharesDatabaseServer } from '../lifecycle/target.js';
import type { FillVia } from '../lifecycle/events.js';
import { copyFromTemplate, templateName } from './templates.js';

/** How the new database was made: pg_restore of a dump, a copy of a template (built now or before), a copy of a database. */

/** What a restore reads. */
export interface RestoreSource {
  /** How it is named in messages (a backup's file, a snapshot's name, an instance). */
  label: string;
  /** Make the database `into` (absent) on the instance's server, holding the source's data. */
  fill: (into: string) => Promise<FillVia>;
  /** The Redis keys that replace those under the instance's prefix; none for a backup (keys stay). */
  keys?: () => Promise<KeyDump[]>;
  /** The backup file name the restore reads: retention never removes it on the way. */
  spare?: string;
  /** The golden template the data was copied from, when it was. */
  template?: string;
}

/** Names beside the instance's database for the incoming copy and the replaced one: unique per database, within 63 bytes. */
export function sideNames(database: string): { incoming: string; replaced: string } {
  const h = createHash('sha256').update(database).digest('hex').slice(0, 16);
  return { incoming: `di_incoming_${h}`, replaced: `di_replaced_${h}` };
}

/** pg_restore of a dump file into an existing, empty database of the instance's server. */
function restoreInto(t: Target, dump: string): (db: string) => Promise<void> {
  const home = databaseHome(t);
  return (db) => home.engine.restoreDatabase(home.set, { ...databaseRef(t), name: db }, dump);
}

/** A new database from a dump: created empty, then pg_restore. */
export function dumpFill(t: Target, dump: string): (into: string) => Promise<FillVia> {
  const restore = restoreInto(t, dump);
  return async (into) => {
    await createDatabase(pgServerOf(t.plan), into);
    await restore(into);
    return 'dump';
  };
}

export function backupSource(t: Target, b: Backup): RestoreSource {
  return { label: b.file, fill: dumpFill(t, join(t.root, b.file)), spare: b.name };
}

/** A snapshot: through its golden template on a shared server, else pg_restore of its dump; and its keys. */
export function snapshotSource(t: Target, s: Snapshot): RestoreSource {
  const files = snapshotFiles(t.root, s);
  // A snapshot of an instance without Redis has no keys: the target's stay as they are.
  const keyFile = files.keys;
  const keys = keyFile === undefined ? {} : { keys: async () => readKeys(keyFile) };
  if (!sharesDatabaseServer(t)) return { label: `snapshot ${s.name}`, fill: dumpFill(t, files.dump), ...keys };
  const of = { root: t.root, name: s.name, takenAt: s.takenAt };
  const build = restoreInto(t, files.dump);
  return {
    label: `snapshot ${s.name}`, ...keys, template: templateName(of).name,
    fill: async (into) => ((await copyFromTemplate(pgServerOf(t.plan), of, build, into)) ? 'template-built' : 'template'),
  };
}
