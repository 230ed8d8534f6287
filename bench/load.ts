/**
 * HTTP load for the proxy benchmarks: sequential keep-alive latency in interleaved blocks, throughput
 * with wrk (a C client, so the load generator takes little of the two cores from the servers;
 * autocannon when wrk is missing) in interleaved rounds, and latency at a fixed request rate
 * (autocannon's overallRate). Every path over HTTP or HTTPS.
 */
import { spawnSync } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import autocannon from 'autocannon';
import { onPath } from '../src/proc/on-path.js';

export interface Target {
  label: string;
  port: number;
  /** The Host header (and, over HTTPS, the name the certificate must carry). */
  host: string;
  path: string;
  https?: boolean;
}

export const WRK = onPath('wrk');
const nameOf = (t: Target) => t.host.replace(/:\d+$/, '');

function once(agent: HttpAgent, t: Target): Promise<number> {
  const t0 = process.hrtime.bigint();
  const send = t.https ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({ host: '127.0.0.1', port: t.port, path: t.path, agent, headers: { host: t.host }, ...(t.https ? { servername: nameOf(t) } : {}) }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e3) : reject(new Error(`${t.label}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Microseconds of each request, one at a time on one kept-alive connection per path; blocks interleaved, the first a warm-up. ca: for HTTPS paths. */
export async function latencies(targets: Target[], opts: { blocks: number; perBlock: number; ca?: string }): Promise<Map<string, number[]>> {
  const agents = new Map(targets.map((t) => [t.label, t.https ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ...(opts.ca ? { ca: opts.ca } : {}) }) : new HttpAgent({ keepAlive: true, maxSockets: 1 })]));
  const out = new Map(targets.map((t) => [t.label, [] as number[]]));
  for (let b = 0; b < opts.blocks + 1; b++) {
    for (const t of targets) {
      for (let i = 0; i < opts.perBlock; i++) {
        const us = await once(agents.get(t.label) as HttpAgent, t);
        if (b > 0) out.get(t.label)?.push(us); // block 0 warms up (JIT, connections, TLS sessions)
      }
    }
  }
  for (const a of agents.values()) a.destroy();
  return out;
}

const urlOf = (t: Target) => `${t.https ? 'https' : 'http'}://127.0.0.1:${t.port}${t.path}`;

/** Requests per second of one round against one path, 10 keep-alive connections. */
async function round(t: Target, seconds: number): Promise<number> {
  if (WRK) {
    const r = spawnSync(WRK, ['-t1', '-c10', `-d${seconds}s`, '-H', `Host: ${t.host}`, urlOf(t)], { encoding: 'utf8' });
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1];
    if (r.status !== 0 || !rps || /Non-2xx|Socket errors/.test(r.stdout)) throw new Error(`${t.label}: wrk: ${r.stdout}${r.stderr}`);
    return Number(rps);
  }
  const result = await autocannon({ url: urlOf(t), headers: { host: t.host }, connections: 10, duration: seconds, ...(t.https ? { servername: nameOf(t) } : {}) });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${t.label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/** Mean requests per second of each path over rounds, interleaved. */
export async function throughput(targets: Target[], opts: { rounds: number; seconds: number }): Promise<Map<string, number>> {
  const out = new Map(targets.map((t) => [t.label, 0]));
  for (let r = 0; r < opts.rounds; r++) {
    for (const t of targets) out.set(t.label, (out.get(t.label) ?? 0) + (await round(t, opts.seconds)) / opts.rounds);
  }
  return out;
}

/** Latency (ms) at a fixed rate: p50 and p99 of `rate` requests per second over 10 connections. */
export async function atRate(t: Target, rate: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const r = await autocannon({ url: urlOf(t), headers: { host: t.host }, connections: 10, duration: seconds, overallRate: rate, ...(t.https ? { servername: nameOf(t) } : {}) });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${t.label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { p50: r.latency.p50, p99: r.latency.p99 };
}
