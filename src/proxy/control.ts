/**
 * The proxy under PM2, from the CLI's side: start it on demand (a start of any instance, or
 * `just dev proxy start`), say how it is, stop it. One per machine: `dev-instances-proxy` in the
 * `dev-instances` namespace of the user's PM2, whichever checkout started it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OperationalError } from '../errors.js';
import { acquireLock } from '../fs/lock.js';
import { readLeases } from '../leases/registry.js';
import { stateDir } from '../state-dir.js';
import { proxyScript } from '../paths.js';
import { pollUntil } from '../poll.js';
import { type Pm2Process, type Pm2Session, withPm2 } from '../pm2/client.js';
import { portHolder, portInUse } from '../ports/holder.js';
import { tailOf, tcpAccepts } from '../readiness.js';
import { addressPort, PROXY_BIND_ENV, PROXY_ENV, PROXY_FRONT_ENV, PROXY_HTTPS_ENV, PROXY_HTTPS_PORT_ENV, PROXY_LAN_ENV, PROXY_PORT_ENV } from './hosts.js';
import { currentCode, pairedDevices, unpairAll } from './pairing.js';
import { routeTable } from './routes.js';
import {
  type ProxyRecord, configuredBind, configuredFront, configuredHttps, dashboardKey, dashboardLink, httpsPort, lanSetting, pairingFiles, runningProxy,
} from './state.js';

export const PROXY_APP = 'dev-instances-proxy';
const NAMESPACE = 'dev-instances';
const READY_DEADLINE_MS = 15_000;

const logFile = (): string => join(stateDir(), 'proxy.log');

export interface ProxyStatus {
  /** online: PM2 runs it and it listens; otherwise PM2's state of it, or 'not started'. */
  state: string;
  port?: number;
  pid?: number;
  addresses?: string[];
  /** nginx in front of the Node proxy, or the Node proxy alone. */
  front?: 'nginx' | 'node';
  /** Which install runs it. */
  script?: string;
  dashboard?: string;
  /** Named hosts it routes now. */
  routes: number;
  /** HTTPS's port, when it serves HTTPS. */
  https?: { port: number };
  /** Where `just dev trust` made the machine's CA trusted (and it still is). */
  trustedIn: string[];
  /** The LAN side for other devices, the link that pairs one (one use), and how many are paired. */
  lan?: { address: string; port: number; pairingLink?: string; devices: number };
}

/** It serves: PM2 runs it online, from a script that still exists, and its record is its own. */
const serving = (proc: Pm2Process | undefined, rec: ProxyRecord | undefined): rec is ProxyRecord =>
  proc?.status === 'online' && rec !== undefined && rec.pid === proc.pid && (proc.script === undefined || existsSync(proc.script));

export async function proxyStatus(): Promise<ProxyStatus> {
  const proc = await withPm2(async (pm2) => (await pm2.list()).find((p) => p.name === PROXY_APP));
  const rec = runningProxy();
  const routes = routeTable(readLeases()).size;
  const { trustedIn, describeEntry } = await import('../tls/trust.js');
  const trusted = (await trustedIn()).map(describeEntry);
  if (!serving(proc, rec)) return { state: proc ? proc.status : 'not started', routes, trustedIn: trusted };
  return {
    state: 'online', port: rec.port, pid: rec.pid, addresses: rec.addresses, front: rec.front ?? 'node', ...(proc?.script ? { script: proc.script } : {}),
    dashboard: dashboardLink(rec.port, dashboardKey(), rec.https), routes, ...(rec.https ? { https: rec.https } : {}), trustedIn: trusted,
    ...(rec.lan ? { lan: { ...rec.lan, ...pairingLinkOf(rec.lan), devices: pairedDevices(pairingFiles().devices).length } } : {}),
  };
}

/** Forget every paired device and the pairing link shown so far (the running proxy sees it at the next request); how many there were. */
export const unpairDevices = (): Promise<number> => unpairAll(pairingFiles());

/** The LAN side's pairing link, from the code the proxy keeps in its 0600 file (it changes once used). */
function pairingLinkOf(lan: { address: string; port: number }): { pairingLink?: string } {
  const code = currentCode(pairingFiles().code);
  return code ? { pairingLink: `https://${addressPort(lan.address, lan.port)}/pair?code=${code}` } : {};
}

/**
 * The proxy serving on port: nothing when it already does; else (re)started from this install.
 * A proxy on another port is left alone and its port returned (there is one per machine). Refused
 * with a clear error when something else holds the port.
 */
/**
 * lan: the LAN side's address a start asks for (proxy start --lan, resolved: a running proxy on
 * another one is started again), and its setting as the proxy reads it at each of its starts ('auto'
 * follows the machine's address through a DHCP change and a reboot).
 */
export async function ensureProxy(port: number, opts: { lan?: { address: string; setting: string } } = {}): Promise<{ started: boolean; port: number }> {
  const lan = opts.lan?.setting ?? lanSetting();
  return withPm2(async (pm2) => {
    const now = async () => {
      const rec = runningProxy();
      return serving((await pm2.list()).find((p) => p.name === PROXY_APP), rec) ? rec : undefined;
    };
    const up = await now();
    // Asked for a LAN side it does not have: started again with it (its routes follow the registry, nothing is lost).
    if (up && opts.lan !== undefined && up.lan?.address !== opts.lan.address) await pm2.delete(PROXY_APP);
    else if (up) return { started: false, port: up.port };
    // Two starts at once must not launch two proxies: the second waits, then finds the first's.
    mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
    const lock = await acquireLock(join(stateDir(), 'proxy.lock'), 'the local proxy launch', { waitMs: READY_DEADLINE_MS + 5_000 });
    try {
      const meanwhile = await now();
      if (meanwhile) return { started: false, port: meanwhile.port };
      // Errored, stopped, or run from a checkout that is gone: replaced by this install's.
      if ((await pm2.list()).some((p) => p.name === PROXY_APP)) await pm2.delete(PROXY_APP);
      await launch(pm2, port, lan);
      return { started: true, port };
    } finally {
      lock.release();
    }
  });
}

async function launch(pm2: Pm2Session, port: number, lan: string | undefined): Promise<void> {
  const https = configuredHttps();
  const needed: [number, string, string][] = [[port, "the proxy's port", `set ${PROXY_PORT_ENV} to a free port, or ${PROXY_ENV}=off to use http://localhost:PORT only`]];
  if (https) needed.push([https.port, "the proxy's HTTPS port", `set ${PROXY_HTTPS_PORT_ENV} to a free port, or ${PROXY_HTTPS_ENV}=off for HTTP only`]);
  for (const [p, what, fix] of needed) {
    if (!(await portInUse(p))) continue;
    const h = portHolder(p);
    throw new OperationalError(`${what} ${p} is taken by ${h ? `pid ${h.pid} (${h.command.slice(0, 100)})` : 'another process'}`, `Named URLs need it: ${fix}.`);
  }
  const bind = configuredBind();
  await pm2.start({
    name: PROXY_APP, namespace: NAMESPACE, script: proxyScript(), interpreter: 'node', cwd: stateDir(),
    env: {
      DEV_INSTANCES_STATE_DIR: stateDir(), [PROXY_PORT_ENV]: String(port), [PROXY_FRONT_ENV]: configuredFront(),
      ...(bind ? { [PROXY_BIND_ENV]: bind } : {}),
      [PROXY_HTTPS_ENV]: https ? 'on' : 'off', [PROXY_HTTPS_PORT_ENV]: String(httpsPort()), [PROXY_LAN_ENV]: lan ?? 'off',
    },
    out_file: logFile(), error_file: logFile(), time: true, autorestart: true, max_restarts: 10, min_uptime: 2_000, kill_timeout: 3_000, pmx: false,
  });
  await pollUntil(async () => {
    const proc = (await pm2.list()).find((p) => p.name === PROXY_APP);
    if (!proc || proc.status === 'errored' || proc.status === 'stopped' || proc.restarts > 0) {
      throw new OperationalError(`the local proxy did not start (${proc?.status ?? 'gone'}): ${(await tailOf(logFile(), 5)) || 'no log'}`,
        `Its log: ${logFile()}. Named URLs are off until it runs (${PROXY_ENV}=off silences this).`);
    }
    if (runningProxy()?.pid !== proc.pid) return undefined;
    return tcpAccepts(port).then(() => true, () => undefined);
  }, {
    deadlineMs: READY_DEADLINE_MS, intervalMs: 50,
    timeout: () => new OperationalError(`the local proxy did not answer on port ${port} within ${READY_DEADLINE_MS / 1000} s`, `Its log: ${logFile()}`),
  });
}

/** Stop and remove it from PM2; returns whether it was there. */
export async function stopProxy(): Promise<boolean> {
  return withPm2(async (pm2) => {
    if (!(await pm2.list()).some((p) => p.name === PROXY_APP)) return false;
    await pm2.delete(PROXY_APP);
    return true;
  });
}
