/**
 * `restore N [BACKUP|SNAPSHOT]`: the instance's database becomes a backup's (the newest without a
 * name) or a snapshot's (then its Redis keys too), all or nothing, after a backup of what it has;
 * apps that ran are started again, health-gated.
 */
import { BACKUP_NAME_RE, backupNamed, backupsKept, needDatabase } from '../../data/backups.js';
import { snapshotNamed } from '../../data/snapshots.js';
import { type RestoreSource, backupSource, snapshotSource } from '../../data/sources.js';
import type { Target } from '../../lifecycle/target.js';
import { formatBytes } from '../../text/bytes.js';
import { dataOf, snapshotBrief } from '../messages.js';
import { type CommandContext, needTarget } from '../support/context.js';
import { replaceData } from '../support/replacing.js';

/** The source a name means, and the sentence that asks for confirmation. Exit 2 for a name that is neither. */
function sourceOf(t: Target, name: string | undefined): { source: RestoreSource; what: string } {
  const n = t.plan.instance;
  if (name === undefined || BACKUP_NAME_RE.test(name)) {
    const b = backupNamed(t.root, n, name);
    return {
      source: backupSource(t, b),
      what: `the database ${t.plan.database?.name} of instance ${n} with ${b.file} (${formatBytes(b.bytes)}, taken ${b.at})`,
    };
  }
  const s = snapshotNamed(t.root, name);
  return {
    source: snapshotSource(t, s),
    what: `${dataOf(t.plan, s.redis !== undefined)} with snapshot ${s.name} (${snapshotBrief(s)})`,
  };
}

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  needDatabase(t, 'nothing to restore');
  const backup = ctx.flags['no-backup'] !== true;
  if (backup) backupsKept();
  const { source, what } = sourceOf(t, ctx.operand);
  await replaceData(ctx, t, { verb: 'restore', what, backup, take: async () => source });
}

