/**
 * What the lifecycle tells while it works: facts, not sentences. The CLI words them
 * (src/cli/messages.ts); a test or another front end can read them as they are.
 */

/** How a database was filled: restored from a dump, from a template built now or already built, copied from another. */
export type FillVia = 'dump' | 'template-built' | 'template' | 'copy';

export type LifecycleEvent =
  | { kind: 'lock-wait'; label: string; owner: number }
  | { kind: 'lock-recovered'; label: string; owner: number }
  | { kind: 'orphan-ended'; pid: number; what: string; port: number }
  | { kind: 'infra-starting'; instance: number; engineReason: string; meanwhile: string[] }
  /** slices: what is provisioned, e.g. 'database shipsec_dev_1'. */
  | { kind: 'provisioning'; instance: number; slices: string[] }
  | { kind: 'apps-starting'; instance: number; apps: string[] }
  /** An app's declared env files are all absent: it gets the plan's values only. */
  | { kind: 'env-sources-missing'; instance: number; app: string; sources: string[]; local: boolean }
  /** The instance's database data existed once and is gone: an empty one is about to be created. */
  | { kind: 'data-loss'; instance: number; backups: string }
  | { kind: 'backed-up'; database: string; file: string }
  | { kind: 'nothing-to-back-up'; database: string }
  /** The instance's database is now the source's (a backup's file relative to the checkout, a snapshot, an instance). */
  | { kind: 'restored'; database: string; from: string; via: FillVia; template?: string }
  /** A new instance's database was made from a snapshot (--seed) instead of empty. */
  | { kind: 'seeded'; instance: number; database: string; /** 'snapshot NAME', 'instance N' */ from: string; via: FillVia; template?: string }
  /** --seed was given, but the instance has a database already: it is kept as it is. */
  | { kind: 'seed-skipped'; instance: number; database: string; from: string }
  /** A snapshot's Redis keys now fill the instance's prefix (what was under it before is gone). */
  | { kind: 'keys-restored'; keys: number; prefix: string }
  /** Apps stopped so that no connection holds a database about to be replaced; started again after. */
  | { kind: 'apps-stopped'; instance: number; apps: string[] }
  /** What a clean dropped of the instance's slices: 'database shipsec_dev_1', '3 Redis key(s)'. */
  | { kind: 'dropped'; slices: string[] }
  | { kind: 'removed'; dir: string }
  | { kind: 'shared-stopped' }
  /** The instance number went back to the machine-wide pool. */
  | { kind: 'released'; instance: number }
  /** The PM2 daemon could not fork this checkout's apps and was replaced; its processes were started again. */
  | { kind: 'leftovers-swept'; paths: string[] }
  | { kind: 'pm2-handover'; problem?: string; restored: string[]; leftOut: string[]; failed: { name: string; reason: string }[] }
  /** Apps of this instance left running by a checkout that no longer exists, deleted before the start. */
  | { kind: 'reclaimed'; instance: number; apps: string[]; from: string };

export type Report = (event: LifecycleEvent) => void;
