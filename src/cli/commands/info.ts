/** `info N`: URLs and names of one instance, passwords masked, and the image of each compose service. */
import { type BaseService, readBaseServices } from '../../engines/images.js';
import { composeServices } from '../../plan/plan.js';
import { infoText } from '../messages.js';
import { type CommandContext, needTarget } from './context.js';

/** The images the base compose file names for the declaration's services (empty when it cannot be read). */
async function baseImages(ctx: CommandContext): Promise<Record<string, string>> {
  const base: Record<string, BaseService> = await readBaseServices(ctx.root).catch(() => ({}));
  return Object.fromEntries(composeServices(ctx.stack.decl).map((svc) => [svc, base[svc]?.image ?? '']));
}

export async function run(ctx: CommandContext): Promise<void> {
  ctx.out(infoText(needTarget(ctx).plan, await baseImages(ctx)));
}
