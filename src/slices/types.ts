/**
 * A slice is one instance's share of a server: its own Postgres database, Redis key prefix, Temporal
 * namespace. Each kind is one module (plan it, ensure it, drop it, say it) and one row of the table
 * (table.ts); start, clean, the dry run, info, status and --json go through the table, so a stack
 * without Redis simply has no Redis slice.
 */
import type { StackDeclaration } from '../config/types.js';
import type { MachinePasswords } from '../plan/plan.js';

/** What a kind is given to plan an instance's slice: pure values of plan(N). */
export interface SliceSite {
  decl: StackDeclaration;
  instance: number;
  /** The port of a declared service for this instance, and where it answers ('localhost' or a Docker host's address). */
  port: (serviceId: string) => number;
  host: (serviceId: string) => string;
  /** The machine's passwords of the servers the tool runs itself, over the declaration's (PlanOptions.passwords). */
  passwords: MachinePasswords;
}

/**
 * How a step went: made by this call, there already, nothing to make (a key prefix exists once an
 * app writes under it), or left out because its server cannot run on this engine.
 */
export type Provisioned = 'created' | 'exists' | 'nothing' | 'skipped';

export interface SliceKind<K extends string, V> {
  /** Where the slice lives in the plan, in the env functions' context, and (as keys) in --json. */
  readonly key: K;
  /** The infrastructure entry of the declaration it needs (infra.postgres …): no entry, no slice. */
  readonly infra: keyof NonNullable<StackDeclaration['infra']>;
  /** Its row title in info and in the start summary. */
  readonly title: string;
  /** What one is called in a sentence: 'database', 'key prefix', 'namespace'. */
  readonly noun: string;
  /** What a clean deletes of it, in a sentence: 'the database', 'Redis keys'. */
  readonly gone: string;
  /** This instance's slice, or undefined when the declaration has no such server. Pure. */
  plan(site: SliceSite): V | undefined;
  /** The declared service (port entry) whose server holds it. */
  service(decl: StackDeclaration): string;
  /** Name and place, for info. */
  show(v: V): string;
  /** Its name alone ('shipsec_dev_1'), for the start summary and events. */
  name(v: V): string;
  /** Where its server answers, as the apps reach it: 'localhost:5533'. */
  server(v: V): string;
  /** The keys it adds to info, status and start --json. */
  json(v: V): Record<string, string>;
  /** What a start (create) or a clean (drop) would do, for --dry-run. */
  intent(v: V, verb: 'create' | 'drop'): string;
  /** Make it exist (idempotent). */
  ensure(v: V): Promise<Exclude<Provisioned, 'skipped'>>;
  /** Remove it and everything in it; what went, in words ('database x', '3 Redis key(s)'), or undefined when nothing was there. */
  drop(v: V): Promise<string | undefined>;
}
