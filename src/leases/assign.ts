/**
 * Instance numbers per checkout: the number a bare `just dev` means here (leased once, then stable
 * across stops, starts and reboots), the claim a start makes on a number, and the refusal when
 * another checkout holds it.
 */
import type { StackDeclaration } from '../config/types.js';
import { OperationalError } from '../errors.js';
import { cliEnv, cliScript } from '../paths.js';
import { type InstancePlan, plan, rangeFor } from '../plan/plan.js';
import { portsByKey } from '../plan/views.js';
import { portInUse } from '../ports/holder.js';
import { type Checkout, checkoutAt, describeCheckout } from './checkout.js';
import { type Lease, changeLeases, heldBy, holderOf, newLease, ownLease, readLeases } from './registry.js';

async function portsFree(p: InstancePlan): Promise<boolean> {
  const busy = await Promise.all(p.ports.filter((x) => !x.shared).map((x) => portInUse(x.port)));
  return !busy.includes(true);
}

/**
 * The number a bare command means in this checkout: the one it holds; else 0 in a repository's main
 * worktree when no checkout holds 0; else the lowest number no checkout holds whose ports are all
 * free. Leased to this checkout, so it stays its number.
 */
export async function assignInstance(decl: StackDeclaration, root: string): Promise<number> {
  const c = checkoutAt(root);
  const { value } = await changeLeases(async (leases) => {
    const mine = ownLease(leases, decl.project, c.path);
    if (mine) { mine.default = true; return mine.instance; }
    const max = rangeFor(decl).max;
    const free = (n: number) => !holderOf(leases, decl.project, n);
    let n: number | undefined;
    if (c.main && free(0)) n = 0;
    for (let k = 1; n === undefined && k <= max; k++) {
      if (free(k) && await portsFree(plan(decl, k))) n = k;
    }
    if (n === undefined) {
      throw new OperationalError(`every instance number of ${decl.project} from 0 to ${max} is held by a checkout or has busy ports`,
        'See `just dev status all`; `just dev N clean` in a checkout gives its number back.');
    }
    leases.push(newLease(decl.project, n, c, true));
    return n;
  });
  return value;
}

/** The one-line refusal when another checkout holds the number, with the command that frees it. */
export function heldElsewhere(l: Lease, what: string): OperationalError {
  return new OperationalError(
    `instance ${l.instance} is held by another checkout: ${describeCheckout({ path: l.checkout, ...(l.branch ? { branch: l.branch } : {}) })}; ${what}`,
    `Free it there (cd ${l.checkout} && just dev ${l.instance} clean), or run \`just dev\` without a number: it picks a number no checkout holds.`,
  );
}

/** Refuse a command that would change another live checkout's instance (read-only, no lock: a fast check). */
export function refuseIfHeldElsewhere(project: string, root: string, n: number, what: string): void {
  const l = holderOf(readLeases(), project, n);
  if (l && l.checkout !== checkoutAt(root).path) throw heldElsewhere(l, what);
}

export interface Claim {
  lease: Lease;
  /** The number was not this checkout's before this claim. */
  fresh: boolean;
  /** Leases dropped because their checkout is gone: processes they left may need reclaiming. */
  pruned: Lease[];
}

/** A start's claim on its number: refused when another checkout holds it; records what will run. */
export async function claimInstance(p: InstancePlan, root: string, c: Checkout = checkoutAt(root)): Promise<Claim> {
  let fresh = false;
  const { value, pruned } = await changeLeases((leases) => {
    let l = holderOf(leases, p.project, p.instance);
    if (l && l.checkout !== c.path) throw heldElsewhere(l, 'nothing was started');
    fresh = !l;
    if (!l) {
      l = newLease(p.project, p.instance, c, heldBy(leases, p.project, c.path).length === 0);
      leases.push(l);
    }
    if (c.branch) l.branch = c.branch; else delete l.branch;
    l.apps = p.apps.map((a) => a.pm2Name);
    l.ports = portsByKey(p);
    l.namespace = p.pm2Namespace;
    l.routes = p.apps.flatMap((a) => (a.port === undefined ? [] : [{
      app: a.id, port: a.port, pm2Name: a.pm2Name, ...(a.health ? { health: a.health } : {}), ...(p.homeApp === a.id ? { home: true } : {}),
    }]));
    l.cli = { script: cliScript(), env: cliEnv() };
    return l;
  });
  return { lease: value, pruned, fresh };
}

/** Give the number back (clean, release). Only this checkout's lease is ever removed. */
export async function releaseInstance(project: string, root: string, n: number): Promise<boolean> {
  const path = checkoutAt(root).path;
  const { value } = await changeLeases((leases) => {
    const i = leases.findIndex((l) => l.project === project && l.instance === n && l.checkout === path);
    if (i >= 0) leases.splice(i, 1);
    return i >= 0;
  });
  return value;
}
