/**
 * `clone M N` (or `clone M --from N`, `clone M --from-snapshot NAME`): instance M's data becomes a
 * copy of instance N's as it is now (database and keys), or of a snapshot's, all or nothing, after a
 * backup of what M has; N keeps running undisturbed. Apps of M that ran are started again.
 */
import { takeCopy } from '../../data/clone.js';
import { snapshotNamed } from '../../data/snapshots.js';
import { snapshotSource } from '../../data/sources.js';
import { backupsKept, needDatabase } from '../../data/backups.js';
import { UsageError } from '../../errors.js';
import { dataOf, snapshotBrief } from '../messages.js';
import { type CommandContext, needTarget } from '../support/context.js';
import { replaceData } from '../support/replacing.js';

/** The instance number a clone reads, as given (operand or --from), or undefined for a snapshot. */
function sourceInstance(ctx: CommandContext, m: number): string | undefined {
  const operand = ctx.operand;
  const from = typeof ctx.flags.from === 'string' ? ctx.flags.from : undefined;
  const snapshot = ctx.flags['from-snapshot'];
  if (operand !== undefined && from !== undefined && operand !== from) {
    throw new UsageError(`clone got two sources, ${operand} and --from ${from}: give one`);
  }
  const instance = operand ?? from;
  if (instance !== undefined && snapshot !== undefined) {
    throw new UsageError(`clone got two sources, instance ${instance} and --from-snapshot ${String(snapshot)}: give one`);
  }
  if (instance === undefined && snapshot === undefined) {
    throw new UsageError(`clone needs a source: just dev ${m} clone N, just dev ${m} clone --from N, or just dev ${m} clone --from-snapshot NAME`);
  }
  return instance;
}

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  needDatabase(t, 'nothing to clone into');
  const p = t.plan;
  const m = p.instance;
  const backup = ctx.flags['no-backup'] !== true;
  const raw = sourceInstance(ctx, m);
  const mine = dataOf(p);
  if (raw === undefined) {
    const s = snapshotNamed(t.root, String(ctx.flags['from-snapshot']));
    if (backup) backupsKept();
    const what = `${dataOf(p, s.redis !== undefined)} with snapshot ${s.name} (${snapshotBrief(s)})`;
    await replaceData(ctx, t, { verb: 'clone', what, backup, take: async () => snapshotSource(t, s) });
    return;
  }
  // A plain decimal, as every instance number: 08 and 0002 are refused, not read as 8 and 2.
  if (!/^(0|[1-9]\d*)$/.test(raw)) throw new UsageError(`invalid source instance '${raw}': expected a number, as in just dev ${m} clone 1`);
  const from = ctx.resolve(Number(raw));
  if (from.plan.instance === m) throw new UsageError(`cannot clone instance ${m} into itself: name another instance as the source`);
  if (backup) backupsKept();
  const what = `${mine} with a copy of instance ${from.plan.instance}'s, taken now (instance ${from.plan.instance} keeps running)`;
  await replaceData(ctx, t, {
    verb: 'clone', what, backup,
    take: async (report) => {
      const copy = await takeCopy(from, t, report);
      return { ...copy.source, dispose: copy.dispose };
    },
  });
}
