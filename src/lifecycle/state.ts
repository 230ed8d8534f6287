/** What a start recorded about an instance: which engine runs it and which services it shares. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isEngineName } from '../engines/registry.js';
import type { EngineName } from '../engines/types.js';
import type { Placement } from '../plan/plan.js';

export interface InstanceState {
  engine: EngineName;
  shared: string[];
  startedAt: string;
  /** Services the engine could not run. */
  unavailable: string[];
  /** The instance's own database data existed after this start: its disappearance is data loss. */
  dataInitialised?: boolean;
  /** The Docker host its own infrastructure runs on, when not this machine (stop, status, logs and clean follow it). */
  placement?: Placement;
}

function placementOf(raw: unknown): Placement | undefined {
  const p = raw as Partial<Placement> | undefined;
  return typeof p?.name === 'string' && typeof p.docker === 'string' && typeof p.address === 'string'
    ? { name: p.name, docker: p.docker, address: p.address } : undefined;
}

const file = (root: string, dir: string) => join(root, dir, 'state.json');

export function readState(root: string, dir: string): InstanceState | undefined {
  let text: string;
  try { text = readFileSync(file(root, dir), 'utf8'); } catch { return undefined; }
  try {
    const s = JSON.parse(text) as Partial<InstanceState>;
    if (isEngineName(s.engine) && Array.isArray(s.shared)) {
      const placement = placementOf(s.placement);
      return {
        engine: s.engine, shared: s.shared.map(String), startedAt: String(s.startedAt ?? ''),
        unavailable: (s.unavailable ?? []).map(String), dataInitialised: s.dataInitialised === true,
        ...(placement ? { placement } : {}),
      };
    }
  } catch { /* fall through: a hand-edited or truncated file is ignored and rewritten by the next start */ }
  return undefined;
}

export async function writeState(root: string, dir: string, state: InstanceState): Promise<void> {
  // Loaded here: every command reads a state, few write one (and fs/promises costs a shell script's `ports`).
  const { writeFileAtomic } = await import('../fs/atomic.js');
  await writeFileAtomic(file(root, dir), `${JSON.stringify(state, null, 2)}\n`, 0o600, { durable: true });
}

/** Forget the record: a first start that failed leaves an instance that never ran (a retry starts it anew). */
export function forgetState(root: string, dir: string): void {
  rmSync(file(root, dir), { force: true });
}
