/**
 * HTTP load for the proxy benchmarks: sequential keep-alive latency in interleaved blocks, throughput
 * with wrk (a C client, so the load generator takes little of the two cores from the servers;
 * autocannon when wrk is missing) in interleaved rounds, and latency at a fixed request rate (open
 * loop, timed from when each request was due). Every path over HTTP or HTTPS.
 */
import { spawnSync } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { availableParallelism } from 'node:os';
import autocannon from 'autocannon';
import { onPath } from '../src/proc/on-path.js';
import { cpuUs } from './cpu.js';

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

/** One request's microseconds. */
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

const agentFor = (t: Target, sockets: number, ca?: string): HttpAgent =>
  (t.https ? new HttpsAgent({ keepAlive: true, maxSockets: sockets, ...(ca ? { ca } : {}) }) : new HttpAgent({ keepAlive: true, maxSockets: sockets }));

/** Microseconds of each request, one at a time on one kept-alive connection per path; blocks interleaved, the first a warm-up. ca: for HTTPS paths. */
export async function latencies(targets: Target[], opts: { blocks: number; perBlock: number; ca?: string }): Promise<Map<string, number[]>> {
  const agents = new Map(targets.map((t) => [t.label, agentFor(t, 1, opts.ca)]));
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

/**
 * Where a round's processes may run: the client on one CPU and the serving processes (the proxy's
 * and the app's, every thread) on another, as when the browser is on another device. Needs wrk and
 * taskset (util-linux).
 */
export interface Pinning { client: number; serving: number }

/** The CPUs a process may run on, as taskset lists them ('0,1', '0-3'). */
function affinityOf(pid: number): string {
  const r = spawnSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' });
  const list = /affinity list:\s*(\S+)/.exec(r.stdout)?.[1];
  if (r.status !== 0 || !list) throw new Error(`taskset -p -c ${pid}: ${r.stderr.trim() || r.stdout.trim()}`);
  return list;
}

/** Whether rounds can be pinned here, or why not. */
export function canPin(pin: Pinning): true | string {
  if (!WRK) return 'wrk is not installed';
  if (!onPath('taskset')) return 'taskset is not installed';
  if (availableParallelism() < 2) return 'this process has one CPU to run on';
  const mine = affinityOf(process.pid);
  const allowed = new Set(mine.split(',').flatMap((r) => { const [a = 0, b = a] = r.split('-').map(Number); return Array.from({ length: b - a + 1 }, (_, i) => a + i); }));
  if (!allowed.has(pin.client) || !allowed.has(pin.serving)) return `this process may run on CPUs ${mine} only`;
  return true;
}

/** Every thread of each process to the CPUs given (taskset's list, as 0 or 0-3). */
function pinTo(pids: readonly number[], cpus: (pid: number) => string): void {
  for (const pid of pids) {
    const r = spawnSync('taskset', ['-a', '-p', '-c', cpus(pid), String(pid)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus(pid)} ${pid}: ${r.stderr.trim()}`);
  }
}

/** Requests per second of one round against one path, 10 keep-alive connections, and the CPU microseconds the client took. */
async function round(t: Target, seconds: number, clientCpu?: number): Promise<{ rps: number; clientUs: number }> {
  if (WRK) {
    // bash's times prints its children's user and system time: wrk's own CPU (taskset execs it).
    // C locale: times writes a decimal point, not a comma.
    const pin = clientCpu === undefined ? [] : ['taskset', '-c', String(clientCpu)];
    const r = spawnSync('bash', ['-c', '"$@"; s=$?; times; exit $s', 'bash', ...pin, WRK, '-t1', '-c10', `-d${seconds}s`, '-H', `Host: ${t.host}`, urlOf(t)],
      { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1];
    if (r.status !== 0 || !rps || /Non-2xx|Socket errors/.test(r.stdout)) throw new Error(`${t.label}: wrk: ${r.stdout}${r.stderr}`);
    // times' last line: the children's (wrk's) user and system time, as 0m1.234s 0m0.567s.
    const children = [...(r.stdout.trim().split('\n').pop() ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    if (children.length !== 2) throw new Error(`${t.label}: no CPU time for wrk in bash's times: ${r.stdout.slice(-200)}`);
    return { rps: Number(rps), clientUs: children.reduce((a, b) => a + b, 0) * 1e6 };
  }
  if (clientCpu !== undefined) throw new Error('pinned rounds need wrk');
  const before = process.cpuUsage();
  const result = await autocannon({ url: urlOf(t), headers: { host: t.host }, connections: 10, duration: seconds, ...(t.https ? { servername: nameOf(t) } : {}) });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${t.label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const used = process.cpuUsage(before);
  return { rps: result.requests.average, clientUs: used.user + used.system };
}

/** A path's throughput, and where its CPU went per request (µs): the client's, the proxy's processes', the app's. */
export interface Load {
  rps: number;
  cpu: { client: number; proxy: number; app: number };
}

/** Whose processes serve a path: the proxy's (none when direct) and the app's, by pid. */
export type Serving = (t: Target) => { proxy: number[]; app: number[] };

/** Each path's mean requests per second over rounds, interleaved, and its CPU per request; pinned: the client and the serving processes each on a CPU of their own. */
export async function throughput(targets: Target[], opts: { rounds: number; seconds: number; serving?: Serving; pin?: Pinning }): Promise<Map<string, Load>> {
  if (opts.pin && !opts.serving) throw new Error('pinned rounds need to know the serving processes');
  const sums = new Map(targets.map((t) => [t.label, { rps: 0, requests: 0, client: 0, proxy: 0, app: 0 }]));
  for (let r = 0; r < opts.rounds; r++) {
    for (const t of targets) {
      const pids = opts.serving?.(t) ?? { proxy: [], app: [] };
      const [proxy0, app0] = [cpuUs(pids.proxy), cpuUs(pids.app)];
      const serving = [...pids.proxy, ...pids.app];
      const before = new Map(opts.pin ? serving.map((pid) => [pid, affinityOf(pid)]) : []);
      if (opts.pin) pinTo(serving, () => String(opts.pin?.serving));
      let one: Awaited<ReturnType<typeof round>>;
      try {
        one = await round(t, opts.seconds, opts.pin?.client);
      } finally {
        pinTo([...before.keys()], (pid) => before.get(pid) ?? ''); // each as it was
      }
      const s = sums.get(t.label);
      if (!s) continue;
      s.rps += one.rps / opts.rounds;
      s.requests += one.rps * opts.seconds;
      s.client += one.clientUs;
      s.proxy += cpuUs(pids.proxy) - proxy0;
      s.app += cpuUs(pids.app) - app0;
    }
  }
  return new Map([...sums].map(([label, s]) => [label, {
    rps: s.rps, cpu: { client: s.client / s.requests, proxy: s.proxy / s.requests, app: s.app / s.requests },
  }]));
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

/**
 * Latency in microseconds at a fixed rate, open loop: request i is sent at i / rate seconds (as
 * near as the event loop's 1 ms timer allows) on up to 20 kept-alive connections, whatever the
 * answers before it, and timed from when it was sent. The first second warms up. p50 and p99.
 */
export async function atRate(t: Target, rate: number, seconds: number, ca?: string): Promise<{ p50: number; p99: number }> {
  const agent = agentFor(t, 20, ca);
  const total = rate * (seconds + 1);
  const warm = rate;
  const start = process.hrtime.bigint();
  const step = BigInt(Math.round(1e9 / rate));
  const times: number[] = [];
  const pending: Promise<void>[] = [];
  let sent = 0;
  await new Promise<void>((resolve, reject) => {
    const tick = () => {
      const due = Math.min(total, Number((process.hrtime.bigint() - start) / step));
      for (; sent < due; sent++) {
        const i = sent;
        pending.push(once(agent, t).then((us) => { if (i >= warm) times.push(us); }));
      }
      if (sent < total) setTimeout(tick, 1);
      else Promise.all(pending).then(() => resolve(), reject);
    };
    tick();
  });
  agent.destroy();
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}
