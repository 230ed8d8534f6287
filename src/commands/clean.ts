/** `clean N` / `clean all`: confirm, back up, then remove everything of the instance(s). */
import { createInterface } from 'node:readline/promises';
import type { CommandContext } from '../cli/registry.js';
import { UsageError } from '../cli/errors.js';
import { BACKUPS_DIR, cleanInstance } from '../lifecycle/clean.js';
import { discoverInstances, instanceFolders } from '../lifecycle/discover.js';
import { withPm2 } from '../pm2/client.js';

async function confirm(what: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`${what}\nType 'yes' to continue: `)).trim() === 'yes';
  } finally {
    rl.close();
  }
}

export async function run(ctx: CommandContext): Promise<void> {
  const { decl } = ctx.stack;
  const targets = ctx.plan
    ? [ctx.plan.instance]
    : [...new Set([...instanceFolders(ctx.root), ...discoverInstances(decl, ctx.root, await withPm2((pm2) => pm2.list()))])].sort((a, b) => a - b);
  if (targets.length === 0) { ctx.out('nothing to clean'); return; }
  const backup = ctx.flags['no-backup'] !== true;
  const what = `This deletes the database, Temporal namespace, Redis keys, data and files of instance${targets.length > 1 ? 's' : ''} ${targets.join(', ')}`
    + (backup ? ` (the database is backed up to ${BACKUPS_DIR}/ first).` : ' WITHOUT a backup.');
  if (ctx.flags.yes !== true) {
    if (!process.stdin.isTTY) throw new UsageError(`clean deletes data: confirm on a terminal, or pass --yes. ${what}`);
    if (!(await confirm(what))) { ctx.out('nothing was cleaned'); return; }
  }
  for (const n of targets) {
    await cleanInstance(decl, n, ctx.root, { backup, note: (l) => ctx.out(l) });
    ctx.out(`cleaned instance ${n}`);
  }
}
