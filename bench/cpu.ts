/**
 * Whose CPU a request took, from /proc (Linux): the processes that listen on a port (the proxy's, an
 * app's) are sampled before and after a load round, so a table can tell the proxy's own cost per
 * request from the client's and the app's, which share the same cores on a small machine.
 */
import { readFileSync } from 'node:fs';

/** /proc counts CPU time in USER_HZ ticks, 100 a second on Linux. */
const TICK_US = 10_000;

/** CPU microseconds the processes have used so far (user and system); one that is gone counts 0. */
export function cpuUs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // After the command name's closing parenthesis: state is field 3, utime 14 and stime 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    } catch { /* gone */ }
  }
  return ticks * TICK_US;
}
