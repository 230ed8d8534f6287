/** The usage and each command's help, made from the command specs (src/cli/registry.ts). */
import { columns } from '../text/columns.js';
import { type CommandSpec, FLAGS, usageOf } from './registry.js';

/** Words of a text in lines of at most width (a longer word stands alone), each line after indent. Pure. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) { lines.push(indent + line); line = word; } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** The terminal's width, or 100 where there is none (a pipe, a file). */
export const terminalWidth = (): number => (process.stdout.isTTY && process.stdout.columns ? Math.max(40, process.stdout.columns) : 100);

/** The whole usage, wrapped to width; max and envVar come from the project's declaration, generic outside a project. */
export function usage(commands: readonly CommandSpec[], max?: number, envVar = '<PROJECT>_INSTANCE', width = terminalWidth()): string {
  return [
    ...wrap('Usage: just dev [N|all] [ACTION] [FLAGS] (or: npx dev-instances [N|all] [ACTION] [FLAGS])', width),
    '',
    'Actions:',
    ...commands.flatMap((c) => [...wrap(usageOf(c), width, '  '), ...wrap(c.summary, width, '      ')]),
    '',
    ...wrap(`N is an instance number${max === undefined ? '' : ` from 0 to ${max}`}. Without N: ${envVar} when set, else the number this checkout `
      + "holds (leased machine-wide: 0 in a repository's main worktree, else the lowest number no checkout holds).", width),
    ...wrap('help ACTION (or ACTION --help): its flags and an example. --version: the version.', width),
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
