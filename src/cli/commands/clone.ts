/**
 * `clone M N` (or `clone M --from N`, `clone M --from-snapshot NAME`): instance M's data becomes a
 * copy of instance N's as it is now (database and keys), or of a snapshot's, all or nothing, after a
 * backup of what M has; N keeps running undisturbed. Apps of M that ran are started again.
 *
 * An M that never ran is made from the copy: its infrastructure starts and its database is created
 * holding the copy (never first empty), and its apps are left for `just dev M` (or started now with
 * --start). Nothing is replaced, so nothing is asked.
 */
import { type TakenCopy, requireSource, takeCopy } from '../../data/clone.js';
import { seedInstance } from '../../data/seed.js';
import { type Snapshot, snapshotNamed } from '../../data/snapshots.js';
import { snapshotSource } from '../../data/sources.js';
import { refuseIfHeldElsewhere } from '../../leases/assign.js';
import { othersLeases } from '../../leases/registry.js';
import type { StartOptions } from '../../lifecycle/start.js';
import { startInstance } from '../../lifecycle/start.js';
import { type Target, resolveTarget } from '../../lifecycle/target.js';
import { undoing } from '../../proc/interrupt.js';
import { backupsKept, needDatabase } from '../../data/backups.js';
import { UsageError } from '../../errors.js';
import { dataOf, snapshotBrief } from '../messages.js';
import { type CommandContext, needTarget } from '../support/context.js';
import { engineFlag } from '../support/flags.js';
import { replaceData } from '../support/replacing.js';
import { printStart, withProxy } from '../support/starting.js';

/** The instance number a clone reads, as given (operand or --from), or undefined for a snapshot. */
function sourceInstance(ctx: CommandContext, m: number): string | undefined {
  const operand = ctx.operand;
  const from = typeof ctx.flags.from === 'string' ? ctx.flags.from : undefined;
  const snapshot = ctx.flags['from-snapshot'];
  if (operand !== undefined && from !== undefined && operand !== from) {
    throw new UsageError(`clone got two sources, ${operand} and --from ${from}: give one`);
  }
  const instance = operand ?? from;
  if (instance !== undefined && snapshot !== undefined) {
    throw new UsageError(`clone got two sources, instance ${instance} and --from-snapshot ${String(snapshot)}: give one`);
  }
  if (instance === undefined && snapshot === undefined) {
    throw new UsageError(`clone needs a source: just dev ${m} clone N, just dev ${m} clone --from N, or just dev ${m} clone --from-snapshot NAME`);
  }
  return instance;
}

/**
 * Instance N as given: a plain decimal, as every instance number (08 and 0002 are refused, not read
 * as 8 and 2), and not M. A number another checkout holds is that checkout's instance (an agent's new
 * worktree copying the main worktree's data): it is only read, and left as it was found.
 */
function sourceTarget(ctx: CommandContext, m: number, raw: string): Target {
  if (!/^(0|[1-9]\d*)$/.test(raw)) throw new UsageError(`invalid source instance '${raw}': expected a number, as in just dev ${m} clone 1`);
  const n = Number(raw);
  const elsewhere = othersLeases(ctx.stack.decl.project, ctx.root).find((l) => l.instance === n);
  const from = elsewhere ? resolveTarget(ctx.stack.decl, elsewhere.checkout, n) : ctx.resolveRecorded(n);
  if (from.plan.instance === m) throw new UsageError(`cannot clone instance ${m} into itself: name another instance as the source`);
  return from;
}

/** M never ran: start its infrastructure with its database made from the source, apps left unless --start. */
async function cloneIntoNew(ctx: CommandContext, t: Target, raw: string | undefined): Promise<void> {
  const m = t.plan.instance;
  refuseIfHeldElsewhere(t.decl.project, t.root, m, 'nothing was cloned');
  const from = raw === undefined ? undefined : sourceTarget(ctx, m, raw);
  if (from) requireSource(from); // before M's infrastructure starts: a source without data leaves M untouched
  const snapshot = raw === undefined ? snapshotNamed(t.root, String(ctx.flags['from-snapshot'])) : undefined;
  const label = from ? `instance ${from.plan.instance}` : `snapshot ${snapshot?.name}`;
  const copies: TakenCopy[] = [];
  const seed: NonNullable<StartOptions['seed']> = {
    name: label, ifExists: 'refuse',
    fill: async (into, report) => {
      // Taken now that M's server runs (a copy by the server needs it), under N's lock while this start
      // holds M's. A clone into an instance that ran never holds its own lock while it waits for its
      // source's, so two clones cannot wait for each other.
      const copy = from ? await takeCopy(from, into, report) : undefined;
      if (copy) copies.push(copy);
      const source = copy?.source ?? snapshotSource(into, snapshot as Snapshot);
      const hint = from ? `Check instance ${from.plan.instance} (just dev ${from.plan.instance} status), then clone again.` : 'Check the snapshot (just dev snapshots), then clone again.';
      return seedInstance(into, { source, ifExists: 'refuse', hint }, report);
    },
  };
  const planned = await withProxy(ctx, t);
  const withApps = ctx.flags.start === true;
  try {
    printStart(ctx, await startInstance(planned, { engine: engineFlag(ctx), report: ctx.report, seed, apps: withApps }));
  } finally {
    await undoing(async () => { for (const c of copies) await c.dispose(); });
  }
}

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  needDatabase(t, 'nothing to clone into');
  const p = t.plan;
  const m = p.instance;
  const backup = ctx.flags['no-backup'] !== true;
  const raw = sourceInstance(ctx, m);
  if (!t.state) return cloneIntoNew(ctx, t, raw);
  for (const flag of ['infra', 'engine', 'start'] as const) {
    if (ctx.flags[flag] !== undefined) throw new UsageError(`--${flag} is for a clone into an instance that never ran; instance ${m} has run: its data is replaced where it is, and its apps run again if they ran`);
  }
  const mine = dataOf(p);
  if (raw === undefined) {
    const s = snapshotNamed(t.root, String(ctx.flags['from-snapshot']));
    if (backup) backupsKept();
    const what = `${dataOf(p, s.redis !== undefined)} with snapshot ${s.name} (${snapshotBrief(s)})`;
    await replaceData(ctx, t, { verb: 'clone', what, backup, take: async () => snapshotSource(t, s) });
    return;
  }
  const from = sourceTarget(ctx, m, raw);
  if (backup) backupsKept();
  const what = `${mine} with a copy of instance ${from.plan.instance}'s, taken now (instance ${from.plan.instance} keeps running)`;
  await replaceData(ctx, t, {
    verb: 'clone', what, backup,
    take: async (report) => {
      const copy = await takeCopy(from, t, report);
      return { ...copy.source, dispose: copy.dispose };
    },
  });
}
