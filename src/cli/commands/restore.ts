/**
 * `restore N [BACKUP|SNAPSHOT]`: the instance's database becomes a backup's (the newest without a
 * name) or a snapshot's (then its Redis keys too), all or nothing, after a backup of what it has;
 * apps that ran are started again, health-gated.
 */
import { join } from 'node:path';
import { BACKUP_NAME_RE, backupNamed, backupsKept } from '../../lifecycle/backups.js';
import type { LifecycleEvent } from '../../lifecycle/events.js';
import { type RestoreSource, restoreInstance } from '../../lifecycle/restore.js';
import { snapshotFiles, snapshotNamed } from '../../lifecycle/snapshots.js';
import { startInstance } from '../../lifecycle/start.js';
import type { Target } from '../../lifecycle/target.js';
import { formatBytes } from '../../text/bytes.js';
import { confirmed } from '../confirm.js';
import { eventLine } from '../messages.js';
import { type CommandContext, needTarget } from './context.js';
import { engineFlag } from './lifecycle-flags.js';
import { printStart, withProxy } from './start.js';

/** The source a name means, and the sentence that asks for confirmation. Exit 2 for a name that is neither. */
function sourceOf(t: Target, name: string | undefined): { source: RestoreSource; what: string } {
  const n = t.plan.instance;
  if (name === undefined || BACKUP_NAME_RE.test(name)) {
    const b = backupNamed(t.root, n, name);
    return {
      source: { label: b.file, dump: join(t.root, b.file), spare: b.name },
      what: `the database ${t.plan.database.name} of instance ${n} with ${b.file} (${formatBytes(b.bytes)}, taken ${b.at})`,
    };
  }
  const s = snapshotNamed(t.root, name);
  const files = snapshotFiles(t.root, s);
  return {
    source: { label: `snapshot ${s.name}`, ...files },
    what: `the database ${t.plan.database.name} and the Redis keys under ${t.plan.redis.keyPrefix} of instance ${n} with snapshot ${s.name}`
      + ` (instance ${s.instance}, ${s.takenAt}; ${formatBytes(s.database.bytes)} database, ${s.redis.keys} keys)`,
  };
}

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  const n = t.plan.instance;
  const backup = ctx.flags['no-backup'] !== true;
  if (backup) backupsKept();
  const { source, what } = sourceOf(t, ctx.operand);
  const sentence = `This replaces ${what}${backup ? ', after backing up its database as it is now.' : ' WITHOUT a backup of what it has now.'}`;
  if (!(await confirmed('restore replaces data', sentence, ctx.flags.yes === true))) { ctx.out('nothing was restored'); return; }
  const events: LifecycleEvent[] = [];
  const report = (e: LifecycleEvent) => { events.push(e); if (!ctx.flags.json) ctx.out(eventLine(e).text); };
  const r = await restoreInstance(t, { from: source, backup, report });
  if (r.appsStopped.length > 0) {
    const planned = await withProxy(ctx, t);
    const started = await startInstance(planned, { engine: engineFlag(ctx), report: ctx.report });
    if (!ctx.flags.json) printStart(ctx, started);
  }
  if (ctx.flags.json) ctx.out(JSON.stringify({ instance: n, restored: source.label, before: r.before ?? null, restarted: r.appsStopped, events }, null, 2));
  else ctx.out(`restored instance ${n} from ${source.label}`);
}
