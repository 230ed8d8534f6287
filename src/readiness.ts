/**
 * Wait for real readiness: poll a probe that asks the service itself (a query, a PING, an RPC, a TCP
 * connect) until it answers or a deadline passes. Many waits run in parallel; a timeout names the
 * service, the port and the last lines of its log.
 */
import { open } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { OperationalError } from './errors.js';
import { pollUntil } from './poll.js';
import { InterruptedError } from './proc/interrupt.js';
import { progressSink } from './progress.js';

export interface ReadinessCheck {
  /** e.g. 'postgres of instance 3' */
  name: string;
  port: number;
  probe: () => Promise<void>;
  deadlineMs: number;
  /** Where to read the last lines from when it times out. */
  logFile?: string;
  /** Fails fast when the process is known to be gone (crashed at start-up). Asked at most every GONE_EVERY_MS. */
  gone?: () => Promise<string | undefined>;
  /** Settles when there is news worth probing at once (an app said it is ready) instead of at the next poll. */
  wake?: Promise<unknown>;
}

/** Probes are cheap local calls: poll often, so a wait adds little on top of the service's own start-up. */
const POLL_MS = 25;
/** After this long, poll less often: a slow service should not cost a busy machine much. */
const FAST_POLLING_MS = 3_000;
const SLOW_POLL_MS = 100;
/** gone() asks PM2 for its process list: not on every poll. */
const GONE_EVERY_MS = 200;

/** How much of a log's end tailOf reads: enough for any sensible number of lines, cheap on a large log. */
const TAIL_BYTES = 64 * 1024;

export async function tailOf(file: string | undefined, lines = 15): Promise<string> {
  if (!file) return '';
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(size - start), 0, size - start, start);
      const text = buffer.subarray(0, bytesRead).toString('utf8');
      // A read that starts mid-file starts mid-line: drop that part line.
      const whole = start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
      return whole.trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

function httpOk(port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: timeoutMs, agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** A quick health look for status views: '-' when not online, else its health path answers 200 (or its port accepts). */
export async function healthOf(online: boolean, port: number | undefined, path?: string, timeoutMs = 800, host = '127.0.0.1'): Promise<'ok' | 'failing' | '-'> {
  if (!online) return '-';
  if (!port) return 'ok';
  const ok = path ? await httpOk(port, path, timeoutMs) : await tcpAccepts(port, host, timeoutMs).then(() => true, () => false);
  return ok ? 'ok' : 'failing';
}

export async function waitReady(check: ReadinessCheck): Promise<void> {
  let last = 'no answer yet';
  let goneAskedAt = Date.now();
  let gone: string | undefined;
  const failure = async () => {
    const why = gone ?? `not ready after ${(check.deadlineMs / 1000).toFixed(0)} s`;
    const tail = await tailOf(check.logFile);
    return new OperationalError(
      // A process that crashed says more in its log (below) than the probe's last miss, when it wrote one.
      `${check.name}${check.port ? ` on port ${check.port}` : ''}: ${why}${gone && tail ? '' : ` (last error: ${last})`}`,
      tail ? `Last lines of ${check.logFile}:\n${tail}` : undefined,
    );
  };
  await pollUntil(async () => {
    try {
      await check.probe();
      return true;
    } catch (err) {
      last = (err as Error).message || String(err);
    }
    if (check.gone && Date.now() - goneAskedAt >= GONE_EVERY_MS) {
      goneAskedAt = Date.now();
      gone = await check.gone();
      if (gone !== undefined) throw await failure();
    }
    return undefined;
  }, {
    deadlineMs: check.deadlineMs,
    intervalMs: (elapsed) => (elapsed < FAST_POLLING_MS ? POLL_MS : SLOW_POLL_MS),
    ...(check.wake ? { wake: check.wake } : {}),
    timeout: async () => {
      gone = await check.gone?.();
      return failure();
    },
  });
}


/** Wait for all checks at once; the first failure is reported after every check has settled. */
export async function waitAllReady(checks: ReadinessCheck[]): Promise<void> {
  const pending = new Set(checks.map((c) => c.name));
  const began = Date.now();
  const longest = Math.max(0, ...checks.map((c) => c.deadlineMs));
  const sink = progressSink();
  const timer = sink && setInterval(() => {
    if (pending.size) sink.say(`still waiting for ${[...pending].join(', ')} (${Math.round((Date.now() - began) / 1000)} s of ${Math.round(longest / 1000)})`);
  }, sink.everyMs);
  timer?.unref();
  const results = await Promise.allSettled(checks.map((c) => waitReady(c).finally(() => pending.delete(c.name))));
  if (timer) clearInterval(timer);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  const interruption = failed.find((f) => f.reason instanceof InterruptedError);
  if (interruption) throw interruption.reason; // every wait stopped for the one signal: said once
  if (failed.length === 1) throw failed[0]?.reason;
  if (failed.length > 1) {
    const errs = failed.map((f) => f.reason as OperationalError);
    throw new OperationalError(errs.map((e) => e.message).join('\n'), errs.map((e) => e.hint).filter(Boolean).join('\n'));
  }
}

/** Readiness of a service that declares an HTTP path: it answers 2xx or 3xx there. */
export function httpAnswers(port: number, path: string, host = '127.0.0.1', timeoutMs = 2_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      if (code >= 200 && code < 400) resolve(); else reject(new Error(`${path} answered ${code}`));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Readiness for services with no protocol probe: something accepts a TCP connection. */
export function tcpAccepts(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host });
    const done = (err?: Error) => { s.destroy(); if (err) reject(err); else resolve(); };
    s.setTimeout(timeoutMs, () => done(new Error('connect timed out')));
    s.once('connect', () => done());
    s.once('error', done);
  });
}
