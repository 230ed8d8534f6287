/**
 * Is there a Docker engine, and which compose: asked before an engine is chosen, so this module
 * loads none of the docker engine's own (its compose files, YAML).
 */
import { onPath } from '../../proc/on-path.js';
import { type RunResult, run } from '../../proc/run.js';
import { HOST_DEADLINE_MS } from './placement.js';

export function runDocker(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<RunResult> {
  return run('docker', args, { env, timeoutMs, reject: false });
}

/** How compose is called here: v2 as a docker plugin, or v1 as its own program. */
export interface ComposeCli {
  program: string;
  /** Words before compose's own arguments (`compose` for the plugin). */
  prefix: string[];
  version: string;
  major: 1 | 2;
}

/**
 * Compose v2 where the plugin answers, else v1 where `docker-compose` is on PATH; undefined when
 * neither is. v1 is not asked for its version: it is a Python program that takes over half a second
 * to start, paid again by every command.
 */
export async function detectCompose(): Promise<ComposeCli | undefined> {
  const v2 = await runDocker(['compose', 'version', '--short'], {}, 10_000);
  if (v2.code === 0 && v2.stdout.trim()) return { program: 'docker', prefix: ['compose'], version: v2.stdout.trim().replace(/^v/, ''), major: 2 };
  if (onPath('docker-compose')) return { program: 'docker-compose', prefix: [], version: 'v1', major: 1 };
  return undefined;
}

// Which compose a machine has does not change while a command runs: ask once per command.
let composeCli: Promise<ComposeCli | undefined> | undefined;
export const composeOnce = () => (composeCli ??= detectCompose());

export interface DockerProbe {
  ok: boolean;
  serverVersion?: string;
  composeVersion?: string;
  /** What is missing, in words a user can act on. */
  problem?: string;
  /** The client's own words, for when docker was asked for explicitly. */
  detail?: string;
}

/** Does a Docker engine answer (this machine's, or the one env's DOCKER_HOST names), and is compose (v2, or else v1) installed? */
export async function probeDocker(env: Record<string, string> = {}): Promise<DockerProbe> {
  const composing = composeOnce(); // asked meanwhile: both mostly wait for a process
  composing.catch(() => {});
  const deadline = env.DOCKER_HOST ? HOST_DEADLINE_MS : 10_000;
  const server = await runDocker(['version', '--format', '{{.Server.Version}}'], env, deadline);
  if (server.code === 127) return { ok: false, problem: 'the docker client is not installed' };
  if (server.code !== 0 || !server.stdout.trim()) {
    const why = server.timedOut ? `no answer in ${deadline / 1000} s` : server.stderr.trim().split('\n').pop() ?? '';
    return { ok: false, problem: 'no Docker engine answers', ...(why ? { detail: why } : {}) };
  }
  const serverVersion = server.stdout.trim();
  const cli = await composing;
  if (!cli) return { ok: false, serverVersion, problem: 'Docker Compose is not installed (neither the docker compose plugin nor docker-compose)' };
  return { ok: true, serverVersion, composeVersion: cli.major === 2 ? cli.version : 'v1 (docker-compose)' };
}

