/** What a command acts on: its one target, or for `all` every instance found; and the instances other checkouts hold. */
import { instancesOutsidePm2 } from '../../engines/registry.js';
import { UsageError } from '../../errors.js';
import { foreignTo, ownerGone } from '../../leases/owner.js';
import { othersLeases } from '../../leases/registry.js';
import { discoverInstances } from '../../lifecycle/discover.js';
import { type Target, resolveTarget } from '../../lifecycle/target.js';
import { type Pm2Process, withPm2 } from '../../pm2/client.js';
import type { CommandContext } from './context.js';

/** Every instance other live checkouts hold, resolved in their checkouts (with this declaration). */
export function othersTargets(ctx: CommandContext): Target[] {
  return othersLeases(ctx.stack.decl.project, ctx.root).flatMap((l) => {
    try { return [resolveTarget(ctx.stack.decl, l.checkout, l.instance)]; } catch { return []; }
  });
}

export interface Targets {
  targets: Target[];
  /** Discovered instances today's declaration no longer allows (it changed since they started). */
  outOfRange: number[];
  procs: Pm2Process[];
}

/**
 * The command's one target, or for `all` every instance found (plus extra numbers, e.g. folders):
 * through PM2, the instance folders, and engines that run outside PM2 (compose projects by their
 * label), so an instance whose folder was deleted by hand is still found, on the engine holding it.
 */
export async function targetsOf(ctx: CommandContext, extra: (procs: readonly Pm2Process[]) => number[] = () => []): Promise<Targets> {
  const [procs, elsewhere] = await Promise.all([withPm2((pm2) => pm2.list()), instancesOutsidePm2(ctx.stack.decl)]);
  if (ctx.target) {
    const t = ctx.target;
    const found = t.state ? undefined : elsewhere.get(t.plan.instance);
    return { targets: [found ? ctx.resolve(t.plan.instance, found) : t], outOfRange: [], procs };
  }
  // This checkout's instances only: not a number another live checkout holds, nor apps another checkout runs.
  const theirs = new Set(othersLeases(ctx.stack.decl.project, ctx.root).map((l) => l.instance));
  const ours = procs.filter((x) => !foreignTo(ctx.root, x) || ownerGone(x));
  const numbers = [...new Set([...discoverInstances(ctx.stack.decl, ctx.root, ours), ...elsewhere.keys(), ...extra(procs)])]
    .filter((n) => !theirs.has(n)).sort((a, b) => a - b);
  const targets: Target[] = [];
  const outOfRange: number[] = [];
  for (const n of numbers) {
    try { targets.push(ctx.resolve(n, elsewhere.get(n))); } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      outOfRange.push(n);
    }
  }
  return { targets, outOfRange, procs };
}
