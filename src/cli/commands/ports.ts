/** `ports N`: KEY=port lines in the declaration's order (eval-able), or JSON with --json. */
import { portsByKey } from '../../plan/views.js';
import { type CommandContext, needTarget } from '../support/context.js';

export function run(ctx: CommandContext): void {
  const p = needTarget(ctx).plan;
  if (ctx.flags.json) ctx.out(JSON.stringify(portsByKey(p), null, 2));
  else ctx.out(p.ports.map((x) => `${x.key}=${x.port}`).join('\n'));
}
