/** `start N` (the default action): bring the whole instance up and print where it lives. */
import { refuseIfHeldElsewhere } from '../../leases/assign.js';
import { type StartResult, startInstance } from '../../lifecycle/start.js';
import { httpUrls, portsByKey } from '../../plan/plan.js';
import { dryRunText, startSummary } from '../messages.js';
import { type CommandContext, needTarget } from './context.js';
import { engineFlag } from './lifecycle-flags.js';

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  if (ctx.flags['dry-run'] === true) {
    // The start would be refused before anything: so is its dry run.
    refuseIfHeldElsewhere(t.decl.project, t.root, t.plan.instance, 'a start would be refused');
    const { dryRun } = await import('../../lifecycle/dry-run.js');
    ctx.out(dryRunText(await dryRun(t, 'start', { engine: engineFlag(ctx) })));
    return;
  }
  printStart(ctx, await startInstance(t, { engine: engineFlag(ctx), report: ctx.report }));
}

/** The end of a start (and restart): the summary for people, or one JSON object with --json. */
export function printStart(ctx: CommandContext, r: StartResult): void {
  if (!ctx.flags.json) { ctx.out(startSummary(r)); return; }
  const p = r.plan;
  const down = new Set(r.unavailable.map((u) => u.service));
  ctx.out(JSON.stringify({
    instance: p.instance, alreadyRunning: r.alreadyRunning, engine: r.engine.name, engineReason: r.engineReason, ms: Math.round(r.ms),
    ports: portsByKey(p),
    urls: httpUrls(p),
    database: p.database.name, temporalNamespace: down.has('temporal') ? null : p.temporal.namespace, taskQueue: p.temporal.taskQueue,
    redisPrefix: p.redis.keyPrefix, apps: p.apps.map((a) => a.pm2Name), unavailable: r.unavailable,
  }, null, 2));
}
