/** Choose the engine: docker where an engine answers (and Compose v2 is there), else native. */
import { OperationalError } from '../errors.js';
import { probeDocker } from './docker.js';
import { type EngineChoice, engineNamed } from './registry.js';
import type { Engine } from './types.js';

export type { EngineChoice } from './registry.js';

export interface Selected {
  engine: Engine;
  /** Why this engine, for the start summary. */
  reason: string;
}

export async function selectEngine(choice: EngineChoice): Promise<Selected> {
  if (choice === 'native') return { engine: engineNamed('native'), reason: 'native engine, as asked' };
  const probe = await probeDocker();
  if (probe.ok) return { engine: engineNamed('docker'), reason: `docker engine ${probe.serverVersion}, compose ${probe.composeVersion}` };
  if (choice === 'docker') {
    throw new OperationalError(`the docker engine was asked for, but ${probe.problem}${probe.detail ? ` (${probe.detail})` : ''}`,
      'Start Docker, or use --engine native.');
  }
  return { engine: engineNamed('native'), reason: `native engine: ${probe.problem}` };
}
