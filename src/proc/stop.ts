/**
 * The one way this tool stops a process it does not hold as a child (a PM2 daemon, a stale nginx, the
 * holder of a port): SIGTERM, SIGKILL once a grace period has passed, and a wait with a deadline whose
 * failure names the process. (A child it spawned is stopped through its handle: `terminate` in run.ts.)
 */
import { OperationalError } from '../errors.js';
import { pollUntil } from '../poll.js';
import { processAlive } from './alive.js';

const send = (pid: number, sig: NodeJS.Signals): void => {
  try { process.kill(pid, sig); } catch { /* already gone */ }
};

/**
 * For a loop that keeps looking at processes that should go: the first look at a pid sends SIGTERM, a
 * look after graceMs sends SIGKILL (never, when graceMs is Infinity: a PM2 daemon must stop its own
 * processes, which a SIGKILL would orphan).
 */
export function escalation(graceMs: number): (pid: number) => void {
  const termed = new Map<number, number>(); // pid -> when SIGTERM went out
  return (pid) => {
    const at = termed.get(pid);
    if (at === undefined) { send(pid, 'SIGTERM'); termed.set(pid, Date.now()); }
    else if (Date.now() - at > graceMs) send(pid, 'SIGKILL');
  };
}

export interface StopOptions {
  graceMs: number;
  deadlineMs: number;
  /** For the error, e.g. 'the PM2 daemon (pid 12)'. */
  what: string;
  hint?: string;
}

/** Stop pid and wait until it is gone: an OperationalError naming it when it is still there at the deadline. */
export async function stopProcess(pid: number, o: StopOptions): Promise<void> {
  const push = escalation(o.graceMs);
  await pollUntil(() => {
    if (!processAlive(pid)) return true;
    push(pid);
    return undefined;
  }, {
    deadlineMs: o.deadlineMs, intervalMs: 50,
    timeout: () => new OperationalError(`${o.what} did not exit within ${Math.round(o.deadlineMs / 1000)} s of SIGTERM`, o.hint),
  });
}
