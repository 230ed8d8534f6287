/**
 * The docker engine: the instance's infrastructure as a compose project, `<project>-dev-N`, from the
 * base file plus the instance's generated override. COMPOSE_PROJECT_NAME is exported as well as
 * --project-name so a stray .env cannot redirect the volumes.
 */
import { join } from 'node:path';
import { writeComposeOverride } from '../materialize.js';
import { composeVolumeName } from '../plan/names.js';
import { type RunResult, commandLine, run, streamLines } from '../proc/run.js';
import type { Engine, EngineTarget, ServiceState, UpReport } from './types.js';

export const COMPOSE_BASE_FILE = 'docker/docker-compose.infra.yml';
/** The named volume of the Postgres service in the base file. */
const POSTGRES_VOLUME = 'postgres_data';

export function runDocker(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<RunResult> {
  return run('docker', args, { env, timeoutMs, reject: false });
}

/** `docker compose --project-name P -f base -f override ACTION...` for one instance. Pure. */
export function composeArgs(t: EngineTarget, ...action: string[]): string[] {
  return [
    'compose', '--project-name', t.scope.composeProject,
    '-f', join(t.root, COMPOSE_BASE_FILE), '-f', join(t.root, t.scope.files.composeOverride),
    ...action,
  ];
}

const projectEnv = (t: EngineTarget) => ({ COMPOSE_PROJECT_NAME: t.scope.composeProject });

async function compose(t: EngineTarget, action: string[]): Promise<RunResult> {
  await writeComposeOverride(t.root, t.scope); // the file the command names must say what the plan says
  return run('docker', composeArgs(t, ...action), { env: projectEnv(t), timeoutMs: 600_000 });
}

export interface DockerProbe {
  ok: boolean;
  serverVersion?: string;
  composeVersion?: string;
  /** What is missing, in words a user can act on. */
  problem?: string;
  /** The client's own words, for when docker was asked for explicitly. */
  detail?: string;
}

/** Does a Docker engine answer, and is Compose v2 (which has `up --wait`) installed? */
export async function probeDocker(): Promise<DockerProbe> {
  const server = await runDocker(['version', '--format', '{{.Server.Version}}'], {}, 10_000);
  if (server.code === 127) return { ok: false, problem: 'the docker client is not installed' };
  if (server.code !== 0 || !server.stdout.trim()) {
    const why = server.stderr.trim().split('\n').pop() ?? '';
    return { ok: false, problem: 'no Docker engine answers', ...(why ? { detail: why } : {}) };
  }
  const serverVersion = server.stdout.trim();
  const c = await runDocker(['compose', 'version', '--short'], {}, 10_000);
  if (c.code !== 0) {
    return { ok: false, serverVersion, problem: 'Docker Compose v2 is not installed (the docker compose plugin; docker-compose 1.x lacks up --wait)' };
  }
  return { ok: true, serverVersion, composeVersion: c.stdout.trim().replace(/^v/, '') };
}

interface PsRow {
  Service?: string;
  Name?: string;
  State?: string;
  Health?: string;
  Publishers?: { PublishedPort?: number; TargetPort?: number }[];
}

const nameOf = (r: PsRow) => r.Name ?? r.Service ?? '';

/** `compose ps --format json` prints one JSON object per line (v2.21+) or one array (older v2). */
async function psRows(t: EngineTarget): Promise<PsRow[]> {
  const text = (await compose(t, ['ps', '--all', '--format', 'json'])).stdout.trim();
  if (!text) return [];
  if (text.startsWith('[')) return JSON.parse(text) as PsRow[];
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsRow);
}

/** The compose service of the declaration's Postgres. */
const postgresService = (t: EngineTarget) =>
  t.decl.services[t.decl.infra.postgres.service]?.container?.service ?? t.decl.infra.postgres.service;

export const dockerEngine: Engine = {
  name: 'docker',
  underPm2: false,

  async inspect() {
    return { unavailable: [], missing: [] };
  },

  async up(t) {
    const before = await psRows(t);
    // Only this set's services: with shared infrastructure the rest run in the shared project.
    // (A compose dependency of a listed service still starts inside this project, unpublished.)
    await compose(t, ['up', '--detach', '--wait', ...t.scope.services]);
    const running = before.filter((r) => r.State === 'running').map(nameOf);
    const after = await psRows(t);
    const report: UpReport = { started: after.map(nameOf).filter((n) => !running.includes(n)), alreadyRunning: running, unavailable: [] };
    return report;
  },

  async stop(t) {
    const wasRunning = (await psRows(t)).some((r) => r.State === 'running');
    await compose(t, ['stop']);
    return wasRunning;
  },

  async down(t) {
    await compose(t, ['down', '--remove-orphans']);
  },

  async removeData(t) {
    await compose(t, ['down', '--volumes', '--remove-orphans']);
  },

  async status(t) {
    return (await psRows(t)).map((r): ServiceState => ({
      service: r.Service ?? '',
      process: r.Name ?? '',
      port: r.Publishers?.find((p) => p.PublishedPort)?.PublishedPort ?? 0,
      state: r.State === 'running' ? (r.Health === 'starting' ? 'starting' : 'online') : r.State === 'exited' ? 'stopped' : 'errored',
    }));
  },

  async databasePresent(t) {
    const volume = composeVolumeName(t.scope.composeProject, POSTGRES_VOLUME);
    return (await runDocker(['volume', 'inspect', volume], {}, 10_000)).code === 0;
  },

  async dumpDatabase(t, db, file) {
    // The server's own pg_dump inside its container: always the matching version.
    await writeComposeOverride(t.root, t.scope);
    await run('docker', composeArgs(t, 'exec', '-T', postgresService(t), 'pg_dump', '-U', db.user, '-Fc', db.name),
      { env: projectEnv(t), stdoutFile: file });
  },

  async processMarks() {
    return []; // containers hold published ports through docker-proxy, which is never ours to signal
  },

  async logs(t, opts, onLine) {
    const args = composeArgs(t, 'logs', '--no-color', '--tail', String(opts.lines), ...(opts.follow ? ['--follow'] : []));
    return streamLines('docker', args, (l) => onLine(t.scope.composeProject, l), { env: projectEnv(t) });
  },

  async describe(t, action) {
    const words = { up: ['up', '--detach', '--wait', ...t.scope.services], stop: ['stop'], 'remove-data': ['down', '--volumes', '--remove-orphans'] }[action];
    return [`COMPOSE_PROJECT_NAME=${t.scope.composeProject} ${commandLine('docker', composeArgs(t, ...words))}`];
  },
};
