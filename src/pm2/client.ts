/**
 * Thin adapter over PM2's programmatic API. Which daemon: the one of PM2_HOME when set, else the
 * user's default (~/.pm2), so `pm2 ls` shows the same processes. Every call connects, does its work
 * and disconnects, with a deadline on the connection: a command never hangs on PM2.
 */
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OperationalError } from '../errors.js';
import { CHECKOUT_ENV, CHECKOUT_GIT_ENV } from '../leases/checkout.js';
import { acquireLock } from '../fs/lock.js';
import { pause, pollUntil } from '../poll.js';

export interface Pm2Process {
  name: string;
  namespace: string;
  pid: number;
  status: string;
  restarts: number;
  /** ms since epoch when the process (re)started. */
  startedAt: number;
  memory: number;
  cpu: number;
  /** The app's working directory. */
  cwd?: string;
  /** The checkout that started it (src/leases/checkout.ts, checkoutEnv), when it says. */
  checkout?: { path: string; git: boolean };
  /** The script it runs, and its log files. */
  script?: string;
  outLog?: string;
  errLog?: string;
}

/** What PM2 takes for one app (a subset of its ecosystem schema). */
export interface Pm2StartOptions {
  name: string;
  namespace: string;
  script: string;
  args?: string[];
  cwd?: string;
  interpreter?: string;
  env?: Record<string, string>;
  out_file?: string;
  error_file?: string;
  uid?: number;
  gid?: number;
  time?: boolean;
  autorestart?: boolean;
  max_restarts?: number;
  min_uptime?: number;
  restart_delay?: number;
  kill_timeout?: number;
  wait_ready?: boolean;
  listen_timeout?: number;
  pmx?: boolean;
}

type Cb<T> = (err: Error | null, v: T) => void;
export interface Pm2Api {
  connect(cb: (err: Error | null) => void): void;
  disconnect(): void;
  start(opts: object, cb: Cb<unknown>): void;
  stop(name: string, cb: Cb<unknown>): void;
  delete(name: string, cb: Cb<unknown>): void;
  list(cb: Cb<RawProcess[]>): void;
  /** The daemon's RPC, for what the API object does not offer (getReport, getMonitorData, prepare). */
  Client: { executeRemote(method: string, arg: unknown, cb: Cb<any>): void };
}
interface RawProcess {
  name?: string;
  pid?: number;
  monit?: { memory?: number; cpu?: number };
  pm2_env?: {
    namespace?: string; status?: string; restart_time?: number; pm_uptime?: number; pm_cwd?: string; env?: Record<string, string>;
    pm_exec_path?: string; pm_out_log_path?: string; pm_err_log_path?: string;
  };
}

const CONNECT_DEADLINE_MS = 20_000;
type Pm2Module = { custom: new (opts: { pm2_home: string }) => Pm2Api };
let loaded: Promise<Pm2Module> | undefined;
export const loadPm2 = () => (loaded ??= import('pm2').then((m) => (m.default ?? m) as unknown as Pm2Module));

export function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

export interface Pm2Session {
  list(): Promise<Pm2Process[]>;
  start(app: Pm2StartOptions): Promise<void>;
  stop(name: string): Promise<void>;
  delete(name: string): Promise<void>;
}

// Concurrent sessions in one process share one connection, opened by the first and closed when the
// last one ends. Each connection gets its own API object: reconnecting the one PM2 exports after a
// disconnect crashes inside PM2's client.
let shared: { api: Pm2Api; users: number; ready: Promise<void> } | undefined;

export const pm2Home = (): string => process.env.PM2_HOME ?? join(homedir(), '.pm2');

export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * Two commands that both find no daemon both spawn one, and one of them never connects. Whoever
 * finds no daemon takes a launch lock in PM2_HOME first; the others wait for it, then find the daemon.
 */
async function connectSerially(api: Pm2Api): Promise<void> {
  const home = pm2Home();
  if (await socketAnswers(join(home, 'rpc.sock'))) return call<void>((cb) => api.connect((e) => cb(e, undefined)));
  mkdirSync(home, { recursive: true });
  const lock = await acquireLock(join(home, 'dev-instances-launch.lock'), 'the PM2 daemon launch', { waitMs: CONNECT_DEADLINE_MS });
  try {
    await call<void>((cb) => api.connect((e) => cb(e, undefined)));
  } finally {
    lock.release();
  }
}

async function acquire(): Promise<Pm2Api> {
  if (!shared) {
    const mod = await loadPm2();
    if (!shared) {
      // PM2 reads PM2_HOME once, when first loaded; naming it per connection follows changes.
      const api = new mod.custom({ pm2_home: pm2Home() });
      let timer: NodeJS.Timeout | undefined;
      const ready = Promise.race([
        connectSerially(api),
        new Promise<void>((_, reject) => {
          timer = setTimeout(() => reject(new OperationalError(
            `PM2 did not answer within ${CONNECT_DEADLINE_MS / 1000} s (PM2_HOME=${pm2Home()})`,
            'A PM2_HOME path longer than about 100 bytes makes its socket unusable; otherwise try `pm2 kill`.',
          )), CONNECT_DEADLINE_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      shared = { api, users: 0, ready };
    }
  }
  const s = shared;
  s.users++;
  try {
    await s.ready;
  } catch (err) {
    release();
    throw err;
  }
  return s.api;
}

function release(): void {
  if (!shared) return;
  shared.users--;
  if (shared.users === 0) {
    const { api } = shared;
    shared = undefined;
    api.disconnect();
  }
}

const DELETE_DEADLINE_MS = 15_000;
/** How long a deleted process can take to come back (see deleteForSure): 3-8 ms measured here. */
const RESURRECTION_WINDOW_MS = 300;

/**
 * PM2 loses a delete that lands while it is restarting a crashed process: the relaunch it had begun
 * registers the process again, errored, after PM2 answered the delete. So a process that may be
 * crash-looping is checked again once that relaunch would have happened, and deleted again if back.
 */
async function deleteForSure(api: Pm2Api, session: Pm2Session, name: string): Promise<void> {
  let failure: unknown;
  await pollUntil(async () => {
    const seen = (await session.list()).find((p) => p.name === name);
    if (!seen) return true;
    // Restarted, or not online: it may be in a crash loop (a healthy process costs no wait).
    const mayCrashLoop = seen.status !== 'online' || seen.restarts > 0;
    failure = undefined;
    try { await call((cb) => api.delete(name, cb)); } catch (err) { failure = err; }
    if (mayCrashLoop || failure) await pause(RESURRECTION_WINDOW_MS);
    return (await session.list()).some((p) => p.name === name) ? undefined : true;
  }, {
    deadlineMs: DELETE_DEADLINE_MS, intervalMs: 0,
    timeout: () => new OperationalError(`PM2 still lists ${name} after deleting it${failure instanceof Error ? ` (${failure.message})` : ''}`,
      `Try \`pm2 delete ${name}\` (PM2_HOME=${pm2Home()}).`),
  });
}

export async function withPm2<T>(fn: (pm2: Pm2Session) => Promise<T>): Promise<T> {
  const api = await acquire();
  const session: Pm2Session = {
    list: async () => (await call<RawProcess[]>((cb) => api.list(cb))).map((p) => ({
      name: p.name ?? '',
      namespace: p.pm2_env?.namespace ?? 'default',
      pid: p.pid ?? 0,
      status: p.pm2_env?.status ?? 'unknown',
      restarts: p.pm2_env?.restart_time ?? 0,
      startedAt: p.pm2_env?.pm_uptime ?? 0,
      memory: p.monit?.memory ?? 0,
      cpu: p.monit?.cpu ?? 0,
      ...(p.pm2_env?.pm_cwd ? { cwd: p.pm2_env.pm_cwd } : {}),
      ...(p.pm2_env?.env?.[CHECKOUT_ENV] ? { checkout: { path: p.pm2_env.env[CHECKOUT_ENV], git: p.pm2_env.env[CHECKOUT_GIT_ENV] === '1' } } : {}),
      ...(p.pm2_env?.pm_exec_path ? { script: p.pm2_env.pm_exec_path } : {}),
      ...(p.pm2_env?.pm_out_log_path ? { outLog: p.pm2_env.pm_out_log_path } : {}),
      ...(p.pm2_env?.pm_err_log_path ? { errLog: p.pm2_env.pm_err_log_path } : {}),
    })),
    start: async (app) => { await call((cb) => api.start(app, cb)); },
    stop: async (name) => { await call((cb) => api.stop(name, cb)); },
    delete: (name) => deleteForSure(api, session, name),
  };
  try {
    return await fn(session);
  } finally {
    release();
  }
}
