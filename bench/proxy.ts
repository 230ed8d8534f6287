/**
 * The local proxy's cost, against going direct, in one run: (1) median latency of one small keep-alive
 * GET at a time to the demo backend (/session: no database), interleaved blocks; (2) throughput with
 * wrk (a C client, so the load generator takes little of the two cores from the servers; autocannon
 * when wrk is missing), 10 keep-alive connections, interleaved rounds; (3) the dashboard's first load
 * in headless Chromium with 10 instances running. Three paths: direct, the machine's proxy as `start`
 * runs it (nginx in front when installed), and the Node proxy alone on a port of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import getPort from 'get-port';
import { pollUntil } from '../src/poll.js';
import { tcpAccepts } from '../src/readiness.js';
import { launchBrowser } from '../test/helpers/browser.js';
import { median, printTable } from './lib.js';
import { type Target, WRK, latencies, throughput } from './load.js';
import { type Sandbox, mustDev, sandbox } from './sandbox.js';

const BACKEND = 3311;
const LATENCY_BLOCKS = 6;
const LATENCY_PER_BLOCK = 500;
const CANNON_ROUNDS = 3;
const CANNON_SECONDS = 5;
const INSTANCES = 10;
const LOADS = 10;

/** The Node proxy alone, as its own process on a port of its own, routing the sandbox's registry (with HTTPS on httpsPort when given). */
export async function nodeAlone(repo: string, box: Sandbox, port: number, httpsPort?: number): Promise<ChildProcess> {
  const serve = join(repo, 'dist', 'src', 'proxy', 'serve.js');
  const code = `const { serveProxy } = await import(${JSON.stringify(serve)});
await serveProxy({ port: ${port}, addresses: ['127.0.0.1'], env: process.env, token: 'x'.repeat(64), front: 'node'${httpsPort ? `, https: { port: ${httpsPort} }` : ''} });`;
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
      { label: 'direct (localhost:3311)', port: BACKEND, host: `localhost:${BACKEND}`, path: '/session' },
      { label: `named, the proxy as started (${front === 'nginx' ? 'nginx in front' : 'Node alone'})`, port, host: `backend.1.shipsec.localhost:${port}`, path: '/session' },
      { label: 'named, the Node proxy alone', port: alonePort, host: `backend.1.shipsec.localhost:${alonePort}`, path: '/session' },
    ];
    const lat = await latencies(targets, { blocks: LATENCY_BLOCKS, perBlock: LATENCY_PER_BLOCK });
    const rps = await throughput(targets, { rounds: CANNON_ROUNDS, seconds: CANNON_SECONDS });
    const rows = targets.map((t) => ({ label: t.label, us: median(lat.get(t.label) ?? []), rps: rps.get(t.label)?.rps ?? 0 }));
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
