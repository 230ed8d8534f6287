/** The CLI: parse, resolve the instance once, load one command, run it, map errors to exit codes. */
import { type LoadedStack, loadStack } from '../config/load.js';
import type { Sharing } from '../config/types.js';
import { runtimeDir } from '../engines/native/runtime-dir.js';
import type { EngineName } from '../engines/types.js';
import { ConfigError, OperationalError, UsageError } from '../errors.js';
import type { LifecycleEvent } from '../lifecycle/events.js';
import { type Target, resolveTarget } from '../lifecycle/target.js';
import { instanceEnvVar } from '../plan/names.js';
import { type Placement, rangeFor, sharedServices } from '../plan/plan.js';
import { proxySetting } from '../proxy/state.js';
import { InterruptedError, exitCodeOf, interrupted } from '../proc/interrupt.js';
import { onLongWaits } from '../progress.js';
import { colourWanted, useColour } from '../text/colour.js';
import { type Project, findProject } from '../project.js';
import { trace } from '../trace.js';
import { checkFlags, parseArgs } from './args.js';
import { errorLine, noAllFor, notATarget, noteLine, warningLine } from './lines.js';
import { COMMANDS, flagKinds } from './registry.js';

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

/** Commands that change an instance, refused when another checkout holds its number (start claims it itself). */
const CHANGES_INSTANCE: Readonly<Record<string, string>> = {
  stop: 'nothing was stopped', restart: 'nothing was restarted', clean: 'nothing was deleted', release: 'nothing was changed',
};

/** Returns the exit code; never calls process.exit itself. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const names = COMMANDS.map((c) => c.name);
  let usageText: (() => Promise<string>) | undefined;
  // Wording that commands used in shell scripts (ports) never need: loaded when it is.
  const help = () => import('./help.js');
  useColour(colourWanted(process.stdout, io.env));
  try {
    // Asked of the tool itself, not of a project: answered anywhere, before any declaration is looked for.
    if (argv[0] === '--version' || argv[0] === '-v') { io.out((await import('../paths.js')).toolVersion()); return 0; }
    // Words after a passthrough command (compose's) are that program's: its -h is not ours.
    const cut = argv.findIndex((a) => COMMANDS.some((c) => c.passthrough && c.name === a));
    const ours = cut < 0 ? argv : argv.slice(0, cut + 1);
    const asked = argv[0] === 'help' ? argv[1] : ours.includes('--help') || ours.includes('-h') ? ours.find((a) => names.includes(a)) : undefined;
    const helped = asked === undefined ? undefined : COMMANDS.find((c) => c.name === asked);
    if (argv[0] === 'help' && asked !== undefined && !helped) throw new UsageError(`unknown action '${asked}' (actions: ${names.join(', ')})`);
    if (helped) { io.out((await help()).commandHelp(helped)); return 0; }
    // The declaration first: every usage text (an error's included) gives its range and variable. A
    // command that writes the declaration (init) runs without one, or with a broken one.
    let loaded: { project: Project; stack: LoadedStack } | undefined;
    let missing: unknown;
    try {
      const project = findProject();
      loaded = { project, stack: await loadStack(project) };
      trace('cli: declaration loaded');
      const { decl } = loaded.stack;
      const max = rangeFor(decl).max;
      usageText = async () => (await help()).usage(COMMANDS, max, instanceEnvVar(decl.project));
    } catch (err) {
      missing = err;
    }
    const args = parseArgs(argv, new Set(names), new Set(COMMANDS.filter((c) => c.operand).map((c) => c.name)),
      new Set(COMMANDS.filter((c) => c.passthrough).map((c) => c.name)));
    const setup = COMMANDS.find((c) => c.name === args.action && c.noDeclaration);
    if (setup && !args.help) {
      if (args.target !== undefined) throw new UsageError(`${setup.name} takes no instance; got '${args.target}'`);
      const flags = checkFlags(args.flags, flagKinds(setup), setup.name);
      await (await setup.load()).runSetup?.({ cwd: process.cwd(), flags, out: io.out, note: (t) => io.err(noteLine(t)), ...(args.operand === undefined ? {} : { operand: args.operand }) });
      return 0;
    }
    if (args.help && !loaded) { io.out((await help()).usage(COMMANDS)); return 0; } // outside a project: what there is to run
    if (!loaded || !usageText) throw missing;
    const { project, stack } = loaded;
    // What this run found, named outright for what it runs in turn (the MCP server's CLI calls, the
    // dashboard's controls through the lease): the same project, whatever their working directory.
    process.env.DEV_INSTANCES_ROOT = project.root;
    process.env.DEV_INSTANCES_CONFIG = project.config;
    const { decl } = stack;
    const envVar = instanceEnvVar(decl.project);
    if (args.help) {
      io.out(await usageText());
      return 0;
    }
    const { root } = project;
    const sharing = parseSharing(args.flags.infra);
    const proxy = proxySetting(decl, io.env);
    runtimeDir(io.env);
    const resolve = (raw: string | number, what?: string, found?: EngineName, named: { port: number } | undefined = proxy, placement?: Placement | null): Target =>
      resolveTarget(decl, root, raw, {
        ...(sharing ? { sharing } : {}), ...(what ? { what } : {}), ...(found ? { found } : {}), ...(named ? { proxy: named } : {}),
        ...(placement === undefined ? {} : { placement }),
      });

    // `start` is the default action: `just dev` starts the active instance, `just dev 2` instance 2.
    const spec = COMMANDS.find((c) => c.name === (args.action ?? 'start'));
    if (!spec) throw new UsageError(`unknown action '${args.action}'`, true);
    // Flags first: bad input is refused before a number is leased or anything is written.
    const flags = checkFlags(args.flags, flagKinds(spec), spec.name);
    let target: Target | undefined;
    if (spec.noInstance && args.target !== undefined) throw new UsageError(`${spec.name} takes no instance; got '${args.target}'`);
    if (args.target === 'all') {
      if (!spec.acceptsAll) throw new UsageError(noAllFor(spec.name));
    } else if (args.target !== undefined) {
      if (args.action === undefined && !/^[-+]?\d/.test(args.target)) {
        throw new UsageError(notATarget(args.target, rangeFor(decl, sharedServices(decl, sharing)).max, names), true);
      }
      target = resolve(args.target);
    } else if (!spec.noInstance) {
      const fromEnv = io.env[envVar];
      if (fromEnv !== undefined && fromEnv !== '') target = resolve(fromEnv, `${envVar} value`);
      else {
        // No number: the one this checkout holds, else one leased to it now (see src/leases/assign.ts).
        const held = (await import('../leases/registry.js')).leasedInstance(decl.project, root);
        target = resolve(held ?? await (await import('../leases/assign.js')).assignInstance(decl, root));
      }
    }
    const refusal = target && CHANGES_INSTANCE[spec.name];
    if (target && refusal) {
      const { refuseIfHeldElsewhere } = await import('../leases/assign.js');
      refuseIfHeldElsewhere(decl.project, root, target.plan.instance, refusal);
    }
    for (const w of target?.plan.warnings ?? []) io.err(warningLine(w));
    // The events' wording loads beside the command, except for those used in shell scripts, which report none.
    const [command, words] = await Promise.all([spec.load(), spec.quick ? undefined : import('./messages.js')]);
    const report = (e: LifecycleEvent) => {
      const { warning, text } = words ? words.eventLine(e) : { warning: false, text: e.kind };
      io.err(warning ? warningLine(text) : noteLine(text));
    };
    onLongWaits((line) => io.err(noteLine(line)));
    if (!command.run) throw new Error(`${spec.name} has no run`);
    const code = await command.run({
      stack, root, target, resolve: (n, found, placement) => resolve(n, undefined, found, proxy, placement), flags, out: io.out,
      resolveRecorded: (n) => resolveTarget(decl, root, n, proxy ? { proxy } : {}),
      proxy, withoutProxy: (t) => resolve(t.plan.instance, undefined, undefined, undefined, t.plan.placement ?? null),
      ...(args.operand === undefined ? {} : { operand: args.operand }), ...(args.rest ? { rest: args.rest } : {}),
      note: (t) => io.err(noteLine(t)), warn: (t) => io.err(warningLine(t)), report,
    });
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    // Interrupted: whatever failed on the way out failed because of the signal.
    const signal = interrupted();
    if (signal) {
      io.err(errorLine(`interrupted by ${signal}`));
      if (!(err instanceof InterruptedError)) io.err(`It stopped at: ${(err as Error)?.message?.split('\n')[0] ?? String(err)}`);
      return exitCodeOf(signal);
    }
    if (err instanceof ConfigError) {
      for (const line of err.problems) io.err(errorLine(line));
      return err.exitCode;
    }
    if (err instanceof UsageError) {
      io.err(errorLine(err.message));
      if (err.showUsage && usageText) io.err(`\n${await usageText()}`);
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
