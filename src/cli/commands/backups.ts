/** `backups N|all`: the database backups kept for an instance (clean and restore take them), newest first. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Backup, listBackups } from '../../data/backups.js';
import { BACKUPS_DIR, instanceOfDirName } from '../../plan/names.js';
import { columns } from '../../text/columns.js';
import { formatBytes } from '../../text/bytes.js';
import type { CommandContext } from '../support/context.js';

/** Instances with a backups folder: a cleaned instance has no folder of its own but keeps its backups. */
function numbersWithBackups(root: string): number[] {
  try {
    return readdirSync(join(root, BACKUPS_DIR)).map(instanceOfDirName).filter((n): n is number => n !== undefined).sort((a, b) => a - b);
  } catch {
    return [];
  }
}

export async function run(ctx: CommandContext): Promise<void> {
  const numbers = ctx.target ? [ctx.target.plan.instance] : numbersWithBackups(ctx.root);
  const all: Backup[] = numbers.flatMap((n) => listBackups(ctx.root, n));
  if (ctx.flags.json) { ctx.out(JSON.stringify(all, null, 2)); return; }
  if (all.length === 0) { ctx.out(`no backups${ctx.target ? ` of instance ${ctx.target.plan.instance}` : ''} in ${BACKUPS_DIR}/ (clean and restore take one first)`); return; }
  ctx.out(columns([['NAME', 'TAKEN (UTC)', 'SIZE', 'INSTANCE'], ...all.map((b) => [b.name, b.at.replace('T', ' ').replace('Z', ''), formatBytes(b.bytes), String(b.instance)])]).join('\n'));
  if (ctx.target) ctx.out(`\nRestore one: just dev ${ctx.target.plan.instance} restore NAME (the newest without NAME)`);
}
