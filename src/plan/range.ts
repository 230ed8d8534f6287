/**
 * Which instance numbers a declaration allows. Two limits, both computed from the declaration:
 * every port must stay <= 65535, and no two instances may ever share a port. The second bites when
 * two base ports differ by a multiple of the stride (5433 and 7233 with stride 100: instance 18's
 * Postgres would sit on instance 0's Temporal port), so such a stack stops one instance earlier.
 */
import { UsageError } from '../errors.js';

export const MAX_PORT = 65535;
export const EPHEMERAL_PORTS = { first: 32768, last: 60999 } as const;

export interface PortSpec {
  id: string;
  basePort: number;
  /** Served once for all instances on its base port (shared infrastructure). */
  fixed?: boolean;
}

export interface InstanceRange {
  max: number;
  /** Why max is what it is, for error messages and `info`. */
  reason: string;
}

export function instanceRange(services: readonly PortSpec[], stride: number): InstanceRange {
  const moving = services.filter((s) => !s.fixed);
  if (moving.length === 0) return { max: 0, reason: 'no port moves with the instance number' };
  const highest = moving.reduce((a, s) => (s.basePort > a.basePort ? s : a));
  let max = Math.floor((MAX_PORT - highest.basePort) / stride);
  let reason = `${highest.id} would pass port ${MAX_PORT}`;
  const clash = (at: number, why: string) => {
    if (at - 1 < max) { max = at - 1; reason = why; }
  };
  for (const [i, a] of services.entries()) {
    for (const b of services.slice(i + 1)) {
      const gap = Math.abs(a.basePort - b.basePort);
      if (gap === 0 || gap % stride !== 0 || (a.fixed && b.fixed)) continue;
      const [low, high] = a.basePort < b.basePort ? [a, b] : [b, a];
      // A moving port only climbs, so it can only meet a port above its base.
      if (low.fixed) continue;
      const at = gap / stride;
      clash(at, high.fixed
        ? `instance ${at}'s ${low.id} port would be the shared ${high.id} port (${high.basePort})`
        : `instance ${at}'s ${low.id} port would be instance 0's ${high.id} port (${high.basePort})`);
    }
  }
  return { max, reason };
}

export function isEphemeral(port: number): boolean {
  return port >= EPHEMERAL_PORTS.first && port <= EPHEMERAL_PORTS.last;
}

/** An instance number: a plain decimal integer from 0 to max, nothing else. */
export function parseInstance(raw: string, max: number, what = 'instance', whyMax?: string): number {
  const integer = /^(0|[1-9]\d*)$/.test(raw);
  if (!integer || Number(raw) > max) {
    const why = integer && whyMax ? ` (above ${max}, ${whyMax})` : '';
    throw new UsageError(`invalid ${what} '${raw}': expected an integer from 0 to ${max}${why}`);
  }
  return Number(raw);
}
