/** One probe per declared service, whichever engine runs it: declared ready (HTTP path or command), kind, healthcheck, TCP. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { StackDeclaration } from '../../src/config/types.js';
import { serviceProbe } from '../../src/engines/probes.js';

const decl = (ready?: object): StackDeclaration => ({
  project: 'probe', portStride: 100, bindAddress: '127.0.0.1', apps: {}, env: () => ({}),
  services: { svc: { label: 'Svc', portKey: 'SVC', basePort: 4000, ...(ready ? { ready } : {}) } },
} as unknown as StackDeclaration);

describe('serviceProbe', () => {
  const server = createServer((req, res) => { res.statusCode = req.url === '/ready' ? 200 : 503; res.end(); });
  let port = 0;
  before(async () => { await new Promise<void>((r) => server.listen(0, '127.0.0.1', r)); port = (server.address() as AddressInfo).port; });
  after(() => server.close());

  it('a declared command: ready when it exits 0 with {port} filled in; else its exit code and last line', async () => {
    await serviceProbe(decl({ command: ['sh', '-c', 'test "$0" = ready', 'ready'] }), 'svc', port, {}, '127.0.0.1')();
    await serviceProbe(decl({ command: ['python3', '-c', 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1])', 'http://127.0.0.1:{port}/ready'] }), 'svc', port, {}, '127.0.0.1')();
    await assert.rejects(serviceProbe(decl({ command: ['sh', '-c', 'echo "not yet: $0" >&2; exit 3', '{port}'] }), 'svc', port, {}, '127.0.0.1')(),
      new RegExp(`^Error: sh exited with 3: not yet: ${port}$`));
  });

  it('a declared HTTP path wins over the fallback; without one, the fallback (a container healthcheck), else a TCP connect', async () => {
    const never = () => Promise.reject(new Error('healthcheck not passed'));
    await serviceProbe(decl({ http: '/ready' }), 'svc', port, {}, '127.0.0.1', never)();
    await assert.rejects(serviceProbe(decl(), 'svc', port, {}, '127.0.0.1', never)(), /healthcheck not passed/);
    await serviceProbe(decl(), 'svc', port, {}, '127.0.0.1')();
  });
});
