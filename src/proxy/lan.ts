/**
 * The proxy's LAN side (`just dev proxy start --lan`): other devices on the network (a phone, a
 * second laptop) reach the instances on this machine's LAN address, over TLS with the machine's CA,
 * with no DNS set-up there. Each app is at its own port on that address (the port it has on
 * loopback: `https://192.168.1.20:5273/` is instance 1's frontend), so an app sees its usual root
 * path and a page keeps its own origin; the environment list, the pairing link and the CA's
 * certificate are at the HTTPS port (`https://192.168.1.20:1443/`). Nothing answers there without
 * pairing: every request without a paired device's cookie gets 403, and the dashboard's controls
 * need the machine's key on top (guard.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { addressPort } from './hosts.js';
import type { ServerCerts } from './certs.js';
import { escapeHtml, lanPage } from './pages.js';
import { DEVICE_COOKIE, type Pairing } from './pairing.js';
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

const refusal = (res: ServerResponse, why: string) => {
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
      res.writeHead(303, { location: '/', 'set-cookie': `${DEVICE_COOKIE}=${token}; Secure; HttpOnly; SameSite=Lax; Path=/`, 'cache-control': 'no-store' });
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
      const body = lanPage(table.values(), url);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    await o.dashboard(req, res);
  };

  const servers = new Map<number, Server>();
  const listen = (port: number, onRequest: (req: IncomingMessage, res: ServerResponse) => void, onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer({ requestTimeout: 0, ...o.certs.pems }, onRequest);
      const unfollow = o.certs.onChange(() => server.setSecureContext(o.certs.pems));
      server.once('close', unfollow);
      server.on('clientError', (_, socket) => socket.destroy());
      if (onUpgrade) server.on('upgrade', onUpgrade);
      server.once('error', reject);
      server.listen(port, o.address, () => { server.off('error', reject); resolve(server); });
    });

  servers.set(o.port, await listen(o.port, (req, res) => { home(req, res).catch((err: Error) => refusal(res, `the dashboard failed: ${err.message}`)); }));

  const app = (port: number) => listen(port, (req, res) => {
    if (!o.pairing.paired(req.headers.cookie)) return refusal(res, NOT_PAIRED);
    o.forward(req, res, port);
  }, (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (!o.pairing.paired(req.headers.cookie)) { socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n'); return; }
    o.forwardUpgrade(req, socket, head, port);
  });

  let pending: Promise<void> = Promise.resolve();
  return {
    sync: (next) => {
      table = next;
      const wanted = new Set([...next.values()].map((r) => r.port));
      pending = pending.then(async () => {
        for (const [port, server] of servers) {
          if (port !== o.port && !wanted.has(port)) { servers.delete(port); server.closeAllConnections(); server.close(); }
        }
        for (const port of wanted) {
          if (servers.has(port) || port === o.port) continue;
          try {
            servers.set(port, await app(port));
          } catch (err) {
            // The app itself listens on every address (0.0.0.0): it is reachable there already, without pairing.
            console.error(`dev-instances proxy: cannot serve port ${port} on ${o.address} to other devices (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
          }
        }
      });
    },
    close: async () => {
      await pending;
      for (const s of servers.values()) s.closeAllConnections();
      await Promise.all([...servers.values()].map((s) => new Promise((r) => s.close(r))));
    },
  };
}
