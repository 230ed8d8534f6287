/** Where a port answers: this machine, or the address of a Docker host. */

/** Where a port answers when it runs on this machine. */
export const LOCAL_HOST = 'localhost';

/** The address the tool's own clients connect to: IPv4 loopback for this machine (where local servers listen), else the host's address. */
export const clientAddress = (host: string): string => (host === LOCAL_HOST ? '127.0.0.1' : host);

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 or IPv6 address (what a port can be bound to), checked without I/O: IPv6 through the URL parser. */
export function isIpAddress(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (!s.includes(':')) return false;
  try {
    return new URL(`http://[${s}]/`).hostname !== '';
  } catch {
    return false;
  }
}

/** An address only this machine reaches: 127.0.0.0/8, ::1, localhost. Pure. */
export const isLoopback = (address: string): boolean =>
  address === LOCAL_HOST || /^127\./.test(address) || address === '::1' || address === '[::1]';
