/** Which checkout a PM2 process belongs to, and whether that checkout is still there. */
import type { Pm2Process } from '../pm2/client.js';
import { checkoutLive, isInside } from './checkout.js';

/**
 * The checkout the process names; for older processes that name none, an app's working directory
 * (pass appNames) — other processes without a name are nobody's in particular.
 */
export function ownerOf(x: Pm2Process, appNames?: ReadonlySet<string>): { path: string; git: boolean } | undefined {
  if (x.checkout) return x.checkout;
  if (x.cwd && (!appNames || appNames.has(x.name))) return { path: x.cwd, git: false };
  return undefined;
}

/** Another checkout's process: it names (or runs in) a folder outside root. */
export const foreignTo = (root: string, x: Pm2Process, appNames?: ReadonlySet<string>): boolean => {
  const o = ownerOf(x, appNames);
  return o !== undefined && !isInside(root, o.path);
};

/** Its checkout is gone (removed worktree): nobody can stop it but whoever takes its number. */
export const ownerGone = (x: Pm2Process, appNames?: ReadonlySet<string>): boolean => {
  const o = ownerOf(x, appNames);
  return o !== undefined && !checkoutLive(o.path, o.git);
};
