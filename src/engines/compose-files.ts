/** Which files and project a compose call names for one infrastructure set. Pure. */
import { join } from 'node:path';
import type { EngineTarget } from './types.js';

export const COMPOSE_BASE_FILE = 'docker/docker-compose.infra.yml';

/** `--project-name P -f base -f override ACTION...`: the same words for compose v2 and v1. */
export function composeArgs(t: EngineTarget, ...action: string[]): string[] {
  return [
    '--project-name', t.scope.composeProject,
    '-f', join(t.root, COMPOSE_BASE_FILE), '-f', join(t.root, t.scope.files.composeOverride),
    ...action,
  ];
}
