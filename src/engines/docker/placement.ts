/**
 * Where an instance's own infrastructure runs: this machine's Docker engine, or another Docker host
 * named the way Docker users already name one (a context, or a DOCKER_HOST URL). Resolved to an
 * endpoint and an address once, by the start that places the instance, and recorded in its state:
 * every later docker and compose call for the set gets that endpoint as DOCKER_HOST, whatever the
 * caller's environment says then.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { StackDeclaration } from '../../config/types.js';
import { EngineUnreachableError, UsageError } from '../../errors.js';
import { type InfraScope, type Placement } from '../../plan/plan.js';
import { placementLabel } from '../../plan/views.js';
import { type RunResult, run } from '../../proc/run.js';

/** Chooses the host when --host is not given. */
export const HOST_ENV = 'DEV_INSTANCES_HOST';
/** The word for "this machine's own Docker engine". */
export const LOCAL_PLACEMENT = 'local';
/**
 * How long a placed host has to answer a question (is it there, which containers run): a host
 * whose link is down makes docker wait for TCP's own timeout, minutes, and must not hold up a command.
 */
export const HOST_DEADLINE_MS = 8_000;

/**
 * The environment docker and compose run with for a set: its host's endpoint; or for a set on this
 * machine, the caller's engine, except that a DOCKER_HOST or DOCKER_CONTEXT naming another engine
 * (which a new start takes as its placement) must not send an instance recorded as local there.
 */
export const dockerEnv = (scope: Pick<InfraScope, 'placement'>): Record<string, string> => {
  if (scope.placement) return { DOCKER_HOST: scope.placement.docker };
  return {
    ...(remoteDockerHost(process.env) ? { DOCKER_HOST: '' } : {}),
    ...(process.env.DOCKER_CONTEXT && process.env.DOCKER_CONTEXT !== 'default' ? { DOCKER_CONTEXT: 'default' } : {}),
  };
};

const remoteDockerHost = (env: NodeJS.ProcessEnv): string | undefined =>
  (env.DOCKER_HOST && !/^(unix|npipe):/.test(env.DOCKER_HOST) ? env.DOCKER_HOST : undefined);

/** One key per Docker engine, for what is asked once per engine in a command. */
export const engineKey = (scope: Pick<InfraScope, 'placement'>): string => scope.placement?.docker ?? '';

export interface HostRequest {
  raw: string;
  /** Where it was given, for errors: '--host', DEV_INSTANCES_HOST, … */
  from: string;
  /** Given for this command (--host): it may not silently differ from where the instance's data is. */
  explicit: boolean;
}

/**
 * The host a start asks for: --host, else DEV_INSTANCES_HOST, else the declaration's `host`, else
 * DOCKER_HOST or DOCKER_CONTEXT when they name another engine (docker would go there anyway, so the
 * addresses must too). undefined: this machine.
 */
export function requestedHost(flag: string | boolean | undefined, env: NodeJS.ProcessEnv, decl: StackDeclaration): HostRequest | undefined {
  if (typeof flag === 'string') return { raw: flag, from: '--host', explicit: true };
  if (env[HOST_ENV]) return { raw: env[HOST_ENV], from: HOST_ENV, explicit: false };
  if (decl.host) return { raw: decl.host, from: "the declaration's host", explicit: false };
  const docker = remoteDockerHost(env);
  if (docker) return { raw: docker, from: 'DOCKER_HOST', explicit: false };
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default') return { raw: env.DOCKER_CONTEXT, from: 'DOCKER_CONTEXT', explicit: false };
  return undefined;
}

const EXPECTED = `expected a Docker context name, tcp://HOST:PORT, ssh://[USER@]HOST or ${LOCAL_PLACEMENT}`;
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;

/** The placement a host request names; undefined for this machine. A bad or unknown value is a UsageError (exit 2). */
export async function resolvePlacement(req: HostRequest): Promise<Placement | undefined> {
  const { raw, from } = req;
  if (raw === LOCAL_PLACEMENT) return undefined;
  if (raw.includes('://')) return placementAt(raw, raw, from);
  if (!CONTEXT_NAME.test(raw)) throw new UsageError(`invalid ${from} '${raw}': ${EXPECTED}`);
  const r = await run('docker', ['context', 'inspect', raw, '--format', '{{.Endpoints.docker.Host}}'], { reject: false, timeoutMs: 10_000 });
  const endpoint = r.stdout.trim();
  if (r.code !== 0 || !endpoint) throw new UsageError(`unknown Docker context '${raw}' (${from}): docker context ls lists them; or give tcp://HOST:PORT or ssh://[USER@]HOST`);
  return raw === 'default' && endpoint.startsWith('unix:') ? undefined : placementAt(raw, endpoint, from);
}

async function placementAt(name: string, endpoint: string, from: string): Promise<Placement> {
  let url: URL;
  try { url = new URL(endpoint); } catch { throw new UsageError(`invalid ${from} '${name}': ${EXPECTED}`); }
  // Another engine on this machine (a rootless dockerd's socket): its ports answer on loopback.
  if (url.protocol === 'unix:') return { name, docker: endpoint, address: '127.0.0.1' };
  if (!['tcp:', 'ssh:'].includes(url.protocol) || !url.hostname) throw new UsageError(`invalid ${from} '${name}': ${EXPECTED}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // The address is where its ports are published and bound there: an IP, found once, now.
  const address = isIP(host) ? host : await lookup(host, { family: 4 }).then((a) => a.address, () => {
    throw new UsageError(`invalid ${from} '${name}': its host name '${host}' does not resolve to an IPv4 address here`);
  });
  return { name, docker: endpoint, address };
}

/** Same engine? (A recorded placement against a requested one.) */
export const sameHost = (a: Placement | undefined, b: Placement | undefined): boolean => (a?.docker ?? '') === (b?.docker ?? '');

/** The client's words when no daemon answers (a stopped Docker, a dead DOCKER_HOST). */
const DAEMON_DOWN = /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|Couldn't connect to Docker daemon/i;

/**
 * A clear error for an engine that stopped answering while an instance runs on it: nothing is lost
 * meanwhile. A placed host whose link is down does not refuse, it stays silent: the call runs out of
 * time, which says the same.
 */
export function unreachable(scope: InfraScope, r: RunResult): EngineUnreachableError | undefined {
  const placed = scope.placement;
  if (!DAEMON_DOWN.test(r.stderr) && !(placed && r.timedOut)) return undefined;
  const why = r.timedOut ? `no answer in ${HOST_DEADLINE_MS / 1000} s` : r.stderr.trim().split('\n').pop() ?? '';
  if (placed) {
    return new EngineUnreachableError(placed.docker, `the Docker host ${placementLabel(placed)} does not answer, so compose project ${scope.composeProject} there cannot be reached`,
      `${why}\nIts containers and volumes (its data) are kept there, and the apps here keep running; when the host answers again, \`just dev ${scope.nameSuffix}\` starts whatever is missing.`);
  }
  return new EngineUnreachableError('', `no Docker engine answers, so compose project ${scope.composeProject} cannot be reached`,
    `${why}\nStart Docker again: the project's containers and volumes (its data) are kept and come back with it.`);
}
