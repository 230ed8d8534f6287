/**
 * The one port reaper: make ports free. A holder that is ours gets SIGTERM, then SIGKILL after a
 * grace period; a holder that is not ours is never signalled, and is named if the port is still
 * taken when the deadline passes.
 */
import { OperationalError } from '../errors.js';
import { pollUntil } from '../poll.js';
import { escalation } from '../proc/stop.js';
import { type Holder, portHolder, portInUse } from './holder.js';

export interface PortToFree {
  port: number;
  /** e.g. 'backend of instance 3', for the error. */
  what: string;
}

export interface ReapOptions {
  ours: (h: Holder) => boolean;
  deadlineMs: number;
  graceMs?: number;
  /** Words after "port P (what) is still in use", e.g. 'after stop'. */
  context: string;
}

export async function freePorts(ports: readonly PortToFree[], opts: ReapOptions): Promise<void> {
  const push = escalation(opts.graceMs ?? 3_000);
  await Promise.all(ports.map(async ({ port, what }) => {
    let last: Holder | undefined;
    await pollUntil(async () => {
      if (!(await portInUse(port))) return true;
      last = portHolder(port);
      if (last && opts.ours(last)) push(last.pid);
      return undefined;
    }, {
      deadlineMs: opts.deadlineMs, intervalMs: 50,
      timeout: () => new OperationalError(
        `port ${port} (${what}) is still in use ${opts.context}${last ? ` by pid ${last.pid} (${last.command.slice(0, 120)})` : ''}`),
    });
  }));
}
