/** `info N`: URLs and names of one instance, passwords masked. */
import { infoText } from '../messages.js';
import { type CommandContext, needTarget } from './context.js';

export function run(ctx: CommandContext): void {
  ctx.out(infoText(needTarget(ctx).plan));
}
