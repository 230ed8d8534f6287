/** Where the machine-wide state lives (leases, the proxy). Its own module: every command asks, few need the rest. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** DEV_INSTANCES_STATE_DIR, else $XDG_STATE_HOME/dev-instances, else ~/.local/state/dev-instances. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DEV_INSTANCES_STATE_DIR) return resolve(env.DEV_INSTANCES_STATE_DIR);
  const base = env.XDG_STATE_HOME ? resolve(env.XDG_STATE_HOME) : join(homedir(), '.local', 'state');
  return join(base, 'dev-instances');
}
