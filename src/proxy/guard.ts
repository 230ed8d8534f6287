/**
 * The proxy is a control surface on localhost: any web page the developer visits can send requests
 * to it, and DNS rebinding can give a foreign name loopback's address. So: only loopback names are
 * served at all (a rebound name arrives with its own Host), and a request that changes anything, or
 * reads logs, must come from the dashboard's own origin and carry the per-machine key: in a header (a
 * script), or in the cookie the key's link sets (a browser). The key is never in a page: the user
 * gets the link from the CLI (`just dev proxy`, the start's last line), so no other local user, and
 * nobody beyond loopback, can take it from the dashboard. Pure.
 */
import { timingSafeEqual } from 'node:crypto';
import { DASHBOARD_HOSTS, hostName, isLoopbackName } from './hosts.js';

export type Verdict = { ok: true } | { ok: false; reason: string };

export const TOKEN_HEADER = 'x-dev-instances-token';
/** The browser's copy of the key: host-only on dev.localhost, a name no app uses (cookies ignore ports: on localhost every app would get it). */
export const KEY_COOKIE = 'dev_instances_key';
export const KEY_HOST = 'dev.localhost';

/** Any request: its Host must name loopback (or the one extra address the proxy was told to listen on). */
export function hostAllowed(host: string | undefined, extra?: string): Verdict {
  const name = hostName(host);
  if (isLoopbackName(name) || (extra !== undefined && name === extra)) return { ok: true };
  return { ok: false, reason: `Host '${host ?? ''}' is not a name of this machine's loopback` };
}

export const isDashboardHost = (host: string | undefined): boolean => DASHBOARD_HOSTS.includes(hostName(host));

/** Two secrets compared in constant time. */
export const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** A cookie's value from a Cookie header. */
export const cookie = (header: string | string[] | undefined, name: string): string | undefined => {
  for (const part of (Array.isArray(header) ? header.join(';') : header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
};

/** Does the request carry the key (its header, or its cookie on the key's host)? */
export function hasKey(headers: Readonly<Record<string, string | string[] | undefined>>, token: string): boolean {
  const given = headers[TOKEN_HEADER];
  if (typeof given === 'string' && same(given, token)) return true;
  const host = typeof headers.host === 'string' ? hostName(headers.host) : '';
  const kept = host === KEY_HOST ? cookie(headers.cookie, KEY_COOKIE) : undefined;
  return kept !== undefined && same(kept, token);
}

/** `key=…` of the link equal to the key. */
export const keyMatches = (given: string | null, token: string): boolean => given !== null && same(given, token);

/**
 * A request that starts, stops or restarts something: the dashboard's own Host, an Origin (when the
 * browser sends one) equal to that Host's origin, not a cross-site fetch, and the key. via.secure:
 * the request came over TLS (the origin is then https://). via.lan: the LAN side's Host
 * (`10.0.0.5:1443`), when the request came there (from a paired device): HTTPS, and the key in the
 * header (its cookie lives on dev.localhost alone).
 */
export function mutationAllowed(headers: Readonly<Record<string, string | string[] | undefined>>, token: string, via: { secure?: boolean; lan?: string } = {}): Verdict {
  const host = typeof headers.host === 'string' ? headers.host : undefined;
  const { lan } = via;
  // A browser leaves out :443 (the scheme's own port).
  const onLan = lan !== undefined && (host === lan || `${host}:443` === lan);
  if (!onLan && !isDashboardHost(host)) return { ok: false, reason: `Host '${host ?? ''}' is not the dashboard's` };
  const own = `${onLan || via.secure ? 'https' : 'http'}://${host}`;
  const origin = headers.origin;
  if (origin !== undefined && origin !== own) return { ok: false, reason: `Origin '${String(origin)}' is not the dashboard's (${own})` };
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { ok: false, reason: `a ${String(site)} request` };
  if (!hasKey(headers, token)) return { ok: false, reason: `no dashboard key (the link just dev proxy prints, or a ${TOKEN_HEADER} header)` };
  return { ok: true };
}
