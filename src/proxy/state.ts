/**
 * The machine's one proxy, as files in the state folder: `proxy.json` (written by the running proxy:
 * its port, pid and addresses) and `proxy-token` (the dashboard's secret, 0600). And the setting the
 * CLI plans with: off, or the port named URLs use. Light: read on every command's path.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { isIpAddress } from '../plan/addresses.js';
import { join } from 'node:path';
import type { StackDeclaration } from '../config/types.js';
import type { ProxySetting } from '../plan/plan.js';
import { tlsFiles } from '../tls/files.js';
import { permitted } from '../tls/names.js';
import { UsageError } from '../errors.js';
import { exposure } from '../fs/private.js';
import { stateDir } from '../state-dir.js';
import type { PairingFiles } from './pairing.js';
import { processAlive as alive } from '../proc/alive.js';
import {
  DEFAULT_PROXY_PORT, FALLBACK_HTTPS_PORT, PROXY_BIND_ENV, PROXY_ENV, PROXY_FRONTS, PROXY_FRONT_ENV, PROXY_HTTPS_ENV, PROXY_HTTPS_MODES, PROXY_HTTPS_PORT_ENV,
  PROXY_LAN_ENV, PROXY_PORT_ENV, type ProxyFront,
} from './hosts.js';

export interface ProxyRecord {
  port: number;
  pid: number;
  /** Addresses it listens on. */
  addresses: string[];
  /** What faces the browser: nginx in front of the Node proxy, or the Node proxy alone. */
  front?: 'nginx' | 'node';
  /** HTTPS for named URLs: its port (absent: HTTP only). */
  https?: { port: number };
  /** The LAN side for other devices: its address and port, and the setting it came from (auto, or the address); absent: loopback only. */
  lan?: { address: string; port: number; setting?: string };
  /** The script it runs (which install of dev-instances). */
  script: string;
  startedAt: string;
}

export const proxyFile = (env?: NodeJS.ProcessEnv): string => join(stateDir(env), 'proxy.json');
export const tokenFile = (env?: NodeJS.ProcessEnv): string => join(stateDir(env), 'proxy-token');
/** The LAN side's pairing: its current code (0600, for `just dev proxy` to show), the paired devices (0600, each token's hash), and their lock. */
export const pairingFiles = (env?: NodeJS.ProcessEnv): PairingFiles => ({
  code: join(stateDir(env), 'lan-pairing'), devices: join(stateDir(env), 'lan-devices'), lock: join(stateDir(env), 'lan-pairing.lock'),
});

/** The dashboard's key when its file is the user's own and private (0600), else undefined (the proxy makes a new one). */
export function dashboardKey(env?: NodeJS.ProcessEnv): string | undefined {
  try {
    const file = tokenFile(env);
    const st = statSync(file);
    if (exposure(st)) return undefined;
    const key = readFileSync(file, 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The dashboard's link that carries the key (opened once, it sets the browser's cookie), or its plain address. */
export const dashboardLink = (port: number, key: string | undefined, https?: { port: number }): string => {
  const at = (name: string) => (https ? `https://${name}${https.port === 443 ? '' : `:${https.port}`}` : `http://${name}:${port}`);
  return key ? `${at('dev.localhost')}/?key=${key}` : `${at('localhost')}/`;
};

/** The running proxy's record; undefined when none runs (no file, or its process is gone). */
export function runningProxy(env?: NodeJS.ProcessEnv): ProxyRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(proxyFile(env), 'utf8')) as ProxyRecord;
    return Number.isInteger(r.port) && Number.isInteger(r.pid) && alive(r.pid) ? r : undefined;
  } catch {
    return undefined;
  }
}

const OFF = new Set(['off', '0', 'false', 'no']);

/** DEV_INSTANCES_PROXY_PORT, checked: exit 2 on anything but a port from 1024 to 65535. */
export function configuredPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[PROXY_PORT_ENV];
  if (raw === undefined || raw === '') return DEFAULT_PROXY_PORT;
  if (!/^\d+$/.test(raw) || Number(raw) < 1024 || Number(raw) > 65535) {
    throw new UsageError(`invalid ${PROXY_PORT_ENV} '${raw}': expected a port from 1024 to 65535 (no root needed)`);
  }
  return Number(raw);
}

/** DEV_INSTANCES_PROXY_BIND, checked: an IP address (it goes into nginx's listen line and the proxy's sockets), exit 2 on anything else. */
export function configuredBind(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[PROXY_BIND_ENV];
  if (raw === undefined || raw === '') return undefined;
  if (!isIpAddress(raw)) throw new UsageError(`invalid ${PROXY_BIND_ENV} '${raw}': expected an IP address of this machine (192.168.1.20, fd00::20)`);
  return raw;
}

/** DEV_INSTANCES_PROXY_FRONT, checked: exit 2 on anything but auto, nginx or node. */
export function configuredFront(env: NodeJS.ProcessEnv = process.env): ProxyFront {
  const raw = (env[PROXY_FRONT_ENV] ?? '').toLowerCase();
  if (raw === '') return 'auto';
  if (!(PROXY_FRONTS as readonly string[]).includes(raw)) {
    throw new UsageError(`invalid ${PROXY_FRONT_ENV} '${env[PROXY_FRONT_ENV]}': expected one of ${PROXY_FRONTS.join(', ')}`);
  }
  return raw as ProxyFront;
}

/**
 * DEV_INSTANCES_PROXY_HTTPS and _HTTPS_PORT, checked (exit 2 naming the value): HTTPS's port, or
 * undefined when it is off. auto (the default) is on once `just dev trust` trusted the machine's CA.
 */
export function configuredHttps(env: NodeJS.ProcessEnv = process.env): { port: number } | undefined {
  const mode = (env[PROXY_HTTPS_ENV] ?? '').toLowerCase() || 'auto';
  if (!(PROXY_HTTPS_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`invalid ${PROXY_HTTPS_ENV} '${env[PROXY_HTTPS_ENV]}': expected one of ${PROXY_HTTPS_MODES.join(', ')}`);
  }
  const raw = env[PROXY_HTTPS_PORT_ENV];
  if (raw !== undefined && raw !== '' && (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535)) {
    throw new UsageError(`invalid ${PROXY_HTTPS_PORT_ENV} '${raw}': expected a port from 1 to 65535`);
  }
  if (mode === 'off' || (mode === 'auto' && !existsSync(tlsFiles(env).trusted))) return undefined;
  return { port: httpsPort(env) };
}

/** HTTPS's port, as configured (checked by configuredHttps): for named URLs when HTTPS is on, and for the LAN side always. */
export const httpsPort = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env[PROXY_HTTPS_PORT_ENV];
  return raw ? Number(raw) : mayBind443() ? 443 : FALLBACK_HTTPS_PORT;
};

/** Why HTTPS is on that port and not on 443, for a sentence: '' on 443. */
export const httpsPortWhy = (port: number, env: NodeJS.ProcessEnv = process.env): string =>
  (port === 443 ? '' : env[PROXY_HTTPS_PORT_ENV] ? ` (${PROXY_HTTPS_PORT_ENV})` : ' (443 needs root or a lower net.ipv4.ip_unprivileged_port_start)');

/** This machine's addresses: every one, and those another device could reach it on (not loopback; in the ranges the CA may sign; not a container bridge's). */
export function machineAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): { all: string[]; lan: string[] } {
  const all: string[] = [];
  const lan: string[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const i of infos ?? []) {
      all.push(i.address);
      if (!i.internal && permitted(i.address) && !/^(docker|br-|veth|virbr|cni|flannel|podman)/.test(name) && !i.address.startsWith('fe80:')) lan.push(i.address);
    }
  }
  return { all, lan };
}

/** DEV_INSTANCES_PROXY_LAN's form (off, auto, or an IP address), checked on every command (exit 2); which address it means is the proxy's start's question. */
export function lanSetting(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = (env[PROXY_LAN_ENV] ?? '').trim();
  if (raw === '' || raw.toLowerCase() === 'off') return undefined;
  if (raw.toLowerCase() === 'auto') return 'auto';
  if (!isIpAddress(raw)) throw new UsageError(`invalid ${PROXY_LAN_ENV} '${raw}': expected off, auto or an IP address of this machine`);
  return raw;
}

/**
 * The LAN side's address: DEV_INSTANCES_PROXY_LAN (off, auto, or an address), or auto when asked
 * (--lan). Exit 2, listing the machine's addresses, when auto finds none or the address is not one
 * of this machine's that another device could reach.
 */
export function configuredLan(env: NodeJS.ProcessEnv = process.env, asked = false, interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>): string | undefined {
  const raw = (env[PROXY_LAN_ENV] ?? '').trim();
  const setting = raw === '' || raw.toLowerCase() === 'off' ? (asked ? 'auto' : undefined) : raw;
  if (setting === undefined) return undefined;
  const { all, lan } = machineAddresses(interfaces);
  const listed = `this machine has ${all.join(', ') || 'no address'}`;
  if (setting.toLowerCase() === 'auto') {
    if (lan[0] === undefined) throw new UsageError(`no address of this machine that another device could reach: ${listed} (a LAN address in 10/8, 172.16/12, 192.168/16, 100.64/10 or fc00::/7 is needed)`);
    return lan[0];
  }
  if (!lan.includes(setting)) {
    throw new UsageError(`invalid ${PROXY_LAN_ENV} '${raw}': expected off, auto or a LAN address of this machine (${lan.join(', ') || 'it has none'}); ${listed}`);
  }
  return setting;
}

/** Whether this user may listen on 443: root, a Mac (no privileged ports since 10.14), or Linux's unprivileged_port_start at or below it. */
function mayBind443(): boolean {
  if (process.getuid?.() === 0 || process.platform === 'darwin') return true;
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')) <= 443;
  } catch {
    return false;
  }
}

/**
 * Named URLs for this command: undefined when off (DEV_INSTANCES_PROXY=off, or the declaration's
 * proxy.enabled false); else the port, and HTTPS's when on. A running proxy's ports win: there is one
 * proxy per machine, and URLs must name the ports it really listens on.
 */
export function proxySetting(decl: StackDeclaration, env: NodeJS.ProcessEnv = process.env): ProxySetting | undefined {
  if (OFF.has((env[PROXY_ENV] ?? '').toLowerCase()) || decl.proxy?.enabled === false) return undefined;
  const configured = configuredPort(env);
  configuredFront(env);
  configuredBind(env);
  lanSetting(env);
  const https = configuredHttps(env);
  const running = runningProxy(env);
  const port = running?.port ?? configured;
  const tls = running ? running.https : https;
  if (!tls) return { port };
  const files = tlsFiles(env);
  return { port, https: { port: tls.port, ca: files.ca, ...(existsSync(files.bundle) ? { bundle: files.bundle } : {}) } };
}
