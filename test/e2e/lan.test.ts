/**
 * The proxy's LAN side as another device meets it: a "phone" in a network namespace of the test's
 * own, joined to this machine by a veth pair (10.231.79.1 here, .2 there), with curl trusting the
 * machine's CA. Without pairing every path answers 403 and no control works; the pairing link (one
 * use) lets it in; the dashboard's stop control needs the pairing and the machine's key.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import getPort from 'get-port';
import { withPm2 } from '../../src/pm2/client.js';
import { stackRoot, until } from '../helpers/stack-root.js';

const NS = `di-phone-${process.pid}`;
const HOST_IF = `diph${process.pid % 100000}`;
const LAN = '10.231.79.1';
const PHONE = '10.231.79.2';
const PORT = await getPort({ port: [13821, 13822, 13823] });
const HTTPS_PORT = await getPort({ port: [14441, 14442, 14443] });
const stack = stackRoot('di-lan-', {
  env: { DEV_INSTANCES_PROXY: '', DEV_INSTANCES_PROXY_PORT: String(PORT), DEV_INSTANCES_PROXY_HTTPS_PORT: String(HTTPS_PORT), DEV_INSTANCES_PROXY_LAN: LAN },
});
const { just } = stack;
const state = (...p: string[]) => join(stack.root, '.leases', ...p);
const key = () => readFileSync(state('proxy-token'), 'utf8').trim();
const jars = mkdtempSync('/tmp/di-jar-');

const ip = (...args: string[]) => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
};

/** curl on the phone: status, body, and the Location header; jar: its cookie jar (a browser's). */
function phone(url: string, opts: { jar?: string; method?: string; headers?: Record<string, string> } = {}): { status: number; body: string; location: string } {
  const jar = opts.jar ? ['-b', join(jars, opts.jar), '-c', join(jars, opts.jar)] : [];
  const headers = Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const r = spawnSync('ip', ['netns', 'exec', NS, 'curl', '-sS', '--max-time', '10', '--cacert', state('tls', 'ca.pem'), ...jar, ...headers,
    '-X', opts.method ?? 'GET', '-o', '-', '-w', '\n%{http_code} %{redirect_url}', url], { encoding: 'utf8' });
  assert.equal(r.status, 0, `curl ${url}: ${r.stderr}`);
  const cut = r.stdout.lastIndexOf('\n');
  const [status = '0', location = ''] = r.stdout.slice(cut + 1).split(' ');
  return { status: Number(status), body: r.stdout.slice(0, cut), location };
}

/** The pairing link `just dev proxy` shows now. */
const linkShown = () => /Pair a device +(\S+)/.exec(just('dev', 'proxy').stdout)?.[1] ?? 'no link shown';

/** Whether instance 1's backend runs. */
const backendUp = async () => (await withPm2((s) => s.list())).some((p) => p.name === 'shipsec-backend-1' && p.status === 'online');

describe('the proxy for other devices on the network: pairing first', () => {
  before(() => {
    ip('netns', 'add', NS);
    ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', 'phone0', 'netns', NS);
    ip('addr', 'add', `${LAN}/30`, 'dev', HOST_IF);
    ip('link', 'set', HOST_IF, 'up');
    ip('-n', NS, 'addr', 'add', `${PHONE}/30`, 'dev', 'phone0');
    ip('-n', NS, 'link', 'set', 'phone0', 'up');
    ip('-n', NS, 'link', 'set', 'lo', 'up');
  });
  after(async () => {
    just('dev', 'proxy', 'stop');
    spawnSync('ip', ['link', 'del', HOST_IF]);
    spawnSync('ip', ['netns', 'del', NS]);
    rmSync(jars, { recursive: true, force: true });
    assert.deepEqual(await stack.teardown(), [], 'processes left running');
  });

  it('--lan with an address this machine does not have is refused, listing the addresses it has, and starts nothing', () => {
    const r = stack.justWith({ DEV_INSTANCES_PROXY_LAN: '10.9.9.9' }, 'dev', 'proxy', 'start', '--lan');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^dev-instances: invalid DEV_INSTANCES_PROXY_LAN '10\\.9\\.9\\.9': expected off, auto or a LAN address of this machine \\(.*${LAN.replace(/\./g, '\\.')}.*\\); this machine has .*127\\.0\\.0\\.1`, 'm'));
    assert.match(just('dev', 'proxy').stdout, /The local proxy is not running/);
  });

  it('proxy start --lan serves the LAN address and shows a one-use pairing link with its QR code', () => {
    const up = just('dev', '1');
    assert.equal(up.code, 0, up.stderr);
    const r = just('dev', 'proxy', 'start', '--lan');
    assert.equal(r.code, 0, r.stderr);
    const s = just('dev', 'proxy');
    assert.match(s.stdout, new RegExp(`^Other devices +https://${LAN}:${HTTPS_PORT}/ `, 'm'));
    assert.match(s.stdout, new RegExp(`^Pair a device +https://${LAN}:${HTTPS_PORT}/pair\\?code=[0-9a-f]{32}  \\(one use`, 'm'));
    assert.match(s.stdout, /▀/, 'a QR code');
  });

  it('an unpaired device gets 403 on every path and every port, the CA included, and its stop control changes nothing', async () => {
    for (const url of [`https://${LAN}:${HTTPS_PORT}/`, `https://${LAN}:${HTTPS_PORT}/ca.pem`, `https://${LAN}:${HTTPS_PORT}/api/state`, `https://${LAN}:15273/`, `https://${LAN}:13311/health`]) {
      assert.equal(phone(url).status, 403, url);
    }
    const stop = phone(`https://${LAN}:${HTTPS_PORT}/api/instances/shipsec/1/stop`, { method: 'POST', headers: { 'x-dev-instances-token': key() } });
    assert.equal(stop.status, 403);
    assert.ok(await backendUp(), 'instance 1 runs on');
  });

  it('the pairing link lets one device in: its environment list, the apps at their ports over TLS, the CA to trust; the link is then used up', () => {
    const link = linkShown();
    const paired = phone(link, { jar: 'phone' });
    assert.equal(paired.status, 303);
    const list = phone(`https://${LAN}:${HTTPS_PORT}/`, { jar: 'phone' });
    assert.equal(list.status, 200);
    assert.match(list.body, new RegExp(`shipsec instance 1.*https://${LAN}:15273`, 's'));
    const page = phone(`https://${LAN}:15273/`, { jar: 'phone' });
    assert.equal(page.status, 200);
    assert.match(page.body, /<html/i);
    assert.equal(phone(`https://${LAN}:13311/health`, { jar: 'phone' }).status, 200);
    assert.equal(phone(`https://${LAN}:${HTTPS_PORT}/ca.pem`, { jar: 'phone' }).body.trim(), readFileSync(state('tls', 'ca.pem'), 'utf8').trim());
    assert.equal(phone(link, { jar: 'thief' }).status, 403, 'the link works once');
    // The proxy takes ports of its own there, never an app's (one listening on 0.0.0.0 would fail to start).
    const own = spawnSync('ip', ['netns', 'exec', NS, 'curl', '-sS', '--max-time', '5', '-o', '/dev/null', `https://${LAN}:5273/`], { encoding: 'utf8' });
    assert.equal(own.status, 7, `the frontend's own port on the LAN address: ${own.stderr}`);
    assert.equal(phone(`https://${LAN}:15273/`, { jar: 'thief' }).status, 403);
  });

  it("a paired device stops an instance from the dashboard only with the machine's key as well", async () => {
    const url = `https://${LAN}:${HTTPS_PORT}/api/instances/shipsec/1/stop`;
    const origin = { origin: `https://${LAN}:${HTTPS_PORT}` };
    assert.equal(phone(url, { jar: 'phone', method: 'POST', headers: origin }).status, 403);
    assert.ok(await backendUp(), 'pairing alone stops nothing');
    const stop = phone(url, { jar: 'phone', method: 'POST', headers: { ...origin, 'x-dev-instances-token': key() } });
    assert.equal(stop.status, 200, stop.body);
    await until('instance 1 is stopped', async () => !(await backendUp()), 30_000);
  });

  it('a paired device stays paired for 30 days, across a proxy restart; proxy unpair forgets it at its next request, and no token is kept on disk', () => {
    const list = `https://${LAN}:${HTTPS_PORT}/`;
    // curl's jar, a line per cookie: ... expires name value.
    const [, expires = '0', token = 'no token'] = /\t(\d+)\tdev_instances_device\t(\S+)/.exec(readFileSync(join(jars, 'phone'), 'utf8')) ?? [];
    assert.ok(Number(expires) * 1000 - Date.now() > 29 * 86_400_000, `the cookie outlives the browser session: expires ${expires}`);
    assert.equal(statSync(state('lan-devices')).mode & 0o777, 0o600);
    assert.doesNotMatch(readFileSync(state('lan-devices'), 'utf8'), new RegExp(token), 'the token itself is not kept');
    assert.equal(just('dev', 'proxy', 'stop').code, 0);
    const again = just('dev', 'proxy', 'start', '--lan');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(phone(list, { jar: 'phone' }).status, 200, 'still paired after the restart');
    assert.match(just('dev', 'proxy').stdout, /^Paired devices +1 \(/m);
    const shown = linkShown();
    const r = just('dev', 'proxy', 'unpair');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Unpaired 1 device\(s\)/);
    assert.equal(phone(list, { jar: 'phone' }).status, 403, 'unpaired without a restart');
    assert.match(just('dev', 'proxy').stdout, /^Paired devices +0 \(/m);
    assert.equal(phone(shown, { jar: 'finder' }).status, 403, 'the link shown before unpair no longer pairs');
    assert.notEqual(linkShown(), shown);
  });

  it('one link opened by two devices at the same moment pairs one of them', () => {
    const link = linkShown();
    const both = spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c',
      'for jar in a b; do curl -sS --max-time 10 --cacert "$1" -c "$2/$jar" -o /dev/null -w "%{http_code}\\n" "$3" & done; wait',
      'sh', state('tls', 'ca.pem'), jars, link], { encoding: 'utf8' });
    assert.equal(both.status, 0, both.stderr);
    assert.deepEqual(both.stdout.trim().split('\n').sort(), ['303', '403']);
    assert.match(just('dev', 'proxy').stdout, /^Paired devices +1 \(/m);
  });

  it("the local dashboard shows the pairing link's QR code to the key's holder alone", () => {
    const get = (headers: Record<string, string>) => spawnSync('curl', ['-sS', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), `http://127.0.0.1:${PORT}/`], { encoding: 'utf8' }).stdout;
    assert.match(get({ 'x-dev-instances-token': key() }), /<section id="pair">.*<svg/s);
    assert.doesNotMatch(get({}), /id="pair"/);
  });
});
