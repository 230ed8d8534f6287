/**
 * --dry-run: what start, stop or clean would do to one instance — the resolved plan, the engine's
 * command lines, the PM2 apps, the databases and keys — assembled without running or writing
 * anything (the engine is chosen by asking Docker whether it answers, nothing more).
 */
import { join } from 'node:path';
import { type EngineChoice, selectEngine } from '../engines/select.js';
import type { Engine, EngineAction } from '../engines/types.js';
import { backupsDir } from '../plan/names.js';
import { LOCAL_HOST } from '../plan/plan.js';
import { phrase, serverNames, sliceEntries } from '../slices/table.js';
import { type Target, instancePorts } from './target.js';

export type DryRunAction = 'start' | 'stop' | 'clean';

export interface DryRunPlan {
  instance: number;
  action: DryRunAction;
  engine: string;
  /** Which engine and why (start: what answers here; stop, clean: the recorded state). */
  engineReason: string;
  steps: { title: string; lines: string[] }[];
}

export interface DryRunOptions {
  engine?: EngineChoice;
  backup?: boolean;
}

async function infraLines(t: Target, engine: Engine, action: EngineAction): Promise<string[]> {
  const shared = action === 'up' && t.sharedSet ? (await engine.describe(t.sharedSet, 'up')).map((l) => `shared set: ${l}`) : [];
  return [...shared, ...(await engine.describe(t.own, action))];
}

function appLines(t: Target): string[] {
  return t.plan.apps.map((a) => `pm2 start ${a.pm2Name}: ${[...(a.interpreter === 'node' ? ['node'] : []), a.script, ...a.args].join(' ')} in ${a.cwd}`
    + `${a.port === undefined ? '' : `, port ${a.port}${a.health ? `, healthy when ${a.health} answers 200` : ''}`}`
    + `${a.needsInfrastructure ? '' : ' (starts while the infrastructure comes up)'}`);
}

/** down: the services the engine cannot run (their slices are skipped). */
function sliceLines(t: Target, verb: 'create' | 'drop', down: readonly string[]): string[] {
  const lines = sliceEntries(t.plan).map((e) => (serverNames(t.decl, e.kind).some((n) => down.includes(n))
    ? `no ${phrase(e)}: ${e.kind.infra} is not available on this engine`
    : e.kind.intent(e.value, verb)));
  return lines.length > 0 ? lines : ['nothing: the declaration has no database, Redis or Temporal'];
}

function stopSteps(t: Target, engine: Engine): Promise<DryRunPlan['steps']> {
  const ports = t.plan.apps.flatMap((a) => (a.port === undefined ? [] : [a.port]));
  return infraLines(t, engine, 'stop').then((infra) => [
    { title: 'Apps', lines: [...t.plan.apps.map((a) => `pm2 delete ${a.pm2Name}`), `wait until ports ${ports.join(', ')} are free`] },
    { title: `Infrastructure (${engine.name} engine; data kept)`, lines: infra },
  ]);
}

export async function dryRun(t: Target, action: DryRunAction, opts: DryRunOptions = {}): Promise<DryRunPlan> {
  const p = t.plan;
  const base = { instance: p.instance, action };
  if (action === 'start') {
    // The same rule as a start (the recorded engine wins on auto), without fetching images.
    const { engine, reason } = await selectEngine(opts.engine ?? 'auto', {
      label: `instance ${p.instance}`, ...(t.state ? { recorded: t.state.engine } : {}), ...(p.placement ? { placement: p.placement } : {}),
    });
    const unavailable = (await Promise.all([t.own, ...(t.sharedSet ? [t.sharedSet] : [])].map((set) => engine.inspect(set))))
      .flatMap((i) => i.unavailable.map((u) => u.service));
    return {
      ...base, engine: engine.name, engineReason: reason,
      steps: [
        { title: `Write ${p.dir}/`, lines: [...p.apps.map((a) => a.envFile), p.files.composeOverride, p.files.ecosystem, `${p.dir}/state.json`] },
        { title: 'Check ports are free', lines: [instancePorts(t).map((x) => `${x.port} (${x.what}${x.host === LOCAL_HOST ? '' : ` on ${x.host}`})`).join(', ')] },
        { title: `Infrastructure (${reason})`, lines: await infraLines(t, engine, 'up') },
        { title: 'Provision', lines: sliceLines(t, 'create', unavailable) },
        { title: `Apps under PM2 (namespace ${p.pm2Namespace})`, lines: appLines(t) },
      ],
    };
  }
  const recorded = `${t.engine.name} engine, ${t.state ? `as last started (${t.state.startedAt})` : 'never started: nothing recorded'}`;
  if (action === 'stop') return { ...base, engine: t.engine.name, engineReason: recorded, steps: await stopSteps(t, t.engine) };
  return {
    ...base, engine: t.engine.name, engineReason: recorded,
    steps: [
      ...(opts.backup === false || !p.database ? [] : [{ title: 'Back up', lines: [`pg_dump -Fc ${p.database.name} > ${join(backupsDir(p.instance), `${p.database.name}-<time>.dump`)} (the newest 5 kept)`] }]),
      { title: 'Drop the instance\'s slices', lines: sliceLines(t, 'drop', t.state?.unavailable ?? []) },
      ...(await stopSteps(t, t.engine)),
      { title: 'Remove', lines: [...(await t.engine.describe(t.own, 'remove-data')), `remove ${p.dir}/`] },
    ],
  };
}
