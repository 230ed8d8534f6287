/**
 * `restore N [BACKUP]`: the instance's database becomes a backup's (the newest without a name), all
 * or nothing, after a backup of what it has; apps that ran are started again, health-gated.
 */
import { backupNamed, backupsKept } from '../../lifecycle/backups.js';
import type { LifecycleEvent } from '../../lifecycle/events.js';
import { restoreInstance } from '../../lifecycle/restore.js';
import { startInstance } from '../../lifecycle/start.js';
import { formatBytes } from '../../text/bytes.js';
import { confirmed } from '../confirm.js';
import { eventLine } from '../messages.js';
import { type CommandContext, needTarget } from './context.js';
import { engineFlag } from './lifecycle-flags.js';
import { printStart, withProxy } from './start.js';

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  const n = t.plan.instance;
  const backup = ctx.flags['no-backup'] !== true;
  if (backup) backupsKept();
  const from = backupNamed(t.root, n, ctx.operand);
  const what = `This replaces the database ${t.plan.database.name} of instance ${n} with ${from.file} (${formatBytes(from.bytes)}, taken ${from.at})`
    + (backup ? ', after backing up what it has now.' : ' WITHOUT a backup of what it has now.');
  if (!(await confirmed('restore replaces data', what, ctx.flags.yes === true))) { ctx.out('nothing was restored'); return; }
  const events: LifecycleEvent[] = [];
  const report = (e: LifecycleEvent) => { events.push(e); if (!ctx.flags.json) ctx.out(eventLine(e).text); };
  const r = await restoreInstance(t, { from, backup, report });
  if (r.appsStopped.length > 0) {
    const planned = await withProxy(ctx, t);
    const started = await startInstance(planned, { engine: engineFlag(ctx), report: ctx.report });
    if (!ctx.flags.json) printStart(ctx, started);
  }
  if (ctx.flags.json) ctx.out(JSON.stringify({ instance: n, restored: from, before: r.before ?? null, restarted: r.appsStopped, events }, null, 2));
  else ctx.out(`restored instance ${n} from ${from.name}`);
}
