/** `logs N` / `logs all`: prefixed log lines; follows on a terminal unless --no-follow. */
import { UsageError } from '../../errors.js';
import { showLogs } from '../../lifecycle/logs.js';
import { noLogs } from '../messages.js';
import type { CommandContext } from '../support/context.js';
import { targetsOf } from '../support/targets.js';
import { linesFlag } from '../support/flags.js';

export async function run(ctx: CommandContext): Promise<void> {
  if (ctx.flags.follow === true && ctx.flags['no-follow'] === true) throw new UsageError('give --follow or --no-follow, not both');
  const follow = ctx.flags.follow === true || (ctx.flags['no-follow'] !== true && process.stdout.isTTY === true);
  const lines = linesFlag(ctx);
  const { targets } = await targetsOf(ctx);
  if (!(await showLogs(targets, { lines, follow, out: ctx.out }))) ctx.out(noLogs(targets.map((t) => t.plan.instance)));
}
