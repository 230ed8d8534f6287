/** `restart N`: stop, then start with freshly rendered env files. */
import type { CommandContext } from '../cli/registry.js';
import { startSummary } from '../cli/messages.js';
import { startInstance } from '../lifecycle/start.js';
import { stopInstance } from '../lifecycle/stop.js';
import { engineFlag, sharedOf } from './lifecycle-flags.js';
import { needPlan } from './need-plan.js';

export async function run(ctx: CommandContext): Promise<void> {
  const p = needPlan(ctx);
  await stopInstance(ctx.stack.decl, p.instance, ctx.root, (l) => ctx.note(l));
  const result = await startInstance(ctx.stack.decl, p.instance, ctx.root, {
    engine: engineFlag(ctx), shared: sharedOf(p), note: (l) => ctx.note(l), warn: (l) => ctx.warn(l),
  });
  ctx.out(startSummary(result));
}
