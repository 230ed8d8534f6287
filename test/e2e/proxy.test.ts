/**
 * Named URLs and the dashboard, end to end as a user meets them: `just dev 1` and `just dev 2` start
 * the machine's proxy on demand (real PM2), the demo apps run on real Postgres and Redis, and a real
 * headless Chromium opens the instances by name, signs in, watches Vite's HMR through the proxy, and
 * stops an instance from the dashboard.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import getPort from 'get-port';
import type { Browser, Page } from 'playwright-core';
import { withPm2 } from '../../src/pm2/client.js';
import { portInUse } from '../../src/ports/holder.js';
import { findNginx } from '../../src/proxy/nginx/front.js';
import { launchBrowser, restyledWithoutReload } from '../helpers/browser.js';
import { REPO } from '../helpers/cli.js';
import { api, stackRoot, until } from '../helpers/stack-root.js';

const PORT = await getPort({ port: [13801, 13802, 13803, 13804, 13805] });
const stack = stackRoot('di-proxy-', { env: { DEV_INSTANCES_PROXY: '', DEV_INSTANCES_PROXY_PORT: String(PORT) } });
const named = (host: string) => `http://${host}:${PORT}`;
/** The machine's dashboard key, as the proxy made it (0600 in the state folder). */
const key = () => readFileSync(join(stack.root, '.leases', 'proxy-token'), 'utf8').trim();
/** The link with the key, as a start and `just dev proxy` print it. */
const keyLink = () => `http://dev.localhost:${PORT}/?key=${key()}`;
/** Where the dashboard's screenshot is kept after the run. */
const SCREENSHOT = join(REPO, 'test-output', 'dashboard.png');

/** A raw request's status and headers (a redirect, a cookie). */
function rawHead(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: PORT, path, method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw request to the proxy: any Host, any headers (what a browser on another site could send). */
function raw(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: PORT, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function loaded(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
}

describe('named URLs through the local proxy, and the dashboard', () => {
  let browser: Browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => {
    await browser?.close();
    // The proxy lived through everything above (a crash would have been restarted by PM2 unseen).
    const proxy = (await withPm2((s) => s.list())).find((p) => p.name === 'dev-instances-proxy');
    assert.equal(proxy?.restarts, 0, readFileSync(join(stack.root, '.leases', 'proxy.log'), 'utf8').slice(-3000));
    const stopped = stack.just('dev', 'proxy', 'stop');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.deepEqual(await stack.teardown(), [], 'processes left running');
  });

  it('start runs the proxy on demand and prints named and direct URLs; a dashboard key others could read is replaced', async () => {
    // A key file left readable by others (an old install, a careless copy): never used again.
    const LEAKED = 'a'.repeat(64);
    mkdirSync(join(stack.root, '.leases'), { recursive: true });
    writeFileSync(join(stack.root, '.leases', 'proxy-token'), `${LEAKED}\n`, { mode: 0o644 });
    const [one, two] = await Promise.all([stack.justAsync('dev', '1').done, stack.justAsync('dev', '2').done]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.code, 0, two.stderr);
    assert.match(one.stdout, new RegExp(`Open +http://1\\.shipsec\\.localhost:${PORT}\\n`));
    assert.match(one.stdout, new RegExp(`Frontend +http://frontend\\.1\\.shipsec\\.localhost:${PORT}  \\(direct http://localhost:5273\\)`));
    assert.match(two.stdout, new RegExp(`Backend +http://backend\\.2\\.shipsec\\.localhost:${PORT}  \\(direct http://localhost:3411\\)`));
    assert.match(two.stdout, new RegExp(`Dashboard of every instance: http://dev\\.localhost:${PORT}/\\?key=[0-9a-f]{64}\\n`));
    // One proxy for both starts: exactly one of them started it.
    assert.equal([one, two].filter((r) => r.stderr.includes('started the local proxy')).length, 1, one.stderr + two.stderr);
    const status = JSON.parse(stack.just('dev', 'proxy', 'status', '--json').stdout);
    assert.equal(status.state, 'online');
    assert.equal(status.port, PORT);
    assert.equal(status.dashboard, keyLink());
    // nginx carries the named apps' traffic wherever it is installed (CI installs it).
    assert.equal(status.front, findNginx() ? 'nginx' : 'node');
    const info = JSON.parse(stack.just('dev', '2', 'info', '--json').stdout);
    assert.deepEqual(info.namedUrls, { home: named('2.shipsec.localhost'), frontend: named('frontend.2.shipsec.localhost'), backend: named('backend.2.shipsec.localhost') });
    const st = JSON.parse(stack.just('dev', '2', 'status', '--json').stdout);
    assert.equal(st.instances[0].namedUrls.backend, named('backend.2.shipsec.localhost'));
    assert.equal(statSync(join(stack.root, '.leases', 'proxy-token')).mode & 0o777, 0o600);
    assert.notEqual(key(), LEAKED, 'a new key, not the one others could read');
    assert.ok(!two.stdout.includes(LEAKED));
  });

  it("opens instance 2's frontend by its name and shows instance 2's data, fetched through its backend's name", async () => {
    assert.equal((await api(3411, '/records', { body: 'only in two' })).status, 201);
    const page = await browser.newPage();
    await loaded(page, named('2.shipsec.localhost'));
    assert.equal(await page.textContent('#instance'), '2');
    assert.equal(await page.textContent('#database'), 'shipsec_dev_2');
    assert.equal(await page.textContent('#api'), named('backend.2.shipsec.localhost'));
    assert.deepEqual(await page.$$eval('#records li', (lis) => lis.map((l) => l.textContent)), ['only in two']);
    await page.close();
  });

  it('keeps a session cookie per instance (one localhost jar would share it)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await loaded(page, named('1.shipsec.localhost'));
    assert.equal(await page.textContent('#session'), 'not signed in');
    const signedIn = await page.evaluate(async (backend) => (await fetch(`${backend}/session`, {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'alice' }),
    })).status, named('backend.1.shipsec.localhost'));
    assert.equal(signedIn, 200);
    await loaded(page, named('1.shipsec.localhost'));
    assert.equal(await page.textContent('#session'), 'signed in as alice');
    await loaded(page, named('2.shipsec.localhost'));
    assert.equal(await page.textContent('#session'), 'not signed in');
    // The same sign-in on the direct URLs: cookies ignore ports, so instance 2 gets instance 1's.
    await page.goto('http://localhost:3311/health');
    await page.evaluate(() => fetch('/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bob' }) }));
    await page.goto('http://localhost:3411/session');
    assert.equal(JSON.parse(await page.innerText('body')).name, 'bob');
    await context.close();
  });

  it("updates the page through the proxy when a stylesheet changes (Vite's HMR), without a reload", async () => {
    const page = await browser.newPage();
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await loaded(page, named('frontend.1.shipsec.localhost'));
    await until('the HMR socket is open', async () => sockets.length > 0, 15_000);
    assert.ok(sockets.every((u) => u.startsWith(`ws://frontend.1.shipsec.localhost:${PORT}/`)), sockets.join());
    await restyledWithoutReload(page, stack.root, 'rgb(200, 0, 0)');
    await page.close();
  });

  it('without the key: the page lists the instances with no buttons and never holds the key; logs and changes are refused; the key\'s link sets a cookie on dev.localhost only', async () => {
    const page = await raw('GET', '/', { host: `localhost:${PORT}` });
    assert.equal(page.status, 200);
    assert.match(page.body, /Read only: logs and the Start, Stop and Restart buttons need this machine's dashboard key/);
    assert.ok(!page.body.includes(key()), 'the key is not in the page');
    assert.equal((await raw('GET', '/api/logs?process=shipsec-backend-2', { host: `localhost:${PORT}` })).status, 403);
    assert.equal((await raw('GET', `/?key=${'0'.repeat(64)}`, { host: `localhost:${PORT}` })).status, 403, 'a wrong key');
    const onLocalhost = await rawHead('GET', `/?key=${key()}`, { host: `localhost:${PORT}` });
    assert.equal(onLocalhost.status, 303);
    assert.equal(onLocalhost.headers.location, `${keyLink()}`, 'sent on to dev.localhost, the only host the cookie lives on');
    assert.equal(onLocalhost.headers['set-cookie'], undefined);
    const onDev = await rawHead('GET', `/?key=${key()}`, { host: `dev.localhost:${PORT}` });
    assert.equal(onDev.status, 303);
    assert.equal(onDev.headers.location, `http://dev.localhost:${PORT}/`, 'the key leaves the address bar');
    assert.deepEqual(onDev.headers['set-cookie'], [`dev_instances_key=${key()}; HttpOnly; SameSite=Strict; Path=/`]);
    const logs = await raw('GET', '/api/logs?process=shipsec-backend-2&lines=5', { host: `dev.localhost:${PORT}`, cookie: `dev_instances_key=${key()}` });
    assert.equal(logs.status, 200, logs.body);
  });

  it('refuses, with 403 and nothing stopped, a change from another site, for another Host, or without the token', async () => {
    const token = key();
    const before = await stack.names();
    const path = '/api/instances/shipsec/2/stop';
    const cases = {
      'foreign Origin': { host: `localhost:${PORT}`, origin: 'http://evil.example', 'x-dev-instances-token': token },
      'foreign Host': { host: `evil.example:${PORT}`, 'x-dev-instances-token': token },
      'no token': { host: `localhost:${PORT}`, origin: `http://localhost:${PORT}` },
    };
    for (const [what, headers] of Object.entries(cases)) {
      const r = await raw('POST', path, headers);
      assert.equal(r.status, 403, `${what}: ${r.body}`);
      assert.match(r.body, /refused/, what);
    }
    assert.deepEqual(await stack.names(), before);
    assert.equal((await api(3411, '/health')).json.ok, true, 'instance 2 still answers');
  });

  it('lists both instances on the dashboard; its Stop button stops instance 1 and the page follows without a reload', async (t) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(keyLink()); // as the user clicks it in the terminal: the cookie, then the page
    assert.equal(page.url(), `http://dev.localhost:${PORT}/`);
    const card = (id: string) => `section[data-instance="${id}"]`;
    await page.waitForSelector(`${card('shipsec/1')}[data-state="running"]`, { timeout: 15_000 });
    await page.waitForSelector(`${card('shipsec/2')}[data-state="running"]`, { timeout: 15_000 });
    assert.match(await page.innerText(card('shipsec/2')), new RegExp(`http://2\\.shipsec\\.localhost:${PORT}`));
    await page.click(`${card('shipsec/2')} button[data-logs="shipsec-backend-2"]`);
    await page.waitForFunction(() => document.querySelector('pre')?.textContent?.includes('backend of instance 2'), undefined, { timeout: 10_000 });
    mkdirSync(join(REPO, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.diagnostic(`dashboard screenshot: ${SCREENSHOT}`);
    await page.evaluate(() => { (window as unknown as { marker: string }).marker = 'same page'; });
    await page.click(`${card('shipsec/1')} button[data-act="stop"]`);
    await page.waitForSelector(`${card('shipsec/1')}[data-state="stopped"]`, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: string }).marker), 'same page');
    assert.equal(await portInUse(3311), false, "instance 1's backend port is free");
    assert.equal(await page.getAttribute(card('shipsec/2'), 'data-state'), 'running');
    assert.equal((await api(3411, '/health')).json.ok, true);
    await page.close();
  });

  it("answers instance 1's names, now it is stopped, with a page saying so and how to start it", async () => {
    const r = await raw('GET', '/', { host: `frontend.1.shipsec.localhost:${PORT}` });
    assert.equal(r.status, 503);
    assert.match(r.body, /<h1>Instance 1 of shipsec is stopped<\/h1>/);
    assert.ok(r.body.includes(`cd ${stack.root} &amp;&amp; just dev 1`), r.body);
  });
});
