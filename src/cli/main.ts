/** The CLI: parse, resolve the instance, load one command, run it, map errors to exit codes. */
import { loadStack } from '../config/load.js';
import type { Sharing } from '../config/types.js';
import { instanceDirName, instanceEnvVar } from '../plan/names.js';
import { readState } from '../lifecycle/state.js';
import { INSTANCES_DIR, plan, rangeFor, sharedServices } from '../plan/plan.js';
import { repoRoot } from '../paths.js';
import { checkFlags, parseArgs, parseInstance } from './args.js';
import { ConfigError, OperationalError, UsageError } from './errors.js';
import { errorLine, noAllFor, notATarget, noteLine, usage, warningLine } from './messages.js';
import { COMMANDS } from './registry.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  env: process.env,
};

function parseSharing(raw: string | true | undefined): Sharing | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'shared' || raw === 'isolated') return raw;
  throw new UsageError(`invalid --infra '${String(raw)}': expected shared or isolated`);
}

/** Returns the exit code; never calls process.exit itself. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const names = COMMANDS.map((c) => c.name);
  let usageText = () => usage(COMMANDS, 0, 'the instance variable');
  try {
    const args = parseArgs(argv, new Set(names));
    const stack = await loadStack();
    const { decl } = stack;
    const envVar = instanceEnvVar(decl.project);
    const declaredMax = rangeFor(decl).max;
    usageText = () => usage(COMMANDS, declaredMax, envVar);
    const root = repoRoot();
    const sharingOverride = parseSharing(args.flags.infra);
    // Sharing decides which ports move, so it decides the range and the plan: the --infra flag, else
    // what the instance was last started with, else the declaration.
    const sharingOf = (n: number | undefined): Set<string> => {
      if (sharingOverride) return sharedServices(decl, sharingOverride);
      const recorded = n === undefined ? undefined : readState(root, `${INSTANCES_DIR}/${instanceDirName(n)}`);
      return recorded ? new Set(recorded.shared) : sharedServices(decl);
    };
    const checked = (raw: string, what?: string): number => {
      const range = rangeFor(decl, sharingOf(/^(0|[1-9]\d{0,5})$/.test(raw) ? Number(raw) : undefined));
      return parseInstance(raw, range.max, what, range.reason);
    };
    const max = declaredMax;

    if (args.help) {
      io.out(usageText());
      return 0;
    }
    // `start` is the default action: `just dev` starts the active instance, `just dev 2` instance 2.
    const spec = COMMANDS.find((c) => c.name === (args.action ?? 'start'));
    let instance: number | 'all';
    if (args.target === 'all') {
      if (spec && !spec.acceptsAll) throw new UsageError(noAllFor(spec.name));
      instance = 'all';
    } else if (args.target !== undefined) {
      if (args.action === undefined && !/^[-+]?\d/.test(args.target)) throw new UsageError(notATarget(args.target, max, names), true);
      instance = checked(args.target);
    } else {
      const fromEnv = io.env[envVar];
      instance = fromEnv === undefined || fromEnv === '' ? 0 : checked(fromEnv, `${envVar} value`);
    }
    if (!spec) throw new UsageError(`unknown action '${args.action}'`, true);
    const flags = checkFlags(args.flags, spec.flags, spec.name);

    const p = instance === 'all' ? undefined : plan(decl, instance, { shared: sharingOf(instance) });
    for (const w of p?.warnings ?? []) io.err(warningLine(w));
    const command = await spec.load();
    await command.run({ stack, root, plan: p, flags, out: io.out, note: (t) => io.err(noteLine(t)), warn: (t) => io.err(warningLine(t)) });
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) io.err(errorLine(line));
      return err.exitCode;
    }
    if (err instanceof UsageError) {
      io.err(errorLine(err.message));
      if (err.showUsage) io.err(`\n${usageText()}`);
      return err.exitCode;
    }
    if (err instanceof OperationalError) {
      io.err(errorLine(err.message));
      if (err.hint) io.err(err.hint);
      return err.exitCode;
    }
    io.err(errorLine(`unexpected failure: ${(err as Error)?.stack ?? String(err)}`));
    return 1;
  }
}
