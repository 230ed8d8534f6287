/** The usage and each command's help, made from the command specs (src/cli/registry.ts). */
import { columns } from '../text/columns.js';
import { type CommandSpec, FLAGS, usageOf } from './registry.js';

/** The whole usage; max and envVar come from the project's declaration, generic outside a project. */
export function usage(commands: readonly CommandSpec[], max?: number, envVar = '<PROJECT>_INSTANCE'): string {
  return [
    'Usage: just dev [N|all] [ACTION] [FLAGS]     (or: npx dev-instances [N|all] [ACTION] [FLAGS])',
    '',
    'Actions:',
    ...columns(commands.map((c) => [usageOf(c), c.summary]), { indent: '  ' }),
    '',
    `N is an instance number${max === undefined ? '' : ` from 0 to ${max}`}. Without N: ${envVar} when set, else the number this checkout`,
    "holds (leased machine-wide: 0 in a repository's main worktree, else the lowest number no checkout holds).",
    'help ACTION (or ACTION --help): its flags and an example. --version: the version.',
  ].join('\n');
}

/** `help CMD` and `CMD --help`: its usage, what it does, each flag, one example. */
export function commandHelp(c: CommandSpec): string {
  const flags = columns(c.flags.map((f) => {
    const spec = FLAGS[f] as { value?: string; help: string };
    return [`--${f}${spec.value ? ` ${spec.value}` : ''}`, spec.help];
  }), { indent: '  ' });
  return [
    `Usage: just dev ${usageOf(c)}     (or: npx dev-instances ${c.name} …)`,
    '',
    `${c.summary.charAt(0).toUpperCase()}${c.summary.slice(1)}.`,
    ...(flags.length ? ['', 'Flags:', ...flags] : []),
    '',
    'Example:',
    `  ${c.example}`,
  ].join('\n');
}
