/**
 * Named URLs on paper: the plan's named URLs and the environment they give the apps, the host names
 * a lease registry routes, and the rules that refuse requests from other sites. Pure functions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDeclaration } from '../../src/config/load.js';
import { validateDeclaration } from '../../src/config/validate.js';
import type { Lease } from '../../src/leases/registry.js';
import { plan } from '../../src/plan/plan.js';
import { namedUrls } from '../../src/plan/views.js';
import { hasKey, hostAllowed, mutationAllowed } from '../../src/proxy/guard.js';
import { hostName } from '../../src/proxy/hosts.js';
import { hostLabel } from '../../src/plan/named-urls.js';
import { routeTable } from '../../src/proxy/routes.js';
import { snapshotOf } from '../../src/proxy/dashboard/model.js';
import { nginxConfig } from '../../src/proxy/nginx/config.js';
import { configuredFront, configuredPort, proxySetting } from '../../src/proxy/state.js';
import stack from '../../examples/shipsec/dev-instances.config.js';

const decl = checkDeclaration(stack, 'stack.config.ts');

const lease = (instance: number, extra: Partial<Lease> = {}): Lease => ({
  project: 'shipsec', instance, checkout: `/src/wt-${instance}`, default: true, since: '2026-11-23T00:00:00Z',
  routes: [
    { app: 'frontend', port: 5173 + instance * 100, pm2Name: `shipsec-frontend-${instance}`, home: true },
    { app: 'backend', port: 3211 + instance * 100, pm2Name: `shipsec-backend-${instance}`, health: '/health' },
  ],
  ...extra,
});

describe('named URLs in the plan', () => {
  it('names every app with a port, and the home app without one, when the proxy is on', () => {
    const p = plan(decl, 2, { proxy: { port: 1380 } });
    assert.deepEqual(namedUrls(p), {
      home: 'http://2.shipsec.localhost:1380',
      frontend: 'http://frontend.2.shipsec.localhost:1380',
      backend: 'http://backend.2.shipsec.localhost:1380',
    });
    assert.deepEqual(p.apps.find((a) => a.id === 'backend')?.url, { direct: 'http://localhost:3411', named: 'http://backend.2.shipsec.localhost:1380' });
  });

  it("gives the browser the backend's named URL when the proxy is on, the direct one when it is off", () => {
    const on = plan(decl, 2, { proxy: { port: 1380 } }).apps[0]?.env.VITE_API_URL;
    const off = plan(decl, 2).apps[0]?.env.VITE_API_URL;
    assert.equal(on, 'http://backend.2.shipsec.localhost:1380');
    assert.equal(off, 'http://localhost:3411');
    assert.deepEqual(namedUrls(plan(decl, 2)), {});
  });

  it('is turned off by DEV_INSTANCES_PROXY=off or the declaration; a bad port is refused naming it', () => {
    assert.equal(proxySetting(decl, { DEV_INSTANCES_PROXY: 'off', DEV_INSTANCES_STATE_DIR: '/nonexistent' }), undefined);
    assert.equal(proxySetting({ ...decl, proxy: { enabled: false } }, { DEV_INSTANCES_STATE_DIR: '/nonexistent' }), undefined);
    assert.deepEqual(proxySetting(decl, { DEV_INSTANCES_STATE_DIR: '/nonexistent' }), { port: 1380 });
    assert.deepEqual(proxySetting(decl, { DEV_INSTANCES_PROXY_PORT: '8443', DEV_INSTANCES_STATE_DIR: '/nonexistent' }), { port: 8443 });
    for (const bad of ['80', 'abc', '70000']) {
      assert.throws(() => configuredPort({ DEV_INSTANCES_PROXY_PORT: bad }),
        { message: `invalid DEV_INSTANCES_PROXY_PORT '${bad}': expected a port from 1024 to 65535 (no root needed)` });
    }
  });

  it('takes nginx in front when installed, or the front named; a bad one is refused naming it', () => {
    assert.equal(configuredFront({}), 'auto');
    assert.equal(configuredFront({ DEV_INSTANCES_PROXY_FRONT: 'Node' }), 'node');
    assert.throws(() => configuredFront({ DEV_INSTANCES_PROXY_FRONT: 'caddy' }),
      { message: "invalid DEV_INSTANCES_PROXY_FRONT 'caddy': expected one of auto, nginx, node" });
    assert.throws(() => proxySetting(decl, { DEV_INSTANCES_PROXY_FRONT: 'caddy', DEV_INSTANCES_STATE_DIR: '/nonexistent' }), /DEV_INSTANCES_PROXY_FRONT 'caddy'/);
  });

  it("validates the declaration's proxy key", () => {
    const problems = (proxy: unknown) => validateDeclaration({ ...decl, proxy }).map((p) => `${p.key}: ${p.message}`);
    assert.deepEqual(problems({ home: 'worker' }), ["proxy.home: 'worker' must name an app with a port"]);
    assert.deepEqual(problems({ enabled: 'yes' }), ["proxy.enabled: 'yes' must be true or false"]);
    assert.deepEqual(problems({ home: 'backend' }), []);
    assert.equal(plan({ ...decl, proxy: { home: 'backend' } }, 1, { proxy: { port: 1380 } }).homeApp, 'backend');
  });
});

describe('route table', () => {
  it('routes app, home and branch names of every lease; number names win over branch names', () => {
    const table = routeTable([lease(1, { branch: 'feature/Login-Form' }), lease(2, { branch: '1' }), lease(3, { branch: 'feature/login-form' })]);
    const at = (host: string) => { const r = table.get(host); return r && `${r.instance}:${r.app}:${r.port}`; };
    assert.equal(at('frontend.1.shipsec.localhost'), '1:frontend:5273');
    assert.equal(at('1.shipsec.localhost'), '1:frontend:5273');
    assert.equal(at('backend.2.shipsec.localhost'), '2:backend:3411');
    assert.equal(at('backend.feature-login-form.shipsec.localhost'), '1:backend:3311', 'the lowest number keeps a shared branch name');
    assert.equal(at('feature-login-form.shipsec.localhost'), '1:frontend:5273');
    // A branch named like a number gets no branch name (it would read as instance 1).
    assert.equal([...table.values()].filter((r) => r.instance === 2).length, 3);
  });

  it('the dashboard shows a branch URL only on the instance it routes to (two checkouts on main: the lowest number)', () => {
    const snap = snapshotOf([lease(1, { branch: 'main' }), lease(4, { branch: 'main' })], [], new Map(), 1380);
    const aliases = (n: number) => snap.instances.find((i) => i.instance === n)?.urls.map((u) => u.alias ?? '-');
    assert.deepEqual(aliases(1), ['http://frontend.main.shipsec.localhost:1380', 'http://backend.main.shipsec.localhost:1380']);
    assert.deepEqual(aliases(4), ['-', '-'], 'instance 4 does not own the branch name');
  });

  it("gives nginx one server per app port with all of its names, and everything else to the Node proxy", () => {
    const conf = nginxConfig({ port: 1380, addresses: ['127.0.0.1', '::1'], back: 40001, dir: '/s/nginx', root: false, routes: routeTable([lease(1, { branch: 'feat' }), lease(2)]) });
    const server = (port: number) => conf.split('\n  server {').find((b) => b.includes(`proxy_pass http://app_${port};`)) ?? '';
    assert.match(server(5273), /server_name 1\.shipsec\.localhost feat\.shipsec\.localhost frontend\.1\.shipsec\.localhost frontend\.feat\.shipsec\.localhost;/);
    assert.match(server(3411), /server_name backend\.2\.shipsec\.localhost;/);
    assert.match(server(3411), /listen 127\.0\.0\.1:1380;\n {4}listen \[::1\]:1380;/);
    assert.match(server(3411), /error_page 502 504 = @stopped;[^}]*proxy_pass http:\/\/dev_instances_back;/);
    assert.match(conf, /listen 127\.0\.0\.1:1380 default_server;[^}]*proxy_pass http:\/\/dev_instances_back;/);
    assert.match(conf, /upstream dev_instances_back \{ server 127\.0\.0\.1:40001;/);
    assert.doesNotMatch(conf, /user root/);
    assert.match(nginxConfig({ port: 1380, addresses: ['127.0.0.1'], back: 1, dir: '/s', root: true, routes: new Map() }), /\nuser root;\n/);
  });

  it('turns branch names into DNS labels, or none', () => {
    assert.equal(hostLabel('feature/ABC_12--x'), 'feature-abc-12-x');
    assert.equal(hostLabel('main'), 'main');
    assert.equal(hostLabel('///'), undefined);
    assert.equal(hostLabel('2024'), undefined);
    assert.equal(hostLabel(`a${'b'.repeat(80)}`)?.length, 63);
  });
});

describe('localhost control surface', () => {
  const token = 'a'.repeat(64);
  const ok = { host: 'localhost:1380', origin: 'http://localhost:1380', 'sec-fetch-site': 'same-origin', 'x-dev-instances-token': token };

  it('serves loopback names only', () => {
    for (const h of ['localhost:1380', 'frontend.2.shipsec.localhost:1380', '127.0.0.1:1380', '[::1]:1380']) assert.ok(hostAllowed(h).ok, h);
    for (const h of ['evil.example:1380', 'localhost.evil.example', '10.0.0.5:1380', undefined]) assert.equal(hostAllowed(h).ok, false, String(h));
    assert.equal(hostName('[::1]:1380'), '[::1]');
  });

  it("lets a change through only from the dashboard's own origin with the token", () => {
    assert.deepEqual(mutationAllowed(ok, token), { ok: true });
    assert.deepEqual(mutationAllowed({ host: 'dev.localhost:1380', 'x-dev-instances-token': token }, token), { ok: true });
    const refusals = {
      'foreign Origin': { ...ok, origin: 'http://evil.example' },
      'app Origin': { ...ok, origin: 'http://frontend.1.shipsec.localhost:1380' },
      'foreign Host': { ...ok, host: 'evil.example:1380', origin: 'http://evil.example:1380' },
      'app Host': { ...ok, host: 'backend.1.shipsec.localhost:1380', origin: 'http://backend.1.shipsec.localhost:1380' },
      'cross-site fetch': { ...ok, 'sec-fetch-site': 'cross-site' },
      'no token': { host: ok.host, origin: ok.origin },
      'wrong token': { ...ok, 'x-dev-instances-token': 'b'.repeat(64) },
    };
    for (const [what, headers] of Object.entries(refusals)) assert.equal(mutationAllowed(headers, token).ok, false, what);
  });

  it('takes its own origin from how the request came: https:// over TLS (443 leaves the port out), http:// otherwise, never either', () => {
    const over = (host: string, origin: string) => ({ host, origin, 'sec-fetch-site': 'same-origin', 'x-dev-instances-token': token });
    assert.deepEqual(mutationAllowed(over('dev.localhost:1443', 'https://dev.localhost:1443'), token, { secure: true }), { ok: true });
    assert.deepEqual(mutationAllowed(over('dev.localhost', 'https://dev.localhost'), token, { secure: true }), { ok: true });
    assert.deepEqual(mutationAllowed(over('dev.localhost', 'http://dev.localhost'), token, { secure: true }),
      { ok: false, reason: "Origin 'http://dev.localhost' is not the dashboard's (https://dev.localhost)" }, 'port 80 is not the proxy');
    assert.equal(mutationAllowed(over('dev.localhost:1380', 'https://dev.localhost:1380'), token).ok, false, 'an https origin over plain HTTP');
  });

  it('takes the key from its cookie on dev.localhost only: on localhost every app would have been sent it', () => {
    const cookie = `other=1; dev_instances_key=${token}`;
    const dev = { host: 'dev.localhost:1380', origin: 'http://dev.localhost:1380', 'sec-fetch-site': 'same-origin', cookie };
    assert.deepEqual(mutationAllowed(dev, token), { ok: true });
    assert.equal(hasKey(dev, token), true);
    assert.equal(hasKey({ ...dev, host: 'localhost:1380' }, token), false, 'the cookie on localhost does not count');
    assert.equal(hasKey({ ...dev, cookie: `dev_instances_key=${'b'.repeat(64)}` }, token), false, 'a wrong key');
    assert.deepEqual(mutationAllowed({ ...dev, cookie: undefined }, token), { ok: false, reason: 'no dashboard key (the link just dev proxy prints, or a x-dev-instances-token header)' });
  });
});
