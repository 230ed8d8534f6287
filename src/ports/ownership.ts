/**
 * The one rule for "is this process ours": what it carries, never a guess. A process belongs to an
 * instance when it has the instance's number in its environment and runs from this checkout (an
 * app, or a child an app left behind), or when its command line or working directory names one of
 * the instance's data directories (a native server). Anything else on a port is somebody else's.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { Holder } from './holder.js';
import { envOf } from './owner.js';

export interface Ownership {
  /** The instance's apps: its variable (e.g. SHIPSEC_INSTANCE) and number, and their working directories. */
  apps?: { envVar: string; instance: number; root: string; dirs: readonly string[] };
  /** Absolute paths that mark a server of the instance (its data directories). */
  marks: readonly string[];
}

const within = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

export function isOurs(o: Ownership): (h: Holder) => boolean {
  const apps = o.apps;
  let real = apps?.root ?? '';
  try { real = realpathSync(real); } catch { /* not there yet: nothing of it runs */ }
  const appDirs = (apps?.dirs ?? []).map((d) => join(real, d)); // /proc shows resolved paths
  return (h) =>
    (apps !== undefined && envOf(h.pid, apps.envVar) === String(apps.instance) && appDirs.some((d) => within(h.cwd, d)))
    || o.marks.some((m) => within(h.cwd, m) || h.command.includes(m));
}
