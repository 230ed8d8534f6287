/** The names the machine's CA may sign (its name constraints), and the test of one. Pure and light: the CLI checks a LAN address with it. */
import { isIpAddress } from '../plan/addresses.js';

/**
 * What the CA may sign. `localhost` covers every `*.localhost` name (RFC 5280: a DNS constraint
 * permits the name and every name below it); `local` the mDNS names of a LAN (`laptop.local`); the
 * addresses are loopback's and the private ranges (RFC 1918, CGNAT's 100.64/10 that Tailscale uses,
 * IPv6 unique-local): the LAN addresses a phone reaches this machine on, whatever DHCP gives it.
 */
export const PERMITTED = {
  dns: ['localhost', 'local'],
  ip: ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'],
} as const;

/** Whether a name is one the CA may sign (a name beyond PERMITTED would make every browser refuse the certificate). */
export function permitted(name: string): boolean {
  const n = bare(name).toLowerCase();
  if (isIpAddress(n)) return PERMITTED.ip.some((range) => inRange(n, range));
  return PERMITTED.dns.some((d) => n === d || n.endsWith(`.${d}`));
}

/** `[::1]` → `::1`: addresses as a Host header writes them. */
export const bare = (name: string): string => name.replace(/^\[(.*)\]$/, '$1');

function inRange(address: string, range: string): boolean {
  const [base = '', bits = '0'] = range.split('/');
  const a = bytesOf(address);
  const b = bytesOf(base);
  if (!a || !b || a.length !== b.length) return false;
  let left = Number(bits);
  for (let i = 0; i < a.length && left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false;
  }
  return true;
}

function bytesOf(ip: string): number[] | undefined {
  if (ip.includes('.') && !ip.includes(':')) return ip.split('.').map(Number);
  const [head = '', tail] = ip.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (all.length !== 8) return undefined;
  return all.flatMap((g) => { const v = parseInt(g, 16); return [v >> 8, v & 0xff]; });
}

