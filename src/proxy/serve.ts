/**
 * The local proxy as the machine sees it: nginx in front (when installed, or asked for) carrying the
 * named apps' traffic, the Node proxy behind it on loopback for the rest; or the Node proxy alone on
 * the public port. The proxy process (scripts/proxy.ts) and the tests start it the same way.
 */
import { join } from 'node:path';
import { OperationalError } from '../errors.js';
import { stateDir } from '../state-dir.js';
import { PROXY_FRONT_ENV, type ProxyFront } from './hosts.js';
import { type NginxFront, findNginx, startNginxFront } from './nginx/front.js';
import { type ProxyOptions, startProxy } from './server.js';

export interface Serving {
  front: 'nginx' | 'node';
  /** The addresses the names reach. */
  addresses: string[];
  close(): Promise<void>;
}

export async function serveProxy(opts: Omit<ProxyOptions, 'listen' | 'onRoutes'> & { front: ProxyFront }): Promise<Serving> {
  const alone = async (): Promise<Serving> => {
    const p = await startProxy(opts);
    return { front: 'node', addresses: p.addresses, close: p.close };
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
  const back = await startProxy({ ...opts, listen: { port: 0, address: '127.0.0.1' }, onRoutes: (t) => front?.update(t) });
  try {
    front = await startNginxFront({ bin, dir: join(stateDir(opts.env), 'nginx'), port: opts.port, addresses: opts.addresses, back: back.port, routes: back.routes() });
  } catch (err) {
    await back.close();
    if (opts.front === 'nginx') throw err;
    console.error(`dev-instances proxy: ${(err as Error).message}; serving without nginx`);
    return alone();
  }
  front.update(back.routes()); // a change while nginx started
  const started = front;
  return {
    front: 'nginx',
    addresses: started.addresses,
    close: async () => {
      await started.close();
      await back.close();
    },
  };
}
