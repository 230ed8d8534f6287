/**
 * clean N: back the database up (a pg_dump kept outside the instance folder, the last 5 kept), then
 * stop the instance and drop its database, namespace, Redis keys, own volumes or data and its folder.
 * Nothing of another instance, nor the shared set itself, is touched.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationalError } from '../cli/errors.js';
import type { StackDeclaration } from '../config/types.js';
import { composeArgs } from '../engines/docker.js';
import type { Engine, EngineTarget } from '../engines/types.js';
import { INSTANCES_DIR, type InstancePlan } from '../plan/plan.js';
import { unprovision } from '../provision/index.js';
import { listDatabases } from '../provision/postgres.js';
import { readState } from './state.js';
import { upShared } from './start.js';
import { planAsStarted, stopInstance } from './stop.js';

export const BACKUPS_DIR = `${INSTANCES_DIR}/backups`;
export const BACKUPS_KEPT = 5;

export interface CleanOptions {
  backup: boolean;
  note: (line: string) => void;
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 20 }, (err, _out, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new OperationalError(missing ? `${cmd} not found` : `${cmd} failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
        missing ? 'Install the PostgreSQL client (apt-get install postgresql-client), or clean with --no-backup.' : undefined));
    });
  });
}

/** Run cmd with its standard output going to file (no shell in between). */
function dumpTo(file: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const fd = openSync(file, 'w', 0o600);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', fd, 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr?.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new OperationalError(`${cmd} ${args.slice(-3).join(' ')} failed: ${stderr.trim().split('\n').pop() ?? ''}`))));
  }).finally(() => closeSync(fd));
}

/** pg_dump -Fc of the instance's database to .instances/backups/instance-N/, keeping the newest few. */
async function backup(decl: StackDeclaration, p: InstancePlan, engine: Engine, root: string): Promise<string | undefined> {
  const server = { host: '127.0.0.1', port: p.database.port, user: p.database.user, password: p.database.password };
  const exists = await listDatabases(server).then((dbs) => dbs.includes(p.database.name), () => undefined);
  if (exists === undefined) throw new OperationalError(`cannot reach Postgres of instance ${p.instance} on port ${p.database.port} to back it up`);
  if (!exists) return undefined;
  const dir = join(root, BACKUPS_DIR, `instance-${p.instance}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${p.database.name}-${stamp()}.dump`);
  const tmp = `${file}.partial`;
  if (engine.name === 'docker' && !p.ports.find((x) => x.id === decl.infra.postgres.service)?.shared) {
    // The server's own pg_dump inside its container: always the matching version.
    const args = composeArgs({ decl, scope: p.infra, root } as EngineTarget, 'exec', '-T', 'postgres', 'pg_dump', '-U', p.database.user, '-Fc', p.database.name);
    await dumpTo(tmp, 'docker', args, { COMPOSE_PROJECT_NAME: p.composeProject });
  } else {
    await run('pg_dump', ['-Fc', '-f', tmp, '-h', '127.0.0.1', '-p', String(p.database.port), '-U', p.database.user, p.database.name],
      { PGPASSWORD: p.database.password });
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  const old = readdirSync(dir).filter((f) => f.endsWith('.dump')).sort().reverse().slice(BACKUPS_KEPT);
  for (const f of old) rmSync(join(dir, f), { force: true });
  return file;
}

export async function cleanInstance(decl: StackDeclaration, n: number, root: string, opts: CleanOptions): Promise<void> {
  const { plan: p, engine } = planAsStarted(decl, n, root);
  const own: EngineTarget = { decl, scope: p.infra, root };
  const usesShared = p.sharedInfra !== undefined;
  // The database must be reachable to back it up and drop it: bring the instance's own infrastructure up.
  const started = readState(root, p.dir) !== undefined || statExists(join(root, p.dir, 'data'));
  if (started) {
    if (p.sharedInfra) await upShared(engine, { decl, scope: p.sharedInfra, root }, readState(root, p.dir)?.shared ?? [], opts.note);
    await engine.up(own);
    if (opts.backup) {
      const file = await backup(decl, p, engine, root);
      opts.note(file ? `backed up ${p.database.name} to ${file.slice(root.length + 1)}` : `no database ${p.database.name} to back up`);
    }
    const dropped = await unprovision(p, !(readState(root, p.dir)?.unavailable ?? []).includes('temporal')).catch((err: Error) => {
      if (usesShared) throw err; // the shared servers keep the data: dropping must succeed
      return undefined; // own servers: their data goes with them below
    });
    if (dropped) opts.note(`dropped database ${p.database.name}, ${dropped.keys} Redis key(s)${dropped.namespace === true ? `, namespace ${p.temporal.namespace}` : ''}`);
  }
  await stopInstance(decl, n, root, opts.note);
  await engine.removeData(own);
  await rm(join(root, p.dir), { recursive: true, force: true });
  opts.note(`removed ${p.dir}/`);
}

function statExists(path: string): boolean {
  try { statSync(path); return true; } catch { return false; }
}
