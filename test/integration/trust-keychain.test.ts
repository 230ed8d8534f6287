/**
 * trust and untrust on macOS, where the system store is the System keychain: run here as macOS
 * would run them (process.platform read as darwin) against a recording stand-in for `security`
 * that keeps its keychain as files, with another CA already in it. Checks the command lines, that
 * only root adds to the keychain, and that untrust removes exactly the CA trust added (its trust
 * settings and the certificate), leaving the other one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { machineCa } from '../../src/tls/ca.js';
import { tlsFiles } from '../../src/tls/files.js';
import { trust, trustedIn, untrust } from '../../src/tls/trust.js';
import { REPO, tempDir } from '../helpers/cli.js';

const KEYCHAIN = '/Library/Keychains/System.keychain';
const dir = tempDir('di-keychain-');
after(dir.cleanup);
const shim = join(dir.path, 'shim');
const bin = join(dir.path, 'bin');
mkdirSync(bin);
copyFileSync(join(REPO, 'test', 'fixtures', 'security-shim.sh'), join(bin, 'security'));
/** A home and state folder of each test's own. */
const homeOf = (who: string) => ({ HOME: join(dir.path, who, 'home'), DEV_INSTANCES_STATE_DIR: join(dir.path, who, 'state') });
const log = () => (existsSync(join(shim, 'log')) ? readFileSync(join(shim, 'log'), 'utf8').trim().split('\n') : []);
const inKeychain = () => readdirSync(join(shim, 'certs')).map((f) => f.replace(/\.pem$/, '')).sort();
const trusted = () => readdirSync(join(shim, 'trust')).sort();
const sha1 = (pem: string) => new X509Certificate(pem).fingerprint.replace(/:/g, '');

/** Another CA, already in the keychain and trusted there: untrust must leave it. */
function otherCa(): string {
  const file = join(dir.path, 'other.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir.path, 'other-key.pem'),
    '-out', file, '-days', '2', '-subj', '/CN=dev-instances local CA (someone else)'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const h = sha1(readFileSync(file, 'utf8'));
  mkdirSync(join(shim, 'certs'), { recursive: true });
  mkdirSync(join(shim, 'trust'), { recursive: true });
  copyFileSync(file, join(shim, 'certs', `${h}.pem`));
  writeFileSync(join(shim, 'trust', h), '');
  return h;
}

describe('trust on macOS: the System keychain', { skip: process.getuid?.() === 0 ? false : 'chowns a folder to another uid: needs root (CI runs it)' }, () => {
  const real = { platform: process.platform, getuid: process.getuid, path: process.env.PATH, shim: process.env.SECURITY_SHIM_DIR };
  let uid = 0;
  beforeEach(() => {
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    process.getuid = () => uid;
    process.env.PATH = `${bin}:${real.path ?? ''}`;
    process.env.SECURITY_SHIM_DIR = shim;
  });
  afterEach(() => {
    Object.defineProperty(process, 'platform', { value: real.platform });
    process.getuid = real.getuid;
    process.env.PATH = real.path;
    if (real.shim === undefined) delete process.env.SECURITY_SHIM_DIR;
    else process.env.SECURITY_SHIM_DIR = real.shim;
  });

  it('as another user than root: nothing to trust it in (Chromium reads the keychain there, not ~/.pki/nssdb), the command that can is named, and security never runs', async () => {
    const env = homeOf('user');
    await machineCa(env);
    // Their CA, as their own trust leaves it (the key is refused when another uid owns it).
    assert.equal(spawnSync('chown', ['-R', '501', join(dir.path, 'user')]).status, 0);
    uid = 501;
    await assert.rejects(trust(env), (err: Error) => {
      assert.match(err.message, /^the local CA could not be trusted anywhere: the macOS System keychain: only as root \(sudo just dev trust\)$/);
      assert.doesNotMatch(err.message, /system store/, 'the Linux system store does not apply on a Mac');
      assert.match(String((err as { hint?: string }).hint), /^sudo just dev trust adds it to the System keychain/);
      return true;
    });
    assert.deepEqual(log(), []);
    assert.equal(existsSync(join(env.HOME, '.pki')), false, 'no NSS database made that nothing reads');
  });

  it('as root: adds the CA with admin trust, finds it again, and untrust removes exactly it (trust settings, then the certificate)', async () => {
    uid = 0;
    const env = homeOf('root');
    const other = otherCa();
    const ca = await machineCa(env);
    const ours = sha1(ca.pem);
    const done = await trust(env);
    assert.deepEqual(done.added.map((e) => [e.store, e.where]), [['keychain', KEYCHAIN]]);
    assert.ok(log().includes(`add-trusted-cert -d -r trustRoot -k ${KEYCHAIN} ${tlsFiles(env).ca}`), log().join('\n'));
    assert.deepEqual(inKeychain(), [other, ours].sort());
    assert.deepEqual(trusted(), [other, ours].sort());
    assert.equal(existsSync(`/usr/local/share/ca-certificates/${done.added[0]?.name}.crt`), false, 'nothing in the Linux system store');
    assert.ok((await trustedIn(env)).some((e) => e.store === 'keychain'), 'status finds it in the keychain');

    const again = await trust(env);
    assert.deepEqual(again.added, [], 'a second trust adds nothing');
    assert.ok(again.kept.some((e) => e.store === 'keychain'));

    const before = log().length;
    const removed = await untrust(env);
    assert.ok(removed.some((e) => e.store === 'keychain'));
    const ran = log().slice(before).filter((l) => !l.startsWith('find-certificate'));
    assert.equal(ran.length, 2, ran.join('\n'));
    assert.match(ran[0] ?? '', /^remove-trusted-cert -d \S+\/ca\.pem$/);
    assert.equal(ran[1], `delete-certificate -Z ${ours} ${KEYCHAIN}`);
    assert.deepEqual(inKeychain(), [other], "the other CA's certificate stays");
    assert.deepEqual(trusted(), [other], 'and so do its trust settings');
    assert.equal(existsSync(tlsFiles(env).trusted), false);
    assert.deepEqual(await trustedIn(env), []);
  });

  it('untrust takes out trust settings whose certificate was deleted by hand, and a refused removal is an error that keeps the record', async () => {
    uid = 0;
    const env = homeOf('gone');
    const ca = await machineCa(env);
    const ours = sha1(ca.pem);
    await trust(env);
    rmSync(join(shim, 'certs', `${ours}.pem`));
    await untrust(env);
    assert.equal(trusted().includes(ours), false, 'its trust settings are gone too');

    await trust(env);
    process.env.SECURITY_SHIM_DENY = '1';
    try {
      await assert.rejects(untrust(env), /^OperationalError: could not remove the local CA from the macOS System keychain \(\/Library\/Keychains\/System\.keychain\) \(security remove-trusted-cert: SecTrustSettingsRemoveTrustSettings: The authorization was denied/);
    } finally {
      delete process.env.SECURITY_SHIM_DENY;
    }
    assert.ok(inKeychain().includes(ours) && trusted().includes(ours), 'nothing half removed');
    assert.ok(existsSync(tlsFiles(env).trusted), 'still recorded, for the next untrust');
    await untrust(env);
    assert.equal(inKeychain().includes(ours) || trusted().includes(ours), false);
  });

  it('a CA put into the keychain by hand before trust is left there by untrust: trust did not add it', async () => {
    uid = 0;
    const env = homeOf('hand');
    const ca = await machineCa(env);
    const ours = sha1(ca.pem);
    copyFileSync(tlsFiles(env).ca, join(shim, 'certs', `${ours}.pem`));
    writeFileSync(join(shim, 'trust', ours), '');
    const done = await trust(env);
    assert.deepEqual(done.added, []);
    assert.deepEqual(done.kept.map((e) => e.store), ['keychain']);
    await untrust(env);
    assert.ok(inKeychain().includes(ours) && trusted().includes(ours));
  });
});
