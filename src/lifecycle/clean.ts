/**
 * clean N: back the database up (a pg_dump kept outside the instance folder, the newest few kept),
 * then stop the instance and drop its database, namespace, Redis keys, own volumes or data and its
 * folder. Nothing of another instance, nor the shared set itself, is touched.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationalError } from '../errors.js';
import { releaseInstance } from '../leases/assign.js';
import { backupsDir, instanceDataDir } from '../plan/names.js';
import { unprovision } from '../provision/index.js';
import { listDatabases } from '../provision/postgres.js';
import type { Report } from './events.js';
import { upShared } from './shared.js';
import { stopInstance } from './stop.js';
import type { Target } from './target.js';

export const BACKUPS_KEPT = 5;

export interface CleanOptions {
  backup: boolean;
  report: Report;
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');

/** The engine and set that serve the instance's database: its own, or the shared one. */
function databaseHome(t: Target) {
  const shared = t.plan.ports.find((x) => x.id === t.decl.infra.postgres.service)?.shared;
  return shared && t.sharedSet && t.sharedEngine ? { engine: t.sharedEngine, set: t.sharedSet } : { engine: t.engine, set: t.own };
}

/** pg_dump -Fc of the instance's database to .instances/backups/instance-N/, keeping the newest few. */
async function backup(t: Target): Promise<string | undefined> {
  const p = t.plan;
  const db = { name: p.database.name, user: p.database.user, password: p.database.password, port: p.database.port };
  const exists = await listDatabases({ host: '127.0.0.1', ...db }).then((dbs) => dbs.includes(db.name), () => undefined);
  if (exists === undefined) throw new OperationalError(`cannot reach Postgres of instance ${p.instance} on port ${db.port} to back it up`);
  if (!exists) return undefined;
  const dir = join(t.root, backupsDir(p.instance));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${db.name}-${stamp()}.dump`);
  const tmp = `${file}.partial`;
  const home = databaseHome(t);
  try {
    await home.engine.dumpDatabase(home.set, db, tmp);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  const old = readdirSync(dir).filter((f) => f.endsWith('.dump')).sort().reverse().slice(BACKUPS_KEPT);
  for (const f of old) rmSync(join(dir, f), { force: true });
  return file;
}

export async function cleanInstance(t: Target, opts: CleanOptions): Promise<void> {
  const p = t.plan;
  // The database must be reachable to back it up and drop it: bring the instance's own infrastructure
  // up. Also when its folder (and so its state) was deleted by hand but an engine outside the checkout
  // (docker volumes) still holds its data.
  const known = t.state !== undefined || existsSync(join(t.root, instanceDataDir(p.dir)));
  if (known || (!t.engine.underPm2 && (await t.engine.databasePresent(t.own)))) {
    if (t.sharedSet && t.sharedEngine) await upShared(t.sharedEngine, t.sharedSet, [...t.shared], opts.report);
    await t.engine.up(t.own);
    if (opts.backup) {
      const file = await backup(t);
      opts.report(file ? { kind: 'backed-up', database: p.database.name, file: file.slice(t.root.length + 1) } : { kind: 'nothing-to-back-up', database: p.database.name });
    }
    const dropped = await unprovision(p, !(t.state?.unavailable ?? []).includes('temporal')).catch((err: Error) => {
      if (t.sharedSet) throw err; // the shared servers keep the data: dropping must succeed
      return undefined; // own servers: their data goes with them below
    });
    if (dropped) {
      opts.report({ kind: 'dropped', database: p.database.name, keys: dropped.keys, ...(dropped.namespace === true ? { namespace: p.temporal.namespace } : {}) });
    }
  }
  await stopInstance(t, opts.report);
  await t.engine.removeData(t.own);
  await rm(join(t.root, p.dir), { recursive: true, force: true });
  opts.report({ kind: 'removed', dir: p.dir });
  // Nothing of the instance is left: its number goes back for any checkout to take.
  if (await releaseInstance(p.project, t.root, p.instance)) opts.report({ kind: 'released', instance: p.instance });
}
