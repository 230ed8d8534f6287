/** Where the machine's TLS files live, in the state folder. Light: named on every command's path (the apps' environment names them). */
import { join } from 'node:path';
import { stateDir } from '../state-dir.js';

export const tlsDir = (env?: NodeJS.ProcessEnv): string => join(stateDir(env), 'tls');

export const tlsFiles = (env?: NodeJS.ProcessEnv) => {
  const dir = tlsDir(env);
  return {
    /** The CA's certificate (public) and key (0600). */
    ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'),
    /** The system's CA bundle with the machine's CA after it, for runtimes whose variable replaces the bundle (SSL_CERT_FILE, REQUESTS_CA_BUNDLE). */
    bundle: join(dir, 'bundle.pem'),
    /** What `trust` added where, so `untrust` removes exactly that; its presence turns HTTPS on (auto). */
    trusted: join(dir, 'trusted.json'),
    /** The proxy's server certificate and key, for nginx. */
    proxyCert: join(dir, 'proxy.pem'), proxyKey: join(dir, 'proxy-key.pem'),
  };
};
