/**
 * Provision an instance's own slice of the infrastructure (its database, Temporal namespace and Redis
 * key prefix) and drop exactly that slice again. Each step is idempotent.
 */
import { type InstancePlan, clientAddress } from '../plan/plan.js';
import type { PgServer } from './postgres.js';

// Clients load when first needed: the Temporal SDK (~0.3 s) only when the instance has a Temporal,
// pg and ioredis (~70 ms together) while the servers they talk to are still starting.
const temporal = () => import('./temporal.js');
const postgres = () => import('./postgres.js');
const redis = () => import('./redis.js');

export interface ProvisionReport {
  database: 'created' | 'exists';
  namespace: 'created' | 'exists' | 'skipped';
}

/** The Postgres server that holds the instance's database, as the tool's clients reach it. */
export const pgServerOf = (p: InstancePlan): PgServer => ({
  host: clientAddress(p.database.host), port: p.database.port, user: p.database.user, password: p.database.password,
});

/** The Redis server that holds the instance's keys, as the tool's clients reach it. */
export const redisUrlOf = (p: InstancePlan): string => `redis://${clientAddress(p.redis.host)}:${p.redis.port}`;

/** temporalAvailable: false when the engine could not run Temporal (the apps are told so). */
export async function provision(p: InstancePlan, temporalAvailable: boolean): Promise<ProvisionReport> {
  const [db, ns] = await Promise.all([
    postgres().then((m) => m.ensureDatabase(pgServerOf(p), p.database.name)),
    temporalAvailable ? temporal().then((t) => t.ensureNamespace(p.temporal, p.temporal.retention)) : Promise.resolve(undefined),
  ]);
  return { database: db ? 'created' : 'exists', namespace: ns === undefined ? 'skipped' : ns ? 'created' : 'exists' };
}

export interface DropReport {
  database: boolean;
  namespace: boolean | 'skipped';
  keys: number;
}

export async function unprovision(p: InstancePlan, temporalAvailable: boolean): Promise<DropReport> {
  const [database, namespace, keys] = await Promise.all([
    postgres().then((m) => m.dropDatabase(pgServerOf(p), p.database.name)),
    temporalAvailable ? temporal().then((t) => t.dropNamespace(p.temporal)) : Promise.resolve('skipped' as const),
    redis().then((m) => m.dropPrefix(redisUrlOf(p), p.redis.keyPrefix)),
  ]);
  return { database, namespace, keys };
}
