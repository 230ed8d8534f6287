/** `status N` / `status all`: a table, or --json for scripts and coding agents. */
import type { CommandContext } from '../cli/registry.js';
import { statusTable } from '../cli/messages.js';
import { instanceStatus } from '../lifecycle/status.js';

export async function run(ctx: CommandContext): Promise<void> {
  const statuses = await instanceStatus(ctx.stack.decl, ctx.root, ctx.plan ? ctx.plan.instance : 'all');
  ctx.out(ctx.flags.json ? JSON.stringify({ instances: statuses }, null, 2) : statusTable(statuses));
}
