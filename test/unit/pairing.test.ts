/**
 * The LAN side's pairing, on files of the test's own: a code works once (also when two devices
 * open it at the same moment), a device is paired for 30 days and no longer, unpair forgets devices
 * and the code, and a list or code others could have written counts for nothing.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEVICE_COOKIE, Pairing, type PairingFiles, currentCode, pairedDevices, unpairAll } from '../../src/proxy/pairing.js';
import { tempDir } from '../helpers/cli.js';

const dir = tempDir('di-pairing-');
after(dir.cleanup);
let n = 0;
const filesOf = (): PairingFiles => {
  n += 1;
  return { code: join(dir.path, `code-${n}`), devices: join(dir.path, `devices-${n}`), lock: join(dir.path, `lock-${n}`) };
};
const cookieOf = (token: string | undefined) => `other=1; ${DEVICE_COOKIE}=${token ?? ''}`;
const DAY = 86_400_000;

describe('pairing a device', () => {
  it('a code works once: two devices opening it at once get one token, and the code is replaced', async () => {
    const files = filesOf();
    const p = await Pairing.open(files);
    const code = p.current ?? '';
    assert.match(code, /^[0-9a-f]{32}$/);
    assert.equal(await p.redeem('0'.repeat(32)), undefined);
    const tokens = await Promise.all([p.redeem(code), p.redeem(code)]);
    assert.equal(tokens.filter(Boolean).length, 1, 'one of the two is paired');
    assert.notEqual(p.current, code);
    assert.equal(p.paired(cookieOf(tokens.find(Boolean))), true);
    assert.equal(p.paired(cookieOf('f'.repeat(64))), false);
    assert.equal(readFileSync(files.devices, 'utf8').includes(tokens.find(Boolean) ?? 'none'), false, 'the token is not kept');
  });

  it('a device is paired for 30 days from its pairing, and a restart keeps it', async () => {
    const files = filesOf();
    const p = await Pairing.open(files);
    const token = await p.redeem(p.current ?? null);
    const list = JSON.parse(readFileSync(files.devices, 'utf8')) as { devices: { sha256: string; paired: string }[] };
    assert.equal(pairedDevices(files.devices, Date.now() + 29 * DAY).length, 1);
    assert.equal(pairedDevices(files.devices, Date.now() + 31 * DAY).length, 0);
    assert.equal((await Pairing.open(files)).paired(cookieOf(token)), true, 'a new proxy knows it');
    writeFileSync(files.devices, JSON.stringify({ devices: list.devices.map((d) => ({ ...d, paired: new Date(Date.now() - 31 * DAY).toISOString() })) }), { mode: 0o600 });
    assert.equal(p.paired(cookieOf(token)), false, 'paired 31 days ago: no longer');
  });

  it('unpair forgets every device and the code shown so far; the running side sees both at once', async () => {
    const files = filesOf();
    const p = await Pairing.open(files);
    const token = await p.redeem(p.current ?? null);
    const shown = p.current ?? '';
    assert.equal(await unpairAll(files), 1);
    assert.equal(p.paired(cookieOf(token)), false);
    assert.equal(await p.redeem(shown), undefined, 'the link shown before unpair');
    assert.notEqual(p.current, shown);
  });

  it('a list or a code others could have written counts for nothing', async () => {
    const files = filesOf();
    const p = await Pairing.open(files);
    const token = await p.redeem(p.current ?? null);
    chmodSync(files.devices, 0o666);
    assert.equal(p.paired(cookieOf(token)), false);
    assert.deepEqual(pairedDevices(files.devices), []);
    chmodSync(files.devices, 0o600);
    assert.equal(p.paired(cookieOf(token)), true, 'read again once it is private');
    chmodSync(files.code, 0o644);
    assert.equal(currentCode(files.code), undefined);
  });
});
