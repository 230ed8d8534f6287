/** `info N`: URLs and names of one instance, passwords masked. */
import type { CommandContext } from '../cli/registry.js';
import { infoText } from '../cli/messages.js';
import { needPlan } from './need-plan.js';

export function run(ctx: CommandContext): void {
  ctx.out(infoText(needPlan(ctx)));
}
