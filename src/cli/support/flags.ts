/** Flags shared by several commands, parsed into typed options: exit 2 for a bad value. */
import { ENGINE_ENV, type EngineChoice, parseEngineChoice } from '../../engines/registry.js';
import { UsageError } from '../../errors.js';
import type { CommandContext } from './context.js';

/** The engine a start uses: --engine, else DEV_INSTANCES_ENGINE, else the declaration's, else auto. */
export function engineFlag(ctx: CommandContext): EngineChoice {
  const raw = ctx.flags.engine;
  if (typeof raw === 'string') return parseEngineChoice(raw);
  const fromEnv = process.env[ENGINE_ENV];
  if (fromEnv) return parseEngineChoice(fromEnv, ENGINE_ENV);
  return ctx.stack.decl.engine ?? 'auto';
}

export function linesFlag(ctx: CommandContext, fallback = 20): number {
  const raw = ctx.flags.lines;
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw)) throw new UsageError(`invalid --lines '${String(raw)}': expected a whole number`);
  return Number(raw);
}
