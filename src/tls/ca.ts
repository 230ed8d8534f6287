/**
 * The machine's local certificate authority, made once per machine and user in the state folder
 * (`tls/ca.pem`, and `tls/ca-key.pem` 0600 in a 0700 folder), and the certificates it signs for the
 * proxy's names. Name-constrained: trusted by a browser, it can vouch only for names that never leave
 * this machine or its private network (PERMITTED), so its key, if it leaked, could not impersonate
 * any site on the internet. X.509 from @peculiar/x509 (its name-constraints extension from the
 * library's own ASN.1 schema), keys and signatures from Node's WebCrypto.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { chown, link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/x509';
import { OperationalError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { exposure, privateDir } from '../fs/private.js';
import { isIpAddress } from '../plan/addresses.js';
import { PERMITTED, bare } from './names.js';
import { pollUntil } from '../poll.js';
import { tlsDir, tlsFiles } from './files.js';

x509.cryptoProvider.set(webcrypto as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** Ten years: trusting a CA is a step of its own; it should not come back every year. */
const CA_DAYS = 3650;
/** A server certificate lives a month and is made again a week before it ends (in days). */
export const LEAF_DAYS = 30;
export const LEAF_RENEW_DAYS = 7;

export interface Ca {
  cert: x509.X509Certificate;
  key: CryptoKey;
  /** The certificate, PEM, as browsers and NODE_EXTRA_CA_CERTS take it. */
  pem: string;
  /** Its SHA-256 fingerprint (hex, no colons): names it in trust stores. */
  fingerprint: string;
  /** The certificate's file. */
  file: string;
}

/** The CA's certificate alone: what trusting it needs. */
export type CaCert = Pick<Ca, 'pem' | 'fingerprint' | 'file'>;

/** The CA's certificate as it is on disk, without its key (sudo's root reads the user's); undefined when there is none. */
export async function caCert(env?: NodeJS.ProcessEnv): Promise<CaCert | undefined> {
  const file = tlsFiles(env).ca;
  const pem = await readFile(file, 'utf8').catch(() => undefined);
  if (pem === undefined) return undefined;
  const cert = new x509.X509Certificate(pem);
  return { pem: cert.toString('pem'), file, fingerprint: Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex') };
}

/** The CA, made now when there is none. A key file another user could read is refused, never used. */
export async function machineCa(env?: NodeJS.ProcessEnv): Promise<Ca> {
  const all = tlsFiles(env);
  const files = { cert: all.ca, key: all.caKey };
  const found = await readCa(files);
  if (found) return found;
  await privateDir(tlsDir(env));
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const now = Date.now();
  const who = `${safe(userInfo().username)}@${safe(hostname())}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: `CN=dev-instances local CA (${who}), O=dev-instances`,
    notBefore: new Date(now - DAY_MS), notAfter: new Date(now + CA_DAYS * DAY_MS), keys, signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(nameConstraints())),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  // Two commands making it at once (the proxy, trust): the one whose key is linked first wins, with
  // its certificate written after it; the other drops its own and takes the winner's.
  const tmpKey = `${files.key}.${process.pid}.tmp`;
  await writeFile(tmpKey, pem('PRIVATE KEY', pkcs8), { mode: 0o600, flag: 'w' });
  try {
    await link(tmpKey, files.key);
    await writeFileAtomic(files.cert, cert.toString('pem'), 0o644, { durable: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await pollUntil(async () => (await stat(files.cert).then(() => true, () => undefined)), {
      deadlineMs: 5_000, intervalMs: 20, timeout: () => new OperationalError(`${files.key} has no certificate beside it`, `Delete ${files.key}: a new CA is made.`),
    });
  } finally {
    await rm(tmpKey, { force: true });
  }
  const made = await readCa(files);
  if (!made) throw new OperationalError(`${files.cert} vanished while it was being made`, 'Run the command again.');
  return made;
}

async function readCa(files: { cert: string; key: string }): Promise<Ca | undefined> {
  let st;
  try {
    st = await stat(files.key);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const bad = exposure(st);
  if (bad) {
    throw new OperationalError(`refusing the local CA's key ${files.key}: ${bad}, so other users may have read it (and could sign for your names)`,
      `If nobody else could have, chmod 600 it (and chown it to you); otherwise run just dev untrust, delete ${files.key} and ${files.cert}, and just dev trust again.`);
  }
  // Another command may be writing the certificate right after its key: given a moment.
  const certPem = await pollUntil(() => readFile(files.cert, 'utf8').catch(() => undefined), { deadlineMs: 3_000, intervalMs: 20, timeout: () => new Error('no certificate') })
    .catch(() => undefined);
  const keyPem = await readFile(files.key, 'utf8');
  if (certPem === undefined) {
    throw new OperationalError(`the local CA's key ${files.key} has no certificate beside it (${files.cert})`, `Delete ${files.key}: a new CA is made (trust it again with just dev trust).`);
  }
  const cert = new x509.X509Certificate(certPem);
  const key = await webcrypto.subtle.importKey('pkcs8', der(keyPem), ALG, false, ['sign']);
  return { cert, key, file: files.cert, pem: cert.toString('pem'), fingerprint: Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex') };
}

/**
 * A server certificate for names (DNS names and IP addresses), signed by the CA, for publicKey. The
 * first name is its subject; every name is in its subject alternative names, which is what browsers read.
 */
export async function issue(ca: Ca, names: readonly string[], publicKey: CryptoKey, now = Date.now()): Promise<x509.X509Certificate> {
  if (names.length === 0) throw new Error('a certificate needs at least one name');
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: `CN=${names[0]}`, issuer: ca.cert.subject,
    notBefore: new Date(now - 3_600_000), notAfter: new Date(now + LEAF_DAYS * DAY_MS),
    signingKey: ca.key, publicKey, signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n): x509.JsonGeneralName => (isIpAddress(bare(n)) ? { type: 'ip', value: bare(n) } : { type: 'dns', value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
}

/** Where systems keep their CA bundle: Debian and Ubuntu, Fedora and RHEL, Alpine and macOS, openSUSE. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem', '/etc/ssl/ca-bundle.pem'];

/**
 * tls/bundle.pem: the system's CA bundle with the machine's CA after it, for the variables that
 * replace a runtime's whole list (SSL_CERT_FILE, REQUESTS_CA_BUNDLE). None when the system has no
 * bundle where systems keep one: the apps then get NODE_EXTRA_CA_CERTS only. Whether it was written.
 */
export async function writeBundle(ca: CaCert, env?: NodeJS.ProcessEnv, owner?: { uid: number; gid: number }): Promise<boolean> {
  for (const file of SYSTEM_BUNDLES) {
    const system = await readFile(file, 'utf8').catch(() => undefined);
    if (system === undefined) continue;
    const bundle = tlsFiles(env).bundle;
    await writeFileAtomic(bundle, `${system.trimEnd()}\n\n# dev-instances: this machine's local CA\n${ca.pem}`, 0o644);
    if (owner) await chown(bundle, owner.uid, owner.gid);
    return true;
  }
  return false;
}

/** A new key pair for server certificates (P-256; its private half exportable for nginx's key file). */
export const serverKeys = (): Promise<CryptoKeyPair> => webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

export const privateKeyPem = async (key: CryptoKey): Promise<string> => pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key));

function nameConstraints(): NameConstraints {
  const subtree = (base: GeneralName) => new GeneralSubtree({ base });
  return new NameConstraints({
    permittedSubtrees: new GeneralSubtrees([
      ...PERMITTED.dns.map((dNSName) => subtree(new GeneralName({ dNSName }))),
      ...PERMITTED.ip.map((iPAddress) => subtree(new GeneralName({ iPAddress }))),
    ]),
  });
}

/** A positive 128-bit serial number, hex. */
const serial = (): string => {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0] ?? 0) & 0x7f;
  return Buffer.from(b).toString('hex');
};

const safe = (s: string): string => s.replace(/[^\w.@-]/g, '') || 'user';

const pem = (label: string, data: ArrayBuffer): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(data).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

const der = (text: string): ArrayBuffer => {
  const b = Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
