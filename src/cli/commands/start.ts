/** `start N` (the default action): bring the whole instance up and print where it lives. */
import { refuseIfHeldElsewhere } from '../../leases/assign.js';
import { type StartOptions, startInstance } from '../../lifecycle/start.js';
import type { Target } from '../../lifecycle/target.js';
import { isLoopback } from '../../plan/addresses.js';
import { placementLabel } from '../../plan/views.js';
import { dryRunText } from '../messages.js';
import { type CommandContext, needTarget } from '../support/context.js';
import { engineFlag } from '../support/flags.js';
import { printStart, withProxy } from '../support/starting.js';
import { LOCAL_PLACEMENT, requestedHost, resolvePlacement, sameHost } from '../../engines/docker/placement.js';
import { UsageError } from '../../errors.js';
import type { Snapshot } from '../../data/snapshots.js';

/**
 * The snapshot a new database starts from: --seed (an unknown name exits 2 before anything starts),
 * else the declaration's seed (one this checkout has no snapshot of is a warning when the instance is
 * new, and it starts empty).
 */
async function seedOf(ctx: CommandContext, t: Target): Promise<StartOptions['seed']> {
  const flag = ctx.flags.seed;
  const declared = t.decl.seed;
  if (typeof flag !== 'string' && declared === undefined) return undefined;
  const { listSnapshots, snapshotNamed } = await import('../../data/snapshots.js');
  const seeded = (snapshot: Snapshot, isDeclared: boolean): StartOptions['seed'] => ({
    name: `snapshot ${snapshot.name}`, ifExists: isDeclared ? 'quiet' : 'warn',
    // pg and ioredis load only for a seed: a plain start provisions through lazily loaded clients.
    fill: async (into, report) => {
      const [{ seedInstance }, { snapshotSource }] = await Promise.all([import('../../data/seed.js'), import('../../data/sources.js')]);
      const hint = 'Check the snapshot (just dev snapshots), or start without --seed.';
      return seedInstance(into, { source: snapshotSource(into, snapshot), ifExists: isDeclared ? 'quiet' : 'warn', hint }, report);
    },
  });
  if (typeof flag === 'string') return seeded(snapshotNamed(t.root, flag), false);
  const found = listSnapshots(t.root).find((s) => s.name === declared);
  if (!found && !t.state) ctx.warn(`the declaration's seed '${declared}' is not a snapshot of this checkout (just dev snapshots lists them): instance ${t.plan.instance} starts with an empty database`);
  return found && seeded(found, true);
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

/**
 * A placed instance's servers answer on the host's own address, to anyone who can reach it, with the
 * credentials the declaration (a file in the repository) gives: said before each start there.
 */
function warnExposure(ctx: CommandContext, t: Target): void {
  const p = t.plan;
  if (!p.placement || isLoopback(p.placement.address)) return;
  const servers = [...(p.database ? [`Postgres on ${p.placement.address}:${p.database.port} (user ${p.database.user}, the declaration's password)`] : []),
    ...(p.redis ? [`Redis on ${p.placement.address}:${p.redis.port} (no password)`] : [])];
  if (servers.length === 0) return;
  ctx.warn(`instance ${p.instance} publishes ${servers.join(' and ')} on ${placementLabel(p.placement)}: anyone who reaches that address and reads the repository can use them. `
    + 'Keep the host on a private network, or set passwords of your own (composeEnv in the declaration reads them from .env)');
}

export async function run(ctx: CommandContext): Promise<void> {
  const t = await placed(ctx, needTarget(ctx));
  warnExposure(ctx, t);
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
