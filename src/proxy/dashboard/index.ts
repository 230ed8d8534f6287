/**
 * The dashboard's HTTP side, on the proxy's own names (localhost, dev.localhost): the page, its
 * state as JSON and as server-sent events, a process's last log lines, and the start, stop and
 * restart actions. Logs and actions need the machine's key (src/proxy/guard.ts): the key's link
 * (`/?key=…`) sets it as a cookie on dev.localhost and sends the browser on without it in the URL;
 * without the key the page lists the instances and says where the link is.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { KEY_COOKIE, KEY_HOST, hasKey, keyMatches, mutationAllowed } from '../guard.js';
import { hostName } from '../hosts.js';
import { ACTIONS, type Action, type Monitor } from './live.js';
import { dashboardPage } from './page.js';

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};
const MAX_LOG_LINES = 500;
const HEARTBEAT_MS = 15_000;

const send = (res: ServerResponse, status: number, type: string, body: string) => {
  res.writeHead(status, { ...HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
};
const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json', JSON.stringify(body));
/**
 * The request came over TLS: the Node proxy's own TLS socket, or nginx's word in front of it (nginx
 * sets X-Forwarded-Proto itself; a web page cannot send that header without a preflight, which is
 * never answered).
 */
const overTls = (req: IncomingMessage): boolean => (req.socket as TLSSocket).encrypted === true || req.headers['x-forwarded-proto'] === 'https';

/**
 * lan: the LAN side's Host, for the dashboard served there to paired devices (guard.ts); pairLink:
 * the LAN side's current pairing link, for the page to show the key's holder.
 */
export function dashboardHandler(monitor: Monitor, token: string, lan?: string, pairLink?: () => string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const action = /^\/api\/instances\/([a-z][a-z0-9-]*)\/(\d{1,6})\/([a-z]+)$/.exec(url.pathname);
    if (req.method === 'POST' && action) {
      const verdict = mutationAllowed(req.headers, token, { secure: overTls(req), ...(lan ? { lan } : {}) });
      if (!verdict.ok) return json(res, 403, { ok: false, error: `refused: ${verdict.reason}` });
      const [, project = '', n = '', what = ''] = action;
      if (!(ACTIONS as readonly string[]).includes(what)) return json(res, 404, { ok: false, error: `no action '${what}' (${ACTIONS.join(', ')})` });
      const result = await monitor.act(project, Number(n), what as Action);
      if (!result) return json(res, 404, { ok: false, error: `no instance ${n} of ${project} is leased` });
      return json(res, result.ok ? 200 : 500, result);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { ok: false, error: `${req.method} is not served here` });
    const keyed = hasKey(req.headers, token);
    if (url.pathname === '/' && url.searchParams.has('key')) {
      const key = url.searchParams.get('key');
      if (!keyMatches(key, token)) return send(res, 403, 'text/plain; charset=utf-8', 'refused: not this machine\'s dashboard key (just dev proxy prints the link)\n');
      // The cookie lives on dev.localhost only; the browser goes on to the page without the key in its address.
      const port = (req.headers.host ?? '').match(/:(\d+)$/)?.[1];
      const here = `${overTls(req) ? 'https' : 'http'}://${KEY_HOST}${port ? `:${port}` : ''}/`;
      if (hostName(req.headers.host) !== KEY_HOST) { res.writeHead(303, { ...HEADERS, location: `${here}?key=${encodeURIComponent(key ?? '')}` }); res.end(); return; }
      res.writeHead(303, { ...HEADERS, location: here, 'set-cookie': `${KEY_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` });
      res.end();
      return;
    }
    switch (url.pathname) {
      case '/': return send(res, 200, 'text/html; charset=utf-8', dashboardPage(await monitor.json(), keyed, keyed ? pairLink?.() : undefined));
      case '/api/state': return send(res, 200, 'application/json', await monitor.json());
      case '/api/events': return events(req, res, monitor);
      case '/api/logs': {
        if (!keyed) return json(res, 403, { error: 'refused: logs need the dashboard key (the link just dev proxy prints)' });
        const name = url.searchParams.get('process') ?? '';
        const lines = Math.min(MAX_LOG_LINES, Math.max(1, Number(url.searchParams.get('lines')) || 40));
        const text = await monitor.logs(name, lines);
        return text === undefined ? json(res, 404, { error: `no process '${name}' of a leased instance` }) : json(res, 200, { process: name, lines: text });
      }
      default: return json(res, 404, { error: `nothing at ${url.pathname}` });
    }
  };
}

function events(req: IncomingMessage, res: ServerResponse, monitor: Monitor): void {
  res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
  res.write('retry: 2000\n\n');
  const stop = monitor.watch((state) => res.write(`data: ${state}\n\n`));
  const beat = setInterval(() => res.write(': still here\n\n'), HEARTBEAT_MS);
  req.socket.once('close', () => { stop(); clearInterval(beat); });
}
