/** `ports N`: KEY=port lines in the declaration's order (eval-able), or JSON with --json. */
import type { CommandContext } from '../cli/registry.js';
import { needPlan } from './need-plan.js';

export function run(ctx: CommandContext): void {
  const p = needPlan(ctx);
  if (ctx.flags.json) ctx.out(JSON.stringify(Object.fromEntries(p.ports.map((x) => [x.key, x.port])), null, 2));
  else ctx.out(p.ports.map((x) => `${x.key}=${x.port}`).join('\n'));
}
