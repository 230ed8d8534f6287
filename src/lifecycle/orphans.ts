/**
 * Processes of an instance that PM2 no longer knows: left by a PM2 daemon that died, or children that
 * outlived their PM2 parent. Recognised by what they carry (src/ports/ownership.ts), never by
 * guesswork: anything else on a port is somebody else's.
 */
import { instanceEnvVar } from '../plan/names.js';
import { type Holder, portHolder, portInUse } from '../ports/holder.js';
import { isOurs } from '../ports/ownership.js';
import { freePorts } from '../ports/reaper.js';
import { LOCAL_HOST } from '../plan/plan.js';
import { type Target, instancePorts } from './target.js';

export interface Orphan {
  port: number;
  what: string;
  holder: Holder;
}

/** Is a process this instance's: one of its apps (or their children), or one of its own servers. */
export async function oursOf(t: Target): Promise<(h: Holder) => boolean> {
  const p = t.plan;
  return isOurs({
    apps: { envVar: instanceEnvVar(t.decl.project), instance: p.instance, root: t.root, dirs: p.apps.map((a) => a.cwd) },
    marks: await t.engine.processMarks(t.own),
  });
}

/** Ports of the instance held by its own processes that PM2 does not run. */
export async function findOrphans(t: Target, pm2Pids: ReadonlySet<number>): Promise<Orphan[]> {
  const ours = await oursOf(t);
  const found: Orphan[] = [];
  // Only this machine's ports: a placed host's processes are not ours to signal.
  for (const w of instancePorts(t).filter((x) => x.host === LOCAL_HOST)) {
    if (!(await portInUse(w.port))) continue;
    const h = portHolder(w.port);
    if (h && !pm2Pids.has(h.pid) && ours(h)) found.push({ port: w.port, what: w.what, holder: h });
  }
  return found;
}

/** End orphans: SIGTERM, then SIGKILL after a grace period; resolves once their ports are free. */
export async function endOrphans(orphans: Orphan[], graceMs = 5_000): Promise<void> {
  const pids = new Set(orphans.map((o) => o.holder.pid));
  await freePorts(orphans, { ours: (h) => pids.has(h.pid), graceMs, deadlineMs: 2 * graceMs, context: 'after ending it' });
}
