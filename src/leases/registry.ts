/**
 * The machine-wide lease registry: which checkout holds which instance number of which project.
 * Instance numbers name machine-wide things (ports, compose projects, PM2 app names, databases), so
 * two checkouts must never hold the same one. One JSON file in the user's state folder, read
 * without a lock (it is only ever replaced whole), changed under a lock, 0600.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../state-dir.js';
import { type Checkout, checkoutAt, checkoutLive } from './checkout.js';

export interface Lease {
  project: string;
  instance: number;
  /** The checkout holding the number (absolute path), its branch and repository when known. */
  checkout: string;
  branch?: string;
  commonDir?: string;
  /** Given to the checkout when it named no number: what a bare `just dev` means there. */
  default: boolean;
  /** ISO time the lease was taken. */
  since: string;
  /** What the instance runs, for views from other checkouts: PM2 app names, ports by key. */
  apps?: string[];
  ports?: Record<string, number>;
  /** The PM2 namespace of its processes (apps and native infrastructure). */
  namespace?: string;
  /** What the local proxy routes to (src/proxy/routes.ts): every app with a port. */
  routes?: LeaseRoute[];
  /** How the dashboard runs this checkout's CLI for the instance: its script and the environment that matters. */
  cli?: { script: string; env: Record<string, string> };
}

export interface LeaseRoute {
  app: string;
  port: number;
  pm2Name: string;
  /** Its health path, when it has one. */
  health?: string;
  /** The app `http://<N>.<project>.localhost` opens. */
  home?: boolean;
}

export const leaseFile = (env?: NodeJS.ProcessEnv): string => join(stateDir(env), 'leases.json');

/** A lease is live while its checkout's folder exists: a removed worktree gives its numbers back. */
export const isLive = (l: Lease): boolean => checkoutLive(l.checkout, l.commonDir !== undefined);

function parse(text: string): Lease[] {
  try {
    const data = JSON.parse(text) as { leases?: unknown };
    return Array.isArray(data.leases) ? (data.leases as Lease[]).filter((l) => typeof l?.project === 'string' && Number.isInteger(l.instance) && typeof l.checkout === 'string') : [];
  } catch {
    return [];
  }
}

/** Every live lease (of every project). Cheap: one small file read, one stat per lease. */
export function readLeases(env?: NodeJS.ProcessEnv): Lease[] {
  let text: string;
  try { text = readFileSync(leaseFile(env), 'utf8'); } catch { return []; }
  return parse(text).filter(isLive);
}

export interface LeaseChange<T> {
  value: T;
  /** Leases pruned because their checkout is gone (their numbers may have processes to reclaim). */
  pruned: Lease[];
}

/**
 * Change the registry under its lock: fn gets every live lease and may change the array in place;
 * the file is rewritten (atomically) when fn changed something or dead leases were pruned.
 */
export async function changeLeases<T>(fn: (leases: Lease[]) => T | Promise<T>, env?: NodeJS.ProcessEnv): Promise<LeaseChange<T>> {
  // Loaded here, not at the top: reading leases is on the path of `ports`, changing them is not.
  const [{ acquireLock }, { writeFileAtomic }] = await Promise.all([import('../fs/lock.js'), import('../fs/atomic.js')]);
  const file = leaseFile(env);
  const lock = await acquireLock(`${file}.lock`, 'the lease registry', { waitMs: 15_000 });
  try {
    let all: Lease[] = [];
    try { all = parse(readFileSync(file, 'utf8')); } catch { /* none yet */ }
    const pruned = all.filter((l) => !isLive(l));
    const leases = all.filter(isLive);
    const before = JSON.stringify(leases);
    const value = await fn(leases);
    if (pruned.length > 0 || JSON.stringify(leases) !== before) {
      await writeFileAtomic(file, `${JSON.stringify({ version: 1, leases }, null, 2)}\n`, 0o600, { durable: true });
    }
    return { value, pruned };
  } finally {
    lock.release();
  }
}

// Pure questions about a list of leases.

export const holderOf = (leases: readonly Lease[], project: string, n: number): Lease | undefined =>
  leases.find((l) => l.project === project && l.instance === n);

export const heldBy = (leases: readonly Lease[], project: string, checkout: string): Lease[] =>
  leases.filter((l) => l.project === project && l.checkout === checkout).sort((a, b) => a.instance - b.instance);

/** The lease a checkout's bare commands use: its default one, else the lowest it holds. */
export const ownLease = (leases: readonly Lease[], project: string, checkout: string): Lease | undefined => {
  const held = heldBy(leases, project, checkout);
  return held.find((l) => l.default) ?? held[0];
};

/** This checkout's number, when it holds one. */
export const leasedInstance = (project: string, root: string, leases: readonly Lease[] = readLeases()): number | undefined =>
  ownLease(leases, project, checkoutAt(root).path)?.instance;

/** The live leases of the project that other checkouts hold, by number. */
export const othersLeases = (project: string, root: string): Lease[] => {
  const here = checkoutAt(root).path;
  return readLeases().filter((l) => l.project === project && l.checkout !== here).sort((a, b) => a.instance - b.instance);
};

export function newLease(project: string, n: number, c: Checkout, isDefault: boolean): Lease {
  return {
    project, instance: n, checkout: c.path, ...(c.branch ? { branch: c.branch } : {}),
    ...(c.commonDir ? { commonDir: c.commonDir } : {}), default: isDefault, since: new Date().toISOString(),
  };
}
