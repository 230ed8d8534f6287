/** `clean N` / `clean all`: confirm, back up, then remove everything of the instance(s). */
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../../errors.js';
import { cleanInstance } from '../../lifecycle/clean.js';
import { instanceFolders } from '../../lifecycle/discover.js';
import { BACKUPS_DIR } from '../../plan/names.js';
import { dryRunText, eventLine } from '../messages.js';
import type { CommandContext } from './context.js';
import { targetsOf } from './lifecycle-flags.js';

async function confirm(what: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`${what}\nType 'yes' to continue: `)).trim() === 'yes';
  } finally {
    rl.close();
  }
}

export async function run(ctx: CommandContext): Promise<void> {
  const { targets } = await targetsOf(ctx, () => instanceFolders(ctx.root));
  if (targets.length === 0) { ctx.out('nothing to clean'); return; }
  const backup = ctx.flags['no-backup'] !== true;
  if (ctx.flags['dry-run'] === true) {
    const { dryRun } = await import('../../lifecycle/dry-run.js');
    for (const t of targets) ctx.out(dryRunText(await dryRun(t, 'clean', { backup })));
    return;
  }
  const numbers = targets.map((t) => t.plan.instance);
  const what = `This deletes the database, Temporal namespace, Redis keys, data and files of instance${numbers.length > 1 ? 's' : ''} ${numbers.join(', ')}`
    + (backup ? ` (the database is backed up to ${BACKUPS_DIR}/ first).` : ' WITHOUT a backup.');
  if (ctx.flags.yes !== true) {
    if (!process.stdin.isTTY) throw new UsageError(`clean deletes data: confirm on a terminal, or pass --yes. ${what}`);
    if (!(await confirm(what))) { ctx.out('nothing was cleaned'); return; }
  }
  for (const t of targets) {
    // What clean did goes to stdout: it is the command's result, not progress.
    await cleanInstance(t, { backup, report: (e) => ctx.out(eventLine(e).text) });
    ctx.out(`cleaned instance ${t.plan.instance}`);
  }
}
