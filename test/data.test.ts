/**
 * Instance data on the native engine, as a user meets it: real `just`, PM2, Postgres, Redis and the
 * demo apps. Backups are listed; a restore gives back the rows a clean took away, all or nothing (a
 * truncated dump changes nothing), and refuses names that are not backups.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listDatabases } from '../src/provision/postgres.js';
import { api, stackRoot } from './helpers/stack-root.js';

const stack = stackRoot('di-data-');
const { just } = stack;
const BACKEND = 3311;
const BACKUPS = join(stack.root, '.instances/backups/instance-1');
const bodies = async () => ((await api(BACKEND, '/records')).json as { body: string }[]).map((x) => x.body);
const PG = { host: '127.0.0.1', port: 5533, user: 'shipsec', password: 'shipsec' };

describe('backups and restore (native engine)', () => {
  before(async () => {
    const r = just('dev', '1');
    assert.equal(r.code, 0, r.stderr);
    for (const body of ['alpha', 'beta']) assert.equal((await api(BACKEND, '/records', { body })).status, 201);
  });
  after(async () => {
    assert.deepEqual(await stack.teardown(), [], 'processes left running');
  });

  it('restores the rows a clean took away, after backing up what the instance had', async () => {
    assert.equal(just('dev', '1', 'clean', '--yes').code, 0);
    assert.equal(just('dev', '1').code, 0);
    assert.deepEqual(await bodies(), []);
    const listed = just('dev', '1', 'backups');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME +TAKEN \(UTC\) +SIZE +INSTANCE\nshipsec_dev_1-\d{8}T\d{6}\.dump +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +[\d.]+ KB +1\n/);

    const refused = just('dev', '1', 'restore'); // no terminal, no --yes
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /restore replaces data: confirm on a terminal, or pass --yes\. This replaces the database shipsec_dev_1 of instance 1 with \.instances\/backups\/instance-1\/shipsec_dev_1-\d{8}T\d{6}\.dump/);

    const r = just('dev', '1', 'restore', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /backed up shipsec_dev_1 to \.instances\/backups\/instance-1\/shipsec_dev_1-\d{8}T\d{6}\.dump/);
    assert.match(r.stdout, /stopped shipsec-frontend-1, shipsec-backend-1, shipsec-worker-1 of instance 1 while the database is replaced/);
    assert.match(r.stdout, /restored shipsec_dev_1 from \.instances\/backups\/instance-1\/shipsec_dev_1-/);
    assert.match(r.stdout, /Instance 1 is up in/);
    // The apps came back (health-gated) and read the restored rows.
    assert.deepEqual(await bodies(), ['alpha', 'beta']);
    const json = JSON.parse(just('dev', '1', 'backups', '--json').stdout) as { name: string; bytes: number; instance: number }[];
    assert.equal(json.length, 2, 'the clean\'s backup and the one restore took first');
    assert.ok(json.every((b) => b.instance === 1 && b.bytes > 0));
  });

  it('leaves the database exactly as it was when the dump is truncated', async () => {
    assert.equal((await api(BACKEND, '/records', { body: 'gamma' })).status, 201);
    const good = readdirSync(BACKUPS).filter((f) => f.endsWith('.dump')).sort().at(-1) ?? '';
    const bytes = readFileSync(join(BACKUPS, good));
    const cut = 'shipsec_dev_1-20000101T000000.dump';
    writeFileSync(join(BACKUPS, cut), bytes.subarray(0, Math.floor(bytes.length * 0.6)), { mode: 0o600 });
    const r = just('dev', '1', 'restore', cut, '--yes', '--no-backup');
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /could not restore \.instances\/backups\/instance-1\/shipsec_dev_1-20000101T000000\.dump: .*pg_restore/);
    assert.match(r.stderr, /Nothing changed: instance 1's database shipsec_dev_1 is as it was\./);
    assert.deepEqual(await bodies(), ['alpha', 'beta', 'gamma'], 'rows unchanged, apps never stopped');
    assert.deepEqual((await listDatabases(PG)).filter((d) => d.startsWith('di_')), [], 'nothing left beside it');
  });

  it('refuses a name that is not a backup of the instance, with exit 2 and nothing written', () => {
    const before = readdirSync(BACKUPS).sort();
    for (const bad of ['../../../etc/passwd', 'shipsec_dev_1-20990101T000000.dump']) {
      const r = just('dev', '1', 'restore', bad, '--yes');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`invalid backup '${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}': expected a file name just dev 1 backups lists \\(shipsec_dev_1-`));
    }
    assert.deepEqual(readdirSync(BACKUPS).sort(), before);
  });
});
