/** `clean N` / `clean all`: confirm, back up, then remove everything of the instance(s). */
import { backupsKept } from '../../data/backups.js';
import { cleanInstance } from '../../data/clean.js';
import type { LifecycleEvent } from '../../lifecycle/events.js';
import { instanceFolders } from '../../lifecycle/discover.js';
import { BACKUPS_DIR } from '../../plan/names.js';
import { sliceEntries } from '../../slices/table.js';
import { confirmed } from '../confirm.js';
import { dryRunText, eventLine } from '../messages.js';
import type { CommandContext } from '../support/context.js';
import { targetsOf } from '../support/targets.js';

export async function run(ctx: CommandContext): Promise<void> {
  const { targets } = await targetsOf(ctx, () => instanceFolders(ctx.root));
  if (targets.length === 0) { ctx.out(ctx.flags.json ? JSON.stringify({ cleaned: [] }) : 'nothing to clean'); return; }
  const backup = ctx.flags['no-backup'] !== true;
  if (backup) backupsKept(); // a bad retention setting stops here, before anything ran
  if (ctx.flags['dry-run'] === true) {
    const { dryRun } = await import('../../lifecycle/dry-run.js');
    for (const t of targets) ctx.out(dryRunText(await dryRun(t, 'clean', { backup })));
    return;
  }
  const numbers = targets.map((t) => t.plan.instance);
  const gone = [...new Set(targets.flatMap((t) => sliceEntries(t.plan).map((e) => e.kind.gone)))];
  const what = `This deletes ${[...gone, gone.length ? 'data and files' : 'the data and files'].join(', ')} of instance${numbers.length > 1 ? 's' : ''} ${numbers.join(', ')}`
    + (!targets.some((t) => t.plan.database) ? '.' : backup ? ` (the database is backed up to ${BACKUPS_DIR}/ first).` : ' WITHOUT a backup.');
  if (!(await confirmed('clean deletes data', what, ctx.flags.yes === true))) { ctx.out('nothing was cleaned'); return; }
  const cleaned: { instance: number; events: LifecycleEvent[] }[] = [];
  for (const t of targets) {
    const events: LifecycleEvent[] = [];
    // What clean did goes to stdout: it is the command's result, not progress (--json: one object at the end).
    await cleanInstance(t, { backup, report: (e) => { events.push(e); if (!ctx.flags.json) ctx.out(eventLine(e).text); } });
    cleaned.push({ instance: t.plan.instance, events });
    if (!ctx.flags.json) ctx.out(`cleaned instance ${t.plan.instance}`);
  }
  if (ctx.flags.json) ctx.out(JSON.stringify({ cleaned }, null, 2));
}
