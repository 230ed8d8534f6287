/**
 * Named URLs over HTTPS, as a user meets them: `just dev trust` puts the machine's CA into the NSS
 * database of a home of the test's own (and the system store, as root), `just dev 1` and `2` then
 * print https:// URLs, and a real headless Chromium whose HOME is that home opens them with no
 * certificate error, in a secure context, with Vite's HMR over wss://. A Chromium with an empty home
 * gets the certificate error: trust is what makes the first pass. `untrust` removes exactly what
 * `trust` added.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import getPort from 'get-port';
import type { Browser } from 'playwright-core';
import { findNginx } from '../../src/proxy/nginx/front.js';
import { launchBrowser, restyledWithoutReload } from '../helpers/browser.js';
import { tempDir } from '../helpers/cli.js';
import { stackRoot, until } from '../helpers/stack-root.js';

const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const asRoot = process.getuid?.() === 0 && existsSync('/usr/local/share/ca-certificates');
const nssdb = (dir: string) => `sql:${join(dir, '.pki', 'nssdb')}`;
/** The certificates in a home's NSS database, as certutil lists them: name and trust flags. */
const nssList = (dir: string) => spawnSync('certutil', ['-L', '-d', nssdb(dir)], { encoding: 'utf8' }).stdout
  .split('\n').slice(4).filter((l) => l.trim() !== '').map((l) => l.trim().replace(/\s+/g, ' ')).sort();
const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
};

// Both fronts: nginx terminates TLS when it is installed, the Node proxy does when it is alone.
for (const front of findNginx() ? ['nginx', 'node'] as const : ['node'] as const) {
  const PORT = await getPort({ port: [13811, 13812, 13813, 13814] });
  const HTTPS_PORT = await getPort({ port: [14431, 14432, 14433, 14434] });
  const home = tempDir('di-home-');
  const stranger = tempDir('di-home-');
  const stack = stackRoot('di-https-', {
    env: { DEV_INSTANCES_PROXY: '', DEV_INSTANCES_PROXY_PORT: String(PORT), DEV_INSTANCES_PROXY_HTTPS_PORT: String(HTTPS_PORT), HOME: home.path, DEV_INSTANCES_PROXY_FRONT: front },
  });
  const { just } = stack;
  const secure = (host: string) => `https://${host}:${HTTPS_PORT}`;
  const caFile = () => join(stack.root, '.leases', 'tls', 'ca.pem');
  /** A request over TLS with the machine's CA alone as trust: its status, headers and the certificate's names. */
  function tlsGet(host: string, path = '/'): Promise<{ status: number; location?: string; names: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', servername: host, port: HTTPS_PORT, path, headers: { host: `${host}:${HTTPS_PORT}` }, ca: readFileSync(caFile()), agent: false }, (res) => {
        const names = (res.socket as TLSSocket).getPeerCertificate().subjectaltname ?? '';
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, names, ...(res.headers.location ? { location: res.headers.location } : {}) }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  function plainGet(host: string, path: string): Promise<{ status: number; location?: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: PORT, path, headers: { host: `${host}:${PORT}` }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}) }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  describe(`named URLs over HTTPS (${front} terminates TLS), trusted by the browser through trust`, () => {
    let browser: Browser;
    let nssBefore: string[] = [];
    let systemBefore = '';
    before(() => {
      systemBefore = existsSync(SYSTEM_BUNDLE) ? readFileSync(SYSTEM_BUNDLE, 'utf8') : '';
      // The user's database holds a CA of someone else's already: untrust must leave it.
      mkdirSync(join(home.path, '.pki', 'nssdb'), { recursive: true });
      sh('certutil', ['-N', '-d', nssdb(home.path), '--empty-password']);
      sh('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=someone else',
        '-keyout', join(home.path, 'other.key'), '-out', join(home.path, 'other.pem'), '-days', '2']);
      sh('certutil', ['-A', '-d', nssdb(home.path), '-n', 'someone else', '-t', 'C,,', '-i', join(home.path, 'other.pem')]);
      nssBefore = nssList(home.path);
    });
    after(async () => {
      await browser?.close();
      just('dev', 'untrust');
      just('dev', 'proxy', 'stop');
      assert.deepEqual(await stack.teardown(), [], 'processes left running');
      home.cleanup();
      stranger.cleanup();
    });

    it("an HTTPS port something else holds: the proxy is not started, and the error names the port and its holder (never another port)", async () => {
      const holder = createServer().listen(HTTPS_PORT, '127.0.0.1');
      await once(holder, 'listening');
      try {
        const r = stack.justWith({ DEV_INSTANCES_PROXY_HTTPS: 'on' }, 'dev', 'proxy', 'start');
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`^dev-instances: the proxy's HTTPS port ${HTTPS_PORT} is taken by pid ${process.pid} `, 'm'));
        assert.match(just('dev', 'proxy').stdout, /The local proxy is not running/);
      } finally {
        holder.close();
      }
    });

    it("trust adds the machine's CA to the user's NSS database (and the system store as root), and proxy status says so", () => {
      const r = just('dev', 'trust');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^trusted the local CA in NSS .*\.pki\/nssdb$/m);
      if (asRoot) assert.match(r.stdout, /^trusted the local CA in the system store \(\/usr\/local\/share\/ca-certificates\)$/m);
      assert.match(r.stdout, new RegExp(`^Named URLs are HTTPS on port ${HTTPS_PORT} \\(DEV_INSTANCES_PROXY_HTTPS_PORT\\)`, 'm'));
      assert.ok(nssList(home.path).some((l) => /^dev-instances-local-ca-[0-9a-f]{16} C,,$/.test(l)), nssList(home.path).join('\n'));
      assert.equal(statSync(join(stack.root, '.leases', 'tls', 'ca-key.pem')).mode & 0o777, 0o600, "the CA's key is the user's alone");
      const again = just('dev', 'trust');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^already trusted in NSS /m);
    });

    it('start prints https:// named URLs, and apps are told the CA', async () => {
      const [one, two] = await Promise.all([stack.justAsync('dev', '1').done, stack.justAsync('dev', '2').done]);
      assert.equal(one.code, 0, one.stderr);
      assert.equal(two.code, 0, two.stderr);
      assert.match(one.stdout, new RegExp(`Frontend +https://frontend\\.1\\.shipsec\\.localhost:${HTTPS_PORT}  \\(direct http://localhost:5273\\)`));
      const env = JSON.parse(just('dev', '1', 'env', 'backend', '--json').stdout) as Record<string, string>;
      assert.equal(env.NODE_EXTRA_CA_CERTS, caFile());
      if (existsSync(SYSTEM_BUNDLE)) assert.equal(env.SSL_CERT_FILE, join(stack.root, '.leases', 'tls', 'bundle.pem'));
      const state = await (await fetch(`http://127.0.0.1:${PORT}/api/state`)).text();
      assert.ok(state.includes(`"named":"${secure('frontend.1.shipsec.localhost')}"`), `the dashboard links the HTTPS URLs: ${state.slice(0, 400)}`);
      const status = just('dev', 'proxy');
      assert.match(status.stdout, new RegExp(`^HTTPS +on, port ${HTTPS_PORT} \\(DEV_INSTANCES_PROXY_HTTPS_PORT\\)$`, 'm'));
      assert.match(status.stdout, /^Local CA +trusted in NSS /m);
    });

    it('an HTTP request to a named URL is sent to its HTTPS URL (308); the certificate names every route', async () => {
      const r = await plainGet('frontend.2.shipsec.localhost', '/x?y=1');
      assert.equal(r.status, 308);
      assert.equal(r.location, `${secure('frontend.2.shipsec.localhost')}/x?y=1`);
      const s = await tlsGet('backend.2.shipsec.localhost', '/health');
      assert.equal(s.status, 200);
      for (const n of [1, 2]) for (const app of ['frontend', 'backend']) assert.ok(s.names.includes(`DNS:${app}.${n}.shipsec.localhost`), s.names);
    });

    it('Chromium trusting the CA opens instance 1 with no certificate error, in a secure context, and HMR updates it over wss://', async () => {
      browser = await launchBrowser({ home: home.path });
      const page = await browser.newPage();
      const sockets: string[] = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));
      const res = await page.goto(secure('frontend.1.shipsec.localhost'));
      assert.equal(res?.status(), 200);
      await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
      assert.equal(await page.evaluate(() => window.isSecureContext), true);
      assert.equal(await page.evaluate(() => typeof navigator.mediaDevices), 'object');
      await until('the HMR socket is open', async () => sockets.length > 0, 15_000);
      assert.ok(sockets.every((u) => u.startsWith(`wss://frontend.1.shipsec.localhost:${HTTPS_PORT}/`)), sockets.join());
      await restyledWithoutReload(page, stack.root, 'rgb(0, 120, 0)');
      await page.close();
    });

    it('a Secure cookie of instance 1 stays with instance 1', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(secure('frontend.1.shipsec.localhost'));
      await page.evaluate(() => { document.cookie = 'who=one; Secure; SameSite=Lax; Path=/'; });
      await page.reload();
      assert.match(await page.evaluate(() => document.cookie), /who=one/);
      await page.goto(secure('frontend.2.shipsec.localhost'));
      assert.doesNotMatch(await page.evaluate(() => document.cookie), /who=one/);
      await context.close();
    });

    it('a Chromium whose NSS database lacks the CA gets the certificate error for the same URL', async () => {
      const other = await launchBrowser({ home: stranger.path });
      try {
        const page = await other.newPage();
        await assert.rejects(page.goto(secure('frontend.1.shipsec.localhost')), /ERR_CERT_AUTHORITY_INVALID/);
      } finally {
        await other.close();
      }
    });

    it("a new instance's names have their certificate when they first answer", async () => {
      const r = just('dev', '3');
      assert.equal(r.code, 0, r.stderr);
      const s = await tlsGet('frontend.3.shipsec.localhost');
      assert.equal(s.status, 200);
      assert.ok(s.names.includes('DNS:frontend.3.shipsec.localhost'), s.names);
      assert.equal(just('dev', '3', 'stop').code, 0);
    });

    it("the dashboard's key link is HTTPS too: Chromium lands on the HTTPS dashboard without the key in its address, and its controls work there", async () => {
      const link = /^Dashboard +(\S+)/m.exec(just('dev', 'proxy').stdout)?.[1] ?? '';
      assert.match(link, new RegExp(`^https://dev\\.localhost:${HTTPS_PORT}/\\?key=[0-9a-f]{64}$`));
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(link);
      assert.equal(page.url(), `https://dev.localhost:${HTTPS_PORT}/`);
      assert.equal(await page.evaluate(() => window.isSecureContext), true);
      // What the page's stop button sends: a same-origin POST with the cookie the link set.
      const stop = await page.evaluate(async () => {
        const r = await fetch('/api/instances/shipsec/2/stop', { method: 'POST' });
        return { status: r.status, body: await r.text() };
      });
      assert.equal(stop.status, 200, stop.body);
      await until('instance 2 is stopped', async () => (await tlsGet('backend.2.shipsec.localhost', '/health')).status !== 200, 30_000);
      await context.close();
    });

    it('untrust removes exactly what trust added: the NSS database and the system bundle as they were', () => {
      const r = just('dev', 'untrust');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^removed the local CA from NSS /m);
      assert.deepEqual(nssList(home.path), nssBefore, "the NSS database as before trust: someone else's CA kept, ours gone");
      if (asRoot) assert.equal(readFileSync(SYSTEM_BUNDLE, 'utf8'), systemBefore, 'the system bundle as before trust');
      assert.match(just('dev', 'proxy').stdout, /^HTTPS +off/m);
      const again = just('dev', 'untrust');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /nothing to remove/);
    });
  });
}
