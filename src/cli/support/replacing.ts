/** What restore and clone share: confirm, replace the instance's data all or nothing, start again what was stopped for it. */
import { RestoreFailed, requireStarted, restoreInstance } from '../../data/restore.js';
import type { RestoreSource } from '../../data/sources.js';
import type { LifecycleEvent, Report } from '../../lifecycle/events.js';
import { startInstance } from '../../lifecycle/start.js';
import { undoing } from '../../proc/interrupt.js';
import type { Target } from '../../lifecycle/target.js';
import { confirmed } from '../confirm.js';
import { eventLine } from '../messages.js';
import type { CommandContext } from './context.js';
import { printStart, withProxy } from './starting.js';
import { engineFlag } from './flags.js';
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
  const startAgain = async () => {
    const planned = await withProxy(ctx, t);
    const started = await startInstance(planned, { engine: engineFlag(ctx), report: ctx.report });
    if (!ctx.flags.json) printStart(ctx, started);
  };
  try {
    done = await restoreInstance(t, { from: source, backup: r.backup, report });
  } catch (err) {
    // Nothing changed, but its apps were stopped for the swap: they run again before the error is told.
    if (err instanceof RestoreFailed && err.appsStopped.length > 0) await undoing(startAgain);
    throw err;
  } finally {
    await undoing(async () => source.dispose?.());
  }
  if (done.appsStopped.length > 0) await undoing(startAgain); // the apps it stopped run again, a signal or not
  const json = { instance: n, [r.verb === 'restore' ? 'restored' : 'cloned']: source.label, before: done.before ?? null, restarted: done.appsStopped, events };
  if (ctx.flags.json) ctx.out(JSON.stringify(json, null, 2));
  else ctx.out(`${r.verb === 'restore' ? 'restored' : 'cloned'} instance ${n} from ${source.label}`);
}
