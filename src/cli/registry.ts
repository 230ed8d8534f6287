/**
 * One registry of commands, each loaded only when run: `ports` never pays for PM2, pg or Temporal.
 */
import type { LoadedStack } from '../config/load.js';
import type { InstancePlan } from '../plan/plan.js';
import type { FlagKind } from './args.js';

export interface CommandContext {
  stack: LoadedStack;
  root: string;
  /** The instance's plan; undefined when the command runs for `all`. */
  plan: InstancePlan | undefined;
  flags: Record<string, string | boolean>;
  out: (text: string) => void;
  warn: (text: string) => void;
}

export interface CommandModule {
  run(ctx: CommandContext): Promise<void> | void;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  /** Whether `all` is a valid target. */
  acceptsAll: boolean;
  flags: Readonly<Record<string, FlagKind>>;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'init', usage: 'init N', acceptsAll: false, flags: {},
    summary: 'write .instances/instance-N/: env files, compose override, PM2 app list',
    load: () => import('../commands/init.js'),
  },
  {
    name: 'info', usage: 'info N', acceptsAll: false, flags: {},
    summary: "the instance's URLs, compose project, database, namespace and key prefix",
    load: () => import('../commands/info.js'),
  },
  {
    name: 'ports', usage: 'ports N [--json]', acceptsAll: false, flags: { json: 'boolean' },
    summary: 'KEY=port lines for eval in shell scripts, or --json',
    load: () => import('../commands/ports.js'),
  },
  {
    name: 'project-name', usage: 'project-name N', acceptsAll: false, flags: {},
    summary: 'the compose project name of instance N',
    load: () => import('../commands/project-name.js'),
  },
];
