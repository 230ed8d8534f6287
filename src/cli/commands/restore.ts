/**
 * `restore N [BACKUP|SNAPSHOT]`: the instance's database becomes a backup's (the newest without a
 * name) or a snapshot's (then its Redis keys too), all or nothing, after a backup of what it has;
 * apps that ran are started again, health-gated.
 */
import { BACKUP_NAME_RE, backupNamed, backupsKept, needDatabase } from '../../lifecycle/backups.js';
import type { LifecycleEvent, Report } from '../../lifecycle/events.js';
import { requireStarted, restoreInstance } from '../../lifecycle/restore.js';
import { snapshotNamed } from '../../lifecycle/snapshots.js';
import { type RestoreSource, backupSource, snapshotSource } from '../../lifecycle/sources.js';
import { startInstance } from '../../lifecycle/start.js';
import type { Target } from '../../lifecycle/target.js';
import { formatBytes } from '../../text/bytes.js';
import { confirmed } from '../confirm.js';
import { dataOf, eventLine, snapshotBrief } from '../messages.js';
import { type CommandContext, needTarget } from './context.js';
import { engineFlag } from './lifecycle-flags.js';
import { printStart, withProxy } from './start.js';

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

export interface Replacement {
  /** The command, for the confirmation and the last line. */
  verb: 'restore' | 'clone';
  /** What is replaced with what, for the confirmation. */
  what: string;
  backup: boolean;
  /** The source, made only once the user has confirmed; dispose removes what it left. */
  take: (report: Report) => Promise<RestoreSource & { dispose?: () => Promise<void> }>;
}

/**
 * Confirm, replace the instance's data (restoreInstance: backup first, all or nothing), and start
 * again the apps that were stopped for it. Shared by restore and clone.
 */
export async function replaceData(ctx: CommandContext, t: Target, r: Replacement): Promise<void> {
  const n = t.plan.instance;
  requireStarted(t); // before the question, and before a clone reads its source
  const sentence = `This replaces ${r.what}${r.backup ? ', after backing up its database as it is now.' : ' WITHOUT a backup of what it has now.'}`;
  const nothing = r.verb === 'restore' ? 'nothing was restored' : 'nothing was cloned';
  if (!(await confirmed(`${r.verb} replaces data`, sentence, ctx.flags.yes === true))) { ctx.out(nothing); return; }
  const events: LifecycleEvent[] = [];
  const report = (e: LifecycleEvent) => { events.push(e); if (!ctx.flags.json) ctx.out(eventLine(e).text); };
  const source = await r.take(report);
  let done: Awaited<ReturnType<typeof restoreInstance>>;
  try {
    done = await restoreInstance(t, { from: source, backup: r.backup, report });
  } finally {
    await source.dispose?.();
  }
  if (done.appsStopped.length > 0) {
    const planned = await withProxy(ctx, t);
    const started = await startInstance(planned, { engine: engineFlag(ctx), report: ctx.report });
    if (!ctx.flags.json) printStart(ctx, started);
  }
  const json = { instance: n, [r.verb === 'restore' ? 'restored' : 'cloned']: source.label, before: done.before ?? null, restarted: done.appsStopped, events };
  if (ctx.flags.json) ctx.out(JSON.stringify(json, null, 2));
  else ctx.out(`${r.verb === 'restore' ? 'restored' : 'cloned'} instance ${n} from ${source.label}`);
}
