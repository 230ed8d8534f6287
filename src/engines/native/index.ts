/**
 * The native engine: an instance's infrastructure as real local processes under PM2, named
 * `<project>-<kind>-N` so status, logs and stop treat them like the apps. Data lives in
 * .instances/instance-N/data/<kind>/.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationalError } from '../../cli/errors.js';
import { pm2AppName } from '../../plan/names.js';
import { type Pm2Process, type Pm2Session, withPm2 } from '../../pm2/client.js';
import { RESTART_POLICY } from '../../pm2/ecosystem.js';
import { portHolder, portInUse } from '../../ports/holder.js';
import { waitAllReady } from '../../readiness.js';
import type { Engine, EngineTarget, ServiceState, UpReport } from '../types.js';
import { type NativeService, nativeServices } from './recipes.js';

const STOP_DEADLINE_MS = 15_000;

const processName = (t: EngineTarget, s: NativeService) => pm2AppName(t.scope.project, s.kind, t.scope.nameSuffix);
const logFile = (t: EngineTarget, s: NativeService) => join(t.root, t.scope.files.logs, `${s.kind}.log`);

function startOptions(t: EngineTarget, s: NativeService) {
  const log = logFile(t, s);
  return {
    name: processName(t, s), namespace: t.scope.pm2Namespace, script: s.binary ?? '', args: s.args,
    interpreter: 'none', cwd: s.dataDir, out_file: log, error_file: log, time: true, autorestart: true,
    ...RESTART_POLICY,
    ...(s.runAs ? { uid: s.runAs.uid, gid: s.runAs.gid } : {}),
  };
}

async function refuseForeignHolders(t: EngineTarget, services: NativeService[]): Promise<void> {
  for (const s of services) {
    for (const port of [s.port, ...s.extraPorts]) {
      if (!(await portInUse(port))) continue;
      const h = portHolder(port);
      throw new OperationalError(
        `port ${port} (${s.kind} of ${t.scope.label}) is already taken${h ? ` by pid ${h.pid} (${h.command.slice(0, 120)})` : ''}`,
        'Stop that process, or use another instance number. Nothing was started.',
      );
    }
  }
}

const alive = (p: Pm2Process | undefined) => p?.status === 'online' || p?.status === 'launching';

export const nativeEngine: Engine = {
  name: 'native',

  async up(t) {
    const services = await nativeServices(t.decl, t.scope, t.root);
    const report: UpReport = { started: [], alreadyRunning: [], unavailable: [] };
    const missing = services.filter((x) => x.required && !x.binary);
    if (missing.length > 0) {
      throw new OperationalError(
        `cannot start ${t.scope.label} on the native engine: ${missing.map((m) => m.kind).join(' and ')} not found`,
        missing.map((m) => `${m.kind}: ${m.installHint}`).join('\n'),
      );
    }
    for (const s of services.filter((x) => !x.binary && !x.required)) {
      report.unavailable.push({ service: s.kind, detail: `not available on the native engine: ${s.installHint}` });
    }
    const available = services.filter((s) => s.binary);
    return withPm2(async (pm2) => {
      const before = new Map((await pm2.list()).map((p) => [p.name, p]));
      const toStart = available.filter((s) => !alive(before.get(processName(t, s))));
      report.alreadyRunning = available.filter((s) => !toStart.includes(s)).map((s) => processName(t, s));
      await refuseForeignHolders(t, toStart);
      await Promise.all(toStart.map((s) => s.prepare()));
      try {
        for (const s of toStart) {
          const name = processName(t, s);
          if (before.has(name)) await pm2.delete(name); // errored or stopped: start afresh with today's arguments
          await pm2.start(startOptions(t, s));
          report.started.push(name);
        }
        await waitAllReady(available.map((s) => ({
          name: `${s.kind} of ${t.scope.label}`,
          port: s.port,
          probe: s.probe,
          deadlineMs: s.deadlineMs,
          logFile: logFile(t, s),
          gone: () => exitedEarly(pm2, processName(t, s)),
        })));
      } catch (err) {
        // Leave nothing half-started: remove what this call started.
        for (const name of report.started) await pm2.delete(name).catch(() => {});
        throw err;
      }
      return report;
    });
  },

  async stop(t) {
    await this.down(t);
  },

  async down(t) {
    const services = await nativeServices(t.decl, t.scope, t.root);
    const names = new Set(services.map((s) => processName(t, s)));
    await withPm2(async (pm2) => {
      for (const p of await pm2.list()) if (names.has(p.name)) await pm2.delete(p.name);
    });
    await waitPortsFree(t, services.filter((s) => s.binary));
  },

  async removeData(t) {
    // A cluster kept outside the checkout (root runs, see postgres.ts) goes with its link.
    for (const s of await nativeServices(t.decl, t.scope, t.root)) await rm(s.dataDir, { recursive: true, force: true });
    await rm(join(t.root, t.scope.dir, 'data'), { recursive: true, force: true });
  },

  async status(t) {
    const services = await nativeServices(t.decl, t.scope, t.root);
    const procs = await withPm2(async (pm2) => new Map((await pm2.list()).map((p) => [p.name, p])));
    return services.map((s): ServiceState => {
      const name = processName(t, s);
      if (!s.binary) return { service: s.kind, process: name, port: s.port, state: 'unavailable', detail: s.installHint };
      const p = procs.get(name);
      if (!p) return { service: s.kind, process: name, port: s.port, state: 'absent' };
      const state = p.status === 'online' ? 'online' : p.status === 'errored' ? 'errored' : p.status === 'launching' ? 'starting' : 'stopped';
      return { service: s.kind, process: name, port: s.port, state, pid: p.pid, restarts: p.restarts, startedAt: p.startedAt, memory: p.memory };
    });
  },
};

async function exitedEarly(pm2: Pm2Session, name: string): Promise<string | undefined> {
  const p = (await pm2.list()).find((x) => x.name === name);
  if (!p) return 'its process is gone';
  if (p.status === 'errored' || p.status === 'stopped') return `its process is ${p.status}`;
  if (p.restarts > 0) return 'its process exited during start-up';
  return undefined;
}

/**
 * After PM2 has removed the processes, every port must be free before we return: a child that
 * outlived its PM2 parent would otherwise meet the next start with EADDRINUSE. A leftover that is
 * ours (its command line names this instance's data directory) is ended; anything else is reported.
 */
async function waitPortsFree(t: EngineTarget, services: NativeService[]): Promise<void> {
  const giveUp = Date.now() + STOP_DEADLINE_MS;
  for (const s of services) {
    for (const port of [s.port, ...s.extraPorts]) {
      let termAt = 0;
      while (await portInUse(port)) {
        const h = portHolder(port);
        const ours = h !== undefined && (h.command.includes(s.dataDir) || h.cwd === s.dataDir);
        if (Date.now() > giveUp) {
          throw new OperationalError(`port ${port} (${s.kind} of ${t.scope.label}) is still in use after stop${h ? ` by pid ${h.pid} (${h.command.slice(0, 120)})` : ''}`);
        }
        if (ours && termAt === 0) {
          process.kill(h.pid, 'SIGTERM');
          termAt = Date.now();
        } else if (ours && Date.now() - termAt > 3_000) {
          process.kill(h.pid, 'SIGKILL');
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}
