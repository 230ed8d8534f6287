/**
 * The proxy is a control surface on localhost: any web page the developer visits can send requests
 * to it, and DNS rebinding can give a foreign name loopback's address. So: only loopback names are
 * served at all (a rebound name arrives with its own Host), and a request that changes anything must
 * come from the dashboard's own origin and carry the per-machine token. Pure.
 */
import { timingSafeEqual } from 'node:crypto';
import { DASHBOARD_HOSTS, hostName, isLoopbackName } from './hosts.js';

export type Verdict = { ok: true } | { ok: false; reason: string };

export const TOKEN_HEADER = 'x-dev-instances-token';

/** Any request: its Host must name loopback (or the one extra address the proxy was told to listen on). */
export function hostAllowed(host: string | undefined, extra?: string): Verdict {
  const name = hostName(host);
  if (isLoopbackName(name) || (extra !== undefined && name === extra)) return { ok: true };
  return { ok: false, reason: `Host '${host ?? ''}' is not a name of this machine's loopback` };
}

export const isDashboardHost = (host: string | undefined): boolean => DASHBOARD_HOSTS.includes(hostName(host));

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * A request that starts, stops or restarts something: the dashboard's own Host, an Origin (when the
 * browser sends one) equal to that Host's origin, not a cross-site fetch, and the token.
 */
export function mutationAllowed(headers: Readonly<Record<string, string | string[] | undefined>>, token: string): Verdict {
  const host = typeof headers.host === 'string' ? headers.host : undefined;
  if (!isDashboardHost(host)) return { ok: false, reason: `Host '${host ?? ''}' is not the dashboard's` };
  const origin = headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return { ok: false, reason: `Origin '${String(origin)}' is not the dashboard's (http://${host})` };
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { ok: false, reason: `a ${String(site)} request` };
  const given = headers[TOKEN_HEADER];
  if (typeof given !== 'string' || !same(given, token)) return { ok: false, reason: `no valid ${TOKEN_HEADER} header` };
  return { ok: true };
}
