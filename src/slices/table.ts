/**
 * The slice kinds, in the order they are provisioned and shown. A new kind is a module beside these
 * (see types.ts) and a row here; the plan, the env context and every command follow.
 */
import type { StackDeclaration } from '../config/types.js';
import { bucket } from './bucket.js';
import { database } from './database.js';
import { kafka } from './kafka.js';
import { redis } from './redis.js';
import { temporal } from './temporal.js';
import type { SliceKind, SliceSite } from './types.js';

export const SLICES = [database, redis, temporal, bucket, kafka] as const;

type Kind = (typeof SLICES)[number];
type ValueOf<K> = K extends SliceKind<string, infer V> ? V : never;

/** An instance's slices by key; a kind the declaration has no server for is absent. */
export type Slices = { [K in Kind as K['key']]?: ValueOf<K> };
/** The same, as the env functions see them: every key present (reading an undeclared one is an error). */
export type SliceContext = { [K in Kind as K['key']]: ValueOf<K> };

export type SliceKey = keyof Slices;

/** Every declared slice of an instance. Pure. */
export function planSlices(site: SliceSite): Slices {
  const out: Record<string, unknown> = {};
  for (const kind of SLICES) {
    const v = kind.plan(site);
    if (v !== undefined) out[kind.key] = v;
  }
  return out as Slices;
}

/** A planned slice with its kind, for code that treats every kind alike. */
export interface Entry {
  kind: SliceKind<string, unknown>;
  value: unknown;
}

/** The instance's slices with their kinds, in table order. */
export function sliceEntries(slices: Slices): Entry[] {
  return SLICES.flatMap((kind) => {
    const value = slices[kind.key];
    return value === undefined ? [] : [{ kind: kind as SliceKind<string, unknown>, value }];
  });
}

/** A slice in a sentence: 'database shipsec_dev_1'. */
export const phrase = (e: Entry): string => `${e.kind.noun} ${e.kind.name(e.value)}`;

/** The names an engine may report a slice's server under when it cannot run it: its infrastructure kind and its compose service. */
export function serverNames(decl: StackDeclaration, kind: SliceKind<string, unknown>): string[] {
  const id = kind.service(decl);
  return [kind.infra, id, decl.services[id]?.container?.service ?? id];
}

/** The slices' keys for --json (info, status, start): declared kinds only; null for one whose server the engine could not run. */
export function sliceJson(decl: StackDeclaration, slices: Slices, down: readonly string[] = []): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const e of sliceEntries(slices)) {
    const off = serverNames(decl, e.kind).some((n) => down.includes(n));
    for (const [k, v] of Object.entries(e.kind.json(e.value))) out[k] = off ? null : v;
  }
  return out;
}
