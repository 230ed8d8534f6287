/** The one error for a required server an engine cannot run: named, with what to install. */
import { OperationalError } from '../errors.js';
import type { EngineName, Unavailable } from './types.js';

export function missingError(label: string, engine: EngineName, missing: readonly Unavailable[]): OperationalError {
  return new OperationalError(
    `cannot start ${label} on the ${engine} engine: ${missing.map((m) => m.service).join(' and ')} not found`,
    [...missing.map((m) => `${m.service}: ${m.detail}`), 'Nothing was started.'].join('\n'),
  );
}
