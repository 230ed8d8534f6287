/** Where the machine-wide state lives (leases, the proxy). Its own module: every command asks, few need the rest. */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { UsageError } from './errors.js';

/**
 * DEV_INSTANCES_STATE_DIR, else $XDG_STATE_HOME/dev-instances, else ~/.local/state/dev-instances.
 * One registry per machine: a relative DEV_INSTANCES_STATE_DIR (a registry per working directory)
 * is refused, and a relative XDG_STATE_HOME is ignored, as the XDG specification says.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.DEV_INSTANCES_STATE_DIR;
  if (own) {
    if (!isAbsolute(own)) throw new UsageError(`invalid DEV_INSTANCES_STATE_DIR '${own}': expected an absolute path (one registry for the machine, whatever the working directory)`);
    return own;
  }
  const xdg = env.XDG_STATE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state'), 'dev-instances');
}
