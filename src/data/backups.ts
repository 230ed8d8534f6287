/**
 * An instance's backups: `pg_dump -Fc` files in .instances/backups/instance-N/ (0600, outside the
 * instance folder, so clean keeps them), the newest few kept. Taken before clean and before restore;
 * listed by `backups`; named by `restore`.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OperationalError, UsageError } from '../errors.js';
import type { DatabaseRef, Engine, EngineTarget } from '../engines/types.js';
import { backupsDir } from '../plan/names.js';
import { pgServerOf } from '../provision/index.js';
import { listDatabases } from '../provision/postgres.js';
import type { DatabaseSlice } from '../slices/database.js';
import { type Target, sharesDatabaseServer } from '../lifecycle/target.js';

export const BACKUPS_KEEP_ENV = 'DEV_INSTANCES_BACKUPS_KEEP';
const DEFAULT_KEEP = 5;
/** `<database>-<UTC time>.dump`, as backups are written. */
export const BACKUP_NAME_RE = /^([a-z_][a-z0-9_]*)-(\d{8}T\d{6})\.dump$/;

export interface Backup {
  /** The file name, as `restore NAME` takes it. */
  name: string;
  /** Relative to the checkout. */
  file: string;
  database: string;
  /** When it was taken (ISO). */
  at: string;
  bytes: number;
  /** The instance whose database it is. */
  instance: number;
}

/** DEV_INSTANCES_BACKUPS_KEEP, checked: how many backups per instance are kept (exit 2 when not 1-1000). */
export function backupsKept(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[BACKUPS_KEEP_ENV];
  if (raw === undefined || raw === '') return DEFAULT_KEEP;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1000) {
    throw new UsageError(`invalid ${BACKUPS_KEEP_ENV} '${raw}': expected how many backups to keep per instance, 1 to 1000`);
  }
  return Number(raw);
}

const stamp = (d = new Date()) => d.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
const isoOf = (s: string) => `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;

/** The instance's backups, newest first. */
export function listBackups(root: string, instance: number): Backup[] {
  const dir = backupsDir(instance);
  let names: string[];
  try { names = readdirSync(join(root, dir)); } catch { return []; }
  return names.flatMap((name) => {
    const m = BACKUP_NAME_RE.exec(name);
    if (!m?.[1] || !m[2]) return [];
    return [{ name, file: `${dir}/${name}`, database: m[1], at: isoOf(m[2]), bytes: statSync(join(root, dir, name)).size, instance }];
  }).sort((a, b) => b.name.slice(-20).localeCompare(a.name.slice(-20)) || b.name.localeCompare(a.name));
}

/**
 * The backup a restore names: the newest without a name; else the file of that name. A name that
 * is no backup's is refused with exit 2, naming what there is.
 */
export function backupNamed(root: string, instance: number, name: string | undefined): Backup {
  const all = listBackups(root, instance);
  if (name === undefined) {
    const newest = all[0];
    if (!newest) throw new OperationalError(`instance ${instance} has no backups in ${backupsDir(instance)}/`, `clean and restore take one on their way; just dev ${instance} backups lists them.`);
    return newest;
  }
  const found = BACKUP_NAME_RE.test(name) ? all.find((b) => b.name === name) : undefined;
  if (!found) {
    const some = all.slice(0, 3).map((b) => b.name).join(', ');
    throw new UsageError(`invalid backup '${name}': expected a file name just dev ${instance} backups lists${some ? ` (${some}${all.length > 3 ? ', …' : ''})` : ' (there are none)'}`);
  }
  return found;
}

/** The engine and set that serve the instance's database: its own, or the shared one. */
export function databaseHome(t: Target): { engine: Engine; set: EngineTarget } {
  return sharesDatabaseServer(t) && t.sharedSet && t.sharedEngine ? { engine: t.sharedEngine, set: t.sharedSet } : { engine: t.engine, set: t.own };
}

/** The instance's database; a declaration without infra.postgres has none, and a command that needs one stops (exit 2). */
export function needDatabase(t: Target, what: string): DatabaseSlice {
  const d = t.plan.database;
  if (!d) throw new UsageError(`${what}: instance ${t.plan.instance} has no database (the declaration has no infra.postgres)`);
  return d;
}

export const databaseRef = (t: Target): DatabaseRef => {
  const d = needDatabase(t, 'no backup');
  return { name: d.name, user: d.user, password: d.password, port: d.port };
};

/**
 * pg_dump -Fc of the instance's database into its backups folder, then the oldest beyond the
 * retention removed (never `spare`: the backup a restore is about to read). Undefined when there is
 * no database to back up. The infrastructure must be up.
 */
export async function backUp(t: Target, spare?: string): Promise<Backup | undefined> {
  const p = t.plan;
  if (!p.database) return undefined;
  const db = databaseRef(t);
  const exists = await listDatabases(pgServerOf(p)).then((dbs) => dbs.includes(db.name), () => undefined);
  if (exists === undefined) throw new OperationalError(`cannot reach Postgres of instance ${p.instance} on port ${db.port} to back it up`);
  if (!exists) return undefined;
  const dir = join(t.root, backupsDir(p.instance));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Names are to the second: a second backup within one (a restore right after a clean) takes the
  // next free second rather than replace the file a restore may be about to read.
  let at = Date.now();
  while (existsSync(join(dir, `${db.name}-${stamp(new Date(at))}.dump`))) at += 1000;
  const name = `${db.name}-${stamp(new Date(at))}.dump`;
  const file = join(dir, name);
  // Its own partial file: another process's backup within the same second never writes into it.
  const tmp = `${file}.${process.pid}.partial`;
  const home = databaseHome(t);
  try {
    await home.engine.dumpDatabase(home.set, db, tmp);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  for (const old of listBackups(t.root, p.instance).slice(backupsKept())) {
    if (old.name !== spare) rmSync(join(t.root, old.file), { force: true });
  }
  return listBackups(t.root, p.instance).find((b) => b.name === name);
}
