/**
 * How to tell each kind of infrastructure is ready, whoever runs it (a native process or a
 * container's published port): Postgres answers a query, Redis PING, Temporal GetSystemInfo, the
 * others accept a TCP connection. Clients load on first use.
 */
import type { StackDeclaration } from '../config/types.js';
import type { Credentials, InfraScope } from '../plan/plan.js';
import { run } from '../proc/run.js';
import { httpAnswers, tcpAccepts } from '../readiness.js';

export type InfraKind = 'postgres' | 'redis' | 'temporal' | 'minio' | 'loki' | 'redpanda';

/** The Postgres superuser of a set: there whenever the declaration has a Postgres, which is when it is asked for. */
export function superuserOf(su: InfraScope['superuser']): NonNullable<InfraScope['superuser']> {
  if (!su) throw new Error('the declaration has no infra.postgres, so no Postgres superuser');
  return su;
}

export const PROBES: Record<InfraKind, (port: number, creds: Credentials, host?: string) => Promise<void>> = {
  postgres: async (port, creds, host = '127.0.0.1') => {
    const { pgAnswers } = await import('../provision/postgres.js');
    await pgAnswers({ host, port, ...superuserOf(creds.superuser) });
  },
  redis: async (port, creds, host = '127.0.0.1') => {
    const { redisAnswers } = await import('../provision/redis.js');
    await redisAnswers(`redis://${creds.redisPassword ? `:${encodeURIComponent(creds.redisPassword)}@` : ''}${host}:${port}`);
  },
  temporal: async (port, _su, host = '127.0.0.1') => {
    const { temporalAnswers } = await import('../provision/temporal.js');
    await temporalAnswers(`${host}:${port}`);
  },
  minio: (port, _su, host) => tcpAccepts(port, host),
  loki: (port, _su, host) => tcpAccepts(port, host),
  redpanda: (port, _su, host) => tcpAccepts(port, host),
};

/** The kind of a declared service id (a port entry), when the declaration names it as one. */
export function kindOfService(decl: StackDeclaration, serviceId: string): InfraKind | undefined {
  const infra = decl.infra ?? {};
  const kinds: [InfraKind, string | undefined][] = [
    ['postgres', infra.postgres?.service], ['redis', infra.redis?.service], ['temporal', infra.temporal?.service],
    ['minio', infra.minio?.service], ['loki', infra.loki?.service], ['redpanda', infra.redpanda?.service],
  ];
  return kinds.find(([, id]) => id === serviceId)?.[0];
}

/** How long one try of a declared readiness command may take. */
const READY_COMMAND_MS = 5_000;

/** Succeeds when the declared command (its {port} filled in) exits 0; else fails with its last line. */
async function commandSucceeds(command: readonly string[], port: number): Promise<void> {
  const [exe = '', ...args] = command.map((w) => w.replaceAll('{port}', String(port)));
  const r = await run(exe, args, { timeoutMs: READY_COMMAND_MS, reject: false });
  if (r.code !== 0) throw new Error(`${exe} exited with ${r.code ?? 'a signal'}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').pop()}` : ''}`);
}

/**
 * The probe that tells a declared service is ready, whoever runs it: its declared `ready` (an HTTP
 * path, or a command), else its kind's probe, else `fallback` (a container's own healthcheck), else a TCP connect.
 */
export function serviceProbe(decl: StackDeclaration, serviceId: string, port: number, creds: Credentials, host: string,
  fallback?: () => Promise<void>): () => Promise<void> {
  const ready = decl.services[serviceId]?.ready;
  if (ready && 'http' in ready) return () => httpAnswers(port, ready.http, host);
  if (ready && 'command' in ready) return () => commandSucceeds(ready.command, port);
  const kind = kindOfService(decl, serviceId);
  if (kind) return () => PROBES[kind](port, creds, host);
  return fallback ?? (() => tcpAccepts(port, host));
}
