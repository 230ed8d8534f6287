/**
 * DEV_INSTANCES_TRACE=1 prints when each phase of a command begins, in ms since the process started,
 * so "where does the start-up time go" has an answer without a profiler.
 */
const enabled = process.env.DEV_INSTANCES_TRACE === '1';

export function trace(what: string): void {
  if (enabled) process.stderr.write(`dev-instances: [${performance.now().toFixed(0).padStart(5)} ms] ${what}\n`);
}
