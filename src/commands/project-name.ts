/** `project-name N`: the compose project name, for shell scripts. */
import type { CommandContext } from '../cli/registry.js';
import { needPlan } from './need-plan.js';

export function run(ctx: CommandContext): void {
  ctx.out(needPlan(ctx).composeProject);
}
