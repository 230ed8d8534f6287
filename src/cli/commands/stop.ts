/** `stop N` / `stop all [--shared]`: stop apps and own infrastructure, keep data. */
import { EngineUnreachableError, OperationalError, UsageError } from '../../errors.js';
import { checkoutAt, describeCheckout } from '../../leases/checkout.js';
import { onHost, placementLabel } from '../../plan/views.js';
import { type SharedUser, stopShared } from '../../lifecycle/shared.js';
import type { Target } from '../../lifecycle/target.js';
import { instanceBusy } from '../../lifecycle/locking.js';
import { stopInstance, stopStray } from '../../lifecycle/stop.js';
import { dryRunText } from '../messages.js';
import type { CommandContext } from '../support/context.js';
import { othersTargets, targetsOf } from '../support/targets.js';

export async function run(ctx: CommandContext): Promise<void> {
  const { decl } = ctx.stack;
  if (ctx.flags.everywhere === true && ctx.target) throw new UsageError('--everywhere goes with all: just dev stop all --everywhere');
  const { targets, outOfRange } = await targetsOf(ctx);
  if (ctx.flags['dry-run'] === true) {
    const { dryRun } = await import('../../lifecycle/dry-run.js');
    for (const t of targets) ctx.out(dryRunText(await dryRun(t, 'stop')));
    if (targets.length === 0) ctx.out('no instance is running; nothing would be stopped');
    return;
  }
  // --json: one object at the end instead of a line per instance.
  const results: { instance: number; checkout: string; wasRunning: boolean }[] = [];
  const say = (line: string) => { if (!ctx.flags.json) ctx.out(line); };
  // all: a Docker host that does not answer is asked once (its deadline), named, and blocks no other instance.
  const silent = new Map<string, EngineUnreachableError>();
  const failed: string[] = [];
  for (const t of targets) {
    const n = t.plan.instance;
    const host = t.plan.placement?.docker;
    const down = host === undefined ? undefined : silent.get(host);
    try {
      const wasRunning = await stopInstance(t, ctx.report, { infra: !down });
      if (down) throw down;
      results.push({ instance: n, checkout: t.root, wasRunning });
      if (ctx.target) say(wasRunning ? `stopped instance ${n} (data kept; just dev ${n} clean removes it)` : `instance ${n} was not running; nothing to stop`);
      else say(`stopped instance ${n}`);
    } catch (err) {
      if (ctx.target || !(err instanceof EngineUnreachableError)) throw err;
      silent.set(err.engineKey, err);
      failed.push(`instance ${n}: its apps stopped, but ${t.plan.placement ? `the Docker host ${placementLabel(t.plan.placement)} does not answer` : 'no Docker engine answers'}, so its containers were not stopped`);
      say(`stopped instance ${n}'s apps; its infrastructure${onHost(t.plan.placement)} did not answer`);
    }
  }
  // A number outside today's range (the declaration changed since): its processes go by namespace.
  for (const n of outOfRange) {
    await stopStray(decl, n);
    results.push({ instance: n, checkout: ctx.root, wasRunning: true });
    say(`stopped instance ${n}`);
  }
  if (!ctx.target && targets.length + outOfRange.length === 0) say('no instance was running');
  if (ctx.flags.everywhere === true) {
    for (const t of othersTargets(ctx)) {
      const was = await stopInstance(t, ctx.report);
      results.push({ instance: t.plan.instance, checkout: t.root, wasRunning: was });
      say(`${was ? 'stopped' : 'nothing ran of'} instance ${t.plan.instance} of ${describeCheckout(checkoutAt(t.root))}`);
    }
  }
  if (ctx.flags.json) ctx.out(JSON.stringify({ stopped: results, ...(failed.length ? { failed } : {}) }, null, 2));
  if (ctx.flags.shared === true) {
    // Users, counted under the set's lock: instances on it, this checkout's and every other checkout's
    // of the project (the set is the machine's: another worktree's backend may need it), with an app
    // PM2 still runs or restarts (not stopped, not given up on: errored) or a command at work on them (a start
    // whose apps are not handed to PM2 yet).
    const usersNow = async (): Promise<SharedUser[]> => {
      const left = await targetsOf({ ...ctx, target: undefined });
      const live = new Set(left.procs.filter((x) => x.status !== 'stopped' && x.status !== 'errored').map((x) => x.namespace));
      const uses = (t: Target) => Boolean(t.sharedSet) && (live.has(t.plan.pm2Namespace) || instanceBusy(t));
      return [
        ...left.targets.filter(uses).map((t) => ({ instance: t.plan.instance })),
        ...othersTargets(ctx).filter(uses).map((t) => ({ instance: t.plan.instance, elsewhere: describeCheckout(checkoutAt(t.root)) })),
      ];
    };
    await stopShared(decl, ctx.root, usersNow, (e) => { if (e.kind === 'shared-stopped') ctx.out('stopped the shared infrastructure'); });
  }
  if (failed.length) throw new OperationalError(failed.join('\n'), 'Its containers keep running there; stop it again once the host answers.');
}
