/**
 * The machine's local CA and the certificates it signs: made once with a private key, refused when
 * the key could have been read by others, and name-constrained so that OpenSSL itself refuses a
 * certificate it signed for a name beyond this machine and its private network.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { issue, machineCa, serverKeys } from '../../src/tls/ca.js';
import { permitted } from '../../src/tls/names.js';
import { tlsFiles } from '../../src/tls/files.js';
import { tempDir } from '../helpers/cli.js';

const dir = tempDir('di-tls-');
after(dir.cleanup);
const env = { DEV_INSTANCES_STATE_DIR: join(dir.path, 'state') };

/** What `openssl verify` says of a certificate against the CA alone. */
function opensslVerify(pem: string): { ok: boolean; said: string } {
  const file = join(dir.path, 'leaf.pem');
  writeFileSync(file, pem);
  const r = spawnSync('openssl', ['verify', '-CAfile', tlsFiles(env).ca, file], { encoding: 'utf8' });
  return { ok: r.status === 0, said: `${r.stdout}${r.stderr}` };
}

describe('the local CA', () => {
  it('is made once: its key 0600 in a 0700 folder, the same CA on every later read, ten years long', async () => {
    const ca = await machineCa(env);
    const files = tlsFiles(env);
    assert.equal(statSync(files.caKey).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir.path, 'state', 'tls')).mode & 0o777, 0o700);
    assert.equal((await machineCa(env)).fingerprint, ca.fingerprint);
    const x = new X509Certificate(ca.pem);
    assert.equal(x.ca, true);
    assert.ok(new Date(x.validTo).getTime() - Date.now() > 9 * 365 * 86_400_000);
    const text = spawnSync('openssl', ['x509', '-in', files.ca, '-noout', '-text'], { encoding: 'utf8' }).stdout;
    assert.match(text, /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:localhost\s+DNS:local\s+IP:127\.0\.0\.0\/255\.0\.0\.0/);
  });

  it('signs certificates for the proxy names that OpenSSL verifies against it alone, for every name asked', async () => {
    const ca = await machineCa(env);
    const keys = await serverKeys();
    const names = ['frontend.1.shipsec.localhost', 'dev.localhost', 'localhost', '127.0.0.1', '[::1]', '192.168.1.20', 'laptop.local'];
    const leaf = new X509Certificate((await issue(ca, names, keys.publicKey)).toString('pem'));
    assert.ok(leaf.checkIssued(new X509Certificate(ca.pem)));
    for (const n of ['frontend.1.shipsec.localhost', 'localhost', 'laptop.local']) assert.equal(leaf.checkHost(n), n);
    for (const ip of ['127.0.0.1', '::1', '192.168.1.20']) assert.equal(leaf.checkIP(ip), ip);
    assert.equal(leaf.checkHost('other.example.com'), undefined);
    const v = opensslVerify(leaf.toString());
    assert.ok(v.ok, v.said);
  });

  it('is name-constrained: a certificate it signed for a public name fails verification in OpenSSL, naming the constraint', async () => {
    const ca = await machineCa(env);
    const keys = await serverKeys();
    for (const name of ['example.com', '8.8.8.8']) {
      const v = opensslVerify((await issue(ca, [name], keys.publicKey)).toString('pem'));
      assert.equal(v.ok, false, `${name} verified`);
      assert.match(v.said, /permitted subtree violation|name constraints/i, name);
    }
  });

  it('tells the names it may sign from the others', () => {
    const table: [string, boolean][] = [
      ['localhost', true], ['frontend.1.shipsec.localhost', true], ['laptop.local', true], ['127.0.0.1', true], ['[::1]', true],
      ['10.1.2.3', true], ['172.31.255.1', true], ['192.168.0.7', true], ['100.100.1.1', true], ['fd12::1', true],
      ['example.com', false], ['localhost.example.com', false], ['notlocalhost', false], ['8.8.8.8', false], ['172.32.0.1', false], ['2001:db8::1', false],
    ];
    for (const [name, want] of table) assert.equal(permitted(name), want, name);
  });

  it('refuses a key others could have read, saying how to fix it, and never uses it', async () => {
    const key = tlsFiles(env).caKey;
    chmodSync(key, 0o644);
    try {
      await assert.rejects(machineCa(env), (err: Error & { hint?: string }) => {
        assert.match(err.message, /^refusing the local CA's key .*ca-key\.pem: mode 0644, so other users may have read it/);
        assert.match(err.hint ?? '', /chmod 600/);
        return true;
      });
    } finally {
      chmodSync(key, 0o600);
    }
  });
});
