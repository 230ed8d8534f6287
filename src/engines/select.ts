/** Choose the engine: docker where an engine answers (and Compose v2 is there), else native. */
import { OperationalError, UsageError } from '../cli/errors.js';
import { dockerEngine, probeDocker } from './docker.js';
import { nativeEngine } from './native/index.js';
import type { Engine } from './types.js';

export type EngineChoice = 'auto' | 'docker' | 'native';

export function parseEngineChoice(raw: string): EngineChoice {
  if (raw === 'auto' || raw === 'docker' || raw === 'native') return raw;
  throw new UsageError(`invalid engine '${raw}': expected auto, docker or native`);
}

export interface Selected {
  engine: Engine;
  /** Why this engine, for the start summary. */
  reason: string;
}

export async function selectEngine(choice: EngineChoice): Promise<Selected> {
  if (choice === 'native') return { engine: nativeEngine, reason: 'native engine, as asked' };
  const probe = await probeDocker();
  if (probe.ok) return { engine: dockerEngine, reason: `docker engine ${probe.serverVersion}, compose ${probe.composeVersion}` };
  if (choice === 'docker') {
    throw new OperationalError(`the docker engine was asked for, but ${probe.problem}${probe.detail ? ` (${probe.detail})` : ''}`,
      'Start Docker, or use --engine native.');
  }
  return { engine: nativeEngine, reason: `native engine: ${probe.problem}` };
}
