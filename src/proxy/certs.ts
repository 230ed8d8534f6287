/**
 * The proxy's server certificate, from the machine's CA (src/tls/ca.ts): one certificate naming every
 * name the proxy answers (the route table's hosts, the dashboard's names, loopback's and the listening
 * addresses), made again when a name is added or a week before it ends. A name gets its certificate
 * before it answers: the nginx front reloads only after the files are written, and the Node proxy's
 * handshake for a routed name it does not cover yet waits for the new one. Files for nginx:
 * `tls/proxy.pem` and `tls/proxy-key.pem` (0600); the Node proxy takes the same in memory.
 */
import { type SecureContext, createSecureContext } from 'node:tls';
import { writeFileAtomic } from '../fs/atomic.js';
import { type Ca, LEAF_RENEW_DAYS, issue, machineCa, privateKeyPem, serverKeys } from '../tls/ca.js';
import { permitted } from '../tls/names.js';
import { tlsFiles } from '../tls/files.js';
import { DASHBOARD_HOSTS } from './hosts.js';

export interface CertFiles { cert: string; key: string }

export class ServerCerts {
  private names = new Set<string>();
  private context: SecureContext | undefined;
  private pem = '';
  private renewAt = 0;
  /** Issues run one at a time, each for every name asked so far. */
  private queue: Promise<void> = Promise.resolve();
  private listeners: ((ctx: SecureContext) => void)[] = [];

  private constructor(private readonly ca: Ca, private readonly keys: CryptoKeyPair, private readonly keyPem: string, readonly files: CertFiles,
    private readonly fixed: readonly string[]) {}

  /** The machine's CA (made now if need be), a new key, and a certificate for the fixed names and addresses. */
  static async open(env: NodeJS.ProcessEnv, addresses: readonly string[]): Promise<ServerCerts> {
    const ca = await machineCa(env);
    const keys = await serverKeys();
    const files = tlsFiles(env);
    const certs = new ServerCerts(ca, keys, await privateKeyPem(keys.privateKey), { cert: files.proxyCert, key: files.proxyKey },
      [...DASHBOARD_HOSTS, ...addresses]);
    await certs.ensure([]);
    return certs;
  }

  /** The CA's certificate, PEM (for devices to download and trust). */
  get caPem(): string {
    return this.ca.pem;
  }

  /** Whether the certificate names it now. */
  covers(name: string): boolean {
    return this.names.has(name.toLowerCase());
  }

  /** The certificate and key for Node's TLS (after open, always there). */
  get secureContext(): SecureContext {
    if (!this.context) throw new Error('ServerCerts used before open');
    return this.context;
  }

  /** The certificate and key as PEM, for a TLS server's options (the context of a handshake without a name). */
  get pems(): { cert: string; key: string } {
    return { cert: this.pem, key: this.keyPem };
  }

  /** Told each new certificate (a TLS server's default context follows it); returns how to stop telling. */
  onChange(fn: (ctx: SecureContext) => void): () => void {
    this.listeners.push(fn);
    return () => { this.listeners = this.listeners.filter((f) => f !== fn); };
  }

  /**
   * A certificate that names every one of names (and every name asked before): made now when one is
   * missing or the current one is due for renewal; written for nginx before this resolves. Names the
   * CA may not sign are left out (nothing the proxy routes is one).
   */
  ensure(names: Iterable<string>): Promise<void> {
    const wanted = [...this.fixed, ...names].map((n) => n.toLowerCase()).filter(permitted);
    const run = this.queue.then(async () => {
      const missing = wanted.filter((n) => !this.names.has(n));
      if (missing.length === 0 && Date.now() < this.renewAt) return;
      const all = [...new Set([...this.names, ...wanted])];
      const cert = await issue(this.ca, all, this.keys.publicKey);
      const pem = `${cert.toString('pem')}\n`;
      await writeFileAtomic(this.files.key, this.keyPem, 0o600);
      await writeFileAtomic(this.files.cert, pem, 0o644);
      this.context = createSecureContext({ cert: pem, key: this.keyPem });
      this.pem = pem;
      this.names = new Set(all);
      this.renewAt = cert.notAfter.getTime() - LEAF_RENEW_DAYS * 86_400_000;
      for (const fn of this.listeners) fn(this.context);
    });
    this.queue = run.catch(() => {});
    return run;
  }
}
