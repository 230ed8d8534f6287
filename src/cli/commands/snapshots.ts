/**
 * `snapshots`: the checkout's snapshots, newest first. `snapshots --rm NAME` removes one, with its
 * golden template in the shared Postgres (confirmed on a terminal, else --yes).
 */
import { listSnapshots, removeSnapshot, snapshotNamed } from '../../data/snapshots.js';
import { SNAPSHOTS_DIR } from '../../plan/names.js';
import { columns } from '../../text/columns.js';
import { formatBytes } from '../../text/bytes.js';
import { snapshotBrief } from '../messages.js';
import { confirmed } from '../confirm.js';
import type { CommandContext } from '../support/context.js';

export async function run(ctx: CommandContext): Promise<void> {
  if (typeof ctx.flags.rm === 'string') { await remove(ctx, ctx.flags.rm); return; }
  const all = listSnapshots(ctx.root);
  if (ctx.flags.json) { ctx.out(JSON.stringify(all, null, 2)); return; }
  if (all.length === 0) { ctx.out(`no snapshots in ${SNAPSHOTS_DIR}/ (just dev N snapshot [NAME] takes one)`); return; }
  const code = (s: (typeof all)[number]) => [s.stack.branch, s.stack.commit?.slice(0, 10)].filter(Boolean).join(' @ ') || '-';
  ctx.out(columns([
    ['NAME', 'TAKEN (UTC)', 'FROM', 'DATABASE', 'KEYS', 'CODE'],
    ...all.map((s) => [s.name, s.takenAt.replace('T', ' ').replace(/\..*/, ''), `instance ${s.instance}`, formatBytes(s.database.bytes), s.redis ? String(s.redis.keys) : '-', code(s)]),
  ]).join('\n'));
  ctx.out('\nRestore one into instance M: just dev M restore NAME. Remove one: just dev snapshots --rm NAME');
}

/**
 * The snapshot's folder, and its golden templates on the shared Postgres (the base port) when that
 * server answers; when it does not, they stay, and the line says so.
 */
async function remove(ctx: CommandContext, name: string): Promise<void> {
  const s = snapshotNamed(ctx.root, name);
  const what = `This deletes snapshot ${s.name} (${snapshotBrief(s)}) and its golden template in the shared Postgres, if it has one.`;
  if (!(await confirmed('snapshots --rm deletes data', what, ctx.flags.yes === true))) { ctx.out('nothing was removed'); return; }
  const { decl } = ctx.stack;
  const service = decl.services[decl.infra?.postgres?.service ?? '']?.container?.service;
  let templates: string[] | undefined;
  if (service) {
    const [{ pgServerOf }, { dropTemplates }, { sharedPlan }] = await Promise.all([
      import('../../provision/index.js'), import('../../data/templates.js'), import('../../lifecycle/shared.js')]);
    templates = await dropTemplates(pgServerOf(sharedPlan(decl, ctx.root, new Set([service]))), { root: ctx.root, name: s.name }).catch(() => undefined);
  }
  removeSnapshot(ctx.root, s);
  if (ctx.flags.json) { ctx.out(JSON.stringify({ removed: s.name, dir: s.dir, templatesDropped: templates ?? null }, null, 2)); return; }
  ctx.out(`removed snapshot ${s.name} (${s.dir}/)`);
  if (templates === undefined) ctx.warn('the shared Postgres did not answer: a golden template of this snapshot, if there is one, stays in it (SELECT datname FROM pg_database WHERE datname LIKE \'di_tpl_%\')');
  else if (templates.length > 0) ctx.out(`dropped its golden template${templates.length > 1 ? 's' : ''} ${templates.join(', ')} from the shared Postgres`);
}
