/**
 * The local proxy's cost, against going direct, in one run: (1) median latency of one small keep-alive
 * GET at a time to the demo backend (/session: no database), interleaved blocks; (2) throughput with
 * wrk (a C client, so the load generator takes little of the two cores from the servers; autocannon
 * when wrk is missing), 10 keep-alive connections, interleaved rounds; (3) the dashboard's first load
 * in headless Chromium with 10 instances running. Three paths: direct, the machine's proxy as `start`
 * runs it (nginx in front when installed), and the Node proxy alone on a port of its own.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import getPort from 'get-port';
import autocannon from 'autocannon';
import { pollUntil } from '../src/poll.js';
import { onPath } from '../src/proc/on-path.js';
import { tcpAccepts } from '../src/readiness.js';
import { launchBrowser } from '../test/helpers/browser.js';
import { median, printTable } from './lib.js';
import { type Sandbox, mustDev, sandbox } from './sandbox.js';

const BACKEND = 3311;
const LATENCY_BLOCKS = 6;
const LATENCY_PER_BLOCK = 500;
const CANNON_ROUNDS = 3;
const CANNON_SECONDS = 5;
const INSTANCES = 10;
const LOADS = 10;

interface Target { label: string; port: number; host: string }

function once(agent: Agent, t: Target): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.port, path: '/session', agent, headers: { host: t.host } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e3) : reject(new Error(`${t.label}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function latencies(targets: Target[]): Promise<Map<string, number[]>> {
  const agents = new Map(targets.map((t) => [t.label, new Agent({ keepAlive: true, maxSockets: 1 })]));
  const out = new Map(targets.map((t) => [t.label, [] as number[]]));
  for (let b = 0; b < LATENCY_BLOCKS + 1; b++) {
    for (const t of targets) {
      for (let i = 0; i < LATENCY_PER_BLOCK; i++) {
        const us = await once(agents.get(t.label) as Agent, t);
        if (b > 0) out.get(t.label)?.push(us); // block 0 warms up (JIT, connections)
      }
    }
  }
  for (const a of agents.values()) a.destroy();
  return out;
}

const WRK = onPath('wrk');

/** Requests per second of one round against one path. */
async function round(t: Target): Promise<number> {
  const url = `http://127.0.0.1:${t.port}/session`;
  if (WRK) {
    const r = spawnSync(WRK, ['-t1', '-c10', `-d${CANNON_SECONDS}s`, '-H', `Host: ${t.host}`, url], { encoding: 'utf8' });
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1];
    if (r.status !== 0 || !rps || /Non-2xx|Socket errors/.test(r.stdout)) throw new Error(`${t.label}: wrk: ${r.stdout}${r.stderr}`);
    return Number(rps);
  }
  const result = await autocannon({ url, headers: { host: t.host }, connections: 10, duration: CANNON_SECONDS });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${t.label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

async function throughput(targets: Target[]): Promise<Map<string, number[]>> {
  const out = new Map(targets.map((t) => [t.label, [] as number[]]));
  for (let r = 0; r < CANNON_ROUNDS; r++) {
    for (const t of targets) out.get(t.label)?.push(await round(t));
  }
  return out;
}

/** The Node proxy alone, as its own process on a port of its own, routing the sandbox's registry. */
async function nodeAlone(repo: string, box: Sandbox, port: number): Promise<ChildProcess> {
  const serve = join(repo, 'dist', 'src', 'proxy', 'serve.js');
  const code = `const { serveProxy } = await import(${JSON.stringify(serve)});
await serveProxy({ port: ${port}, addresses: ['127.0.0.1'], env: process.env, token: 'x'.repeat(64), front: 'node' });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { env: box.env, stdio: 'inherit' });
  await pollUntil(() => tcpAccepts(port).then(() => true, () => undefined), { deadlineMs: 10_000, timeout: () => new Error(`the Node proxy did not listen on ${port}`) });
  return child;
}

export async function proxyBench(repo: string): Promise<void> {
  const [port, alonePort] = [await getPort({ port: [13901, 13902, 13903] }), await getPort({ port: [13911, 13912, 13913] })];
  const box = sandbox(repo, 'di-px', { DEV_INSTANCES_PROXY: '', DEV_INSTANCES_PROXY_PORT: String(port) });
  let alone: ChildProcess | undefined;
  try {
    await mustDev(box, '1', '--infra', 'shared');
    const front = JSON.parse((await box.dev('proxy', 'status', '--json')).stdout).front as string;
    alone = await nodeAlone(repo, box, alonePort);
    const targets: Target[] = [
      { label: 'direct (localhost:3311)', port: BACKEND, host: `localhost:${BACKEND}` },
      { label: `named, the proxy as started (${front === 'nginx' ? 'nginx in front' : 'Node alone'})`, port, host: `backend.1.shipsec.localhost:${port}` },
      { label: 'named, the Node proxy alone', port: alonePort, host: `backend.1.shipsec.localhost:${alonePort}` },
    ];
    const lat = await latencies(targets);
    const rps = await throughput(targets);
    const rows = targets.map((t) => ({ label: t.label, us: median(lat.get(t.label) ?? []), rps: (rps.get(t.label) ?? []).reduce((a, b) => a + b, 0) / CANNON_ROUNDS }));
    const direct = rows[0];
    if (!direct) return;
    printTable(`small GET to the demo backend, direct against through the proxy (${LATENCY_BLOCKS * LATENCY_PER_BLOCK} sequential requests each, median; ${WRK ? 'wrk' : 'autocannon'} 10 connections, ${CANNON_ROUNDS} x ${CANNON_SECONDS} s interleaved)`,
      ['path', 'median latency µs', 'added µs', 'req/s', 'x direct'],
      rows.map((r, i) => [r.label, r.us.toFixed(0), i === 0 ? '-' : (r.us - direct.us).toFixed(0), r.rps.toFixed(0), (r.rps / direct.rps).toFixed(2)]));
    alone.kill();

    const queue = Array.from({ length: INSTANCES - 1 }, (_, i) => String(i + 2));
    await Promise.all([0, 1, 2].map(async () => { for (let n = queue.shift(); n; n = queue.shift()) await mustDev(box, n, '--infra', 'shared'); }));
    const browser = await launchBrowser();
    try {
      const loads: { dcl: number; load: number; cards: number }[] = [];
      for (let i = 0; i < LOADS + 1; i++) {
        const page = await browser.newPage();
        await page.goto(`http://localhost:${port}/`);
        const t = await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          return { dcl: nav.domContentLoadedEventEnd - nav.startTime, load: nav.loadEventEnd - nav.startTime, cards: document.querySelectorAll('section[data-instance]').length };
        });
        if (i > 0) loads.push(t); // the first load warms the browser
        await page.close();
      }
      const cards = Math.min(...loads.map((l) => l.cards));
      printTable(`dashboard first load in headless Chromium, ${INSTANCES} instances running (median of ${LOADS} fresh pages)`,
        ['instances shown', 'DOMContentLoaded ms (cards rendered)', 'load event ms', 'target'],
        [[String(cards), median(loads.map((l) => l.dcl)).toFixed(1), median(loads.map((l) => l.load)).toFixed(1), '< 200 ms']]);
    } finally {
      await browser.close();
    }
    await mustDev(box, 'clean', 'all', '--yes', '--no-backup');
    await mustDev(box, 'proxy', 'stop');
  } finally {
    alone?.kill();
    box.dispose();
  }
}
