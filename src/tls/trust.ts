/**
 * Trusting the machine's CA, explicitly and reversibly: `trust` adds it to the user's NSS databases
 * (Chromium's `~/.pki/nssdb`, each Firefox profile's; with certutil from libnss3-tools) and, as root,
 * to the system's store (update-ca-certificates or update-ca-trust on Linux, the System keychain on
 * macOS); `untrust` removes exactly what `trust` added, as recorded in `tls/trusted.json`. Stores as
 * a table: one entry per kind of store.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationalError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { onPath } from '../proc/on-path.js';
import { run, runSync } from '../proc/run.js';
import { type CaCert, caCert, machineCa, writeBundle } from './ca.js';
import { tlsFiles } from './files.js';

/** One place the CA was added: which store, where in it, and its name there. */
export interface TrustEntry {
  store: StoreId;
  where: string;
  name: string;
  /** The certificate's SHA-1 (hex, upper case): how the keychain finds it. */
  sha1?: string;
}

interface TrustRecord {
  fingerprint: string;
  added: TrustEntry[];
}

type StoreId = 'nss' | 'system' | 'keychain';

interface Store {
  label: string;
  /** Whether this kind of store exists on this operating system (always, when not said). */
  applies?(): boolean;
  /** Where this store is for this user (NSS: each database); none when the machine has none or the user may not write it. */
  places(env: NodeJS.ProcessEnv): string[];
  /** Why it cannot be used here, when it cannot (certutil missing). */
  unusable?(): string | undefined;
  /** The CA may be there already without trust having put it (the keychain: by hand): found unrecorded, it is left alone and not recorded. */
  mayHoldOthers?: boolean;
  add(ca: CaCert, entry: TrustEntry, as?: Owner): Promise<void>;
  /** Take the CA out, as far as it is there (nothing when it is gone already). ca: the machine's CA now, when there is one (the keychain removes trust settings from its file). */
  remove(entry: TrustEntry, as?: Owner, ca?: CaCert): Promise<void>;
  has(entry: TrustEntry, as?: Owner): Promise<boolean>;
}

const CERTUTIL_HINT = 'apt-get install libnss3-tools (Debian, Ubuntu), dnf install nss-tools (Fedora), or brew install nss (macOS)';
const certutilOnPath = () => onPath('certutil', `${process.env.PATH ?? ''}:/usr/bin:/usr/local/bin`);
const certutil = () => certutilOnPath() ?? 'certutil';
const home = (env: NodeJS.ProcessEnv): string => env.HOME || homedir();

/** Read when asked, not at load: which operating system's stores apply. */
const onMac = (): boolean => process.platform === 'darwin';

/** Firefox's profiles (classic, snap, macOS): each has its own NSS database. */
function firefoxProfiles(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const bases = [
    join(home(env), '.mozilla', 'firefox'),
    join(home(env), 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
    join(home(env), 'Library', 'Application Support', 'Firefox', 'Profiles'),
  ];
  for (const base of bases) {
    let names: string[];
    try { names = readdirSync(base); } catch { continue; }
    for (const n of names) if (existsSync(join(base, n, 'cert9.db'))) out.push(join(base, n));
  }
  return out;
}

/** The system store of this distribution: its folder for extra CAs and the command that rebuilds the bundle. */
const SYSTEM_STORES = [
  { dir: '/usr/local/share/ca-certificates', refresh: 'update-ca-certificates', ext: '.crt' },
  { dir: '/etc/pki/ca-trust/source/anchors', refresh: 'update-ca-trust', ext: '.pem' },
] as const;
const storeAt = (dir: string) => SYSTEM_STORES.find((s) => s.dir === dir);
/** The CA's file in a system store. */
const systemFile = (e: Pick<TrustEntry, 'where' | 'name'>) => join(e.where, `${e.name}${storeAt(e.where)?.ext ?? '.crt'}`);
const systemStore = () => SYSTEM_STORES.find((s) => existsSync(s.dir) && onPath(s.refresh, `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin`));

/** macOS: the System keychain, which Safari, Chrome, curl and every app that asks the OS read. */
const KEYCHAIN = '/Library/Keychains/System.keychain';
const security = () => onPath('security', `${process.env.PATH ?? ''}:/usr/bin`) ?? 'security';

/** The keychain's certificates, each with its SHA-1 and PEM (`security find-certificate -a -Z -p`). */
async function keychainCerts(where: string): Promise<Map<string, string>> {
  const { stdout } = await run(security(), ['find-certificate', '-a', '-Z', '-p', where]);
  const out = new Map<string, string>();
  let sha1 = '';
  for (const m of stdout.matchAll(/^SHA-1 hash: ([0-9A-Fa-f]+)$|(-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----)/gm)) {
    if (m[1]) sha1 = m[1].toUpperCase();
    else if (m[2] && sha1) out.set(sha1, `${m[2]}\n`);
  }
  return out;
}

const STORES: Record<StoreId, Store> = {
  nss: {
    label: 'NSS (Chromium, Firefox)',
    // Chromium reads ~/.pki/nssdb on Linux; on a Mac it reads the keychain, and only Firefox reads NSS.
    places: (env) => [...(onMac() ? [] : [join(home(env), '.pki', 'nssdb')]), ...firefoxProfiles(env)],
    unusable: () => (certutilOnPath() ? undefined : `certutil is not installed (${CERTUTIL_HINT})`),
    // Under sudo, certutil runs as the user whose database it is: files root made there would lock their browser out.
    add: async (ca, { where, name }, as) => {
      if (!existsSync(join(where, 'cert9.db'))) {
        await mkdir(where, { recursive: true, mode: 0o700 });
        if (as) await chownUp(where, as);
        await run(certutil(), ['-N', '-d', `sql:${where}`, '--empty-password'], { ...as });
      }
      await run(certutil(), ['-A', '-d', `sql:${where}`, '-t', 'C,,', '-n', name, '-i', ca.file], { ...as });
    },
    remove: async (e, as) => { if (await STORES.nss.has(e, as)) await run(certutil(), ['-D', '-d', `sql:${e.where}`, '-n', e.name], { ...as }); },
    has: async (e, as) => (await run(certutil(), ['-L', '-d', `sql:${e.where}`, '-n', e.name], { reject: false, ...as })).code === 0,
  },
  system: {
    label: 'the system store',
    applies: () => !onMac(),
    places: () => {
      const s = systemStore();
      return s && process.getuid?.() === 0 ? [s.dir] : [];
    },
    add: async (ca, { where, name }) => {
      const s = storeAt(where);
      if (!s) throw new Error(`no system store at ${where}`);
      await writeFile(systemFile({ where, name }), ca.pem, { mode: 0o644 });
      await run(s.refresh, []);
    },
    remove: async (e) => {
      if (!existsSync(systemFile(e))) return;
      await rm(systemFile(e), { force: true });
      const s = storeAt(e.where);
      if (s) await run(s.refresh, []);
    },
    has: async (e) => existsSync(systemFile(e)),
  },
  keychain: {
    label: 'the macOS System keychain',
    applies: onMac,
    places: () => (process.getuid?.() === 0 ? [KEYCHAIN] : []),
    // -d: the admin trust settings, for every user of the machine (macOS may ask to confirm in a dialog).
    add: async (ca, { where }) => { await run(security(), ['add-trusted-cert', '-d', '-r', 'trustRoot', '-k', where, ca.file]); },
    mayHoldOthers: true,
    // Its trust settings first (they name the certificate by its file), then the certificate itself.
    // The settings are removed even when the certificate is gone already, from the CA's own file.
    remove: async (e, _as, ca) => {
      if (!e.sha1) return;
      const held = (await keychainCerts(e.where)).get(e.sha1);
      const pem = held ?? (ca && sha1Of(ca) === e.sha1 ? ca.pem : undefined);
      if (pem) {
        const dir = await mkdtemp(join(tmpdir(), 'dev-instances-untrust-'));
        try {
          await writeFile(join(dir, 'ca.pem'), pem);
          const r = await run(security(), ['remove-trusted-cert', '-d', join(dir, 'ca.pem')], { reject: false });
          // Settings that are not there are fine; settings that stay (a refused dialog) are not.
          if (r.code !== 0 && !/could not be found/i.test(`${r.stderr}${r.stdout}`)) {
            throw new Error(`security remove-trusted-cert: ${(r.stderr || r.stdout).trim()}`);
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
      if (held) await run(security(), ['delete-certificate', '-Z', e.sha1, e.where]);
    },
    has: async (e) => !!e.sha1 && (await keychainCerts(e.where)).has(e.sha1),
  },
};

/** Under sudo: the user who ran it, whose CA, state folder and NSS databases these are (never root's). */
interface Owner { uid: number; gid: number }

function invoker(env: NodeJS.ProcessEnv): { as: Owner; env: NodeJS.ProcessEnv } | undefined {
  if (process.getuid?.() !== 0 || !env.SUDO_UID || !env.SUDO_USER) return undefined;
  const home = homeOf(env.SUDO_USER);
  if (!home) return undefined;
  return {
    as: { uid: Number(env.SUDO_UID), gid: Number(env.SUDO_GID ?? env.SUDO_UID) },
    env: { ...env, HOME: home, DEV_INSTANCES_STATE_DIR: env.DEV_INSTANCES_STATE_DIR || join(home, '.local', 'state', 'dev-instances') },
  };
}

/** A user's home folder: from getent (Linux) or dscl (macOS, which has no getent). */
function homeOf(user: string): string | undefined {
  try {
    return onMac()
      ? /^NFSHomeDirectory:\s*(.+)$/m.exec(runSync('dscl', ['.', '-read', `/Users/${user}`, 'NFSHomeDirectory']))?.[1]?.trim()
      : runSync('getent', ['passwd', user]).split(':')[5]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The folders from dir up to the user's home made theirs (a database folder root just made). */
async function chownUp(dir: string, as: Owner): Promise<void> {
  await chown(dir, as.uid, as.gid);
  await chown(join(dir, '..'), as.uid, as.gid).catch(() => {});
}

/** The CA's name in every store: the same for one CA, another for the next. */
const nameOf = (ca: CaCert): string => `dev-instances-local-ca-${ca.fingerprint.slice(0, 16)}`;
const sha1Of = (ca: CaCert): string => new X509Certificate(ca.pem).fingerprint.replace(/:/g, '').toUpperCase();

async function readRecord(env?: NodeJS.ProcessEnv): Promise<TrustRecord | undefined> {
  try {
    return JSON.parse(await readFile(tlsFiles(env).trusted, 'utf8')) as TrustRecord;
  } catch {
    return undefined;
  }
}

export interface TrustOutcome {
  added: TrustEntry[];
  /** Already there from an earlier trust. */
  kept: TrustEntry[];
  /** Stores that could not be used, and why. */
  skipped: string[];
}

/**
 * Add the machine's CA (made now if need be) to every store this user can write; record where.
 * Under sudo: the CA of the user who ran it (made by them: root never makes one in their name), their
 * NSS databases, and the system store.
 */
export async function trust(given: NodeJS.ProcessEnv = process.env): Promise<TrustOutcome> {
  const sudo = invoker(given);
  const env = sudo?.env ?? given;
  const as = sudo?.as;
  const ca = sudo ? await caCert(env) : await machineCa(env);
  if (!ca) {
    throw new OperationalError(`there is no local CA of ${given.SUDO_USER} yet (${tlsFiles(env).ca})`,
      'Run just dev trust as yourself first (it makes the CA and trusts it in your browsers), then sudo just dev trust for the system store.');
  }
  await writeBundle(ca, env, as);
  const before = await readRecord(env);
  // An earlier CA's entries stay recorded (under their own names): untrust removes them too.
  const record: TrustRecord = { fingerprint: ca.fingerprint, added: [...(before?.added ?? [])] };
  const out: TrustOutcome = { added: [], kept: [], skipped: [] };
  const name = nameOf(ca);
  const sha1 = sha1Of(ca);
  for (const [id, store] of Object.entries(STORES) as [StoreId, Store][]) {
    if (store.applies?.() === false) continue;
    const why = store.unusable?.();
    if (why) { out.skipped.push(`${store.label}: ${why}`); continue; }
    const places = store.places(env);
    if (id !== 'nss' && places.length === 0) {
      out.skipped.push(`${store.label}: ${process.getuid?.() === 0 ? 'no update-ca-certificates or update-ca-trust here' : 'only as root (sudo just dev trust)'}`);
    }
    for (const where of places) {
      const entry: TrustEntry = { store: id, where, name, sha1 };
      const same = (e: TrustEntry) => e.store === id && e.where === where && e.name === name;
      const asUser = id === 'nss' ? as : undefined;
      const recorded = record.added.some(same);
      if ((recorded || store.mayHoldOthers) && await store.has(entry, asUser)) { out.kept.push(entry); continue; }
      try {
        await store.add(ca, entry, asUser);
      } catch (err) {
        // Half done (the certificate in, its trust refused): recorded, so that untrust takes it out.
        if (!recorded && await store.has(entry, asUser).catch(() => false)) { record.added.push(entry); await writeRecord(record, env, as); }
        throw err;
      }
      if (!recorded) record.added.push(entry);
      out.added.push(entry);
      // Recorded after each step: an interrupted trust is still undone by untrust.
      await writeRecord(record, env, as);
    }
  }
  if (record.added.length === 0 && out.kept.length === 0) {
    throw new OperationalError(`the local CA could not be trusted anywhere: ${out.skipped.join('; ')}`,
      onMac() ? 'sudo just dev trust adds it to the System keychain (Safari, Chrome); for Firefox, brew install nss first.' : `Install certutil (${CERTUTIL_HINT}), then just dev trust again.`);
  }
  await writeRecord(record, env, as);
  return out;
}

async function writeRecord(record: TrustRecord, env: NodeJS.ProcessEnv, as?: Owner): Promise<void> {
  const file = tlsFiles(env).trusted;
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, 0o600);
  if (as) await chown(file, as.uid, as.gid);
}

/** Remove what trust added, and nothing else. The entries that could not be removed stay recorded and are named. */
export async function untrust(given: NodeJS.ProcessEnv = process.env): Promise<TrustEntry[]> {
  const sudo = invoker(given);
  const env = sudo?.env ?? given;
  const record = await readRecord(env);
  if (!record) return [];
  const ca = await caCert(env).catch(() => undefined);
  const left: TrustEntry[] = [];
  const why: string[] = [];
  const removed: TrustEntry[] = [];
  for (const entry of record.added) {
    const as = entry.store === 'nss' ? sudo?.as : undefined;
    try {
      await STORES[entry.store].remove(entry, as, ca);
      removed.push(entry);
    } catch (err) {
      left.push(entry);
      why.push(`${describeEntry(entry)} (${(err as Error).message.split('\n')[0]})`);
    }
  }
  const file = tlsFiles(env).trusted;
  if (left.length > 0) {
    await writeRecord({ ...record, added: left }, env, sudo?.as);
    throw new OperationalError(`could not remove the local CA from ${why.join(', ')}`,
      left.some((e) => e.store !== 'nss') ? 'The system store needs root: sudo just dev untrust.' : `Is certutil installed (${CERTUTIL_HINT})?`);
  }
  await rm(file, { force: true });
  return removed;
}

/** Where the CA is trusted now, as recorded and still there. */
export async function trustedIn(env: NodeJS.ProcessEnv = process.env): Promise<TrustEntry[]> {
  const record = await readRecord(env);
  if (!record) return [];
  const out: TrustEntry[] = [];
  for (const e of record.added) if (await STORES[e.store].has(e).catch(() => false)) out.push(e);
  return out;
}

const tilde = (p: string): string => (p.startsWith(`${homedir()}/`) ? `~${p.slice(homedir().length)}` : p);

export const describeEntry = (e: TrustEntry): string =>
  (e.store === 'nss' ? `NSS ${tilde(e.where)}` : e.store === 'keychain' ? `the macOS System keychain (${e.where})` : `the system store (${e.where})`);
