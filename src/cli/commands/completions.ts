/**
 * `completions bash|zsh|fish`: a completion script for the shell, to eval from its rc file. On each
 * TAB it asks `completions --words` for the words that fit here and now: the actions, the instance
 * numbers this project has (its .instances/ folders), its apps and services, and the flags.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadStack } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { findProject } from '../../project.js';
import { COMMANDS, FLAGS } from '../registry.js';
import type { SetupContext } from '../support/context.js';

const SCRIPTS: Record<string, string> = {
  bash: `# dev-instances completion (bash): add to ~/.bashrc
#   eval "$(npx dev-instances completions bash)"
_dev_instances() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  COMPREPLY=( $(compgen -W "$(command dev-instances completions --words 2>/dev/null)" -- "$cur") )
}
complete -F _dev_instances dev-instances
`,
  zsh: `# dev-instances completion (zsh): add to ~/.zshrc
#   eval "$(npx dev-instances completions zsh)"
_dev_instances() {
  local -a words
  words=(\${(f)"$(command dev-instances completions --words 2>/dev/null | tr ' ' '\\n')"})
  compadd -a words
}
compdef _dev_instances dev-instances
`,
  fish: `# dev-instances completion (fish): add to ~/.config/fish/config.fish
#   npx dev-instances completions fish | source
complete -c dev-instances -f -a '(command dev-instances completions --words 2>/dev/null | string split " ")'
`,
};

/** What fits after `dev-instances`: actions, flags, and (inside a project) its instance numbers, apps and services. */
async function words(cwd: string): Promise<string[]> {
  const out = [...COMMANDS.map((c) => c.name), 'all', 'help', ...Object.keys(FLAGS).map((f) => `--${f}`)];
  try {
    const project = findProject(cwd);
    const { decl } = await loadStack(project);
    const numbers = readdirSync(join(project.root, '.instances')).flatMap((d) => /^instance-(\d+)$/.exec(d)?.[1] ?? []);
    out.push(...numbers, ...Object.keys(decl.apps), ...Object.keys(decl.services));
  } catch { /* outside a project: the actions and flags only */ }
  return [...new Set(out)];
}

export async function runSetup(ctx: SetupContext): Promise<void> {
  if (ctx.flags.words === true) { ctx.out((await words(ctx.cwd)).join(' ')); return; }
  const shell = ctx.operand;
  const script = shell === undefined ? undefined : SCRIPTS[shell];
  if (!script) throw new UsageError(`completions: ${shell === undefined ? 'which shell?' : `unknown shell '${shell}'`}: expected bash, zsh or fish`);
  ctx.out(script.trimEnd());
}
