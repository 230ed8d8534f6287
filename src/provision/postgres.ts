/**
 * One Postgres database per instance: an idempotent, concurrency-safe ensure and a forced drop.
 * Connects to the server's maintenance database; never touches any database but the one named.
 */
import pg from 'pg';
import { DUMP_DEADLINE_MS } from '../engines/dump.js';
import { OperationalError } from '../errors.js';
import { onInterrupt, stopIfInterrupted } from '../proc/interrupt.js';
import { trace } from '../trace.js';
import { DATABASE_NAME_RE, MAX_IDENTIFIER_BYTES } from '../plan/names.js';

export interface PgServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

// CREATE DATABASE has no IF NOT EXISTS. A sequential duplicate gets 42P04 (duplicate_database); a
// creator racing another one gets 23505 on pg_database_datname_index. Both mean "it exists".
const EXISTS_CODES = new Set(['42P04', '23505']);

export function checkDatabaseName(name: string): void {
  if (!DATABASE_NAME_RE.test(name)) {
    throw new Error(`invalid database name '${name}': use lower-case letters, digits and underscore, not starting with a digit`);
  }
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    // Postgres would silently truncate it, and two long names could become one database.
    throw new Error(`invalid database name '${name}': longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  }
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function withClient<T>(server: PgServer, fn: (c: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const client = new pg.Client({
    host: server.host, port: server.port, user: server.user, password: server.password,
    database, connectionTimeoutMillis: 5_000,
  });
  // A backend terminated under us (DROP ... WITH (FORCE), a server stop) must not crash the process.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Returns true when this call created the database. */
export async function ensureDatabase(server: PgServer, name: string): Promise<boolean> {
  checkDatabaseName(name);
  return withClient(server, async (c) => {
    const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      // template0: another session connected to template1 would make CREATE fail with 55006.
      await c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
      return true;
    } catch (err) {
      if (EXISTS_CODES.has((err as { code?: string }).code ?? '')) return false;
      throw err;
    }
  });
}

/** Returns true when a database was dropped. Sessions still connected to it are terminated. */
export async function dropDatabase(server: PgServer, name: string): Promise<boolean> {
  checkDatabaseName(name);
  return withClient(server, async (c) => {
    const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!found.rowCount) return false;
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    return true;
  });
}

export async function listDatabases(server: PgServer): Promise<string[]> {
  return withClient(server, async (c) =>
    (await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1')).rows.map((r) => r.datname));
}

/** Readiness: the server accepts a connection and answers a query. */
export async function pgAnswers(server: PgServer): Promise<void> {
  await withClient(server, (c) => c.query('SELECT 1'));
}

/**
 * A cluster made before the tool gave its servers the machine's password still asks for the
 * declaration's: log in with that one and set the new one (for the same user). Whether it could.
 */
export async function adoptPassword(server: PgServer, before: string): Promise<boolean> {
  try {
    await withClient({ ...server, password: before }, (c) => c.query(`ALTER ROLE ${quoteIdent(server.user)} WITH PASSWORD ${c.escapeLiteral(server.password)}`));
    return true;
  } catch {
    return false;
  }
}

/** A new, empty database (from template0), owned by the server's user; it must not exist yet. */
export async function createDatabase(server: PgServer, name: string): Promise<void> {
  checkDatabaseName(name);
  await withClient(server, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`));
}

const SWAP_TRIES = 5;

/**
 * incoming takes live's name in one transaction (both renames or neither); the old live database is
 * dropped afterwards. Sessions connected to live are ended first (a rename needs none); one that
 * slips in between makes the transaction fail, and it is tried again. live may be absent.
 */
export async function swapDatabase(server: PgServer, live: string, incoming: string, old: string): Promise<void> {
  for (const name of [live, incoming, old]) checkDatabaseName(name);
  await withClient(server, async (c) => {
    for (let attempt = 1; ; attempt++) {
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [live]);
      await c.query('BEGIN');
      try {
        const exists = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [live])).rowCount;
        if (exists) await c.query(`ALTER DATABASE ${quoteIdent(live)} RENAME TO ${quoteIdent(old)}`);
        await c.query(`ALTER DATABASE ${quoteIdent(incoming)} RENAME TO ${quoteIdent(live)}`);
        await c.query('COMMIT');
        break;
      } catch (err) {
        await c.query('ROLLBACK');
        // 55006: object_in_use (a session connected again between the end and the rename).
        if ((err as { code?: string }).code !== '55006' || attempt >= SWAP_TRIES) throw err;
      }
    }
    trace('swap: renamed');
    // The swap stands from here: a replaced database that cannot be dropped now is dropped by the next restore.
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(old)} WITH (FORCE)`).then(() => trace('swap: replaced database dropped'), () => trace('swap: replaced database left'));
  });
}

/** Sessions connected to a database now (other than ours). */
export async function sessionsOn(server: PgServer, name: string): Promise<number> {
  return withClient(server, async (c) =>
    Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name])).rows[0]?.n ?? 0));
}

export async function databaseExists(server: PgServer, name: string): Promise<boolean> {
  return withClient(server, async (c) => Boolean((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount));
}

export type CopyStrategy = 'FILE_COPY' | 'WAL_LOG';

/**
 * A new database `to` with `from`'s data, made by the server itself (CREATE DATABASE … TEMPLATE):
 * FILE_COPY copies the files after one checkpoint, WAL_LOG (Postgres 15's default) copies block by
 * block through the WAL. Nobody may be connected to `from` meanwhile: Postgres waits 5 s for its
 * sessions to go, then fails with 55006. Before Postgres 15 there is no choice (files are copied).
 */
export async function copyDatabase(server: PgServer, from: string, to: string, strategy: CopyStrategy = 'FILE_COPY'): Promise<void> {
  checkDatabaseName(from);
  checkDatabaseName(to);
  await withClient(server, async (c) => {
    const version = (await c.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v")).rows[0]?.v ?? 0;
    const how = version >= 150000 ? ` STRATEGY ${strategy}` : '';
    await c.query(`CREATE DATABASE ${quoteIdent(to)} TEMPLATE ${quoteIdent(from)}${how}`);
  });
}

export async function renameDatabase(server: PgServer, from: string, to: string): Promise<void> {
  checkDatabaseName(from);
  checkDatabaseName(to);
  await withClient(server, (c) => c.query(`ALTER DATABASE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`));
}

/** VACUUM (FREEZE, ANALYZE) of a whole database: every tuple frozen, visible to all, with statistics. */
export async function vacuumFreeze(server: PgServer, name: string): Promise<void> {
  checkDatabaseName(name);
  await withClient(server, (c) => c.query('VACUUM (FREEZE, ANALYZE)'), name);
}

/** Whether anyone may connect to the database: a template nobody can connect to never blocks a copy. */
export async function allowConnections(server: PgServer, name: string, allow: boolean): Promise<void> {
  checkDatabaseName(name);
  await withClient(server, (c) => c.query(`ALTER DATABASE ${quoteIdent(name)} WITH ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`));
}

/**
 * fn while holding a server-wide advisory lock named `key`: one holder at a time, across processes
 * and checkouts that share the server. Released when fn ends or the session dies. The wait for it has
 * a deadline (a holder may build a template: as long as a restore), whose error names the lock and
 * the session holding it.
 */
export async function withServerLock<T>(server: PgServer, key: string, fn: () => Promise<T>, waitMs = DUMP_DEADLINE_MS): Promise<T> {
  return withClient(server, async (c) => {
    // A signal ends the wait: the server is told to cancel it (a closed socket alone would leave it waiting).
    const cancel = onInterrupt(() => { void withClient(server, (k) => k.query('SELECT pg_cancel_backend($1)', [(c as unknown as { processID: number }).processID])).catch(() => {}); });
    try {
      stopIfInterrupted();
      await c.query(`SET lock_timeout = ${Math.max(1, Math.round(waitMs))}`);
      await c.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      await c.query('SET lock_timeout = 0');
    } catch (err) {
      stopIfInterrupted();
      if ((err as { code?: string }).code !== '55P03') throw err;
      const holder = (await c.query<{ pid: number; app: string }>(`SELECT l.pid, a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`, [key]).catch(() => undefined))?.rows[0];
      throw new OperationalError(`waited ${Math.round(waitMs / 1000)} s for the server lock ${key} on port ${server.port}${holder ? `, held by the session of pid ${holder.pid}${holder.app ? ` (${holder.app})` : ''}` : ''}`,
        'Another command is building or copying the same golden template; let it finish, or end that session, and try again.');
    } finally {
      cancel();
    }
    try {
      return await fn();
    } finally {
      await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => {});
    }
  });
}

/** Databases whose names start with `prefix` (letters, digits and underscore only). */
export async function databasesNamed(server: PgServer, prefix: string): Promise<string[]> {
  checkDatabaseName(prefix);
  return withClient(server, async (c) =>
    (await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1', [prefix])).rows.map((r) => r.datname));
}
