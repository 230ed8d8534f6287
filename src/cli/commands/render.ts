/**
 * `render N`: materialize .instances/instance-N/ from the plan and the source env files, and its compose
 * files when the project has some. --json says where (PM2's own route reads the app list it names).
 */
import { basename } from 'node:path';
import { writeComposeFiles } from '../../engines/docker/index.js';
import { type WrittenFile, materialize } from '../../materialize.js';
import { columns } from '../../text/columns.js';
import { ConfigError } from '../../errors.js';
import type { EngineTarget } from '../../engines/types.js';
import { type CommandContext, needTarget } from '../support/context.js';

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  const p = t.plan;
  const files = await materialize(p, ctx.root);
  if (t.own.scope.services.length > 0) files.push(...await composeFiles(t.own));
  if (ctx.flags.json) {
    ctx.out(JSON.stringify({ instance: p.instance, root: ctx.root, dir: p.dir, ecosystem: p.files.ecosystem, files: files.map((f) => f.path) }, null, 2));
    return;
  }
  ctx.out(`Instance ${p.instance}: wrote ${p.dir}/`);
  for (const line of columns(files.map((f) => [basename(f.path), f.note]), { indent: '  ' })) ctx.out(line);
}

/** The set's compose override (and copies), as the docker engine writes them before each compose call. */
async function composeFiles(set: EngineTarget): Promise<WrittenFile[]> {
  let layout;
  try {
    layout = await writeComposeFiles(set);
  } catch (err) {
    // Only the docker engine reads them: the rest of the instance is still of use (the native engine).
    if (err instanceof ConfigError) return [{ path: set.scope.files.composeOverride, note: `not written: ${err.problems.join('; ')}` }];
    throw err;
  }
  const published = set.scope.ports.filter((x) => x.container).length;
  return [
    { path: set.scope.files.composeOverride, note: `publishes ${published} ports, over ${layout.files.length - 1} compose file(s)` },
    ...layout.copies.map((c) => ({ path: c.path, note: 'a compose file without its published ports (compose v1)' })),
  ];
}
