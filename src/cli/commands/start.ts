/** `start N` (the default action): bring the whole instance up and print where it lives. */
import { refuseIfHeldElsewhere } from '../../leases/assign.js';
import { type StartOptions, type StartResult, startInstance } from '../../lifecycle/start.js';
import type { Target } from '../../lifecycle/target.js';
import { httpUrls, namedUrls, placementLabel, portsByKey } from '../../plan/plan.js';
import { dryRunText, startSummary } from '../messages.js';
import { sliceJson } from '../../slices/table.js';
import { type CommandContext, needTarget } from './context.js';
import { engineFlag } from './lifecycle-flags.js';
import { LOCAL_PLACEMENT, requestedHost, resolvePlacement, sameHost } from '../../engines/placement.js';
import { UsageError } from '../../errors.js';

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

/**
 * Where its own infrastructure runs (docs/ENGINES.md: Remote Docker hosts): as recorded for an instance that
 * ran (its data is there), else --host, DEV_INSTANCES_HOST, the declaration's host, DOCKER_HOST. A
 * --host that differs from where the data is, or a placement with the native engine, exits 2.
 */
async function placed(ctx: CommandContext, t: Target): Promise<Target> {
  const req = requestedHost(ctx.flags.host, process.env, t.decl);
  if (!req || (t.state && !req.explicit)) return t;
  const wanted = await resolvePlacement(req);
  const n = t.plan.instance;
  if (wanted && engineFlag(ctx) === 'native') {
    throw new UsageError(`${req.from} '${req.raw}' places instance ${n}'s infrastructure on a Docker host, but the native engine runs it on this machine: drop the native engine choice, or use --host ${LOCAL_PLACEMENT}`);
  }
  if (t.state && !sameHost(t.state.placement, wanted)) {
    const where = t.state.placement ? `on the Docker host ${placementLabel(t.state.placement)}` : 'on this machine';
    if (t.state.engine === 'docker') {
      throw new UsageError(`instance ${n}'s infrastructure and data are ${where}; --host ${req.raw} would start it afresh elsewhere and leave them there. `
        + `Start it without --host, or move it: just dev ${n} snapshot NAME; just dev ${n} clean; just dev ${n} --host ${req.raw} --seed NAME`);
    }
  }
  return sameHost(t.plan.placement, wanted) ? t : ctx.resolve(n, undefined, wanted ?? null);
}

export async function run(ctx: CommandContext): Promise<void> {
  const t = await placed(ctx, needTarget(ctx));
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
    ...sliceJson(ctx.stack.decl, p, [...down]), apps: p.apps.map((a) => a.pm2Name), unavailable: r.unavailable,
    placement: p.placement ?? null,
  }, null, 2));
}
