/**
 * The local proxy as the machine sees it: nginx in front (when installed, or asked for) carrying the
 * named apps' traffic, the Node proxy behind it on loopback for the rest; or the Node proxy alone on
 * the public port. With HTTPS, whichever faces the browser terminates TLS with the proxy's
 * certificate (certs.ts), which names every route before the route answers. The proxy process
 * (scripts/proxy.ts) and the tests start it the same way.
 */
import { join } from 'node:path';
import { OperationalError } from '../errors.js';
import { stateDir } from '../state-dir.js';
import { ServerCerts } from './certs.js';
import { Pairing } from './pairing.js';
import { pairingFiles } from './state.js';
import { PROXY_FRONT_ENV, type ProxyFront } from './hosts.js';
import { type NginxFront, findNginx, startNginxFront } from './nginx/front.js';
import type { Route } from './routes.js';
import { type ProxyOptions, startProxy } from './server.js';

export interface Serving {
  front: 'nginx' | 'node';
  /** The addresses the names reach. */
  addresses: string[];
  /** HTTPS's port, when on. */
  https?: { port: number };
  /** The LAN side's address and port, when on. */
  lan?: { address: string; port: number };
  close(): Promise<void>;
}

/** The certificate is checked this often for renewal (it is made again a week before it ends). */
const RENEW_CHECK_MS = 6 * 3_600_000;

const warn = (err: Error) => console.error(`dev-instances proxy: could not make the certificate for a new name: ${err.message}`);

export async function serveProxy(given: Omit<ProxyOptions, 'listen' | 'onRoutes' | 'https' | 'lan'> & {
  front: ProxyFront; https?: { port: number }; lan?: { address: string; port: number };
}): Promise<Serving> {
  const { https, lan: lanAt, ...opts } = given;
  const certs = https || lanAt ? await ServerCerts.open(opts.env, [...opts.addresses, ...(lanAt ? [lanAt.address] : [])]) : undefined;
  const renew = certs && setInterval(() => { certs.ensure([]).catch(warn); }, RENEW_CHECK_MS).unref();
  const pairing = lanAt && await Pairing.open(pairingFiles(opts.env));
  const lan: Pick<ProxyOptions, 'lan'> = lanAt && certs && pairing ? { lan: { ...lanAt, pairing, certs, caPem: certs.caPem } } : {};
  // The LAN side as the Node proxy could start it (a LAN address that cannot be bound leaves it out).
  const done = (s: Omit<Serving, 'https'>): Serving => ({
    ...s, ...(https ? { https } : {}),
    close: async () => { clearInterval(renew); await s.close(); pairing?.close(); },
  });
  const alone = async (): Promise<Serving> => {
    const p = await startProxy({
      ...opts, ...lan, ...(certs && https ? { https: { port: https.port, certs }, onRoutes: (t) => { certs.ensure(t.keys()).catch(warn); } } : {}),
    });
    return done({ front: 'node', addresses: p.addresses, ...(p.lan ? { lan: p.lan } : {}), close: p.close });
  };
  const bin = opts.front === 'node' ? undefined : findNginx(opts.env.PATH);
  if (!bin) {
    if (opts.front === 'nginx') {
      throw new OperationalError(`${PROXY_FRONT_ENV}=nginx, but no nginx is installed (looked on PATH and in /usr/sbin)`,
        `Install it (apt-get install nginx-light), or set ${PROXY_FRONT_ENV}=node.`);
    }
    return alone();
  }
  let front: NginxFront | undefined;
  // Route changes in order: the certificate names a new route before nginx is told of it.
  let updates: Promise<void> = Promise.resolve();
  const follow = (t: ReadonlyMap<string, Route>) => {
    updates = updates.then(() => certs?.ensure(t.keys())).catch(warn).then(() => front?.update(t));
  };
  const back = await startProxy({ ...opts, ...lan, ...(certs && https ? { https: { port: https.port, certs } } : {}), listen: { port: 0, address: '127.0.0.1' }, onRoutes: follow });
  try {
    await certs?.ensure(back.routes().keys());
    front = await startNginxFront({
      bin, dir: join(stateDir(opts.env), 'nginx'), port: opts.port, addresses: opts.addresses, back: back.port, routes: back.routes(),
      ...(certs && https ? { https: { port: https.port, ...certs.files } } : {}),
    });
  } catch (err) {
    await back.close();
    if (opts.front === 'nginx') throw err;
    console.error(`dev-instances proxy: ${(err as Error).message}; serving without nginx`);
    return alone();
  }
  follow(back.routes()); // a change while nginx started
  const started = front;
  // nginx reads the certificate's files at a reload: a renewal (no route changed) needs one too.
  certs?.onChange(() => started.reload());
  return done({
    front: 'nginx',
    addresses: started.addresses,
    ...(back.lan ? { lan: back.lan } : {}),
    close: async () => {
      await started.close();
      await back.close();
    },
  });
}
