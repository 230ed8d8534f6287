/**
 * pg_dump and pg_restore as both engines run them. A dump waits at most a lock-wait time for the
 * shared locks it takes (an app holding a table in an open transaction then fails the backup with
 * Postgres's own words instead of hanging it while it holds the instance's lock), and both have a
 * deadline.
 */

/** A whole dump or restore, however large, within this; else it is stopped and said so. */
export const DUMP_DEADLINE_MS = 30 * 60_000;

/** How long pg_dump waits for a table's lock: DEV_INSTANCES_PG_LOCK_WAIT (Postgres's units: 30s, 500ms), 30 s by default. */
export const lockWait = (env: NodeJS.ProcessEnv = process.env): string => env.DEV_INSTANCES_PG_LOCK_WAIT || '30s';

/** pg_dump's arguments for one database, custom format, with the lock wait. */
export const dumpArgs = (db: { user: string; name: string }): string[] => ['-Fc', `--lock-wait-timeout=${lockWait()}`, '-U', db.user, db.name];

export const DUMP_HINT = 'If an app holds a table in an open transaction, end it (or stop the apps: just dev N stop) and try again; '
  + 'DEV_INSTANCES_PG_LOCK_WAIT sets how long a dump waits for a lock.';
