/**
 * The proxy's LAN side (`just dev proxy start --lan`): other devices on the network (a phone, a
 * second laptop) reach the instances on this machine's LAN address, over TLS with the machine's CA,
 * with no DNS set-up there. Each app is at a port of its own on that address, its loopback port +
 * 10000 (`https://192.168.1.20:15273/` is instance 1's frontend, on 5273 here): the proxy's port,
 * never the app's own, which an app listening on every address (0.0.0.0) holds there already. So an
 * app sees its usual root path and a page keeps its own origin; the environment list, the pairing
 * link and the CA's certificate are at the HTTPS port (`https://192.168.1.20:1443/`). Nothing answers there without
 * pairing: every request without a paired device's cookie gets 403, and the dashboard's controls
 * need the machine's key on top (guard.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { addressPort } from './hosts.js';
import type { ServerCerts } from './certs.js';
import { escapeHtml, lanPage } from './pages.js';
import { DEVICE_COOKIE, DEVICE_DAYS, type Pairing } from './pairing.js';
import type { Route } from './routes.js';

export interface LanSideOptions {
  address: string;
  /** The environment list's port (the HTTPS port). */
  port: number;
  certs: ServerCerts;
  pairing: Pairing;
  caPem: string;
  /** The dashboard's handler for paired devices (its controls need the key too). */
  dashboard: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Hand a request or an upgrade to the app on this loopback port. */
  forward: (req: IncomingMessage, res: ServerResponse, port: number) => void;
  forwardUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer, port: number) => void;
}

export interface LanSide {
  /** Listen on the LAN address at every routed app's port (and stop for ports no route has now). */
  sync(table: ReadonlyMap<string, Route>): void;
  close(): Promise<void>;
}

/** The LAN port of an app's loopback port (undefined beyond the port range: that app is not served to other devices). */
export const LAN_PORT_OFFSET = 10_000;
export const lanPortOf = (port: number): number | undefined => (port + LAN_PORT_OFFSET <= 65_535 ? port + LAN_PORT_OFFSET : undefined);

/** The request's cookies without the device's token: an app never gets it (it could log it). */
function withoutDeviceCookie(req: IncomingMessage): void {
  const cookie = req.headers.cookie;
  if (cookie === undefined) return;
  const kept = cookie.split(';').filter((c) => c.trim().split('=')[0] !== DEVICE_COOKIE).join(';').trim();
  if (kept === '') delete req.headers.cookie; else req.headers.cookie = kept;
}

const refusal = (res: ServerResponse, why: string) => {
  if (res.headersSent) { res.destroy(); return; }
  const body = `<!doctype html><title>Not paired</title><p>dev-instances: refused: ${escapeHtml(why)}.</p>\n`;
  res.writeHead(403, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};
const NOT_PAIRED = 'this device is not paired with this machine (open the pairing link `just dev proxy` shows there)';

export async function startLanSide(o: LanSideOptions): Promise<LanSide> {
  const url = (port: number) => `https://${addressPort(o.address, port)}`;
  let table: ReadonlyMap<string, Route> = new Map();
  const home = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'https://lan').pathname;
    if (path === '/pair') {
      const token = await o.pairing.redeem(new URL(req.url ?? '/', 'https://lan').searchParams.get('code'));
      if (!token) return refusal(res, 'that pairing link is used up or was never valid (just dev proxy shows the current one)');
      // Cookies ignore ports: the one cookie reaches every app's port on this address.
      res.writeHead(303, { location: '/', 'set-cookie': `${DEVICE_COOKIE}=${token}; Max-Age=${DEVICE_DAYS * 86_400}; Secure; HttpOnly; SameSite=Lax; Path=/`, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    if (!o.pairing.paired(req.headers.cookie)) return refusal(res, NOT_PAIRED);
    if (path === '/ca.pem') {
      res.writeHead(200, { 'content-type': 'application/x-x509-ca-cert', 'content-disposition': 'attachment; filename="dev-instances-ca.pem"', 'content-length': Buffer.byteLength(o.caPem) });
      res.end(o.caPem);
      return;
    }
    if (path === '/' && req.method === 'GET') {
      const body = lanPage(table.values(), (port) => { const at = lanPortOf(port); return at === undefined ? undefined : url(at); });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    await o.dashboard(req, res);
  };

  /** The apps' LAN listeners, by the app's loopback port. */
  const servers = new Map<number, Server>();
  const listen = (port: number, onRequest: (req: IncomingMessage, res: ServerResponse) => void, onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer({ requestTimeout: 0, ...o.certs.pems }, onRequest);
      const unfollow = o.certs.onChange(() => server.setSecureContext(o.certs.pems));
      server.once('close', unfollow);
      server.on('clientError', (_, socket) => socket.destroy());
      if (onUpgrade) server.on('upgrade', onUpgrade);
      server.once('error', (err) => { unfollow(); reject(err); });
      server.listen(port, o.address, () => { server.removeAllListeners('error'); server.on('error', () => {}); resolve(server); });
    });

  const front = await listen(o.port, (req, res) => { home(req, res).catch((err: Error) => refusal(res, `the dashboard failed: ${err.message}`)); });

  /** An app's LAN listener: its LAN port, forwarding to its loopback port. */
  const app = (port: number, at: number) => listen(at, (req, res) => {
    if (!o.pairing.paired(req.headers.cookie)) return refusal(res, NOT_PAIRED);
    withoutDeviceCookie(req);
    o.forward(req, res, port);
  }, (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (!o.pairing.paired(req.headers.cookie)) { socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n'); return; }
    withoutDeviceCookie(req);
    o.forwardUpgrade(req, socket, head, port);
  });
  /** Ports tried and refused (something else holds the LAN port): said once, not tried on every registry change. */
  const refused = new Set<number>();

  let pending: Promise<void> = Promise.resolve();
  return {
    sync: (next) => {
      table = next;
      const wanted = new Set([...next.values()].map((r) => r.port));
      pending = pending.then(async () => {
        for (const [port, server] of servers) {
          if (!wanted.has(port)) { servers.delete(port); server.closeAllConnections(); server.close(); }
        }
        for (const port of wanted) {
          const at = lanPortOf(port);
          if (at === undefined || servers.has(port) || refused.has(port) || at === o.port) continue;
          try {
            servers.set(port, await app(port, at));
          } catch (err) {
            refused.add(port);
            console.error(`dev-instances proxy: cannot serve port ${port} to other devices on ${addressPort(o.address, at)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
          }
        }
      });
    },
    close: async () => {
      await pending;
      const all = [front, ...servers.values()];
      for (const s of all) s.closeAllConnections();
      await Promise.all(all.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
