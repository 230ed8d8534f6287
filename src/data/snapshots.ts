/**
 * Snapshots: an instance's database (pg_dump -Fc) and its Redis keys (each key under its prefix, with
 * its TTL, as DUMP serializes it), by name, with a manifest. They live in .instances/snapshots/NAME/
 * (0700 folder, 0600 files), belong to no instance, and can be restored into any instance of the
 * checkout (the keys take that instance's prefix). clean never removes one. Temporal namespaces are
 * not in a snapshot (a workflow history belongs to the server that ran it).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OperationalError, UsageError } from '../errors.js';
import { checkoutAt, commitAt } from '../leases/checkout.js';
import { SNAPSHOTS_DIR, isSnapshotName } from '../plan/names.js';
import { redisUrlOf } from '../provision/index.js';
import { type KeyDump, dumpPrefix } from '../provision/redis.js';
import { databaseHome, databaseRef, needDatabase } from './backups.js';
import type { Report } from '../lifecycle/events.js';
import { withServersUp } from '../lifecycle/servers-up.js';
import type { Target } from '../lifecycle/target.js';

const MANIFEST = 'manifest.json';
const DATABASE_FILE = 'database.dump';
const KEYS_FILE = 'redis-keys.jsonl';

export interface SnapshotManifest {
  name: string;
  project: string;
  /** The instance it was taken of. */
  instance: number;
  takenAt: string;
  /** The code the data belongs to: the checkout's branch and commit when it is a git checkout. */
  stack: { branch?: string; commit?: string };
  database: { name: string; file: string; bytes: number };
  /** Absent when the instance had no Redis. */
  redis?: { prefix: string; file: string; keys: number; bytes: number };
  /** What a snapshot does not hold. */
  notIncluded: string[];
}

export interface Snapshot extends SnapshotManifest {
  /** Its folder, relative to the checkout. */
  dir: string;
}

/** A snapshot name as given: exit 2 unless it is a plain folder name. */
export function checkSnapshotName(name: string): string {
  if (!isSnapshotName(name)) {
    throw new UsageError(`invalid snapshot name '${name}': use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit, not digits alone)`);
  }
  return name;
}

export const snapshotDir = (name: string): string => `${SNAPSHOTS_DIR}/${name}`;

function readManifest(root: string, name: string): Snapshot | undefined {
  try {
    const m = JSON.parse(readFileSync(join(root, snapshotDir(name), MANIFEST), 'utf8')) as SnapshotManifest;
    return m.name === name ? { ...m, dir: snapshotDir(name) } : undefined;
  } catch {
    return undefined;
  }
}

/** Every complete snapshot of the checkout, newest first. */
export function listSnapshots(root: string): Snapshot[] {
  let names: string[];
  try { names = readdirSync(join(root, SNAPSHOTS_DIR)); } catch { return []; }
  return names.filter(isSnapshotName).flatMap((n) => readManifest(root, n) ?? []).sort((a, b) => b.takenAt.localeCompare(a.takenAt));
}

/** The snapshot of that name; exit 2, naming what there is, when there is none. */
export function snapshotNamed(root: string, name: string): Snapshot {
  const found = readManifest(root, checkSnapshotName(name));
  if (!found) {
    const some = listSnapshots(root).slice(0, 3).map((s) => s.name).join(', ');
    throw new UsageError(`unknown snapshot '${name}': expected one just dev snapshots lists${some ? ` (${some})` : ' (there are none)'}`);
  }
  return found;
}

/** Remove a snapshot's folder: first out of the listing (renamed to a hidden name), then its files. */
export function removeSnapshot(root: string, s: Snapshot): void {
  const gone = join(root, SNAPSHOTS_DIR, `.${s.name}.${process.pid}.removing`);
  renameSync(join(root, s.dir), gone);
  rmSync(gone, { recursive: true, force: true });
}

/** The paths a restore reads. */
export const snapshotFiles = (root: string, s: Snapshot) => ({ dump: join(root, s.dir, s.database.file), ...(s.redis ? { keys: join(root, s.dir, s.redis.file) } : {}) });

/** Keys as the snapshot file holds them: one JSON object a line, key and value in base64. */
export function readKeys(file: string): KeyDump[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
    const o = JSON.parse(line) as { k: string; t: number; v: string };
    return { key: Buffer.from(o.k, 'base64'), ttlMs: o.t, value: Buffer.from(o.v, 'base64') };
  });
}

const defaultName = (n: number) => `instance-${n}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;

/**
 * snapshot N [NAME]: under the instance's lock, with its infrastructure up (started for the snapshot
 * and stopped again when it was stopped). The database is one consistent pg_dump; the keys are read
 * while apps may write (SCAN is not a point in time).
 */
export async function snapshotInstance(t: Target, name: string | undefined, report: Report): Promise<Snapshot> {
  const p = t.plan;
  needDatabase(t, 'no snapshot');
  const chosen = checkSnapshotName(name ?? defaultName(p.instance));
  if (existsSync(join(t.root, snapshotDir(chosen)))) throw new UsageError(`snapshot '${chosen}' exists: choose another name (just dev snapshots lists them)`);
  if (!t.state) {
    throw new OperationalError(`instance ${p.instance} has no data to snapshot: it was never started here, or it was cleaned`, `Start it first: just dev ${p.instance}`);
  }
  return withServersUp(t, report, () => takeSnapshot(t, chosen));
}

/** Every key under the instance's prefix with its TTL (its Redis must answer); undefined when it has no Redis. */
export async function instanceKeys(t: Target): Promise<KeyDump[] | undefined> {
  if (!t.plan.redis) return undefined;
  return dumpPrefix(redisUrlOf(t.plan), t.plan.redis.keyPrefix).catch((err: Error) => {
    throw new OperationalError(`cannot read instance ${t.plan.instance}'s Redis keys: ${err.message}`, `Is its Redis running? just dev ${t.plan.instance} status`);
  });
}

/**
 * Snapshot the instance (its infrastructure must be up) under a checked, unused name. Written into a
 * hidden folder and renamed into place: a snapshot that is listed is complete.
 */
async function takeSnapshot(t: Target, chosen: string): Promise<Snapshot> {
  const p = t.plan;
  const final = join(t.root, snapshotDir(chosen));
  const tmp = join(t.root, SNAPSHOTS_DIR, `.${chosen}.${process.pid}.partial`);
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  try {
    const home = databaseHome(t);
    const db = needDatabase(t, 'no snapshot');
    const dump = join(tmp, DATABASE_FILE);
    await home.engine.dumpDatabase(home.set, databaseRef(t), dump);
    chmodSync(dump, 0o600);
    const keys = await instanceKeys(t);
    if (keys) {
      const lines = keys.map((k) => JSON.stringify({ k: k.key.toString('base64'), t: k.ttlMs, v: k.value.toString('base64') })).join('\n');
      writeFileSync(join(tmp, KEYS_FILE), lines ? `${lines}\n` : '', { mode: 0o600 });
    }
    const c = checkoutAt(t.root);
    const commit = commitAt(t.root);
    const manifest: SnapshotManifest = {
      name: chosen, project: p.project, instance: p.instance, takenAt: new Date().toISOString(),
      stack: { ...(c.branch ? { branch: c.branch } : {}), ...(commit ? { commit } : {}) },
      database: { name: db.name, file: DATABASE_FILE, bytes: statSync(dump).size },
      ...(keys && p.redis ? { redis: { prefix: p.redis.keyPrefix, file: KEYS_FILE, keys: keys.length, bytes: keys.reduce((n, k) => n + k.value.length, 0) } } : {}),
      notIncluded: [
        ...(p.temporal ? ['the Temporal namespace (workflow histories stay with the server that ran them)'] : []),
        ...(p.bucket ? [`the S3 bucket ${p.bucket.name}`] : []),
      ],
    };
    writeFileSync(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, final);
    return { ...manifest, dir: snapshotDir(chosen) };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
