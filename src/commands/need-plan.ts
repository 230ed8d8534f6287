import type { CommandContext } from '../cli/registry.js';
import type { InstancePlan } from '../plan/plan.js';

/** Single-instance commands: the CLI has already refused `all` for them. */
export function needPlan(ctx: CommandContext): InstancePlan {
  if (!ctx.plan) throw new Error('this command needs one instance');
  return ctx.plan;
}
