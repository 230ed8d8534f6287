/**
 * The docker engine: the instance's infrastructure as a compose project, `<project>-dev-N`, from the
 * base file plus the instance's generated override. COMPOSE_PROJECT_NAME is exported as well as
 * --project-name so a stray .env cannot redirect the volumes.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { OperationalError } from '../cli/errors.js';
import type { Engine, EngineTarget, ServiceState, UpReport } from './types.js';

export const COMPOSE_BASE_FILE = 'docker/docker-compose.infra.yml';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runDocker(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile('docker', args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === 127 ? err.message : '') });
    });
  });
}

/** `docker compose --project-name P -f base -f override ACTION...` for one instance. Pure. */
export function composeArgs(t: EngineTarget, ...action: string[]): string[] {
  return [
    'compose', '--project-name', t.scope.composeProject,
    '-f', join(t.root, COMPOSE_BASE_FILE), '-f', join(t.root, t.scope.files.composeOverride),
    ...action,
  ];
}

async function compose(t: EngineTarget, action: string[], what: string): Promise<RunResult> {
  const r = await runDocker(composeArgs(t, ...action), { COMPOSE_PROJECT_NAME: t.scope.composeProject });
  if (r.code !== 0) {
    throw new OperationalError(
      `docker compose ${what} failed for ${t.scope.composeProject} (exit ${r.code})`,
      r.stderr.trim().split('\n').slice(-15).join('\n') || undefined,
    );
  }
  return r;
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

export const dockerEngine: Engine = {
  name: 'docker',

  async up(t) {
    const before = await psRows(t);
    // Only this set's services: with shared infrastructure the rest run in the shared project.
    // (A compose dependency of a listed service still starts inside this project, unpublished.)
    await compose(t, ['up', '--detach', '--wait', ...t.scope.services], 'up');
    const running = before.filter((r) => r.State === 'running').map((r) => r.Name ?? r.Service ?? '');
    const after = await psRows(t);
    const report: UpReport = {
      started: after.map((r) => r.Name ?? r.Service ?? '').filter((n) => !running.includes(n)),
      alreadyRunning: running,
      unavailable: [],
    };
    return report;
  },

  async stop(t) {
    await compose(t, ['stop'], 'stop');
  },

  async down(t) {
    await compose(t, ['down', '--remove-orphans'], 'down');
  },

  async removeData(t) {
    await compose(t, ['down', '--volumes', '--remove-orphans'], 'down --volumes');
  },

  async status(t) {
    const rows = await psRows(t);
    return rows.map((r): ServiceState => ({
      service: r.Service ?? '',
      process: r.Name ?? '',
      port: r.Publishers?.find((p) => p.PublishedPort)?.PublishedPort ?? 0,
      state: r.State === 'running' ? (r.Health === 'starting' ? 'starting' : 'online') : r.State === 'exited' ? 'stopped' : 'errored',
    }));
  },
};

/** `compose ps --format json` prints one JSON object per line (v2.21+) or one array (older v2). */
async function psRows(t: EngineTarget): Promise<PsRow[]> {
  const r = await compose(t, ['ps', '--all', '--format', 'json'], 'ps');
  const text = r.stdout.trim();
  if (!text) return [];
  if (text.startsWith('[')) return JSON.parse(text) as PsRow[];
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsRow);
}
