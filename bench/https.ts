/**
 * HTTPS named URLs against HTTP ones and against going direct, in one run (`npm run bench -- https`):
 * two upstreams (a ten-line server, whose speed shows the proxy's own cost, and the demo backend's
 * /session), each through the proxy as `start` runs it (nginx in front when installed) over HTTP and
 * over HTTPS, through the Node proxy alone over both, and through portless (npm, HTTP, the same
 * upstreams) when it installs. Sequential keep-alive latency (median), throughput (wrk, 10
 * connections), latency at a fixed 1000 requests per second (open loop), and the time a new name's
 * certificate takes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import getPort from 'get-port';
import { changeLeases } from '../src/leases/registry.js';
import { pollUntil } from '../src/poll.js';
import { ServerCerts } from '../src/proxy/certs.js';
import { tcpAccepts } from '../src/readiness.js';
import { median, printTable } from './lib.js';
import { type Target, WRK, atRate, latencies, throughput } from './load.js';
import { nodeAlone } from './proxy.js';
import { mustDev, sandbox } from './sandbox.js';

const BACKEND = 3311;
const TRIVIAL = 3399;
const RATE = 1000;
const PORTLESS = '0.15.6';

/** The ten-line upstream: answers every request with two bytes, as fast as Node can. */
function trivialServer(): ChildProcess {
  return spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => s.end('ok')).listen(${TRIVIAL}, '127.0.0.1')`], { stdio: 'ignore' });
}

/** portless from npm, its proxy on port (HTTP), each name an alias of an upstream port; undefined (and why) when it cannot run here. */
async function startPortless(port: number, aliases: Record<string, number>): Promise<{ stop: () => void } | { why: string }> {
  const dir = mkdtempSync('/tmp/di-portless-');
  const env = { ...process.env, HOME: dir, PORTLESS_STATE_DIR: join(dir, 'state') };
  const bin = join(dir, 'node_modules', '.bin', 'portless');
  const run = (...args: string[]) => spawnSync(bin, args, { env, encoding: 'utf8', timeout: 60_000 });
  const installed = spawnSync('npm', ['i', '--prefix', dir, `portless@${PORTLESS}`, '--no-audit', '--no-fund'], { encoding: 'utf8', timeout: 180_000 });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    run('proxy', 'stop');
    rmSync(dir, { recursive: true, force: true });
  };
  if (installed.status !== 0) { stop(); return { why: `npm i portless failed: ${installed.stderr.trim().split('\n').pop()}` }; }
  const started = run('proxy', 'start', '-p', String(port), '--no-tls');
  if (started.status !== 0) { stop(); return { why: `portless proxy start: ${(started.stderr || started.stdout).trim().split('\n').pop()}` }; }
  for (const [name, to] of Object.entries(aliases)) {
    const a = run('alias', name, String(to));
    if (a.status !== 0) { stop(); return { why: `portless alias: ${(a.stderr || a.stdout).trim().split('\n').pop()}` }; }
  }
  await pollUntil(() => tcpAccepts(port).then(() => true, () => undefined), { deadlineMs: 10_000, timeout: () => new Error(`portless did not listen on ${port}`) });
  return { stop };
}

export async function httpsBench(repo: string): Promise<void> {
  const [port, httpsPort, alonePort, aloneHttps, portlessPort] = [
    await getPort({ port: [13941] }), await getPort({ port: [14451] }), await getPort({ port: [13942] }), await getPort({ port: [14452] }), await getPort({ port: [13943] })];
  // HTTPS on redirects every HTTP request to a named URL: the HTTP paths are measured first, with
  // HTTPS off, then the proxy starts again with it on; direct is measured in both, so the two are
  // comparable (an HTTPS path is set against the HTTP path of the same front).
  const box = sandbox(repo, 'di-tls', { DEV_INSTANCES_PROXY: '', DEV_INSTANCES_PROXY_PORT: String(port), DEV_INSTANCES_PROXY_HTTPS: 'off', DEV_INSTANCES_PROXY_HTTPS_PORT: String(httpsPort) });
  const trivial = trivialServer();
  let alone: ChildProcess | undefined;
  let portless: Awaited<ReturnType<typeof startPortless>> | undefined;
  try {
    // The ten-line server gets a name as a leased app would: a route in the registry.
    await changeLeases((leases) => {
      leases.push({ project: 'bench', instance: 1, checkout: box.root, default: false, since: new Date().toISOString(), routes: [{ app: 'up', port: TRIVIAL, pm2Name: 'bench-up-1' }] });
    }, box.env);
    await mustDev(box, '1', '--infra', 'shared');
    const front = JSON.parse((await box.dev('proxy', 'status', '--json')).stdout).front as string;
    const asStarted = front === 'nginx' ? 'nginx in front' : 'Node alone';
    const pl = await startPortless(portlessPort, { up: TRIVIAL, api: BACKEND });
    portless = pl;
    const upstreams = [
      { label: 'a ten-line server', direct: TRIVIAL, name: 'up.1.bench.localhost', alias: 'up.localhost', path: '/' },
      { label: "the demo backend's /session", direct: BACKEND, name: 'backend.1.shipsec.localhost', alias: 'api.localhost', path: '/session' },
    ];
    type Up = (typeof upstreams)[number];
    const measured = new Map<string, { us: number; rps: number; p50: number; p99: number }>();
    const measure = async (targets: Target[], ca?: string) => {
      const lat = await latencies(targets, { blocks: 4, perBlock: 400, ...(ca ? { ca } : {}) });
      const rps = await throughput(targets, { rounds: 3, seconds: 5 });
      for (const t of targets) {
        const fixed = await atRate(t, RATE, 5, ca);
        measured.set(t.label, { us: median(lat.get(t.label) ?? []), rps: rps.get(t.label) ?? 0, ...fixed });
      }
    };
    const direct = (up: Up, phase: string): Target => ({ label: `${up.label}|direct (${phase})`, port: up.direct, host: `localhost:${up.direct}`, path: up.path });
    const http = (up: Up): Target[] => [
      direct(up, 'HTTP run'),
      { label: `${up.label}|HTTP, the proxy as started (${asStarted})`, port, host: `${up.name}:${port}`, path: up.path },
      { label: `${up.label}|HTTP, the Node proxy alone`, port: alonePort, host: `${up.name}:${alonePort}`, path: up.path },
      ...('stop' in pl ? [{ label: `${up.label}|HTTP, portless ${PORTLESS}`, port: portlessPort, host: `${up.alias}:${portlessPort}`, path: up.path }] : []),
    ];
    const https = (up: Up): Target[] => [
      direct(up, 'HTTPS run'),
      { label: `${up.label}|HTTPS, the proxy as started (${asStarted})`, port: httpsPort, host: `${up.name}:${httpsPort}`, path: up.path, https: true },
      { label: `${up.label}|HTTPS, the Node proxy alone`, port: aloneHttps, host: `${up.name}:${aloneHttps}`, path: up.path, https: true },
    ];

    alone = await nodeAlone(repo, box, alonePort);
    for (const up of upstreams) await measure(http(up));
    alone.kill();
    if ('stop' in pl) pl.stop();
    await mustDev(box, 'proxy', 'stop');
    box.env.DEV_INSTANCES_PROXY_HTTPS = 'on';
    await mustDev(box, 'proxy', 'start');
    alone = await nodeAlone(repo, box, alonePort, aloneHttps);
    await pollUntil(() => tcpAccepts(aloneHttps).then(() => true, () => undefined), { deadlineMs: 10_000, timeout: () => new Error('the Node proxy alone did not listen for HTTPS') });
    const ca = readFileSync(join(box.env.DEV_INSTANCES_STATE_DIR as string, 'tls', 'ca.pem'), 'utf8');
    for (const up of upstreams) await measure(https(up), ca);

    for (const up of upstreams) {
      const rows = [...http(up), ...https(up)];
      const get = (t: Target) => measured.get(t.label) ?? { us: 0, rps: 0, p50: 0, p99: 0 };
      const base = (t: Target) => get(direct(up, t.https ? 'HTTPS run' : 'HTTP run'));
      const sameFront = (t: Target) => http(up).find((x) => x.label === t.label.replace('HTTPS', 'HTTP'));
      printTable(`${up.label}: direct, HTTP and HTTPS through the proxy, portless (latency: median of 1600 sequential keep-alive requests; ${WRK ? 'wrk' : 'autocannon'} -c10 3 x 5 s; at ${RATE} req/s: open loop 5 s)`,
        ['path', 'median µs', 'added µs', 'HTTPS over HTTP µs', 'req/s', 'x direct', 'x HTTP', `p50 µs @${RATE}/s`, 'p99 µs'],
        rows.map((t) => {
          const m = get(t);
          const h = t.https ? sameFront(t) : undefined;
          const isDirect = t.label.includes('|direct');
          return [t.label.split('|')[1] ?? t.label, m.us.toFixed(0), isDirect ? '-' : (m.us - base(t).us).toFixed(0), h ? (m.us - get(h).us).toFixed(0) : '-',
            m.rps.toFixed(0), (m.rps / (base(t).rps || 1)).toFixed(2), h ? (m.rps / (get(h).rps || 1)).toFixed(2) : '-', m.p50.toFixed(0), m.p99.toFixed(0)];
        }));
    }
    if ('why' in pl) console.log(`portless not measured: ${pl.why}`);

    // A new name's certificate: made as the proxy makes it, with 60 names already on the certificate.
    const certs = await ServerCerts.open(box.env, ['127.0.0.1']);
    await certs.ensure(Array.from({ length: 60 }, (_, i) => `app${i}.${i}.bench.localhost`));
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await certs.ensure([`new${i}.1.bench.localhost`]);
      times.push(performance.now() - t0);
    }
    printTable('a new name\'s certificate (signed and written for nginx), 60 names and more on it, 30 new names one by one',
      ['median ms', 'max ms', 'target'], [[median(times).toFixed(1), Math.max(...times).toFixed(1), '<= 50 ms']]);
    await mustDev(box, 'clean', 'all', '--yes', '--no-backup');
    await mustDev(box, 'proxy', 'stop');
  } finally {
    if (portless && 'stop' in portless) portless.stop();
    alone?.kill();
    trivial.kill();
    box.dispose();
  }
}
