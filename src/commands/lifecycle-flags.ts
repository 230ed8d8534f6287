/** Flags shared by the lifecycle commands, parsed into typed options. */
import { UsageError } from '../cli/errors.js';
import type { InstancePlan } from '../plan/plan.js';
import { type EngineChoice, parseEngineChoice } from '../engines/select.js';
import type { CommandContext } from '../cli/registry.js';

export function engineFlag(ctx: CommandContext): EngineChoice {
  const raw = ctx.flags.engine;
  return typeof raw === 'string' ? parseEngineChoice(raw) : ctx.stack.decl.engine ?? 'auto';
}

/** The sharing the CLI resolved into the plan (flag, else recorded, else declared). */
export function sharedOf(p: InstancePlan): Set<string> {
  return new Set(p.ports.flatMap((x) => (x.shared && x.container ? [x.container.service] : [])));
}

export function linesFlag(ctx: CommandContext, fallback = 20): number {
  const raw = ctx.flags.lines;
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw)) throw new UsageError(`invalid --lines '${String(raw)}': expected a whole number`);
  return Number(raw);
}
