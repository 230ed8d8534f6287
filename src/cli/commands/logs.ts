/** `logs N [APP]` / `logs all`: prefixed log lines (of one app or service with APP); follows on a terminal unless --no-follow. */
import { kindOfService } from '../../engines/probes.js';
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
  const only = ctx.operand === undefined ? undefined : whose(ctx, ctx.operand);
  const { targets } = await targetsOf(ctx);
  if (!(await showLogs(targets, { lines, follow, out: ctx.out, ...(only ? { only } : {}) }))) ctx.out(noLogs(targets.map((t) => t.plan.instance)));
}

/** An app, or a service by its id, its infrastructure kind or its compose service; exit 2 naming what there is. */
function whose(ctx: CommandContext, name: string): { id: string; service?: string } {
  const decl = ctx.stack.decl;
  if (name in decl.apps) return { id: name };
  const id = Object.keys(decl.services).find((s) => s === name || kindOfService(decl, s) === name || decl.services[s]?.container?.service === name);
  if (id === undefined) {
    const known = [...Object.keys(decl.apps), ...Object.keys(decl.services).filter((s) => !Object.values(decl.apps).some((a) => a.port === s))];
    throw new UsageError(`unknown app or service '${name}' for logs: expected one of ${known.join(', ')}`);
  }
  const container = decl.services[id]?.container?.service;
  return { id: kindOfService(decl, id) ?? id, ...(container ? { service: container } : {}) };
}
