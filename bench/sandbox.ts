/**
 * A throw-away checkout for benchmarks: the demo apps copied into a temporary root, node_modules
 * linked, a private PM2 daemon, and `just dev` through the native just binary.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type SecretName, secretFile } from '../src/secrets.js';

export interface DevRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Sandbox {
  root: string;
  /** `just dev ARGS…`, resolved when it exits. */
  dev: (...args: string[]) => Promise<DevRun>;
  env: NodeJS.ProcessEnv;
  /** The password the native engine made for this sandbox's servers of kind (its own state folder), once a start made it. */
  machinePassword: (kind: SecretName) => string;
  /** Stop everything it started, kill its PM2 daemon, remove its files. */
  dispose: () => void;
}

export function sandbox(repo: string, prefix: string, extraEnv: NodeJS.ProcessEnv = {}): Sandbox {
  const home = mkdtempSync(`/tmp/${prefix}-pm2-`);
  const root = mkdtempSync(`/tmp/${prefix}-`);
  chmodSync(root, 0o755); // Postgres runs as an unprivileged user that must reach its data
  // The demo's apps and its compose files (the declaration names them, whatever the engine).
  for (const part of ['apps', 'docker']) cpSync(join(repo, 'examples', 'shipsec', part), join(root, part), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
  process.env.PM2_HOME = home;
  // Its own lease registry inside the root: a benchmark never leases numbers in the user's. Named
  // URLs off unless a benchmark turns them on with a port of its own: never the user's proxy.
  const env = {
    ...process.env, PM2_HOME: home, DEV_INSTANCES_ROOT: root, DEV_INSTANCES_NO_REBUILD: '1', SHIPSEC_INSTANCE: '',
    DEV_INSTANCES_STATE_DIR: join(root, '.leases'), DEV_INSTANCES_PROXY: 'off', ...extraEnv,
  };
  const just = join(repo, 'node_modules', 'rust-just-linux-x64', 'bin', 'just');
  const base = ['--justfile', join(repo, 'justfile'), '--working-directory', repo, 'dev'];
  const dev = (...args: string[]) => new Promise<DevRun>((resolve) => {
    const t0 = performance.now();
    const child = spawn(just, [...base, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
  });
  return {
    root, dev, env,
    machinePassword: (kind) => readFileSync(secretFile(kind, env), 'utf8').trim(),
    dispose: () => {
      spawnSync(just, [...base, 'stop', 'all', '--shared'], { env });
      spawnSync(process.execPath, [join(repo, 'node_modules', 'pm2', 'bin', 'pm2'), 'kill'], { env, stdio: 'ignore' });
      rmSync(root, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** `just dev ARGS…` that must succeed; returns its duration in ms. */
export async function mustDev(box: Sandbox, ...args: string[]): Promise<number> {
  const r = await box.dev(...args);
  if (r.code !== 0) throw new Error(`just dev ${args.join(' ')} failed: ${r.stderr}`);
  return r.ms;
}
