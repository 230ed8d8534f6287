/** `start N` (the default action): bring the whole instance up and print where it lives. */
import { refuseIfHeldElsewhere } from '../../leases/assign.js';
import { type StartOptions, type StartResult, startInstance } from '../../lifecycle/start.js';
import type { Target } from '../../lifecycle/target.js';
import { httpUrls, namedUrls, portsByKey } from '../../plan/plan.js';
import { dryRunText, startSummary } from '../messages.js';
import { type CommandContext, needTarget } from './context.js';
import { engineFlag } from './lifecycle-flags.js';

/**
 * The snapshot a new database starts from: --seed (an unknown name exits 2 before anything starts),
 * else the declaration's seed (one this checkout has no snapshot of is a warning when the instance is
 * new, and it starts empty).
 */
async function seedOf(ctx: CommandContext, t: Target): Promise<StartOptions['seed']> {
  const flag = ctx.flags.seed;
  const declared = t.decl.seed;
  if (typeof flag !== 'string' && declared === undefined) return undefined;
  const { listSnapshots, snapshotNamed } = await import('../../lifecycle/snapshots.js');
  if (typeof flag === 'string') return { snapshot: snapshotNamed(t.root, flag), declared: false };
  const found = listSnapshots(t.root).find((s) => s.name === declared);
  if (!found && !t.state) ctx.warn(`the declaration's seed '${declared}' is not a snapshot of this checkout (just dev snapshots lists them): instance ${t.plan.instance} starts with an empty database`);
  return found && { snapshot: found, declared: true };
}

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  const seed = await seedOf(ctx, t);
  if (ctx.flags['dry-run'] === true) {
    // The start would be refused before anything: so is its dry run.
    refuseIfHeldElsewhere(t.decl.project, t.root, t.plan.instance, 'a start would be refused');
    const { dryRun } = await import('../../lifecycle/dry-run.js');
    ctx.out(dryRunText(await dryRun(t, 'start', { engine: engineFlag(ctx) })));
    return;
  }
  // Refused before anything starts (the proxy included) when another checkout holds the number.
  refuseIfHeldElsewhere(t.decl.project, t.root, t.plan.instance, 'nothing was started');
  const planned = await withProxy(ctx, t);
  printStart(ctx, await startInstance(planned, { engine: engineFlag(ctx), report: ctx.report, ...(seed ? { seed } : {}) }));
}

/**
 * Named URLs need the machine's proxy: started here when it does not run. When it cannot run, the
 * instance starts without named URLs (its apps get http://localhost:PORT), with a warning saying why.
 */
export async function withProxy(ctx: CommandContext, t: Target): Promise<Target> {
  if (!ctx.proxy) return t;
  const { ensureProxy } = await import('../../proxy/control.js');
  try {
    const { started, port } = await ensureProxy(ctx.proxy.port);
    if (started) ctx.note(`started the local proxy: named URLs and the dashboard on http://localhost:${port}/`);
    return t;
  } catch (err) {
    ctx.warn(`${(err as Error).message}; instance ${t.plan.instance} starts without named URLs`);
    return ctx.withoutProxy(t);
  }
}

/** The end of a start (and restart): the summary for people, or one JSON object with --json. */
export function printStart(ctx: CommandContext, r: StartResult): void {
  if (!ctx.flags.json) { ctx.out(startSummary(r)); return; }
  const p = r.plan;
  const down = new Set(r.unavailable.map((u) => u.service));
  ctx.out(JSON.stringify({
    instance: p.instance, alreadyRunning: r.alreadyRunning, engine: r.engine.name, engineReason: r.engineReason, ms: Math.round(r.ms),
    ports: portsByKey(p),
    urls: httpUrls(p), namedUrls: namedUrls(p),
    database: p.database.name, temporalNamespace: down.has('temporal') ? null : p.temporal.namespace, taskQueue: p.temporal.taskQueue,
    redisPrefix: p.redis.keyPrefix, apps: p.apps.map((a) => a.pm2Name), unavailable: r.unavailable,
  }, null, 2));
}
