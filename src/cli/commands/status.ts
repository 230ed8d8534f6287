/** `status N` / `status all`: a table, or --json for scripts and coding agents. */
import { OperationalError } from '../../errors.js';
import { instanceStatus } from '../../lifecycle/status.js';
import { statusTable } from '../messages.js';
import type { CommandContext } from '../support/context.js';
import { othersTargets, targetsOf } from '../support/targets.js';

export async function run(ctx: CommandContext): Promise<void> {
  const { targets, procs } = await targetsOf(ctx);
  // `status all` is machine-wide: every other checkout's instances follow this one's.
  const statuses = await instanceStatus(ctx.stack.decl, ctx.root, [...targets, ...(ctx.target ? [] : othersTargets(ctx))], procs, !ctx.target);
  ctx.out(ctx.flags.json ? JSON.stringify({ instances: statuses }, null, 2) : statusTable(statuses));
  const problems = statuses.flatMap((s) => (s.problem ? [`instance ${s.instance}: ${s.problem}`] : []));
  if (problems.length > 0) throw new OperationalError(problems.join('\n'), 'Its infrastructure is not shown above; nothing was changed.');
}
