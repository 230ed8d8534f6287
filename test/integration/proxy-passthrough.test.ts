/**
 * The real proxy (src/proxy/serve.ts) in front of real local HTTP servers, once as the Node proxy
 * alone and once with a real nginx in front of it: what a dev server needs passes through (upgrades,
 * streams, large uploads, the original Host), routes follow the registry file without a restart, and
 * an instance that does not answer gets the page saying so.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type IncomingMessage, createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import getPort from 'get-port';
import type { Lease } from '../../src/leases/registry.js';
import { pollUntil } from '../../src/poll.js';
import { findNginx } from '../../src/proxy/nginx/front.js';
import { type Serving, serveProxy } from '../../src/proxy/serve.js';
import { tempDir } from '../helpers/cli.js';

function passthrough(front: 'node' | 'nginx'): void {
  const dir = tempDir('di-proxy-pass-');
  const state = join(dir.path, 'state');
  const checkout = join(dir.path, 'checkout');
  mkdirSync(state);
  mkdirSync(checkout);
  writeFileSync(join(checkout, 'README'), 'a checkout\n');

  let release: () => void = () => {};
  const released = new Promise<void>((r) => { release = r; });

  const upstream = createServer((req, res) => {
    if (req.url === '/headers') { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(req.headers)); return; }
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
      void released.then(() => res.end('second\n'));
      return;
    }
    if (req.url === '/upload') {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (c: Buffer) => { hash.update(c); bytes += c.length; });
      req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
      return;
    }
    res.end('hello');
  });
  // A WebSocket-style upgrade: switch protocols, then echo every byte back.
  let upgradedClosed: () => void = () => {};
  const upstreamSocketClosed = new Promise<void>((r) => { upgradedClosed = r; });
  upstream.on('upgrade', (req, socket) => {
    socket.on('close', () => upgradedClosed());
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${req.headers.upgrade}\r\nconnection: Upgrade\r\n\r\n`);
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => socket.end());
  });

  let proxyPort = 0;
  let upstreamPort = 0;
  let proxy: Serving;

  function writeLeases(leases: Lease[]): void {
    const tmp = join(state, '.leases.json.tmp');
    writeFileSync(tmp, JSON.stringify({ version: 1, leases }));
    renameSync(tmp, join(state, 'leases.json')); // as the tool writes it: replaced whole
  }
  const leaseOf = (instance: number, port: number): Lease => ({
    project: 'demo', instance, checkout, default: false, since: new Date().toISOString(),
    routes: [{ app: 'web', port, pm2Name: `demo-web-${instance}`, home: true }],
  });

  interface Answer { status: number; headers: IncomingHttpHeaders; body: string }
  function get(host: string, path: string, init: { method?: string; body?: Buffer } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxyPort, path, method: init.method ?? 'GET', headers: { host: `${host}:${proxyPort}` }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end(init.body);
    });
  }

  describe(`the proxy (${front === 'nginx' ? 'nginx in front' : 'Node alone'}) passes through what a dev server needs`, () => {
    before(async () => {
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
      upstreamPort = (upstream.address() as AddressInfo).port;
      writeLeases([leaseOf(1, upstreamPort)]);
      proxyPort = await getPort();
      proxy = await serveProxy({ port: proxyPort, addresses: ['127.0.0.1'], env: { DEV_INSTANCES_STATE_DIR: state, PATH: process.env.PATH }, token: 't'.repeat(64), front });
      assert.equal(proxy.front, front);
    });
    after(async () => {
      release();
      await proxy.close();
      upstream.closeAllConnections();
      await new Promise((r) => upstream.close(r));
      dir.cleanup();
    });

    it('keeps the Host and adds X-Forwarded-Host, -For and -Proto', async () => {
      const r = await get('web.1.demo.localhost', '/headers');
      assert.equal(r.status, 200);
      const seen = JSON.parse(r.body) as Record<string, string>;
      assert.equal(seen.host, `web.1.demo.localhost:${proxyPort}`);
      assert.equal(seen['x-forwarded-host'], `web.1.demo.localhost:${proxyPort}`);
      assert.equal(seen['x-forwarded-proto'], 'http');
      assert.equal(seen['x-forwarded-for'], '127.0.0.1');
      assert.equal((await get('1.demo.localhost', '/')).body, 'hello', 'the home name');
    });

    it('streams a response as it is written', async () => {
      const first = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: proxyPort, path: '/stream', headers: { host: 'web.1.demo.localhost' } }, (res) => {
          res.setEncoding('utf8');
          res.once('data', (d: string) => { resolve(d); res.resume(); });
        });
        req.on('error', reject);
        req.end();
      });
      // The upstream has not finished: the first chunk came through on its own.
      assert.equal(first, 'first\n');
      release();
    });

    it('carries a 64 MB upload intact', async () => {
      const body = randomBytes(64 * 1024 * 1024);
      const r = await get('web.1.demo.localhost', '/upload', { method: 'POST', body });
      assert.deepEqual(JSON.parse(r.body), { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    });

    it('upgrades a connection (WebSocket) and carries bytes both ways', async () => {
      const echoed = await new Promise<string>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1', port: proxyPort, path: '/hmr',
          headers: { host: 'web.1.demo.localhost', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64') },
        });
        req.on('upgrade', (res: IncomingMessage, socket) => {
          assert.equal(res.statusCode, 101);
          // Then a reset, as a browser tab that closes leaves it: the proxy must outlive it.
          socket.once('data', (d: Buffer) => { resolve(d.toString()); (socket as Socket).resetAndDestroy(); });
          socket.write('ping through the proxy');
        });
        req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
        req.on('error', reject);
        req.end();
      });
      assert.equal(echoed, 'ping through the proxy');
      await upstreamSocketClosed; // the reset went all the way through
      assert.equal((await get('web.1.demo.localhost', '/')).body, 'hello');
    });

    it('follows the registry as it changes, without a restart', async () => {
      assert.equal((await get('web.2.demo.localhost', '/')).status, 404);
      writeLeases([leaseOf(1, upstreamPort), leaseOf(2, upstreamPort)]);
      assert.equal((await get('web.2.demo.localhost', '/')).body, 'hello');
      if (front === 'nginx') {
        // nginx itself carries the new name: its configuration follows the registry (a reload, not a restart).
        await pollUntil(() => (readFileSync(join(state, 'nginx', 'nginx.conf'), 'utf8').includes('web.2.demo.localhost') ? true : undefined),
          { deadlineMs: 5_000, timeout: () => new Error('nginx.conf never named web.2.demo.localhost') });
        const direct = await get('web.2.demo.localhost', '/');
        assert.equal(direct.headers.server, 'nginx');
        assert.equal(direct.body, 'hello');
      }
      writeLeases([leaseOf(1, upstreamPort)]);
      // The change arrives with a file-watch event; then the name is gone.
      await pollUntil(async () => ((await get('web.2.demo.localhost', '/')).status === 404 ? true : undefined),
        { deadlineMs: 5_000, timeout: () => new Error('web.2.demo.localhost still answers 5 s after its lease went') });
    });

    if (front === 'nginx') {
      it('keeps serving when nginx\'s configuration cannot be written (a full or unwritable disk), and catches up once it can', async () => {
        const tmp = join(state, 'nginx', 'nginx.conf.tmp');
        mkdirSync(tmp); // writing the new configuration now fails (EISDIR), as on a full disk
        try {
          writeLeases([leaseOf(1, upstreamPort), leaseOf(4, upstreamPort)]);
          // The Node proxy behind nginx has the new name: nginx passes what it does not know to it.
          await pollUntil(async () => ((await get('web.4.demo.localhost', '/')).body === 'hello' ? true : undefined),
            { deadlineMs: 5_000, timeout: () => new Error('web.4.demo.localhost never answered') });
          assert.equal(readFileSync(join(state, 'nginx', 'nginx.conf'), 'utf8').includes('web.4.demo.localhost'), false, 'the configuration could not be written');
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
        writeLeases([leaseOf(1, upstreamPort)]);
        writeLeases([leaseOf(1, upstreamPort), leaseOf(4, upstreamPort)]);
        await pollUntil(() => (readFileSync(join(state, 'nginx', 'nginx.conf'), 'utf8').includes('web.4.demo.localhost') ? true : undefined),
          { deadlineMs: 5_000, timeout: () => new Error('nginx.conf never caught up') });
        writeLeases([leaseOf(1, upstreamPort)]);
      });
    }

    it('answers for an instance that is down: which one, stopped, and the command that starts it', async () => {
      const closed = await getPort();
      writeLeases([leaseOf(1, upstreamPort), leaseOf(3, closed)]);
      const r = await get('web.3.demo.localhost', '/');
      assert.equal(r.status, 503);
      assert.match(r.body, /<h1>Instance 3 of demo is stopped<\/h1>/);
      assert.ok(r.body.includes(`cd ${checkout} &amp;&amp; just dev 3`), r.body);
    });

    it('names what there is for a name nothing answers to, and refuses a foreign Host', async () => {
      const r = await get('web.9.demo.localhost', '/');
      assert.equal(r.status, 404);
      assert.ok(r.body.includes(`http://web.1.demo.localhost:${proxyPort}`), r.body);
      const foreign = await get('attacker.example', '/');
      assert.equal(foreign.status, 403);
      assert.match(foreign.body, /Host &#39;attacker\.example:\d+&#39; is not a name of this machine&#39;s loopback/);
    });
  });
}

passthrough('node');
// CI installs nginx; elsewhere the nginx half says why it did not run.
if (findNginx()) passthrough('nginx');
else describe('the proxy with nginx in front', { skip: 'nginx is not installed (apt-get install nginx-light)' }, () => {});

describe('the proxy when nginx cannot start', () => {
  // An nginx that fails as a broken install does: a message on stderr and exit 1.
  const box = tempDir('di-proxy-bad-nginx-');
  const bin = join(box.path, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'nginx'), '#!/bin/sh\necho "nginx: [emerg] this nginx is broken" >&2\nexit 1\n', { mode: 0o755 });
  const env = { DEV_INSTANCES_STATE_DIR: join(box.path, 'state'), PATH: `${bin}:${process.env.PATH}` };
  after(() => box.cleanup());

  it('serves with the Node proxy alone when nginx was only preferred, and fails naming nginx\'s words when it was asked for', async () => {
    const port = await getPort();
    const serving = await serveProxy({ port, addresses: ['127.0.0.1'], env, token: 't'.repeat(64), front: 'auto' });
    try {
      assert.equal(serving.front, 'node');
      const r = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/', headers: { host: `nothing.localhost:${port}` } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
      });
      assert.equal(r, 404, 'the Node proxy answers on the public port');
    } finally {
      await serving.close();
    }
    await assert.rejects(serveProxy({ port, addresses: ['127.0.0.1'], env, token: 't'.repeat(64), front: 'nginx' }),
      { message: `nginx (${join(bin, 'nginx')}) did not start: nginx: [emerg] this nginx is broken` });
  });
});
