/** Which address the proxy's LAN side takes, from the machine's interfaces (given here as os.networkInterfaces() gives them). */
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { configuredLan } from '../../src/proxy/state.js';

const v4 = (address: string, internal = false): NetworkInterfaceInfo =>
  ({ address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: `${address}/24` });
const LOOPBACK_ONLY = { lo: [v4('127.0.0.1', true)] };
const LAPTOP = { lo: [v4('127.0.0.1', true)], docker0: [v4('172.17.0.1')], wlan0: [v4('192.168.1.20')], eth1: [v4('203.0.113.5')] };

describe('the LAN address', () => {
  it('is off unless asked; --lan (auto) takes the Wi-Fi address, never a container bridge or a public address', () => {
    assert.equal(configuredLan({}, false, LAPTOP), undefined);
    assert.equal(configuredLan({}, true, LAPTOP), '192.168.1.20');
    assert.equal(configuredLan({ DEV_INSTANCES_PROXY_LAN: 'auto' }, false, LAPTOP), '192.168.1.20');
    assert.equal(configuredLan({ DEV_INSTANCES_PROXY_LAN: '192.168.1.20' }, false, LAPTOP), '192.168.1.20');
  });

  it('with no address another device could reach: exit 2, listing the addresses there are', () => {
    assert.throws(() => configuredLan({}, true, LOOPBACK_ONLY), (err: Error) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /^no address of this machine that another device could reach: this machine has 127\.0\.0\.1 \(a LAN address in 10\/8/);
      return true;
    });
  });

  it('an address that is not a LAN address of this machine (a public one, one it lacks, not an address) is refused, naming it and the usable ones', () => {
    for (const bad of ['203.0.113.5', '10.9.9.9', 'wifi']) {
      assert.throws(() => configuredLan({ DEV_INSTANCES_PROXY_LAN: bad }, false, LAPTOP),
        new RegExp(`^UsageError: invalid DEV_INSTANCES_PROXY_LAN '${bad.replace(/\./g, '\\.')}': expected off, auto or a LAN address of this machine \\(192\\.168\\.1\\.20\\); this machine has 127\\.0\\.0\\.1, 172\\.17\\.0\\.1, 192\\.168\\.1\\.20, 203\\.0\\.113\\.5$`));
    }
  });
});
