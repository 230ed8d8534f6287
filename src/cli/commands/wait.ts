/**
 * `wait N [--timeout S]`: block until every process of the instance is online and answers its health
 * check, for scripts and coding agents that must not race a start. Exit 0 when healthy; exit 1 naming
 * each process that is not, when the time is up.
 */
import { OperationalError, UsageError } from '../../errors.js';
import { type InstanceStatus, type ProcessRow, instanceStatus } from '../../lifecycle/status.js';
import { pause } from '../../poll.js';
import { withPm2 } from '../../pm2/client.js';
import { stopIfInterrupted } from '../../proc/interrupt.js';
import { type CommandContext, needTarget } from '../support/context.js';

const DEFAULT_TIMEOUT_S = 120;

function timeoutMs(raw: string | boolean | undefined): number {
  if (raw === undefined) return DEFAULT_TIMEOUT_S * 1000;
  if (typeof raw !== 'string' || !/^\d{1,5}(\.\d+)?$/.test(raw)) throw new UsageError(`invalid --timeout '${String(raw)}': expected seconds, e.g. --timeout 60`);
  return Number(raw) * 1000;
}

const unhealthy = (r: ProcessRow): boolean => r.state !== 'online' || r.health === 'failing';
/** Healthy: the engine could say what runs, something runs, and every process is online and answers. */
const healthy = (s: InstanceStatus | undefined): boolean => !!s && !s.problem && s.processes.length > 0 && !s.processes.some(unhealthy);
const describe = (r: ProcessRow): string => `${r.name} (${r.state === 'online' ? `health check failing on port ${r.port}` : r.state})`;

export async function run(ctx: CommandContext): Promise<void> {
  const deadline = Date.now() + timeoutMs(ctx.flags.timeout);
  const n = needTarget(ctx).plan.instance;
  const began = Date.now();
  let last: InstanceStatus | undefined;
  // One PM2 connection for the whole wait; the target is resolved again each time (a start may record its engine meanwhile).
  await withPm2(async (pm2) => {
    for (;;) {
      stopIfInterrupted();
      const t = ctx.resolve(n);
      [last] = await instanceStatus(ctx.stack.decl, ctx.root, [t], await pm2.list(), false);
      if (healthy(last) || Date.now() >= deadline) return;
      await pause(250);
    }
  });
  const bad = last?.processes.filter(unhealthy) ?? [];
  const ok = healthy(last);
  const waitedMs = Date.now() - began;
  if (ctx.flags.json) {
    ctx.out(JSON.stringify({ instance: n, healthy: ok, waitedMs, notHealthy: bad.map((r) => ({ name: r.name, state: r.state, health: r.health, ...(r.lastLines ? { lastLines: r.lastLines } : {}) })) }, null, 2));
  } else if (ok) {
    ctx.out(`instance ${n} is healthy (${last?.processes.length} processes, waited ${(waitedMs / 1000).toFixed(1)} s)`);
  }
  if (!ok) {
    const what = last?.problem ?? (bad.length > 0 ? bad.map(describe).join(', ') : 'nothing of it runs');
    throw new OperationalError(`instance ${n} is not healthy after ${(waitedMs / 1000).toFixed(0)} s: ${what}`,
      `See just dev ${n} status and just dev ${n} logs --no-follow; start it with just dev ${n}.`);
  }
}
