/**
 * `compose N ARGS…`: docker compose as the instance's own project — its project name, the base file
 * and the instance's override, its DOCKER_HOST when placed — so `compose ps`, `compose config`,
 * `compose logs -f postgres` or `compose exec postgres psql` need nothing typed by hand. The exit
 * code is compose's.
 */
import { UsageError } from '../../errors.js';
import { type CommandContext, needTarget } from '../support/context.js';

export async function run(ctx: CommandContext): Promise<number> {
  const t = needTarget(ctx);
  const n = t.plan.instance;
  if (!t.engine.compose) {
    throw new UsageError(`instance ${n} runs on the ${t.engine.name} engine${t.state ? '' : ' (it never started on docker)'}: it has no compose project; just dev ${n} status and just dev ${n} logs show its servers`);
  }
  if (!ctx.rest?.length) throw new UsageError(`compose needs the words for docker compose, e.g. just dev ${n} compose ps`);
  return t.engine.compose(t.own, ctx.rest);
}
