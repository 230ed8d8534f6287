/**
 * clone M N: instance M gets a copy of instance N's data (its database and the keys under its
 * prefix) as they are now, and N is not disturbed. This takes the copy of N, under N's lock; the
 * restore into M (restore.ts: backup first, all or nothing) then runs under M's lock, so no clone
 * ever holds two instances' locks.
 *
 * How N's database is copied:
 * - N on the Postgres server M uses, its apps stopped and nobody connected to it: the server copies
 *   the files (CREATE DATABASE … TEMPLATE N's database STRATEGY FILE_COPY) into a database of the
 *   clone's own, which M's restore then only renames.
 * - otherwise (N's apps running, or another server): pg_dump, which reads one consistent snapshot
 *   and blocks no writer, into a file; M's restore runs pg_restore of it. (A copy by the server
 *   would make every new connection of N's apps wait until it is done.)
 * The keys are read with SCAN + DUMP while N may write (not a point in time, as for a snapshot).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { OperationalError } from '../errors.js';
import { INSTANCES_DIR } from '../plan/names.js';
import { trace } from '../trace.js';
import { withPm2 } from '../pm2/client.js';
import { markAlive, processStart } from '../proc/alive.js';
import { pgServerOf } from '../provision/index.js';
import { copyDatabase, databasesNamed, dropDatabase, renameDatabase, sessionsOn } from '../provision/postgres.js';
import { databaseHome, databaseRef, needDatabase } from './backups.js';
import type { Report } from '../lifecycle/events.js';
import { withServersUp } from '../lifecycle/servers-up.js';
import { instanceKeys } from './snapshots.js';
import { type RestoreSource, dumpFill } from './sources.js';
import type { Target } from '../lifecycle/target.js';

export interface TakenCopy {
  source: RestoreSource;
  /** Removes what the copy left (its dump file, or its database when M's restore did not take it). */
  dispose: () => Promise<void>;
}

/** `di_clone_<M's database>_<pid>_<its start time>`: the server-side copy before M's restore takes it. */
export const cloneFamily = (into: string): string => `di_clone_${createHash('sha256').update(into).digest('hex').slice(0, 12)}_`;

/** This process, as a clone's copy names its maker: a pid reused by another process after a crash is not taken for it. */
const maker = (): string => `${process.pid}_${processStart(process.pid) ?? '0'}`;

/** Whether the process that named a copy (the part of its name after the family) still runs. */
function makerAlive(mark: string): boolean {
  const [pid, start] = mark.split('_');
  return markAlive(Number(pid), start === undefined || start === '0' ? undefined : start);
}

/** A clone's source must have run here (its database and prefix exist): refused before anything starts. */
export function requireSource(from: Target): void {
  const n = from.plan.instance;
  if (!from.state) {
    throw new OperationalError(`instance ${n} has no data to clone: it was never started here, or it was cleaned`, `Start it first: just dev ${n}`);
  }
  needDatabase(from, 'nothing to clone');
}

export async function takeCopy(from: Target, to: Target, report: Report): Promise<TakenCopy> {
  requireSource(from);
  needDatabase(to, 'nothing to clone into');
  return withServersUp(from, report, async () => {
    trace('clone: source servers up');
    const [keys, running] = await Promise.all([instanceKeys(from), appsOnline(from)]);
    trace('clone: keys read');
    const copy = (running ? undefined : await serverCopy(from, to)) ?? await dumpCopy(from, to);
    trace('clone: copy taken');
    return { ...copy, source: { ...copy.source, ...(keys ? { keys: async () => keys } : {}) } };
  });
}

async function appsOnline(t: Target): Promise<boolean> {
  const names = new Set(t.plan.apps.map((a) => a.pm2Name));
  return withPm2(async (pm2) => (await pm2.list()).some((x) => names.has(x.name) && x.status === 'online'));
}

/** The server copies N's database: only on M's server, and only while nobody is connected to it. */
async function serverCopy(from: Target, to: Target): Promise<TakenCopy | undefined> {
  const server = pgServerOf(from.plan);
  if (server.port !== pgServerOf(to.plan).port) return undefined;
  const family = cloneFamily(needDatabase(to, 'nothing to clone into').name);
  // What a clone killed on the way left (its process is gone).
  for (const old of await databasesNamed(server, family)) {
    if (!makerAlive(old.slice(family.length))) await dropDatabase(server, old);
  }
  const source = needDatabase(from, 'nothing to clone').name;
  if ((await sessionsOn(server, source)) > 0) return undefined;
  const copy = `${family}${maker()}`;
  try {
    await copyDatabase(server, source, copy);
  } catch (err) {
    // 55006: someone connected in between; pg_dump does not mind them.
    if ((err as { code?: string }).code === '55006') return undefined;
    throw err;
  }
  return {
    source: { label: `instance ${from.plan.instance}`, fill: async (into) => { await renameDatabase(server, copy, into); return 'copy'; } },
    dispose: async () => { await dropDatabase(server, copy); },
  };
}

/** pg_dump of N's database into a file of the clone's own, for pg_restore into M. */
async function dumpCopy(from: Target, to: Target): Promise<TakenCopy> {
  const dir = join(to.root, INSTANCES_DIR, `.clone-${to.plan.instance}-${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dispose = async () => rmSync(dir, { recursive: true, force: true });
  try {
    const dump = join(dir, 'database.dump');
    const home = databaseHome(from);
    await home.engine.dumpDatabase(home.set, databaseRef(from), dump);
    return { source: { label: `instance ${from.plan.instance}`, fill: dumpFill(to, dump) }, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
