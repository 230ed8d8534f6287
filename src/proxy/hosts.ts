/**
 * Where the local proxy listens and which names it answers besides the instances' own (whose names are
 * src/plan/named-urls.ts). Pure.
 */

/**
 * 1380: above 1023, so no root or capability is needed to bind it; below the ranges dev servers and
 * databases default to (3000-9999) and far below the ephemeral range (32768+), so it meets neither an
 * instance's port nor an outgoing connection; and not portless's 1355, so both tools can run.
 */
export const DEFAULT_PROXY_PORT = 1380;

/** The environment switches: DEV_INSTANCES_PROXY=off turns named URLs off, _PORT moves the proxy. */
export const PROXY_ENV = 'DEV_INSTANCES_PROXY';
export const PROXY_PORT_ENV = 'DEV_INSTANCES_PROXY_PORT';
/** Which server faces the browser: nginx when installed (auto), or the Node proxy alone. */
export const PROXY_FRONT_ENV = 'DEV_INSTANCES_PROXY_FRONT';
export const PROXY_FRONTS = ['auto', 'nginx', 'node'] as const;
export type ProxyFront = (typeof PROXY_FRONTS)[number];
/**
 * HTTPS for named URLs: on, off, or auto (the default: on once the machine's CA is trusted, by
 * `just dev trust`). Its port: 443 where this user may bind it, else 1443 (said by `just dev proxy`).
 */
export const PROXY_HTTPS_ENV = 'DEV_INSTANCES_PROXY_HTTPS';
export const PROXY_HTTPS_PORT_ENV = 'DEV_INSTANCES_PROXY_HTTPS_PORT';
export const PROXY_HTTPS_MODES = ['auto', 'on', 'off'] as const;
export const FALLBACK_HTTPS_PORT = 1443;
/** The proxy's LAN side for other devices (lan.ts): off (default), auto (this machine's LAN address) or an address; `proxy start --lan` is auto. */
export const PROXY_LAN_ENV = 'DEV_INSTANCES_PROXY_LAN';
/** Where the proxy listens besides loopback (an address of this machine); loopback only when unset. */
export const PROXY_BIND_ENV = 'DEV_INSTANCES_PROXY_BIND';

/** An address and port as a URL or a listen line writes them (`[::1]:1380`). */
export const addressPort = (address: string, port: number): string => `${address.includes(':') ? `[${address}]` : address}:${port}`;

/** The names the dashboard answers on (besides loopback addresses). */
export const DASHBOARD_HOSTS: readonly string[] = ['localhost', 'dev.localhost', '127.0.0.1', '[::1]'];

/** The host name of a Host header, lower case, without its port (`[::1]` keeps its brackets). */
export function hostName(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/** Whether a Host names this machine's loopback: `localhost`, any `*.localhost`, 127.0.0.1 or ::1. */
export const isLoopbackName = (name: string): boolean =>
  name === 'localhost' || name.endsWith('.localhost') || name === '127.0.0.1' || name === '[::1]';
