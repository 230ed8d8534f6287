/** `restart N`: stop, then start with freshly rendered env files. */
import { startInstance } from '../../lifecycle/start.js';
import { stopInstance } from '../../lifecycle/stop.js';
import { type CommandContext, needTarget } from '../support/context.js';
import { engineFlag } from '../support/flags.js';
import { printStart, withProxy } from '../support/starting.js';

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  const planned = await withProxy(ctx, t);
  await stopInstance(t, ctx.report);
  printStart(ctx, await startInstance(planned, { engine: engineFlag(ctx), report: ctx.report }));
}
