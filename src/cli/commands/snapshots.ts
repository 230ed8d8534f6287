/** `snapshots`: the checkout's snapshots, newest first. */
import { listSnapshots } from '../../lifecycle/snapshots.js';
import { SNAPSHOTS_DIR } from '../../plan/names.js';
import { columns } from '../../text/columns.js';
import { formatBytes } from '../../text/bytes.js';
import type { CommandContext } from './context.js';

export async function run(ctx: CommandContext): Promise<void> {
  const all = listSnapshots(ctx.root);
  if (ctx.flags.json) { ctx.out(JSON.stringify(all, null, 2)); return; }
  if (all.length === 0) { ctx.out(`no snapshots in ${SNAPSHOTS_DIR}/ (just dev N snapshot [NAME] takes one)`); return; }
  const code = (s: (typeof all)[number]) => [s.stack.branch, s.stack.commit?.slice(0, 10)].filter(Boolean).join(' @ ') || '-';
  ctx.out(columns([
    ['NAME', 'TAKEN (UTC)', 'FROM', 'DATABASE', 'KEYS', 'CODE'],
    ...all.map((s) => [s.name, s.takenAt.replace('T', ' ').replace(/\..*/, ''), `instance ${s.instance}`, formatBytes(s.database.bytes), String(s.redis.keys), code(s)]),
  ]).join('\n'));
  ctx.out(`\nRestore one into instance M: just dev M restore NAME. They stay until removed: rm -r ${SNAPSHOTS_DIR}/NAME`);
}
