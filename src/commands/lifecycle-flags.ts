/** Flags shared by the lifecycle commands, parsed into typed options. */
import { UsageError } from '../cli/errors.js';
import type { Sharing } from '../config/types.js';
import { type EngineChoice, parseEngineChoice } from '../engines/select.js';
import type { CommandContext } from '../cli/registry.js';

export function engineFlag(ctx: CommandContext): EngineChoice {
  const raw = ctx.flags.engine;
  return typeof raw === 'string' ? parseEngineChoice(raw) : ctx.stack.decl.engine ?? 'auto';
}

export function sharingFlag(ctx: CommandContext): Sharing | undefined {
  const raw = ctx.flags.infra;
  if (raw === undefined) return undefined;
  if (raw === 'shared' || raw === 'isolated') return raw;
  throw new UsageError(`invalid --infra '${String(raw)}': expected shared or isolated`);
}

export function linesFlag(ctx: CommandContext, fallback = 20): number {
  const raw = ctx.flags.lines;
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw)) throw new UsageError(`invalid --lines '${String(raw)}': expected a whole number`);
  return Number(raw);
}
