/**
 * Which checkout this is: its absolute path, its branch, its repository (git's common dir) and
 * whether it is the repository's main worktree. Read from the files git keeps (`.git` is a folder in
 * a main worktree, a `gitdir:` file in a linked one), never by running git: `ports` stays fast.
 */
import { readFileSync, statSync } from 'node:fs';
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

/** "/work/wt-b (branch feat-x)": how a checkout is named in messages. */
export const describeCheckout = (c: { path: string; branch?: string }): string =>
  `${c.path}${c.branch ? ` (branch ${c.branch})` : ''}`;

/** Whether path lies in the checkout at root (an app's working directory says which checkout runs it). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
