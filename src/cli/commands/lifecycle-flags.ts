/** Flags shared by the lifecycle commands, parsed into typed options; and `all` expanded into targets. */
import { type EngineChoice, parseEngineChoice } from '../../engines/registry.js';
import { UsageError } from '../../errors.js';
import { discoverInstances } from '../../lifecycle/discover.js';
import type { Target } from '../../lifecycle/target.js';
import { type Pm2Process, withPm2 } from '../../pm2/client.js';
import type { CommandContext } from './context.js';

export function engineFlag(ctx: CommandContext): EngineChoice {
  const raw = ctx.flags.engine;
  return typeof raw === 'string' ? parseEngineChoice(raw) : ctx.stack.decl.engine ?? 'auto';
}

export function linesFlag(ctx: CommandContext, fallback = 20): number {
  const raw = ctx.flags.lines;
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw)) throw new UsageError(`invalid --lines '${String(raw)}': expected a whole number`);
  return Number(raw);
}

export interface Targets {
  targets: Target[];
  /** Discovered instances today's declaration no longer allows (it changed since they started). */
  outOfRange: number[];
  procs: Pm2Process[];
}

/** The command's one target, or for `all` every instance found running (plus extra numbers, e.g. folders). */
export async function targetsOf(ctx: CommandContext, extra: (procs: readonly Pm2Process[]) => number[] = () => []): Promise<Targets> {
  const procs = await withPm2((pm2) => pm2.list());
  if (ctx.target) return { targets: [ctx.target], outOfRange: [], procs };
  const numbers = [...new Set([...discoverInstances(ctx.stack.decl, ctx.root, procs), ...extra(procs)])].sort((a, b) => a - b);
  const targets: Target[] = [];
  const outOfRange: number[] = [];
  for (const n of numbers) {
    try { targets.push(ctx.resolve(n)); } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      outOfRange.push(n);
    }
  }
  return { targets, outOfRange, procs };
}
