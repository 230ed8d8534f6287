/**
 * `sudo just dev trust` as it really runs: a second login user of the test's own has a CA of their
 * own, trusted in their NSS database (set up here as their `just dev trust` leaves it: their files,
 * certutil run as them); root, with sudo's variables naming that user, adds that same CA to the
 * system store, never making one in their name; the user's files stay theirs; `sudo just dev
 * untrust` takes both back. Needs root (CI is); the user is removed at the end.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { machineCa } from '../../src/tls/ca.js';
import { tlsFiles } from '../../src/tls/files.js';
import { trust, untrust } from '../../src/tls/trust.js';

const USER = `ditr${process.pid % 100000}`;
const HOME = `/home/${USER}`;
const asRoot = process.getuid?.() === 0 && existsSync('/usr/local/share/ca-certificates');
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const userState = { DEV_INSTANCES_STATE_DIR: join(HOME, '.local', 'state', 'dev-instances') };
const nssdb = `sql:${join(HOME, '.pki', 'nssdb')}`;
const id = (flag: string) => spawnSync('id', [flag, USER], { encoding: 'utf8' }).stdout.trim();
/** Root's environment under `sudo just dev trust` run by USER (sudo resets HOME to root's). */
const sudo = () => ({ ...process.env, HOME: '/root', DEV_INSTANCES_STATE_DIR: '', SUDO_USER: USER, SUDO_UID: id('-u'), SUDO_GID: id('-g') });
const asUser = (cmd: string, ...args: string[]) => {
  const r = spawnSync('runuser', ['-u', USER, '--', cmd, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

describe('sudo just dev trust', { skip: asRoot ? false : 'needs root and a Debian system store (CI runs it)' }, () => {
  let before = '';
  after(() => { spawnSync('userdel', ['-r', USER], { stdio: 'ignore' }); });

  it("root under sudo refuses to make a CA in the user's name", async () => {
    assert.equal(spawnSync('useradd', ['-m', USER]).status, 0, 'useradd');
    before = readFileSync(SYSTEM_BUNDLE, 'utf8');
    await assert.rejects(trust(sudo()), new RegExp(`^OperationalError: there is no local CA of ${USER} yet \\(${HOME}/\\.local/state/dev-instances/tls/ca\\.pem\\)`));
    assert.equal(existsSync(join(HOME, '.local')), false, 'nothing made in their name');
  });

  it("adds the user's own CA to the system store, their NSS entry kept, their files still theirs", async () => {
    // The user's own trust, as it leaves things: their CA, their NSS database with it, the record.
    const ca = await machineCa(userState);
    const name = `dev-instances-local-ca-${ca.fingerprint.slice(0, 16)}`;
    writeFileSync(tlsFiles(userState).trusted, JSON.stringify({ fingerprint: ca.fingerprint, added: [{ store: 'nss', where: join(HOME, '.pki', 'nssdb'), name }] }), { mode: 0o600 });
    assert.equal(spawnSync('chown', ['-R', `${USER}:`, join(HOME, '.local')]).status, 0);
    asUser('mkdir', '-p', join(HOME, '.pki', 'nssdb'));
    asUser('certutil', '-N', '-d', nssdb, '--empty-password');
    asUser('certutil', '-A', '-d', nssdb, '-t', 'C,,', '-n', name, '-i', ca.file);

    const done = await trust(sudo());
    assert.deepEqual(done.added.map((e) => [e.store, e.where]), [['system', '/usr/local/share/ca-certificates']]);
    assert.deepEqual(done.kept.map((e) => e.store), ['nss'], 'found in their database, checked as them');
    assert.ok(existsSync(`/usr/local/share/ca-certificates/${name}.crt`), "the user's CA, not one of root's, is in the system store");
    const uid = Number(id('-u'));
    for (const f of [tlsFiles(userState).trusted, tlsFiles(userState).bundle, join(HOME, '.pki', 'nssdb', 'cert9.db')]) assert.equal(statSync(f).uid, uid, `${f} is the user's`);
  });

  it('untrust under sudo removes both, the NSS entry as the user; the system bundle is as before', async () => {
    const removed = await untrust(sudo());
    assert.deepEqual(removed.map((e) => e.store).sort(), ['nss', 'system']);
    assert.equal(readFileSync(SYSTEM_BUNDLE, 'utf8'), before);
    assert.doesNotMatch(asUser('certutil', '-L', '-d', nssdb), /dev-instances-local-ca/);
    assert.equal(existsSync(tlsFiles(userState).trusted), false);
  });
});
