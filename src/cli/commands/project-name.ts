/** `project-name N`: the compose project name, for shell scripts. */
import { type CommandContext, needTarget } from '../support/context.js';

export function run(ctx: CommandContext): void {
  ctx.out(needTarget(ctx).plan.composeProject);
}
