/**
 * A PM2 daemon that can fork this checkout's apps. One daemon serves every checkout that shares a
 * PM2_HOME, and it forks with the files of the PM2 install that launched it: once that install is
 * deleted (a removed worktree) every start fails, and a daemon of another PM2 version is out of
 * step with this client. Before a start hands apps over, the daemon is asked which install and
 * version it runs; when it cannot serve, it is handed over to this checkout's PM2 the way
 * `pm2 update` does it: every process it runs is listed (the user's own included), the daemon is
 * stopped, a new one is launched, and every process is started again from its saved description —
 * stopped ones stay stopped, and one whose script no longer exists is left out and named.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { OperationalError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { acquireLock } from '../fs/lock.js';
import { stopProcess } from '../proc/stop.js';
import { type Pm2Api, call, loadPm2, pm2Home, socketAnswers } from './client.js';

/** The PM2 version this checkout installed. */
export const ourPm2Version = (): string => (createRequire(import.meta.url)('pm2/package.json') as { version: string }).version;

export interface DaemonReport {
  version: string;
  /** The PM2 install the daemon was launched from, when it says. */
  install?: string;
  pid?: number;
}

/** -1, 0 or 1 as version a is older than, the same as or newer than b (numeric parts; a missing part is 0). Pure. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * Why the daemon cannot fork this checkout's apps, or undefined when it can. A daemon of an older
 * PM2 is replaced by this checkout's; a newer one is kept (it serves older clients): so two checkouts
 * of different PM2 versions never replace each other's daemon back and forth. Pure.
 */
export function daemonProblem(d: DaemonReport, ours: string, exists: (path: string) => boolean = existsSync): string | undefined {
  if (d.install && !exists(join(d.install, 'lib', 'ProcessContainerFork.js'))) {
    return `it was launched from ${d.install}, which no longer exists (a removed checkout?)`;
  }
  if (compareVersions(d.version, ours) < 0) return `it runs PM2 ${d.version}, older than this checkout's ${ours}`;
  return undefined;
}

export interface Handover {
  /** Why the daemon was replaced; undefined when this only finished an interrupted handover. */
  problem?: string;
  /** Names of the processes started again under the new daemon. */
  restored: string[];
  /** Processes whose script no longer exists (their checkout is gone): not started again. */
  leftOut: string[];
  /** Processes the new daemon refused, with its reason. */
  failed: { name: string; reason: string }[];
}

interface SavedProcess { name?: string; pm_exec_path?: string; pmx_module?: boolean; [k: string]: unknown }

const connected = async (): Promise<Pm2Api> => {
  const mod = await loadPm2();
  const api = new mod.custom({ pm2_home: pm2Home() });
  await call<void>((cb) => api.connect((e) => cb(e, undefined)));
  return api;
};

async function reportOf(api: Pm2Api): Promise<DaemonReport> {
  const pidText = (() => { try { return readFileSync(join(pm2Home(), 'pm2.pid'), 'utf8').trim(); } catch { return ''; } })();
  const pid = /^\d+$/.test(pidText) ? Number(pidText) : undefined;
  try {
    const r = await call<{ pm2_version: string; argv?: string[] }>((cb) => api.Client.executeRemote('getReport', {}, cb));
    const script = r.argv?.[1];
    // argv[1] is <install>/lib/Daemon.js
    const install = script && basename(script) === 'Daemon.js' ? dirname(dirname(script)) : undefined;
    return { version: r.pm2_version, ...(install ? { install } : {}), ...(pid ? { pid } : {}) };
  } catch {
    // A daemon too old for getReport still says its version.
    const version = await call<string>((cb) => api.Client.executeRemote('getVersion', {}, cb));
    return { version, ...(pid ? { pid } : {}) };
  }
}

/** Where a handover keeps the processes it has yet to start again: read back when it was interrupted. */
const savedFile = () => join(pm2Home(), 'dev-instances-handover.json');

function readSaved(file: string): SavedProcess[] {
  try {
    const list = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(list) ? (list as SavedProcess[]) : [];
  } catch {
    return [];
  }
}

/**
 * Make sure the daemon of PM2_HOME can fork this checkout's apps; hand it over when it cannot, and
 * finish a handover an earlier command began (its list is still on disk). Returns what a handover
 * did, or undefined when none was needed (or no daemon runs: ours will).
 */
export async function ensureDaemonCanFork(): Promise<Handover | undefined> {
  const home = pm2Home();
  const pending = existsSync(savedFile());
  if (!pending && !(await socketAnswers(join(home, 'rpc.sock')))) return undefined;
  const ours = ourPm2Version();
  if (!pending) {
    const first = await connected();
    let problem: string | undefined;
    try { problem = daemonProblem(await reportOf(first), ours); } finally { first.disconnect(); }
    if (!problem) return undefined;
  }
  // One handover at a time: whoever waited finds a fit daemon and nothing on disk, and does nothing.
  const lock = await acquireLock(join(home, 'dev-instances-launch.lock'), 'the PM2 daemon launch', { waitMs: 120_000 });
  try {
    return await handOver(ours);
  } finally {
    lock.release();
  }
}

async function handOver(ours: string): Promise<Handover | undefined> {
  const saving = savedFile();
  // What an interrupted handover had not started again yet.
  const left = readSaved(saving);
  let problem: string | undefined;
  let saved = left;
  if (await socketAnswers(join(pm2Home(), 'rpc.sock'))) {
    const old = await connected();
    let pid: number | undefined;
    try {
      const report = await reportOf(old);
      problem = daemonProblem(report, ours);
      if (!problem && left.length === 0) return undefined; // handed over meanwhile by another command
      pid = report.pid;
      if (problem) {
        const list = await call<{ pm2_env: SavedProcess }[]>((cb) => old.Client.executeRemote('getMonitorData', {}, cb));
        // As `pm2 save` writes them: without the daemon's ids (the new daemon gives its own).
        const running = list.map((p) => p.pm2_env).filter((e) => !e.pmx_module).map((e) => {
          const env = { ...e };
          for (const key of ['pm_id', 'instances', 'prev_restart_delay']) delete env[key];
          return env;
        });
        const names = new Set(running.map((e) => e.name));
        saved = [...running, ...left.filter((e) => !names.has(e.name))];
        // Kept until the new daemon runs them all: if this command dies midway, the next one finishes.
        await writeFileAtomic(saving, `${JSON.stringify(saved, null, 2)}\n`, 0o600, { durable: true });
      }
    } finally {
      old.disconnect();
    }
    if (problem) {
      if (!pid) throw new OperationalError(`the PM2 daemon cannot start apps (${problem}), and its pid is unknown`, 'Run `npx pm2 update` in this checkout.');
      // On SIGTERM PM2 stops every process, then exits; never SIGKILL, which would orphan them.
      await stopProcess(pid, { graceMs: Infinity, deadlineMs: 60_000, what: `the PM2 daemon (pid ${pid})`, hint: `Its processes are listed in ${saving}; the next start resumes.` });
    }
  }
  const fresh = await connected(); // a daemon of this checkout's PM2 (launched now, when none runs)
  const restored: string[] = [];
  const leftOut: string[] = [];
  const failed: Handover['failed'] = [];
  try {
    const present = new Set((await call<{ name?: string }[]>((cb) => fresh.list(cb))).map((p) => p.name));
    for (const env of saved) {
      const name = String(env.name ?? '?');
      if (present.has(name)) continue; // started again before the interruption
      if (typeof env.pm_exec_path === 'string' && !existsSync(env.pm_exec_path)) { leftOut.push(name); continue; }
      try {
        await call((cb) => fresh.Client.executeRemote('prepare', env, cb));
        restored.push(name);
      } catch (err) {
        failed.push({ name, reason: (err as Error).message.split('\n')[0] ?? String(err) });
      }
    }
  } finally {
    fresh.disconnect();
  }
  rmSync(saving, { force: true });
  return { ...(problem ? { problem } : {}), restored, leftOut, failed };
}
