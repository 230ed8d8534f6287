/**
 * A throw-away checkout for end-to-end tests: the demo apps copied into a temporary root (so every
 * path the tool writes stays inside it), node_modules linked, a private PM2, and helpers to drive
 * `just dev` and the demo backend.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { withPm2 } from '../../src/pm2/client.js';
import { type SecretName, secretFile } from '../../src/secrets.js';
import { JUST, REPO, SHIPSEC, type Run, runJust, tempDir } from './cli.js';
import { processesUnder, usePrivatePm2 } from './pm2-home.js';

export interface StackRoot {
  root: string;
  pm2Home: string;
  env: NodeJS.ProcessEnv;
  just: (...args: string[]) => Run;
  /** `just` with extra environment (e.g. another PATH). */
  justWith: (extra: NodeJS.ProcessEnv, ...args: string[]) => Run;
  justAsync: (...args: string[]) => { done: Promise<Run>; pid: () => number | undefined; output: () => string };
  names: () => Promise<string[]>;
  /** The password the native engine made for this machine's servers of kind (src/secrets.ts); undefined before its first start. */
  machinePassword: (kind: SecretName) => string | undefined;
  /** The Postgres superuser's password: the machine's on the native engine, the declaration's on docker. */
  pgPassword: () => string;
  /** fn with a client of the Redis on port, logged in with the machine's password when it asks for one (native). */
  withRedis: <T>(port: number, fn: (r: Redis) => Promise<T>) => Promise<T>;
  /** Stop everything, check nothing is left, remove the root. */
  teardown: () => Promise<string[]>;
}

export interface StackRootOptions {
  /** DEV_INSTANCES_ENGINE for every command; native unless a test asks otherwise. */
  engine?: 'native' | 'docker' | 'auto';
  /** More environment for every command (DEV_INSTANCES_CONFIG, image variables, …). */
  env?: NodeJS.ProcessEnv;
  /** Another checkout of the same project on the same machine as this one: its PM2 daemon and state folder (leases, shared set's home, passwords). */
  alongside?: StackRoot;
}

export function stackRoot(prefix: string, opts: StackRootOptions = {}): StackRoot {
  const pm2 = opts.alongside ? { home: opts.alongside.pm2Home, kill: () => {} } : usePrivatePm2();
  const dir = tempDir(prefix);
  chmodSync(dir.path, 0o755); // Postgres runs as an unprivileged user that must reach its data
  cpSync(join(SHIPSEC, 'apps'), join(dir.path, 'apps'), { recursive: true });
  cpSync(join(SHIPSEC, 'docker'), join(dir.path, 'docker'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir.path, 'node_modules'));
  // Native unless a test asks otherwise: on a machine whose dockerd runs, auto would choose docker.
  const env = {
    DEV_INSTANCES_ROOT: dir.path, PM2_HOME: pm2.home, DEV_INSTANCES_ENGINE: opts.engine ?? 'native',
    DEV_INSTANCES_STATE_DIR: opts.alongside?.env.DEV_INSTANCES_STATE_DIR ?? join(dir.path, '.leases'), ...opts.env,
  };
  const justAsync = (...args: string[]) => {
    const child = spawn(JUST, ['--justfile', join(REPO, 'justfile'), '--working-directory', REPO, ...args], {
      env: { ...process.env, DEV_INSTANCES_NO_REBUILD: '1', SHIPSEC_INSTANCE: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    return {
      done: new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
      pid: () => child.pid,
      /** What it printed so far, stdout then stderr. */
      output: () => `${stdout}${stderr}`,
    };
  };
  const machinePassword = (kind: SecretName) => {
    const file = secretFile(kind, env);
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  };
  return {
    root: dir.path, pm2Home: pm2.home, env, machinePassword,
    pgPassword: () => machinePassword('postgres') ?? 'shipsec',
    just: (...args) => runJust(args, env),
    justWith: (extra, ...args) => runJust(args, { ...env, ...extra }),
    justAsync,
    names: async () => (await withPm2((s) => s.list())).map((p) => p.name).sort(),
    withRedis: async (port, fn) => {
      const password = machinePassword('redis');
      const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, ...(password ? { password } : {}) });
      await r.connect();
      try { return await fn(r); } finally { r.disconnect(); }
    },
    teardown: async () => {
      try {
        runJust(['dev', 'stop', 'all', '--shared'], env);
        return processesUnder(dir.path);
      } finally {
        pm2.kill();
        dir.cleanup();
      }
    },
  };
}

/**
 * Call the demo backend on a fresh connection each time. A pooled keep-alive socket (fetch's default)
 * would still point at a backend that a synchronous `just dev N restart` replaced meanwhile: the
 * test process never saw that socket close, and the next call fails on it.
 */
export function api(port: number, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const method = payload === undefined ? 'GET' : path.startsWith('/kv/') ? 'PUT' : 'POST';
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, path, method, agent: false,
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => {
        try { resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }); } catch (err) { reject(err); }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Poll cond until it holds or the deadline passes (for state a test caused, like a PM2 restart). */
export async function until(what: string, cond: () => Promise<boolean>, deadlineMs = 20_000): Promise<void> {
  const giveUp = Date.now() + deadlineMs;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > giveUp) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
