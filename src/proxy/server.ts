/**
 * The machine's one local proxy: routes `*.localhost` names to the instances' apps (requests,
 * WebSocket upgrades, streams and uploads pass through http-proxy-3 untouched, the original Host in
 * X-Forwarded-Host), answers a small page for an instance that is down, and serves the dashboard on
 * its own names. Routes come from the lease registry and follow it as it changes: no restart.
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { Agent, type IncomingMessage, type Server, ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContext, TLSSocket } from 'node:tls';
import { createProxyServer } from 'http-proxy-3';
import { leaseFile, readLeases } from '../leases/registry.js';
import { stateDir } from '../state-dir.js';
import { Monitor } from './dashboard/live.js';
import { dashboardHandler } from './dashboard/index.js';
import { hostAllowed, isDashboardHost } from './guard.js';
import { addressPort, hostName } from './hosts.js';
import { hostUrl } from '../plan/named-urls.js';
import { escapeHtml, stoppedPage, unknownPage } from './pages.js';
import { type Route, routeTable } from './routes.js';
import type { ServerCerts } from './certs.js';
import { type LanSide, startLanSide } from './lan.js';
import type { Pairing } from './pairing.js';

export interface ProxyOptions {
  /** The port the names use. */
  port: number;
  /** The addresses the names reach: loopback's, and one more only when configured. */
  addresses: string[];
  /** Where the registry is (DEV_INSTANCES_STATE_DIR, HOME). */
  env: NodeJS.ProcessEnv;
  token: string;
  /** Behind a front (nginx): listen here instead (port 0: any free one). Default: port on addresses. */
  listen?: { port: number; address: string };
  /** Told each new route table (the front's configuration follows it). */
  onRoutes?: (table: ReadonlyMap<string, Route>) => void;
  /**
   * HTTPS on its port, with certificates from certs: served here when alone (a front terminates TLS
   * itself, and redirects); HTTP requests to a named app are then sent there (308). The dashboard's
   * named URLs are HTTPS either way.
   */
  https?: { port: number; certs: ServerCerts };
  /** The LAN side for other devices (lan.ts): its address and port, its pairing, and the certificates (which name the address). */
  lan?: { address: string; port: number; pairing: Pairing; certs: ServerCerts; caPem: string };
}

export interface RunningProxy {
  /** The addresses it listens on (::1 is left out on a machine without IPv6). */
  addresses: string[];
  /** The port it listens on (the names' port, unless behind a front). */
  port: number;
  /** Its HTTPS port, when it serves HTTPS itself. */
  httpsPort?: number;
  /** Its LAN side, when it serves one. */
  lan?: { address: string; port: number };
  /** Today's route table. */
  routes(): ReadonlyMap<string, Route>;
  close(): Promise<void>;
}

/** The route table, re-read when the registry file changes. */
class RouteBook {
  private table = new Map<string, Route>();
  /** The registry file's identity when last read: a miss re-reads it only when that changed. */
  private version = '';
  private watcher: FSWatcher | undefined;
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly onChange?: (table: ReadonlyMap<string, Route>) => void) {
    this.reload();
    try {
      // The registry is replaced by a rename: watch its folder, not the file.
      this.watcher = watch(stateDir(env), (_, file) => {
        if (file !== null && !String(file).startsWith('leases.json')) return;
        clearTimeout(this.pending);
        this.pending = setTimeout(() => this.reload(), 20);
      });
    } catch { /* no folder yet: misses re-read */ }
  }

  private fileVersion(): string {
    try {
      const st = statSync(leaseFile(this.env));
      return `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      return 'none';
    }
  }

  reload(): void {
    this.version = this.fileVersion();
    this.table = routeTable(readLeases(this.env));
    this.onChange?.(this.table);
  }

  get current(): ReadonlyMap<string, Route> {
    return this.table;
  }

  /** A hit answers from the table; a miss first makes sure the table is today's (a start that just leased a number). */
  lookup(name: string): Route | undefined {
    const hit = this.table.get(name);
    if (hit || this.fileVersion() === this.version) return hit;
    this.reload();
    return this.table.get(name);
  }

  /** The names in use of the project a name belongs to (all, when it names none). */
  near(name: string): string[] {
    const project = name.split('.').at(-2);
    const all = [...this.table.keys()];
    const same = all.filter((h) => h.split('.').at(-2) === project);
    return (same.length > 0 ? same : all).sort();
  }

  close(): void {
    this.watcher?.close();
    clearTimeout(this.pending);
  }
}

/** Send one of the proxy's own pages (or end a response that had begun). */
const answer = (res: ServerResponse, status: number, html: string) => {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(html) });
  res.end(html);
};

const refused = (reason: string) => `<!doctype html><title>Refused</title><p>dev-instances proxy: refused: ${escapeHtml(reason)}.</p>\n`;

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  let lanSide: LanSide | undefined;
  const book = new RouteBook(opts.env, (t) => { opts.onRoutes?.(t); lanSide?.sync(t); });
  const dashboardUrl = hostUrl('localhost', opts.port);
  const monitor = new Monitor(opts.port, opts.env, opts.https?.port);
  const lanHome = opts.lan && addressPort(opts.lan.address, opts.lan.port);
  const dashboard = dashboardHandler(monitor, opts.token, undefined, () => {
    const code = opts.lan?.pairing.current;
    return lanHome && code ? `https://${lanHome}/pair?code=${code}` : undefined;
  });
  // Kept-alive connections to the apps; a socket idle for 4 s is dropped before a dev server's
  // default 5 s keep-alive ends it under a request.
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 4_000 });
  const proxy = createProxyServer({ xfwd: true, ws: true, agent });
  // Errors after a request was handed over (a reset of an upgraded socket, an app that dies
  // mid-response) come as events: end that one connection, never the proxy.
  proxy.on('error', (_err: Error, _req: unknown, target: unknown) => {
    if (target instanceof ServerResponse) { if (!target.headersSent) target.writeHead(502); target.end(); } else (target as Duplex | undefined)?.destroy?.();
  });
  const extra = opts.addresses.find((a) => a !== '127.0.0.1' && a !== '::1');

  // HTTPS here when alone: behind a front, the front terminates TLS and redirects.
  const tls = opts.listen ? undefined : opts.https;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const allowed = hostAllowed(req.headers.host, extra);
    if (!allowed.ok) return answer(res, 403, refused(allowed.reason));
    if (isDashboardHost(req.headers.host)) {
      dashboard(req, res).catch((err: Error) => answer(res, 500, refused(`the dashboard failed: ${err.message}`)));
      return;
    }
    const name = hostName(req.headers.host);
    const route = book.lookup(name);
    if (!route) return answer(res, 404, unknownPage(name, dashboardUrl, book.near(name).map((h) => hostUrl(h, opts.port))));
    if (tls && !(req.socket as TLSSocket).encrypted) {
      res.writeHead(308, { location: `${hostUrl(name, tls.port, true)}${req.url ?? '/'}`, 'content-length': 0 });
      res.end();
      return;
    }
    proxy.web(req, res, { target: `http://127.0.0.1:${route.port}` }, (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') answer(res, 503, stoppedPage(route, dashboardUrl));
      else answer(res, 502, refused(`${route.pm2Name} on port ${route.port} failed to answer (${err.code ?? err.message})`));
    });
  };

  // Upgraded connections (HMR sockets) leave the HTTP server's books: closing ends them here.
  const upgraded = new Set<Duplex>();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    const route = hostAllowed(req.headers.host, extra).ok && !isDashboardHost(req.headers.host) ? book.lookup(hostName(req.headers.host)) : undefined;
    if (!route) { socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n'); return; }
    proxy.ws(req, socket, head, { target: `http://127.0.0.1:${route.port}` }, () => socket.destroy());
  };

  const servers: Server[] = [];
  const addresses: string[] = [];
  const listen = opts.listen ? [opts.listen.address] : opts.addresses;
  let port = opts.listen?.port ?? opts.port;
  // A routed name the certificate does not cover yet (a start that just leased it) waits for the new one.
  const sni = tls && ((servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
    const name = servername.toLowerCase();
    if (tls.certs.covers(name) || !book.lookup(name)) { cb(null, tls.certs.secureContext); return; }
    tls.certs.ensure([name]).then(() => cb(null, tls.certs.secureContext), (err: Error) => cb(err));
  });
  for (const address of listen) {
    // No request deadline: an upload to a dev server may take as long as it takes.
    const made: [Server, number][] = [[createServer({ requestTimeout: 0 }, onRequest), port]];
    if (tls && sni) {
      const secure = createHttpsServer({ requestTimeout: 0, SNICallback: sni, ...tls.certs.pems }, onRequest);
      tls.certs.onChange(() => secure.setSecureContext(tls.certs.pems));
      made.push([secure, tls.port]);
    }
    try {
      for (const [server, at] of made) {
        server.on('upgrade', onUpgrade);
        server.on('clientError', (_, socket) => socket.destroy());
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(at, address, () => { server.off('error', reject); resolve(); });
        });
        servers.push(server);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A machine without IPv6 has no ::1 to listen on; loopback's IPv4 address is enough there.
      if (address === '::1' && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) continue;
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      throw err;
    }
    addresses.push(address);
    port = (made[0]?.[0].address() as AddressInfo).port;
  }

  if (opts.lan) {
    const lan = opts.lan;
    try {
      lanSide = await startLanSide({
        ...lan, dashboard: dashboardHandler(monitor, opts.token, addressPort(lan.address, lan.port)),
        forward: (req, res, port) => proxy.web(req, res, { target: `http://127.0.0.1:${port}` }, (err: NodeJS.ErrnoException) => {
          answer(res, err.code === 'ECONNREFUSED' ? 503 : 502, refused(`nothing answers on port ${port} of this machine (${err.code ?? err.message})`));
        }),
        forwardUpgrade: (req, socket, head, port) => { upgraded.add(socket); socket.once('close', () => upgraded.delete(socket)); proxy.ws(req, socket, head, { target: `http://127.0.0.1:${port}` }, () => socket.destroy()); },
      });
      lanSide.sync(book.current);
    } catch (err) {
      // Loopback's named URLs keep working; the proxy's status shows no LAN side.
      console.error(`dev-instances proxy: cannot serve other devices on ${addressPort(lan.address, lan.port)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); serving this machine only`);
    }
  }

  return {
    addresses,
    port,
    ...(tls ? { httpsPort: tls.port } : {}),
    ...(lanSide && opts.lan ? { lan: { address: opts.lan.address, port: opts.lan.port } } : {}),
    routes: () => book.current,
    close: async () => {
      book.close();
      await lanSide?.close();
      agent.destroy();
      for (const s of servers) s.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
