/** `restart N`: stop, then start with freshly rendered env files. */
import { startInstance } from '../../lifecycle/start.js';
import { stopInstance } from '../../lifecycle/stop.js';
import { startSummary } from '../messages.js';
import { type CommandContext, needTarget } from './context.js';
import { engineFlag } from './lifecycle-flags.js';

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  await stopInstance(t, ctx.report);
  ctx.out(startSummary(await startInstance(t, { engine: engineFlag(ctx), report: ctx.report })));
}
