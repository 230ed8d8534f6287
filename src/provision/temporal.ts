/**
 * One Temporal namespace per instance, through the SDK (never an optional CLI): register with the
 * declared retention, wait until DescribeNamespace sees it, delete through the OperatorService.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { pollUntil } from '../poll.js';

const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const NAMESPACE_STATE_DELETED = 3;

export interface TemporalTarget {
  address: string;
  namespace: string;
}

/** '72h' or '3d' -> seconds. */
export function retentionSeconds(retention: string): number {
  const m = /^(\d+)(h|d)$/.exec(retention);
  if (!m) throw new Error(`invalid retention '${retention}': expected hours or days, like '72h' or '3d'`);
  return Number(m[1]) * (m[2] === 'd' ? 86_400 : 3_600);
}

const codeOf = (err: unknown): number | undefined => (err as { code?: number })?.code;

async function withConnection<T>(address: string, deadlineMs: number, fn: (c: Connection) => Promise<T>): Promise<T> {
  // Connection.connect calls GetSystemInfo, so reaching here means the frontend answers.
  const connection = await Connection.connect({ address, connectTimeout: deadlineMs });
  try {
    return await connection.withDeadline(Date.now() + deadlineMs, () => fn(connection));
  } finally {
    await connection.close();
  }
}

/** Readiness: the frontend answers GetSystemInfo. */
export async function temporalAnswers(address: string, deadlineMs = 3_000): Promise<void> {
  await withConnection(address, deadlineMs, async () => {});
}

/** Returns true when this call registered the namespace. */
export async function ensureNamespace(
  t: TemporalTarget, retention: string, { deadlineMs = 20_000, pollMs = 200 } = {},
): Promise<boolean> {
  const seconds = retentionSeconds(retention);
  return withConnection(t.address, deadlineMs, async (c) => {
    let created = true;
    try {
      await c.workflowService.registerNamespace({
        namespace: t.namespace,
        workflowExecutionRetentionPeriod: msToTs(seconds * 1000),
        description: 'created by dev-instances',
      });
    } catch (err) {
      if (codeOf(err) !== ALREADY_EXISTS) throw err;
      created = false;
    }
    // Registration is asynchronous on a real server: poll until the namespace is visible.
    let lastErr: unknown;
    return pollUntil(async () => {
      try {
        await c.workflowService.describeNamespace({ namespace: t.namespace });
        return created;
      } catch (err) {
        if (codeOf(err) !== NOT_FOUND) throw err;
        lastErr = err;
        return undefined;
      }
    }, { deadlineMs, intervalMs: pollMs, timeout: () => lastErr as Error });
  });
}

/** Returns true when a namespace was deleted; a missing or already deleted one is success. */
export async function dropNamespace(t: TemporalTarget, { deadlineMs = 20_000 } = {}): Promise<boolean> {
  return withConnection(t.address, deadlineMs, async (c) => {
    try {
      const d = await c.workflowService.describeNamespace({ namespace: t.namespace });
      if (d.namespaceInfo?.state === NAMESPACE_STATE_DELETED) return false;
      await c.operatorService.deleteNamespace({ namespace: t.namespace });
      return true;
    } catch (err) {
      if (codeOf(err) === NOT_FOUND) return false;
      throw err;
    }
  });
}
