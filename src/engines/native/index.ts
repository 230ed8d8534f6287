/**
 * The native engine: an instance's infrastructure as real local processes under PM2, named
 * `<project>-<kind>-N` so status, logs and stop treat them like the apps. Data lives in
 * .instances/instance-N/data/<kind>/.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationalError } from '../../errors.js';
import { privateDir } from '../../fs/private.js';
import { instanceDataDir, pm2AppName } from '../../plan/names.js';
import { checkoutEnv } from '../../leases/checkout.js';
import { type Pm2Process, type Pm2Session, withPm2 } from '../../pm2/client.js';
import { RESTART_POLICY } from '../../pm2/ecosystem.js';
import { commandLine, run } from '../../proc/run.js';
import { portHolder, portInUse } from '../../ports/holder.js';
import { isOurs } from '../../ports/ownership.js';
import { freePorts } from '../../ports/reaper.js';
import { waitAllReady } from '../../readiness.js';
import type { Engine, EngineTarget, Inspection, ServiceState, UpReport } from '../types.js';
import { missingError } from '../inspection.js';
import { DUMP_DEADLINE_MS, DUMP_HINT, dumpArgs } from '../dump.js';
import { isInitialised } from './postgres.js';
import { type NativeService, nativeServices } from './recipes.js';

const STOP_DEADLINE_MS = 15_000;

const processName = (t: EngineTarget, s: NativeService) => pm2AppName(t.scope.project, s.kind, t.scope.nameSuffix);
const logFile = (t: EngineTarget, s: NativeService) => join(t.root, t.scope.files.logs, `${s.kind}.log`);

function startOptions(t: EngineTarget, s: NativeService) {
  const log = logFile(t, s);
  return {
    name: processName(t, s), namespace: t.scope.pm2Namespace, script: s.binary ?? '', args: s.args,
    interpreter: 'none', cwd: s.dataDir, out_file: log, error_file: log, time: true, autorestart: true,
    env: { ...s.env, ...checkoutEnv(t.root) },
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

function inspectServices(services: NativeService[]): Inspection {
  const absent = services.filter((s) => !s.binary);
  const word = (s: NativeService) => ({ service: s.kind, detail: s.installHint });
  return {
    missing: absent.filter((s) => s.required).map(word),
    unavailable: absent.filter((s) => !s.required).map((s) => ({ service: s.kind, detail: `not available on the native engine: ${s.installHint}` })),
  };
}

async function exitedEarly(pm2: Pm2Session, name: string): Promise<string | undefined> {
  const p = (await pm2.list()).find((x) => x.name === name);
  if (!p) return 'its process is gone';
  if (p.status === 'errored' || p.status === 'stopped') return `its process is ${p.status}`;
  if (p.restarts > 0) return 'its process exited during start-up';
  return undefined;
}

async function down(t: EngineTarget): Promise<boolean> {
  const services = await nativeServices(t.decl, t.scope, t.root);
  const names = new Set(services.map((s) => processName(t, s)));
  const deleted = await withPm2(async (pm2) => {
    const present = (await pm2.list()).filter((p) => names.has(p.name));
    for (const p of present) await pm2.delete(p.name);
    return present.length > 0;
  });
  // A server child that outlived its PM2 parent would meet the next start with EADDRINUSE.
  const marks = services.map((s) => s.dataDir);
  await freePorts(services.filter((s) => s.binary).flatMap((s) => [s.port, ...s.extraPorts].map((port) => ({ port, what: `${s.kind} of ${t.scope.label}` }))), {
    ours: isOurs({ marks }), deadlineMs: STOP_DEADLINE_MS, context: 'after stop',
  });
  return deleted;
}

export const nativeEngine: Engine = {
  name: 'native',
  underPm2: true,
  machinePasswords: true,

  async instances() {
    return []; // its servers are PM2 processes: PM2's list finds them
  },

  async inspect(t) {
    return inspectServices(await nativeServices(t.decl, t.scope, t.root, { dry: true })); // looks, changes nothing
  },

  async up(t) {
    const services = await nativeServices(t.decl, t.scope, t.root);
    const { missing, unavailable } = inspectServices(services);
    if (missing.length > 0) throw missingError(t.scope.label, 'native', missing);
    const report: UpReport = { started: [], alreadyRunning: [], unavailable };
    const available = services.filter((s) => s.binary);
    return withPm2(async (pm2) => {
      const before = new Map((await pm2.list()).map((p) => [p.name, p]));
      const toStart = available.filter((s) => !alive(before.get(processName(t, s))));
      report.alreadyRunning = available.filter((s) => !toStart.includes(s)).map((s) => processName(t, s));
      await refuseForeignHolders(t, toStart);
      if (toStart.length > 0) await privateDir(join(t.root, t.scope.files.logs)); // the servers' logs: this user's alone
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

  stop: down,

  async down(t) {
    await down(t);
  },

  async removeData(t) {
    // A cluster kept outside the checkout (root runs, see postgres.ts) goes with its link.
    for (const s of await nativeServices(t.decl, t.scope, t.root)) await rm(s.dataDir, { recursive: true, force: true });
    await rm(join(t.root, instanceDataDir(t.scope.dir)), { recursive: true, force: true });
  },

  async status(t, pm2) {
    const services = await nativeServices(t.decl, t.scope, t.root);
    const procs = new Map(pm2.map((p) => [p.name, p]));
    return services.map((s): ServiceState => {
      const name = processName(t, s);
      if (!s.binary) return { service: s.kind, process: name, port: s.port, state: 'unavailable', detail: s.installHint };
      const p = procs.get(name);
      if (!p) return { service: s.kind, process: name, port: s.port, state: 'absent' };
      const state = p.status === 'online' ? 'online' : p.status === 'errored' ? 'errored' : p.status === 'launching' ? 'starting' : 'stopped';
      return {
        service: s.kind, process: name, port: s.port, state, pid: p.pid, restarts: p.restarts, startedAt: p.startedAt, memory: p.memory,
        logFile: logFile(t, s),
      };
    });
  },

  async databasePresent(t) {
    const pg = (await nativeServices(t.decl, t.scope, t.root)).find((s) => s.kind === 'postgres');
    return pg === undefined || isInitialised(pg.dataDir);
  },

  async dumpDatabase(_t, db, file) {
    // Debian's pg_dump reads the embedded Postgres 15 (a client is backwards compatible, not forwards).
    await run('pg_dump', ['-f', file, '-h', '127.0.0.1', '-p', String(db.port), ...dumpArgs(db)], {
      env: { PGPASSWORD: db.password }, timeoutMs: DUMP_DEADLINE_MS,
      codes: { 127: 'was not found: install the PostgreSQL client (apt-get install postgresql-client), or clean with --no-backup' },
      hint: DUMP_HINT,
    });
  },

  async restoreDatabase(_t, db, file) {
    await run('pg_restore', ['--exit-on-error', '--no-owner', '-h', '127.0.0.1', '-p', String(db.port), '-U', db.user, '-d', db.name, file], {
      env: { PGPASSWORD: db.password }, timeoutMs: DUMP_DEADLINE_MS,
      hint: 'Install the PostgreSQL client (apt-get install postgresql-client).',
    });
  },

  async processMarks(t) {
    return [join(t.root, instanceDataDir(t.scope.dir)), ...(await nativeServices(t.decl, t.scope, t.root)).map((s) => s.dataDir)];
  },

  async logs() {
    return undefined; // native servers log into the instance's log folder, beside the apps
  },

  async describe(t, action) {
    const services = await nativeServices(t.decl, t.scope, t.root, { dry: true });
    const { missing, unavailable } = inspectServices(services);
    const lines = [
      ...missing.map((m) => `cannot run ${m.service}: not found (${m.detail})`),
      ...unavailable.map((u) => `skip ${u.service}: ${u.detail}`),
    ];
    for (const s of services.filter((x) => x.binary)) {
      const name = processName(t, s);
      if (action === 'up') lines.push(`pm2 start ${name} (namespace ${t.scope.pm2Namespace}): ${commandLine(s.binary ?? '', s.args)}`);
      if (action === 'stop') lines.push(`pm2 delete ${name}; wait until port${s.extraPorts.length ? 's' : ''} ${[s.port, ...s.extraPorts].join(', ')} ${s.extraPorts.length ? 'are' : 'is'} free`);
      if (action === 'remove-data') lines.push(`remove ${s.dataDir}`);
    }
    return lines;
  },
};
