/** `stop N` / `stop all [--shared]`: stop apps and own infrastructure, keep data. */
import type { CommandContext } from '../cli/registry.js';
import { stopAll, stopInstance, stopShared } from '../lifecycle/stop.js';

export async function run(ctx: CommandContext): Promise<void> {
  const note = (l: string) => ctx.note(l);
  if (!ctx.plan) {
    const stopped = await stopAll(ctx.stack.decl, ctx.root, ctx.flags.shared === true, note, (n) => ctx.out(`stopped instance ${n}`));
    if (stopped.length === 0) ctx.out('no instance was running');
    return;
  }
  const n = ctx.plan.instance;
  const wasRunning = await stopInstance(ctx.stack.decl, n, ctx.root, note);
  ctx.out(wasRunning ? `stopped instance ${n} (data kept; just dev ${n} clean removes it)` : `instance ${n} was not running; nothing to stop`);
  if (ctx.flags.shared === true) await stopShared(ctx.stack.decl, ctx.root, (l) => ctx.out(l));
}
