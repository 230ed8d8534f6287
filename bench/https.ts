/**
 * HTTPS named URLs against HTTP ones and against going direct, in one run (`npm run bench -- https`):
 * two upstreams (a ten-line server, whose speed shows the proxy's own cost, and the demo backend's
 * /session), each through the proxy as `start` runs it (nginx in front when installed) over HTTP and
 * over HTTPS, through the Node proxy alone over both, and through portless (npm, HTTP, the same
 * upstreams) when it installs. Sequential keep-alive latency (median), throughput (wrk, 10
 * connections; HTTP and HTTPS rounds interleaved, the proxy started again between them) with the
 * two cores shared and again with the client on one core and the proxy and the app on the other,
 * where each request's CPU went (the client, the proxy, the app), latency at a fixed 1000 requests
 * per second (open loop), and the time a new name's certificate takes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import getPort from 'get-port';
import { changeLeases } from '../src/leases/registry.js';
import { pollUntil } from '../src/poll.js';
import { ServerCerts } from '../src/proxy/certs.js';
import { listeningPids } from '../src/ports/holder.js';
import { tcpAccepts } from '../src/readiness.js';
import { median, printTable } from './lib.js';
import { type Load, type Pinning, type Serving, type Target, WRK, atRate, canPin, latencies, throughput } from './load.js';
import { nodeAlone } from './proxy.js';
import { mustDev, sandbox } from './sandbox.js';

const BACKEND = 3311;
const TRIVIAL = 3399;
const RATE = 1000;
const PORTLESS = '0.15.6';
/** Throughput rounds per path, HTTP and HTTPS interleaved. */
const ROUNDS = 3;

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
  // HTTPS on redirects every HTTP request to a named URL: the proxy runs with HTTPS off for the HTTP
  // paths and on for the HTTPS ones, started again between the two for every round, so that a
  // change on the machine during the run weighs on both alike; direct is measured in both.
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
    type Phase = 'HTTP' | 'HTTPS';
    const direct = (up: Up, phase: Phase): Target => ({ label: `${up.label}|direct (${phase} run)`, port: up.direct, host: `localhost:${up.direct}`, path: up.path });
    const targets: Record<Phase, (up: Up) => Target[]> = {
      HTTP: (up) => [
        direct(up, 'HTTP'),
        { label: `${up.label}|HTTP, the proxy as started (${asStarted})`, port, host: `${up.name}:${port}`, path: up.path },
        { label: `${up.label}|HTTP, the Node proxy alone`, port: alonePort, host: `${up.name}:${alonePort}`, path: up.path },
        ...('stop' in pl ? [{ label: `${up.label}|HTTP, portless ${PORTLESS}`, port: portlessPort, host: `${up.alias}:${portlessPort}`, path: up.path }] : []),
      ],
      HTTPS: (up) => [
        direct(up, 'HTTPS'),
        { label: `${up.label}|HTTPS, the proxy as started (${asStarted})`, port: httpsPort, host: `${up.name}:${httpsPort}`, path: up.path, https: true },
        { label: `${up.label}|HTTPS, the Node proxy alone`, port: aloneHttps, host: `${up.name}:${aloneHttps}`, path: up.path, https: true },
      ],
    };
    // Whose CPU each path takes: the processes listening on the port the client calls, and the app's.
    const upOf = (t: Target) => upstreams.find((u) => t.label.startsWith(`${u.label}|`));
    const serving: Serving = (t) => {
      const app = listeningPids(upOf(t)?.direct ?? 0);
      return { proxy: t.label.includes('|direct') ? [] : listeningPids(t.port), app };
    };

    const lat = new Map<string, { us: number; p50: number; p99: number }>();
    const load = new Map<string, Load[]>();
    // The same rounds again with wrk on one CPU and the proxy and the app on the other, as when the
    // browser is on another device: the client's own TLS cost then no longer slows the serving side.
    const PIN: Pinning = { client: 1, serving: 0 };
    const pinnable = canPin(PIN);
    const pinned = new Map<string, number[]>();
    const ca = () => readFileSync(join(box.env.DEV_INSTANCES_STATE_DIR as string, 'tls', 'ca.pem'), 'utf8');
    const enter = async (phase: Phase) => {
      if (alone && alone.exitCode === null) { const gone = once(alone, 'exit'); alone.kill(); await gone; }
      await mustDev(box, 'proxy', 'stop');
      box.env.DEV_INSTANCES_PROXY_HTTPS = phase === 'HTTPS' ? 'on' : 'off';
      await mustDev(box, 'proxy', 'start');
      alone = await nodeAlone(repo, box, alonePort, phase === 'HTTPS' ? aloneHttps : undefined);
      if (phase === 'HTTPS') await pollUntil(() => tcpAccepts(aloneHttps).then(() => true, () => undefined), { deadlineMs: 10_000, timeout: () => new Error('the Node proxy alone did not listen for HTTPS') });
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const phase of ['HTTP', 'HTTPS'] as const) {
        await enter(phase);
        const all = upstreams.flatMap(targets[phase]);
        const caPem = phase === 'HTTPS' ? ca() : undefined;
        if (round === 0) {
          const l = await latencies(all, { blocks: 4, perBlock: 400, ...(caPem ? { ca: caPem } : {}) });
          for (const t of all) lat.set(t.label, { us: median(l.get(t.label) ?? []), ...await atRate(t, RATE, 5, caPem) });
        }
        for (const [label, one] of await throughput(all, { rounds: 1, seconds: 5, serving })) load.set(label, [...(load.get(label) ?? []), one]);
        if (pinnable === true) {
          for (const [label, one] of await throughput(all, { rounds: 1, seconds: 5, serving, pin: PIN })) pinned.set(label, [...(pinned.get(label) ?? []), one.rps]);
        }
      }
    }
    if (alone && alone.exitCode === null) { const gone = once(alone, 'exit'); alone.kill(); await gone; }

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
    const get = (t: Target) => {
      const runs = load.get(t.label) ?? [];
      const m = lat.get(t.label) ?? { us: 0, p50: 0, p99: 0 };
      const cpu = (k: keyof Load['cpu']) => mean(runs.map((r) => r.cpu[k]));
      return { ...m, rps: mean(runs.map((r) => r.rps)), client: cpu('client'), proxy: cpu('proxy'), app: cpu('app') };
    };
    for (const up of upstreams) {
      const rows = [...targets.HTTP(up), ...targets.HTTPS(up)];
      const base = (t: Target) => get(direct(up, t.https ? 'HTTPS' : 'HTTP'));
      const sameFront = (t: Target) => targets.HTTP(up).find((x) => x.label === t.label.replace('HTTPS', 'HTTP'));
      const isDirect = (t: Target) => t.label.includes('|direct');
      const name = (t: Target) => t.label.split('|')[1] ?? t.label;
      printTable(`${up.label}: direct, HTTP and HTTPS through the proxy, portless (latency: median of 1600 sequential keep-alive requests; ${WRK ? 'wrk' : 'autocannon'} -c10 ${ROUNDS} x 5 s, HTTP and HTTPS rounds interleaved; at ${RATE} req/s: open loop 5 s)`,
        ['path', 'median µs', 'added µs', 'HTTPS over HTTP µs', 'req/s', 'x direct', 'x HTTP', `p50 µs @${RATE}/s`, 'p99 µs'],
        rows.map((t) => {
          const m = get(t);
          const h = t.https ? sameFront(t) : undefined;
          return [name(t), m.us.toFixed(0), isDirect(t) ? '-' : (m.us - base(t).us).toFixed(0), h ? (m.us - get(h).us).toFixed(0) : '-',
            m.rps.toFixed(0), (m.rps / (base(t).rps || 1)).toFixed(2), h ? (m.rps / (get(h).rps || 1)).toFixed(2) : '-', m.p50.toFixed(0), m.p99.toFixed(0)];
        }));
      if (pinnable === true) {
        const rps = (t: Target) => mean(pinned.get(t.label) ?? []);
        printTable(`${up.label}: throughput with wrk on CPU ${PIN.client} and the proxy and the app on CPU ${PIN.serving}, as when the browser is on another device (${ROUNDS} x 5 s, interleaved with the rounds above)`,
          ['path', 'req/s', 'x direct', 'x HTTP', 'x HTTP, cores shared'],
          rows.map((t) => {
            const h = t.https ? sameFront(t) : undefined;
            const d = rps(direct(up, t.https ? 'HTTPS' : 'HTTP')) || 1;
            return [name(t), rps(t).toFixed(0), (rps(t) / d).toFixed(2), h ? (rps(t) / (rps(h) || 1)).toFixed(2) : '-', h ? (get(t).rps / (get(h).rps || 1)).toFixed(2) : '-'];
          }));
      }
      printTable(`${up.label}: CPU per request during the throughput rounds with shared cores (µs; from /proc: the client, the processes listening on the port it calls, the app's)`,
        ['path', 'client', 'proxy', 'app', 'all three', "proxy's capacity, req/s of one core", 'x HTTP'],
        rows.filter((t) => !isDirect(t)).map((t) => {
          const m = get(t);
          const h = t.https ? sameFront(t) : undefined;
          return [name(t), m.client.toFixed(1), m.proxy.toFixed(1), m.app.toFixed(1), (m.client + m.proxy + m.app).toFixed(1),
            m.proxy > 0 ? (1e6 / m.proxy).toFixed(0) : '-', h && m.proxy > 0 ? (get(h).proxy / m.proxy).toFixed(2) : '-'];
        }));
    }
    if (pinnable !== true) console.log(`throughput with the client on a CPU of its own not measured: ${pinnable}`);
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
