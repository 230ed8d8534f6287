/** Run the built CLI as a user would: a real subprocess, real files. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The example project the tests run (ShipSec's stack): its declaration, apps and compose file. */
export const SHIPSEC = join(REPO, 'examples', 'shipsec');
export const LAUNCHER = join(REPO, 'bin', 'dev.mjs');
export const JUST = join(REPO, 'node_modules', 'rust-just-linux-x64', 'bin', 'just');

/**
 * The machine-wide lease registry of every test process lives in a folder of its own (never the
 * user's ~/.local/state), set before any test runs the CLI or the lifecycle in process.
 */
if (!process.env.DEV_INSTANCES_STATE_DIR) {
  const dir = mkdtempSync(join(tmpdir(), 'di-state-'));
  process.env.DEV_INSTANCES_STATE_DIR = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}

/**
 * No test meets the developer's own local proxy (port 1380): named URLs are off for every test that
 * does not turn them on with its own DEV_INSTANCES_PROXY_PORT (test/proxy.test.ts).
 */
process.env.DEV_INSTANCES_PROXY = 'off';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  // From the example's folder, as its users run it.
  const r = spawnSync(process.execPath, [LAUNCHER, ...args], {
    encoding: 'utf8', cwd: SHIPSEC,
    env: { ...process.env, DEV_INSTANCES_NO_REBUILD: '1', SHIPSEC_INSTANCE: '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function runJust(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(JUST, ['--justfile', join(REPO, 'justfile'), '--working-directory', REPO, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DEV_INSTANCES_NO_REBUILD: '1', SHIPSEC_INSTANCE: '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'di-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
