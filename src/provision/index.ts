/**
 * Provision an instance's slices (src/slices/: its database, key prefix, Temporal namespace — those
 * its declaration has servers for) and drop exactly those again. Each step is idempotent; a slice
 * whose server the engine could not run is skipped.
 */
import type { StackDeclaration } from '../config/types.js';
import type { InstancePlan } from '../plan/plan.js';
import { pgServerOf as serverOfDatabase } from '../slices/database.js';
import { redisUrlOf as urlOfRedis } from '../slices/redis.js';
import { type Entry, phrase, serverNames, sliceEntries } from '../slices/table.js';
import type { Provisioned } from '../slices/types.js';
import type { PgServer } from './postgres.js';

/** One slice as a start or a clean left it. */
export interface SliceOutcome {
  key: string;
  title: string;
  /** e.g. 'database shipsec_dev_1' */
  phrase: string;
  state: Provisioned;
}

/** The Postgres server that holds the instance's database, as the tool's clients reach it (the plan must have one). */
export function pgServerOf(p: InstancePlan): PgServer {
  if (!p.database) throw new Error(`instance ${p.instance} has no database: the declaration has no infra.postgres`);
  return serverOfDatabase(p.database);
}

/** The Redis server that holds the instance's keys, as the tool's clients reach it (the plan must have one). */
export function redisUrlOf(p: InstancePlan): string {
  if (!p.redis) throw new Error(`instance ${p.instance} has no key prefix: the declaration has no infra.redis`);
  return urlOfRedis(p.redis);
}

/** down: the services the engine could not run (as it reported them). */
const runs = (decl: StackDeclaration, down: readonly string[]) => (e: Entry): boolean => !serverNames(decl, e.kind).some((n) => down.includes(n));

export async function provision(decl: StackDeclaration, p: InstancePlan, down: readonly string[]): Promise<SliceOutcome[]> {
  const up = runs(decl, down);
  return Promise.all(sliceEntries(p).map(async (e): Promise<SliceOutcome> => ({
    key: e.kind.key, title: e.kind.title, phrase: phrase(e), state: up(e) ? await e.kind.ensure(e.value) : 'skipped',
  })));
}

/** What went, in words ('database shipsec_dev_1', '3 Redis key(s)'); a slice whose server did not run is not asked. */
export async function unprovision(decl: StackDeclaration, p: InstancePlan, down: readonly string[]): Promise<string[]> {
  const up = runs(decl, down);
  const gone = await Promise.all(sliceEntries(p).filter(up).map((e) => e.kind.drop(e.value)));
  return gone.filter((x): x is string => x !== undefined);
}
