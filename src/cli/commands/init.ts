/** `init N`: materialize .instances/instance-N/ from the plan and the source env files. */
import { basename } from 'node:path';
import { materialize } from '../../materialize.js';
import { columns } from '../../text/columns.js';
import { type CommandContext, needTarget } from './context.js';

export async function run(ctx: CommandContext): Promise<void> {
  const p = needTarget(ctx).plan;
  const files = await materialize(p, ctx.root);
  ctx.out(`Instance ${p.instance}: wrote ${p.dir}/`);
  for (const line of columns(files.map((f) => [basename(f.path), f.note]), { indent: '  ' })) ctx.out(line);
}
