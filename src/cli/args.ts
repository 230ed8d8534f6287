/**
 * Parse `just dev` arguments: `[N|all] [action] [flags]` in either order (`just dev 1 logs`,
 * `just dev stop all`, `dev-instance-manager ports 2`). Pure: no declaration, no I/O.
 */
import { UsageError } from '../errors.js';
import { type FlagKind, VALUE_FLAGS } from './registry.js';

export interface ParsedArgs {
  action: string | undefined;
  /** The raw instance token (`all` included), validated later against the declaration. */
  target: string | undefined;
  flags: Record<string, string | true>;
  help: boolean;
  /** A word the action takes after the instance (`just dev 1 env backend`). */
  operand?: string;
  /** Everything after a passthrough action's name, as given (`just dev 1 compose ps --services`). */
  rest?: string[];
}

const looksNumeric = (t: string) => /^[-+]?\d/.test(t);

/**
 * withOperand: the actions that take one more word, e.g. env's app; a number too once the instance is
 * known (clone's source). passthrough: the actions whose following words belong to another program.
 */
export function parseArgs(argv: readonly string[], actions: ReadonlySet<string>, withOperand: ReadonlySet<string> = new Set(),
  passthrough: ReadonlySet<string> = new Set()): ParsedArgs {
  const cut = argv.findIndex((t) => passthrough.has(t));
  if (cut >= 0) return { ...parseArgs(argv.slice(0, cut + 1), actions, withOperand), rest: argv.slice(cut + 1) };
  const out: ParsedArgs = { action: undefined, target: undefined, flags: {}, help: false };
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i] ?? '';
    if (tok === '-h' || tok === '--help') { out.help = true; continue; }
    if (tok === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (tok.startsWith('--') && tok.length > 2) {
      const eq = tok.indexOf('=');
      const name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
      if (name in out.flags) throw new UsageError(`flag --${name} is given twice`);
      const next = argv[i + 1];
      if (eq < 0 && VALUE_FLAGS.has(name) && next !== undefined && !next.startsWith('--')) {
        out.flags[name] = next;
        i++;
      } else out.flags[name] = eq < 0 ? true : tok.slice(eq + 1);
      continue;
    }
    if (tok.startsWith('-') && !looksNumeric(tok)) throw new UsageError(`unknown flag '${tok}'`, true);
    positionals.push(tok);
  }
  const action = positionals.find((t) => actions.has(t));
  const takesOperand = action !== undefined && withOperand.has(action);
  for (const tok of positionals) {
    if (out.action === undefined && actions.has(tok)) out.action = tok;
    // A name that merely starts with digits (a snapshot '2024-q1') is the operand, not the instance.
    else if (takesOperand && out.operand === undefined && tok !== 'all' && (!/^[-+]?\d+$/.test(tok) || out.target !== undefined)) out.operand = tok;
    else if (out.target === undefined) out.target = tok;
    else if (out.action === undefined) {
      throw new UsageError(`unknown action '${tok}' (actions: ${[...actions].join(', ')})`, true);
    } else throw new UsageError(`unexpected argument '${tok}'`, true);
  }
  return out;
}

/** Attach values to flags that take one (`--lines 50` or `--lines=50`) and reject unknown ones. */
export function checkFlags(
  flags: Record<string, string | true>, allowed: Readonly<Record<string, FlagKind>>, action: string,
): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(flags)) {
    const kind = allowed[name];
    if (kind === undefined) {
      const known = Object.keys(allowed).map((f) => `--${f}`).join(', ') || 'none';
      throw new UsageError(`unknown flag '--${name}' for ${action} (allowed: ${known})`);
    }
    if (kind === 'boolean' && value !== true) throw new UsageError(`flag --${name} takes no value`);
    if (kind === 'string' && value === true) throw new UsageError(`flag --${name} needs a value: --${name}=VALUE`);
    out[name] = value;
  }
  return out;
}
