/** The PM2 app list of one instance: pure, from the plan and each app's rendered environment. */
import { join } from 'node:path';
import type { InstancePlan } from '../plan/plan.js';

export interface Pm2App {
  name: string;
  namespace: string;
  cwd: string;
  script: string;
  args: string[];
  /** 'node' for a Node script, 'none' for any other executable (a command). */
  interpreter: 'node' | 'none';
  /** PM2 has no env_file: the whole rendered environment goes here. */
  env: Record<string, string>;
  out_file: string;
  error_file: string;
  time: boolean;
  autorestart: boolean;
  /** A crash loop ends as "errored" after this many quick restarts instead of spinning forever. */
  max_restarts: number;
  min_uptime: number;
  kill_timeout: number;
  /** The app says when it is up (process.send('ready')); PM2 waits for it up to listen_timeout. */
  wait_ready?: boolean;
  listen_timeout?: number;
  /** PM2's in-app metrics agent; off (see pm2Apps). */
  pmx: boolean;
}

// No restart_delay: with one set, PM2 7 overwrites "errored" with "waiting restart" when it gives up
// on a crash loop (God.js handleExit), so the app would never show as errored.
export const RESTART_POLICY = { max_restarts: 5, min_uptime: 5_000, kill_timeout: 5_000 } as const;

export function pm2Apps(p: InstancePlan, root: string, envOf: (appId: string) => Record<string, string>): Pm2App[] {
  const logs = join(root, p.files.logs);
  return p.apps.map((app) => ({
    name: app.pm2Name,
    namespace: p.pm2Namespace,
    cwd: join(root, app.cwd),
    script: app.script,
    args: app.args,
    interpreter: app.interpreter,
    env: envOf(app.id),
    out_file: join(logs, `${app.id}.out.log`),
    error_file: join(logs, `${app.id}.err.log`),
    time: true,
    autorestart: true,
    ...RESTART_POLICY,
    // PM2 would load its metrics agent (@pm2/io) into every app: ~30 ms of start-up each, competing
    // for the same cores as the other apps. `pm2 ls` and `pm2 monit` still show CPU and memory.
    pmx: false,
    ...(app.ready === 'signal' ? { wait_ready: true, listen_timeout: 30_000 } : {}),
  }));
}
