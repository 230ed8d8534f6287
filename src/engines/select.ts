/** Choose the engine: the one asked for; on auto the recorded one, else docker where the project has compose files and an engine answers and has the images, else native. */
import { OperationalError } from '../errors.js';
import { type Placement } from '../plan/plan.js';
import { onHost, placementLabel } from '../plan/views.js';
import { DEFAULT_COMPOSE_FILES, hasComposeFiles } from './docker/compose-names.js';
import { probeDocker } from './docker/probe.js';
import { dockerEnv } from './docker/placement.js';
import { type EngineChoice, engineNamed } from './registry.js';
import type { Engine, EngineName, EngineTarget } from './types.js';

export type { EngineChoice } from './registry.js';

export interface Selected {
  engine: Engine;
  /** Why this engine, for the start summary. */
  reason: string;
}

/** What selection knows of the instance beyond the choice. */
export interface SelectContext {
  /** The infrastructure a start would bring up (its images are asked for on auto). */
  sets?: readonly EngineTarget[];
  /** The engine the instance last ran on: auto keeps it, because its data lives there. */
  recorded?: EngineName;
  /** 'instance 3', for messages. */
  label?: string;
  /** Its own infrastructure runs on another Docker host: only the docker engine, on that host. */
  placement?: Placement;
}

/**
 * auto: the recorded engine when the instance ran before (its data is there), else docker where an
 * engine answers and can have every required image, else native. A machine whose Docker engine
 * answers but cannot have a required image (offline, no registry, a typo in an override) gets the
 * native engine, with the reason in one line; `--engine docker` lets the start refuse instead.
 */
export async function selectEngine(choice: EngineChoice, ctx: SelectContext = {}): Promise<Selected> {
  const label = ctx.label ?? 'the instance';
  if (ctx.placement) return placedEngine(ctx.placement, label);
  if (choice === 'auto' && ctx.recorded === 'native') return { engine: engineNamed('native'), reason: 'native engine, as last started (--engine docker to move)' };
  if (choice === 'native') return { engine: engineNamed('native'), reason: 'native engine, as asked' };
  // auto on a project without a compose file: nothing for docker to run (an explicit docker says so, exit 2).
  const noCompose = choice === 'auto' && !ctx.recorded && (ctx.sets ?? []).some((set) => !hasComposeFiles(set.root, set.decl));
  if (noCompose) return { engine: engineNamed('native'), reason: `native engine: the project has no compose file (${DEFAULT_COMPOSE_FILES[0]}, …, or composeFiles in the declaration)` };
  const probe = await probeDocker();
  if (probe.ok) {
    const docker = engineNamed('docker');
    const reason = `docker engine ${probe.serverVersion}, compose ${probe.composeVersion}`;
    if (choice === 'docker' || ctx.recorded === 'docker') return { engine: docker, reason };
    const missing = (await Promise.all((ctx.sets ?? []).map((set) => docker.inspect(set, { fetch: true })))).flatMap((i) => i.missing);
    if (missing.length === 0) return { engine: docker, reason };
    return { engine: engineNamed('native'), reason: `native engine: docker answers, but ${missing.map((m) => `${m.service}: ${m.detail}`).join('; ')}` };
  }
  const why = `${probe.problem}${probe.detail ? ` (${probe.detail})` : ''}`;
  if (choice === 'docker') throw new OperationalError(`the docker engine was asked for, but ${why}`, 'Start Docker, or use --engine native.');
  if (ctx.recorded === 'docker') {
    throw new OperationalError(`${label} last ran on the docker engine, where its data is, but ${why}`,
      'Start Docker: its containers and volumes are kept. Or start it with --engine native, on a separate, empty set of data.');
  }
  return { engine: engineNamed('native'), reason: `native engine: ${probe.problem}` };
}

/** A placed instance runs on the docker engine of its host, which must answer now: else nothing starts. */
async function placedEngine(placement: Placement, label: string): Promise<Selected> {
  const probe = await probeDocker(dockerEnv({ placement }));
  if (!probe.ok) {
    throw new OperationalError(`the Docker host ${placementLabel(placement)} of ${label}: ${probe.problem}${probe.detail ? ` (${probe.detail})` : ''}; nothing was started`,
      `Check that its engine runs and that this machine reaches it (docker --host ${placement.docker} version); whatever the instance has there is kept.`);
  }
  return { engine: engineNamed('docker'), reason: `docker engine ${probe.serverVersion}${onHost(placement)}, compose ${probe.composeVersion}` };
}
