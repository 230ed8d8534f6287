/**
 * The one resolver: a command's instance becomes one target — its plan, its recorded state, the
 * engine it runs on — by one rule for sharing (the --infra flag, else what the instance was last
 * started with, else the declaration). The CLI resolves once per instance; nothing below re-plans.
 */
import type { Sharing, StackDeclaration } from '../config/types.js';
import { engineOfRecord } from '../engines/registry.js';
import type { Engine, EngineName, EngineTarget } from '../engines/types.js';
import { SHARED_DIR, instanceDir } from '../plan/names.js';
import { type InstancePlan, LOCAL_HOST, type MachinePasswords, type Placement, type PlanOptions, plan, rangeFor, sharedServices } from '../plan/plan.js';
import { parseInstance } from '../plan/range.js';
import { machineSecret } from '../secrets.js';
import { sharedHome } from './shared-home.js';
import { type InstanceState, readState } from './state.js';

export interface Target {
  decl: StackDeclaration;
  root: string;
  plan: InstancePlan;
  /** Compose services the shared set serves for this instance. */
  shared: ReadonlySet<string>;
  /** What the last start recorded; undefined for an instance never started (or whose folder is gone). */
  state: InstanceState | undefined;
  /** The engine the instance last ran on (stop, status, logs and clean follow it); native if never started. */
  engine: Engine;
  /** The engine of the shared set, when the instance uses one. */
  sharedEngine: Engine | undefined;
  /** The instance's own infrastructure, and the shared set's, as engines take them. */
  own: EngineTarget;
  sharedSet: EngineTarget | undefined;
  /** What plan() was given, for onEngine. */
  planned: PlanOptions;
}

export interface ResolveOptions {
  /** --infra, when given: wins over the recorded state and the declaration. */
  sharing?: Sharing;
  /** How the number is named in an error ('instance', 'SHIPSEC_INSTANCE value'). */
  what?: string;
  /** Where image overrides (DEV_INSTANCES_IMAGE_<SERVICE>) are read; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** The engine found holding the instance, for when no state records one (its folder was deleted). */
  found?: EngineName;
  /** The local proxy's port when named URLs are on (src/proxy/state.ts, proxySetting). */
  proxy?: { port: number };
  /** Where its own infrastructure runs, when a start places it (null: on this machine); else as recorded. */
  placement?: Placement | null;
  /** The engine a start chose (onEngine), over the recorded one. */
  engine?: EngineName;
}

/** raw: the instance as the user gave it (or a discovered number); refused with exit 2 when out of range. */
export function resolveTarget(decl: StackDeclaration, root: string, raw: string | number, opts: ResolveOptions = {}): Target {
  const declared = opts.sharing ? sharedServices(decl, opts.sharing) : sharedServices(decl);
  const token = String(raw);
  // Syntax first, against the declared range: a malformed number has no recorded state to read.
  if (!/^(0|[1-9]\d{0,5})$/.test(token)) parseInstance(token, rangeFor(decl, declared).max, opts.what);
  const n = Number(token);
  const state = readState(root, instanceDir(n));
  const shared = opts.sharing || !state ? declared : new Set(state.shared);
  const range = rangeFor(decl, shared);
  parseInstance(token, range.max, opts.what, range.reason);
  const placement = opts.placement === undefined ? state?.placement : opts.placement ?? undefined;
  const engine = engineOfRecord(opts.engine ?? state?.engine ?? opts.found);
  // The shared set's data and state are where the machine has them (another worktree's folder, maybe).
  const sharesAny = shared.size > 0;
  const home = sharesAny ? sharedHome(decl.project, root) : root;
  const sharedEngine = sharesAny ? engineOfRecord(readState(home, SHARED_DIR)?.engine ?? opts.engine ?? state?.engine) : undefined;
  const planned: PlanOptions = {
    shared, env: opts.env ?? process.env, ...(opts.proxy ? { proxy: opts.proxy } : {}), ...(placement ? { placement } : {}),
    ...passwordsFor(decl, shared, engine, sharedEngine),
  };
  const p = plan(decl, n, planned);
  return {
    decl, root, plan: p, shared, state, engine,
    sharedEngine: p.sharedInfra && sharedEngine,
    own: { decl, scope: p.infra, root },
    sharedSet: p.sharedInfra && { decl, scope: p.sharedInfra, root: home },
    planned,
  };
}

/**
 * The target as the engine a start chose runs it: the same, re-planned when that is another engine
 * than assumed (the native engine's Postgres and Redis ask for the machine's passwords).
 */
export function onEngine(t: Target, name: EngineName): Target {
  if (t.engine.name === name) return t;
  const engine = engineOfRecord(name);
  const sharedEngine = t.sharedEngine && readState(t.sharedSet?.root ?? t.root, SHARED_DIR) ? t.sharedEngine : engine;
  const planned: PlanOptions = { ...t.planned };
  delete planned.passwords;
  Object.assign(planned, passwordsFor(t.decl, t.shared, engine, sharedEngine));
  const p = plan(t.decl, t.plan.instance, planned);
  return {
    ...t, plan: p, engine, planned,
    sharedEngine: p.sharedInfra && sharedEngine,
    own: { ...t.own, scope: p.infra },
    sharedSet: p.sharedInfra && t.sharedSet && { ...t.sharedSet, scope: p.sharedInfra },
  };
}

/**
 * The machine's passwords of the declared Postgres and Redis that an engine of the tool's own runs
 * for this instance (the instance's set, or the shared one when it serves them).
 */
export function passwordsFor(decl: StackDeclaration, shared: ReadonlySet<string>, own: Engine, sharedSet: Engine | undefined): Pick<PlanOptions, 'passwords'> {
  const passwords: MachinePasswords = {};
  for (const kind of ['postgres', 'redis'] as const) {
    const declared = decl.infra?.[kind];
    if (!declared) continue;
    const service = decl.services[declared.service]?.container?.service;
    const runner = service !== undefined && shared.has(service) ? sharedSet : own;
    if (runner?.machinePasswords) passwords[kind] = machineSecret(kind);
  }
  return Object.keys(passwords).length > 0 ? { passwords } : {};
}

/** The instance's ports: its apps' and its own infrastructure's (the shared set checks its own). */
export function instancePorts(t: Target): { port: number; what: string; host: string; service?: string }[] {
  const p = t.plan;
  return [
    ...p.apps.flatMap((a) => (a.port === undefined ? [] : [{ port: a.port, what: `${a.id} of instance ${p.instance}`, host: LOCAL_HOST }])),
    ...p.infra.ports.map((x) => ({ port: x.port, what: `${x.label} of instance ${p.instance}`, host: x.host, ...(x.container ? { service: x.container.service } : {}) })),
  ];
}

/** Whether the instance's database lives on the Postgres server instances share. */
export const sharesDatabaseServer = (t: Target): boolean =>
  Boolean(t.plan.ports.find((x) => x.id === t.decl.infra?.postgres?.service)?.shared && t.sharedSet && t.sharedEngine);
