/**
 * Every engine, by the name an instance's state records. Light on purpose: resolving a target (which
 * `ports` does) must not load compose, PM2 or Postgres modules, so an engine's module loads on its
 * first call. A new engine is a folder under src/engines/ and one line here.
 */
import { UsageError } from '../errors.js';
import type { StackDeclaration } from '../config/types.js';
import type { Engine, EngineName, EngineTarget } from './types.js';

/** composes: it runs compose projects (and so has Engine.compose). */
const ENGINES: Record<EngineName, Pick<Engine, 'underPm2' | 'machinePasswords'> & { composes: boolean; load: () => Promise<Engine> }> = {
  docker: { underPm2: false, machinePasswords: false, composes: true, load: () => import('./docker/index.js').then((m) => m.dockerEngine) },
  native: { underPm2: true, machinePasswords: true, composes: false, load: () => import('./native/index.js').then((m) => m.nativeEngine) },
};

export type EngineChoice = 'auto' | EngineName;

export const isEngineName = (name: unknown): name is EngineName => typeof name === 'string' && Object.hasOwn(ENGINES, name);

/** The environment variable that chooses the engine when --engine is not given. */
export const ENGINE_ENV = 'DEV_INSTANCES_ENGINE';

/** from: where the value came from, when not the --engine flag. */
export function parseEngineChoice(raw: string, from?: string): EngineChoice {
  if (raw === 'auto' || isEngineName(raw)) return raw;
  throw new UsageError(`invalid engine '${raw}'${from ? ` in ${from}` : ''}: expected auto, ${Object.keys(ENGINES).join(' or ')}`);
}

const cache = new Map<EngineName, Engine>();

/** The engine of that name; its module loads when it is first asked to do something. */
export function engineNamed(name: EngineName): Engine {
  const known = cache.get(name);
  if (known) return known;
  const { underPm2, machinePasswords, composes, load } = ENGINES[name];
  let loading: Promise<Engine> | undefined;
  const real = () => (loading ??= load());
  const engine: Engine = {
    name, underPm2, machinePasswords,
    inspect: async (t, opts) => (await real()).inspect(t, opts),
    up: async (t) => (await real()).up(t),
    stop: async (t) => (await real()).stop(t),
    down: async (t) => (await real()).down(t),
    removeData: async (t) => (await real()).removeData(t),
    status: async (t, pm2) => (await real()).status(t, pm2),
    databasePresent: async (t) => (await real()).databasePresent(t),
    dumpDatabase: async (t, db, file) => (await real()).dumpDatabase(t, db, file),
    restoreDatabase: async (t, db, file) => (await real()).restoreDatabase(t, db, file),
    processMarks: async (t) => (await real()).processMarks(t),
    logs: async (t, opts, onLine) => (await real()).logs(t, opts, onLine),
    instances: async (decl) => (await real()).instances(decl),
    describe: async (t, action) => (await real()).describe(t, action),
    ...(composes ? { compose: async (t: EngineTarget, args: readonly string[]) => (await real()).compose?.(t, args) ?? 1 } : {}),
  };
  cache.set(name, engine);
  return engine;
}

/** Instances found by the engines that run outside PM2 (PM2's list finds the rest), by engine. */
export async function instancesOutsidePm2(decl: StackDeclaration): Promise<Map<number, EngineName>> {
  const names = (Object.keys(ENGINES) as EngineName[]).filter((name) => !ENGINES[name].underPm2);
  const found = await Promise.all(names.map(async (name) => [name, await engineNamed(name).instances(decl)] as const));
  return new Map(found.flatMap(([name, ns]) => ns.map((n) => [n, name] as const)));
}

/**
 * The engine an instance's state records. An instance never started (or whose state is gone) is
 * taken as native: all it can have left is files and PM2 processes, which that engine handles.
 */
export const engineOfRecord = (name: EngineName | undefined): Engine => engineNamed(name ?? 'native');
