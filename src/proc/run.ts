/**
 * The one way this tool runs a child process. Never through a shell: arguments reach the program as
 * they are. A failure is a ProcessError naming the command, how it ended and what that means, and
 * the tail of its stderr. (zx's `$` would do the same at ~160 ms of import per command, and with a
 * shell-quoting model this tool never needs.)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { createInterface } from 'node:readline';
import { Duplex } from 'node:stream';
import { ProcessError } from '../errors.js';
import { onInterrupt } from './interrupt.js';

/** Every child running now: told SIGTERM when this process is interrupted (interrupt.ts). */
const live = new Set<ChildProcess>();
onInterrupt(() => { for (const c of live) terminate(c); });

/** Count the child as running until it has ended. */
function tracked<C extends ChildProcess>(child: C): C {
  live.add(child);
  child.once('close', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** false: the child gets env alone, not this process's environment beneath it. */
  inheritEnv?: boolean;
  /** Run as this user (root runs Postgres as an unprivileged user). */
  uid?: number;
  gid?: number;
  /** Kill the process (SIGTERM, then SIGKILL after killAfterMs) when it runs longer. */
  timeoutMs?: number;
  killAfterMs?: number;
  /** Write standard output to this file (mode 0600) instead of collecting it. */
  stdoutFile?: string;
  /** Read standard input from this file. */
  stdinFile?: string;
  /** Resolve with the failure instead of throwing it (for probes whose "no" is an answer). */
  reject?: boolean;
  /** Added to a ProcessError: what the user can do about it. */
  hint?: string;
  /** Words for particular exit codes, e.g. { 1: 'found no such container' }. */
  codes?: Record<number, string>;
}

export interface RunResult {
  /** The exit code; 127 when the program could not be started (not installed). */
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the run failed (and reject was false). */
  error?: ProcessError;
  /** It ran out of time and was stopped (whatever exit code it then chose). */
  timedOut?: boolean;
}

const MAX_OUTPUT = 16 * 1024 * 1024;
const TAIL_LINES = 15;

export const tail = (text: string, lines = TAIL_LINES): string => text.trim().split('\n').slice(-lines).join('\n');

/** How a run ended, in words. */
function meaningOf(code: number | null, signal: NodeJS.Signals | null, timedOut: number | false, codes: Record<number, string> = {}): string {
  if (timedOut) return `did not finish within ${Math.round(timedOut / 1000)} s and was stopped`;
  if (signal) return `was killed by ${signal}`;
  if (code === 127) return 'was not found (is it installed and on PATH?)';
  return codes[code ?? -1] ?? `exited with code ${code}`;
}

export const commandLine = (cmd: string, args: readonly string[]): string =>
  [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const fd = opts.stdoutFile === undefined ? undefined : openSync(opts.stdoutFile, 'w', 0o600);
  const input = opts.stdinFile === undefined ? undefined : openSync(opts.stdinFile, 'r');
  return new Promise<RunResult>((resolve, reject) => {
    const child = tracked(spawn(cmd, args, {
      stdio: [input ?? 'ignore', fd ?? 'pipe', 'pipe'],
      env: opts.inheritEnv === false ? opts.env : { ...process.env, ...opts.env },
      ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid }),
    }));
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let notFound = false;
    child.stdout?.on('data', (d: Buffer) => { if (stdout.length < MAX_OUTPUT) stdout += d; });
    child.stderr?.on('data', (d: Buffer) => { if (stderr.length < MAX_OUTPUT) stderr += d; });
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      terminate(child, opts.killAfterMs ?? 3_000);
    }, opts.timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') { notFound = true; return; } // 'close' follows
      stderr += err.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exit = notFound ? 127 : code ?? -1;
      if (exit === 0 && !timedOut) return resolve({ code: 0, stdout, stderr });
      const error = new ProcessError(commandLine(cmd, args), notFound ? undefined : code ?? undefined,
        meaningOf(notFound ? 127 : code, signal, timedOut && (opts.timeoutMs ?? 0), opts.codes), tail(stderr), opts.hint);
      if (opts.reject === false) resolve({ code: exit, stdout, stderr, error, ...(timedOut ? { timedOut } : {}) });
      else reject(error);
    });
  }).finally(() => {
    if (fd !== undefined) closeSync(fd);
    if (input !== undefined) closeSync(input);
  });
}

export interface Piped {
  cmd: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * `from | to`, without a shell: from's standard output streams into to's standard input (an image
 * moved with `docker save | docker load`, never held in memory or on disk). Resolves with to's result;
 * a failure of either side is the run's failure.
 */
export function runPiped(from: Piped, to: Piped, opts: { timeoutMs: number }): Promise<RunResult> {
  return new Promise<RunResult>((resolve) => {
    const spawned = [from, to].map((p, i) => tracked(spawn(p.cmd, p.args, { stdio: [i === 0 ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...p.env } })));
    const [a, b] = spawned as [ChildProcess, ChildProcess];
    a.stdout?.pipe(b.stdin as NodeJS.WritableStream);
    b.stdin?.on('error', () => {}); // the reader ended first: its own exit says why
    const outs = spawned.map(() => ({ stdout: '', stderr: '', code: undefined as number | undefined }));
    spawned.forEach((c, i) => {
      const o = outs[i] as (typeof outs)[number];
      if (i === 1) c.stdout?.on('data', (d: Buffer) => { if (o.stdout.length < MAX_OUTPUT) o.stdout += d; });
      c.stderr?.on('data', (d: Buffer) => { if (o.stderr.length < MAX_OUTPUT) o.stderr += d; });
      c.on('error', (err) => { o.stderr += err.message; });
    });
    const timer = setTimeout(() => spawned.forEach((c) => terminate(c)), opts.timeoutMs);
    let open = 2;
    spawned.forEach((c, i) => c.on('close', (code) => {
      (outs[i] as (typeof outs)[number]).code = code ?? -1;
      if (--open > 0) return;
      clearTimeout(timer);
      const failed = [0, 1].find((k) => outs[k]?.code !== 0);
      const { stdout, stderr } = outs[1] as (typeof outs)[number];
      if (failed === undefined) { resolve({ code: 0, stdout, stderr }); return; }
      const side = failed === 0 ? from : to;
      const o = outs[failed] as (typeof outs)[number];
      const error = new ProcessError(`${commandLine(from.cmd, from.args)} | ${commandLine(to.cmd, to.args)}`, o.code, `failed at ${side.cmd} (exit ${o.code})`, tail(o.stderr));
      resolve({ code: o.code ?? -1, stdout, stderr: o.stderr, error });
    }));
  });
}

/** SIGTERM now, SIGKILL after killAfterMs if it is still there. */
export function terminate(child: ChildProcess, killAfterMs = 3_000): void {
  child.kill('SIGTERM');
  const t = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, killAfterMs);
  t.unref();
}

/** The synchronous form, for the few places that must answer before anything async runs. */
export function runSync(cmd: string, args: readonly string[], opts: { hint?: string } = {}): string {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null; signal?: NodeJS.Signals | null; stderr?: string };
    const code = e.code === 'ENOENT' ? 127 : e.status ?? null;
    throw new ProcessError(commandLine(cmd, args), code ?? undefined, meaningOf(code, e.signal ?? null, false), tail(e.stderr ?? ''), opts.hint);
  }
}

export interface Streaming {
  /** Settles when the process has ended (whatever its exit code: a stream ends, it does not fail). */
  done: Promise<number>;
  stop: () => void;
}

/** Run cmd and hand each line of its standard output to onLine (a log follower). */
export function streamLines(cmd: string, args: readonly string[], onLine: (line: string) => void, opts: { env?: NodeJS.ProcessEnv } = {}): Streaming {
  const child = tracked(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...opts.env } }));
  child.on('error', () => {}); // a missing program ends the stream; 'close' follows
  createInterface({ input: child.stdout }).on('line', onLine);
  return {
    done: new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1))),
    stop: () => terminate(child),
  };
}

/**
 * Run cmd on this terminal (its input, output and errors are ours) until it ends; its exit code, or
 * 128 + the signal's number when a signal ended it. For commands handed to the user as they are.
 */
export function runAttached(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  const child = tracked(spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, ...opts.env } }));
  // Ctrl-C reaches the child from the terminal; this process waits for it to end rather than die first.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  return new Promise<number>((resolve, reject) => {
    child.on('error', (err) => reject(new ProcessError(commandLine(cmd, args), undefined, `could not start: ${err.message}`, '')));
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] ?? 0 : 0)));
  }).finally(() => process.off('SIGINT', ignore));
}

/** A child spoken to over its standard input and output, as over a socket (`docker system dial-stdio`). */
export interface Conversation {
  /** Writes go to its standard input; reads come from its standard output. */
  stream: Duplex;
  /** Settles when it has ended: its exit code (127: not installed) and the tail of its stderr. */
  ended: Promise<{ code: number; stderr: string }>;
  stop: () => void;
}

export function converse(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Conversation {
  const child = tracked(spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } }));
  let stderr = '';
  let notFound = false;
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4_000); });
  child.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') notFound = true; else stderr += err.message; });
  child.stdin.on('error', () => {}); // it ended first: its exit says why
  return {
    stream: Duplex.from({ readable: child.stdout, writable: child.stdin }),
    ended: new Promise((resolve) => child.on('close', (code) => resolve({ code: notFound ? 127 : code ?? -1, stderr: tail(stderr) }))),
    stop: () => terminate(child, 1_000),
  };
}

/** A long-running child this process owns (a server it fronts): signals, and its end. */
export interface OwnedChild {
  pid: number;
  running(): boolean;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after killAfterMs; settles when it has ended. */
  stop(killAfterMs?: number): Promise<void>;
}

/** Start cmd with its standard output shared with this process and its standard error handed to onStderr. */
export function own(cmd: string, args: readonly string[], onStderr: (chunk: Buffer) => void): OwnedChild {
  const child = tracked(spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] }));
  let running = true;
  const ended = new Promise<void>((resolve) => {
    child.once('exit', () => { running = false; resolve(); });
    child.once('error', () => { running = false; resolve(); });
  });
  child.stderr?.on('data', onStderr);
  return {
    pid: child.pid ?? 0,
    running: () => running,
    signal: (sig) => { if (running) child.kill(sig); },
    stop: async (killAfterMs = 5_000) => {
      if (!running) return;
      terminate(child, killAfterMs);
      await ended;
    },
  };
}
