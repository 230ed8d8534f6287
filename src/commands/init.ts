/** `init N`: materialize .instances/instance-N/ from the plan and the source env files. */
import { basename } from 'node:path';
import type { CommandContext } from '../cli/registry.js';
import { materialize } from '../materialize.js';
import { needPlan } from './need-plan.js';

export async function run(ctx: CommandContext): Promise<void> {
  const p = needPlan(ctx);
  const files = await materialize(p, ctx.root);
  const width = Math.max(...files.map((f) => basename(f.path).length));
  ctx.out(`Instance ${p.instance}: wrote ${p.dir}/`);
  for (const f of files) ctx.out(`  ${basename(f.path).padEnd(width)}  ${f.note}`);
}
