/**
 * Processes of an instance that PM2 no longer knows: left by a PM2 daemon that died, or children that
 * outlived their PM2 parent. Recognised by what they carry (an app's instance variable, a server's
 * data directory) and never by guesswork: anything else on a port is somebody else's.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { StackDeclaration } from '../config/types.js';
import { nativeServices } from '../engines/native/recipes.js';
import { instanceEnvVar } from '../plan/names.js';
import type { InfraScope, InstancePlan } from '../plan/plan.js';
import { type Holder, portHolder, portInUse } from '../ports/holder.js';
import { envOf } from '../ports/owner.js';

export interface Orphan {
  port: number;
  what: string;
  holder: Holder;
}

/** Data directories of a scope's native servers (wherever the cluster really lives). */
async function dataDirs(decl: StackDeclaration, scope: InfraScope, root: string): Promise<string[]> {
  return [join(root, scope.dir, 'data'), ...(await nativeServices(decl, scope, root)).map((s) => s.dataDir)];
}

export async function ownedBy(decl: StackDeclaration, p: InstancePlan, root: string) {
  const dirs = await dataDirs(decl, p.infra, root);
  const envVar = instanceEnvVar(decl.project);
  // An app: this instance's number in its environment AND running from this checkout (another
  // checkout or worktree may run its own instance with the same number: never ours to end).
  const appDirs = p.apps.map((a) => join(realpathSync(root), a.cwd)); // /proc shows resolved paths
  return (h: Holder): boolean =>
    (envOf(h.pid, envVar) === String(p.instance) && appDirs.some((d) => h.cwd === d || h.cwd.startsWith(`${d}/`)))
    || dirs.some((d) => h.cwd.startsWith(d) || h.command.includes(d));
}

/** Ports of the instance (apps and own infrastructure) held by its own processes that PM2 does not run. */
export async function findOrphans(decl: StackDeclaration, p: InstancePlan, root: string, pm2Pids: ReadonlySet<number>): Promise<Orphan[]> {
  const ours = await ownedBy(decl, p, root);
  const wanted = [
    ...p.apps.flatMap((a) => (a.port === undefined ? [] : [{ port: a.port, what: `${a.id} of instance ${p.instance}` }])),
    ...p.infra.ports.map((x) => ({ port: x.port, what: `${x.label} of instance ${p.instance}` })),
  ];
  const found: Orphan[] = [];
  for (const w of wanted) {
    if (!(await portInUse(w.port))) continue;
    const h = portHolder(w.port);
    if (h && !pm2Pids.has(h.pid) && ours(h)) found.push({ ...w, holder: h });
  }
  return found;
}

/** End orphans: SIGTERM, then SIGKILL after a grace period; resolves once their ports are free. */
export async function endOrphans(orphans: Orphan[], graceMs = 5_000): Promise<void> {
  for (const o of orphans) {
    try { process.kill(o.holder.pid, 'SIGTERM'); } catch { /* already gone */ }
  }
  const killAt = Date.now() + graceMs;
  for (const o of orphans) {
    while (await portInUse(o.port)) {
      if (Date.now() > killAt) {
        try { process.kill(o.holder.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      if (Date.now() > killAt + graceMs) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
