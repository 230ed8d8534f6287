/** `logs N` / `logs all`: prefixed log lines; follows on a terminal unless --no-follow. */
import type { CommandContext } from '../cli/registry.js';
import { UsageError } from '../cli/errors.js';
import { discoverInstances } from '../lifecycle/discover.js';
import { showLogs } from '../lifecycle/logs.js';
import { withPm2 } from '../pm2/client.js';
import { linesFlag } from './lifecycle-flags.js';

export async function run(ctx: CommandContext): Promise<void> {
  if (ctx.flags.follow === true && ctx.flags['no-follow'] === true) throw new UsageError('give --follow or --no-follow, not both');
  const follow = ctx.flags.follow === true || (ctx.flags['no-follow'] !== true && process.stdout.isTTY === true);
  const instances = ctx.plan
    ? [ctx.plan.instance]
    : discoverInstances(ctx.stack.decl, ctx.root, await withPm2((pm2) => pm2.list()));
  await showLogs(ctx.stack.decl, ctx.root, instances, { lines: linesFlag(ctx), follow, out: ctx.out });
}
