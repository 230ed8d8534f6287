/** What every command is handed by the CLI: the declaration, the resolved instance, flags, output. */
import type { LoadedStack } from '../../config/load.js';
import type { EngineName } from '../../engines/types.js';
import type { Report } from '../../lifecycle/events.js';
import type { Target } from '../../lifecycle/target.js';
import type { Placement } from '../../plan/plan.js';

export interface CommandContext {
  stack: LoadedStack;
  root: string;
  /** The instance, resolved once (plan, recorded state, engine); undefined when the command runs for `all`. */
  target: Target | undefined;
  /**
   * Resolve another instance by the same rule (for `all`: each discovered instance); found: the engine
   * found holding it; placement: where a start places its infrastructure (null: this machine), else as recorded.
   */
  resolve: (n: number, found?: EngineName, placement?: Placement | null) => Target;
  /** Another instance a command reads (clone's source): as it was last started, whatever --infra says of this one. */
  resolveRecorded: (n: number) => Target;
  flags: Record<string, string | boolean>;
  /** Named URLs: the local proxy's port, or undefined when they are off (src/proxy/state.ts). */
  proxy: { port: number } | undefined;
  /** The same instance planned without named URLs (when the proxy cannot run). */
  withoutProxy: (t: Target) => Target;
  /** The word after the instance, for a command that takes one (env's app). */
  operand?: string;
  /** The words after a passthrough command's name (compose's). */
  rest?: string[];
  out: (text: string) => void;
  /** Progress of a long command, on stderr so stdout stays clean for scripts. */
  note: (text: string) => void;
  warn: (text: string) => void;
  /** Words a lifecycle event (src/cli/messages.ts) and prints it on stderr. */
  report: Report;
}

export interface CommandModule {
  /** A number is the exit code (a passthrough command's program's); nothing means 0. */
  run?(ctx: CommandContext): Promise<void | number> | void;
  /** A command that runs before there is a declaration (init). */
  runSetup?(ctx: SetupContext): Promise<void>;
}

/** What a command that runs before there is a declaration (init, completions) is handed. */
export interface SetupContext {
  /** Where the user stands: the project's folder, or one inside it. */
  cwd: string;
  flags: Record<string, string | boolean>;
  operand?: string;
  out: (text: string) => void;
  note: (text: string) => void;
}

/** Single-instance commands: the CLI has already refused `all` for them. */
export function needTarget(ctx: CommandContext): Target {
  if (!ctx.target) throw new Error('this command needs one instance');
  return ctx.target;
}
