/**
 * Which checkout this is: its absolute path, its branch, its repository (git's common dir) and
 * whether it is the repository's main worktree. Read from the files git keeps (`.git` is a folder in
 * a main worktree, a `gitdir:` file in a linked one), never by running git: `ports` stays fast.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

export interface Checkout {
  /** Absolute path of the checkout (the tool's root). */
  path: string;
  /** The checked-out branch; undefined when detached or not a git checkout. */
  branch?: string;
  /** git's common dir: the same for every worktree of one repository. */
  commonDir?: string;
  /** A repository's main worktree (or a folder outside git, which has no other worktree). */
  main: boolean;
}

const read = (path: string): string | undefined => {
  try { return readFileSync(path, 'utf8').trim(); } catch { return undefined; }
};

function branchOf(gitDir: string): string | undefined {
  const head = read(join(gitDir, 'HEAD'));
  const m = head && /^ref: refs\/heads\/(.+)$/.exec(head);
  return m ? m[1] : undefined;
}

export function checkoutAt(root: string): Checkout {
  const path = resolve(root);
  const dotGit = join(path, '.git');
  let isDir: boolean;
  try { isDir = statSync(dotGit).isDirectory(); } catch { return { path, main: true }; }
  if (isDir) {
    const branch = branchOf(dotGit);
    return { path, ...(branch ? { branch } : {}), commonDir: dotGit, main: true };
  }
  // A linked worktree: `.git` says `gitdir: <repo>/.git/worktrees/<name>`, whose `commondir` leads back.
  const m = /^gitdir:\s*(.+)$/m.exec(read(dotGit) ?? '');
  if (!m?.[1]) return { path, main: true };
  const gitDir = isAbsolute(m[1]) ? m[1] : resolve(path, m[1]);
  const common = read(join(gitDir, 'commondir'));
  const branch = branchOf(gitDir);
  return {
    path, ...(branch ? { branch } : {}),
    commonDir: common ? (isAbsolute(common) ? common : resolve(gitDir, common)) : gitDir,
    main: false,
  };
}

/** The commit a checkout has checked out (HEAD's, through its ref or packed-refs), read from git's files. */
export function commitAt(root: string): string | undefined {
  const c = checkoutAt(root);
  if (!c.commonDir) return undefined;
  const dotGit = join(c.path, '.git');
  const gitDir = c.main ? dotGit : (() => {
    const m = /^gitdir:\s*(.+)$/m.exec(read(dotGit) ?? '');
    return m?.[1] ? (isAbsolute(m[1]) ? m[1] : resolve(c.path, m[1])) : dotGit;
  })();
  const head = read(join(gitDir, 'HEAD'));
  if (!head) return undefined;
  if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  const ref = /^ref: (.+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  const loose = read(join(c.commonDir, ref)) ?? read(join(gitDir, ref));
  if (loose) return loose;
  const packed = read(join(c.commonDir, 'packed-refs'))?.split('\n').find((l) => l.endsWith(` ${ref}`));
  return packed?.split(' ')[0];
}

/** "/work/wt-b (branch feat-x)": how a checkout is named in messages. */
export const describeCheckout = (c: { path: string; branch?: string }): string =>
  `${c.path}${c.branch ? ` (branch ${c.branch})` : ''}`;

/** Whether path lies in the checkout at root (an app's working directory says which checkout runs it). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Whether a checkout is still there. A git checkout is there while its `.git` is: processes still
 * running from a removed worktree can recreate folders in it (a dev server's cache, a log), never
 * `.git`. A folder outside git is there while it holds more than the tool's own `.instances`.
 */
export function checkoutLive(path: string, git: boolean): boolean {
  if (git) return existsSync(join(path, '.git'));
  try { return readdirSync(path).some((name) => name !== '.instances'); } catch { return false; }
}

/** What every process the tool starts under PM2 carries: its checkout, and whether that is a git one. */
export const CHECKOUT_ENV = 'DEV_INSTANCES_CHECKOUT';
export const CHECKOUT_GIT_ENV = 'DEV_INSTANCES_CHECKOUT_GIT';
export function checkoutEnv(root: string): Record<string, string> {
  const c = checkoutAt(root);
  return { [CHECKOUT_ENV]: c.path, ...(c.commonDir ? { [CHECKOUT_GIT_ENV]: '1' } : {}) };
}
