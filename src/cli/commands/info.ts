/** `info N`: URLs and names of one instance, passwords masked, and the image of each compose service. */
import { type BaseService, mergedServices } from '../../engines/docker/compose-files.js';
import { readComposeSources } from '../../engines/docker/compose-read.js';
import { checkoutAt } from '../../leases/checkout.js';
import { composeServices } from '../../plan/plan.js';
import { httpUrls, namedUrls, portsByKey } from '../../plan/views.js';
import { sliceJson } from '../../slices/table.js';
import { infoText } from '../messages.js';
import { type CommandContext, needTarget } from '../support/context.js';

/** The images the compose files name for the declaration's services (empty when they cannot be read). */
async function baseImages(ctx: CommandContext): Promise<Record<string, string>> {
  const base: Record<string, BaseService> = await readComposeSources(ctx.root, ctx.stack.decl).then(mergedServices, () => ({}));
  return Object.fromEntries(composeServices(ctx.stack.decl).map((svc) => [svc, base[svc]?.image ?? '']));
}

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  const p = t.plan;
  if (!ctx.flags.json) { ctx.out(infoText(p, await baseImages(ctx))); return; }
  const c = checkoutAt(t.root);
  ctx.out(JSON.stringify({
    instance: p.instance, checkout: { path: c.path, ...(c.branch ? { branch: c.branch } : {}) }, composeProject: p.composeProject,
    pm2Namespace: p.pm2Namespace, apps: p.apps.map((a) => a.pm2Name), ports: portsByKey(p),
    urls: httpUrls(p), namedUrls: namedUrls(p),
    ...sliceJson(ctx.stack.decl, p),
    images: await baseImages(ctx), placement: p.placement ?? null,
  }, null, 2));
}
