/** `snapshot N [NAME]`: the instance's database and Redis keys, kept by name for `restore` into any instance. */
import { snapshotInstance } from '../../data/snapshots.js';
import { formatBytes } from '../../text/bytes.js';
import { needDatabase } from '../../data/backups.js';
import { type CommandContext, needTarget } from '../support/context.js';

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  needDatabase(t, 'no snapshot');
  const s = await snapshotInstance(t, ctx.operand, ctx.report);
  if (ctx.flags.json) { ctx.out(JSON.stringify(s, null, 2)); return; }
  ctx.out(`snapshot ${s.name} of instance ${s.instance}: database ${s.database.name} (${formatBytes(s.database.bytes)})${s.redis ? `, ${s.redis.keys} Redis key(s) under ${s.redis.prefix}` : ''}, in ${s.dir}/`);
  ctx.out(`Restore it into any instance: just dev M restore ${s.name}${s.notIncluded.length ? `    (not included: ${s.notIncluded.join('; ')})` : ''}`);
}
