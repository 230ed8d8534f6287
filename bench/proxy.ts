/**
 * The local proxy's cost, against going direct, in one run: (1) median latency of one small keep-alive
 * GET at a time to the demo backend (/session: no database), interleaved blocks direct vs named;
 * (2) throughput with autocannon (10 keep-alive connections), interleaved rounds; (3) the
 * dashboard's first load in headless Chromium with 10 instances running.
 */
import { Agent, request } from 'node:http';
import getPort from 'get-port';
import autocannon from 'autocannon';
import { launchBrowser } from '../test/helpers/browser.js';
import { median, printTable } from './lib.js';
import { mustDev, sandbox } from './sandbox.js';

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

async function throughput(targets: Target[]): Promise<Map<string, number[]>> {
  const out = new Map(targets.map((t) => [t.label, [] as number[]]));
  for (let r = 0; r < CANNON_ROUNDS; r++) {
    for (const t of targets) {
      const result = await autocannon({ url: `http://127.0.0.1:${t.port}/session`, headers: { host: t.host }, connections: 10, duration: CANNON_SECONDS });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${t.label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      out.get(t.label)?.push(result.requests.average);
    }
  }
  return out;
}

export async function proxyBench(repo: string): Promise<void> {
  const port = await getPort({ port: [13901, 13902, 13903] });
  const box = sandbox(repo, 'di-px', { DEV_INSTANCES_PROXY: '', DEV_INSTANCES_PROXY_PORT: String(port) });
  try {
    await mustDev(box, '1', '--infra', 'shared');
    const targets: Target[] = [
      { label: 'direct (localhost:3311)', port: BACKEND, host: `localhost:${BACKEND}` },
      { label: `named (backend.1.shipsec.localhost:${port})`, port, host: `backend.1.shipsec.localhost:${port}` },
    ];
    const lat = await latencies(targets);
    const rps = await throughput(targets);
    const [direct, named] = targets.map((t) => ({ us: median(lat.get(t.label) ?? []), rps: (rps.get(t.label) ?? []).reduce((a, b) => a + b, 0) / CANNON_ROUNDS }));
    if (!direct || !named) return;
    printTable(`small GET to the demo backend, direct against through the proxy (${LATENCY_BLOCKS * LATENCY_PER_BLOCK} sequential requests each, median; autocannon 10 connections, ${CANNON_ROUNDS} x ${CANNON_SECONDS} s interleaved)`,
      ['path', 'median latency µs', 'added µs', 'req/s', 'x direct'],
      [[targets[0]?.label ?? '', direct.us.toFixed(0), '-', direct.rps.toFixed(0), '1.00'],
        [targets[1]?.label ?? '', named.us.toFixed(0), (named.us - direct.us).toFixed(0), named.rps.toFixed(0), (named.rps / direct.rps).toFixed(2)]]);

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
    box.dispose();
  }
}
