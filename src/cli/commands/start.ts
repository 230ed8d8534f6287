/** `start N` (the default action): bring the whole instance up and print where it lives. */
import { startInstance } from '../../lifecycle/start.js';
import { dryRunText, startSummary } from '../messages.js';
import { type CommandContext, needTarget } from './context.js';
import { engineFlag } from './lifecycle-flags.js';

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  if (ctx.flags['dry-run'] === true) {
    const { dryRun } = await import('../../lifecycle/dry-run.js');
    ctx.out(dryRunText(await dryRun(t, 'start', { engine: engineFlag(ctx) })));
    return;
  }
  ctx.out(startSummary(await startInstance(t, { engine: engineFlag(ctx), report: ctx.report })));
}
