/**
 * One spec per command, and every fact of it in one place: its words, flags (and what each takes),
 * summary, and the MCP tool it is for coding agents. The parser, the usage text and the MCP server
 * are made from these. Each command's code is loaded only when it runs: `ports` never pays for PM2,
 * pg or Temporal.
 */
import type { CommandModule } from './support/context.js';

/** The most lines per log the MCP logs tool returns. */
export const MAX_MCP_LOG_LINES = 500;

/** Every flag of the CLI: the name of the value it takes (none: a switch). */
export const FLAGS = {
  engine: { value: 'E', help: 'auto, docker or native: which engine runs the infrastructure' },
  infra: { value: 'M', help: 'isolated or shared: own servers, or one set on the base ports for every instance' },
  host: { value: 'CONTEXT|URL', help: "the Docker host the instance's infrastructure runs on ('local': this machine)" },
  seed: { value: 'SNAPSHOT', help: 'a new database starts from this snapshot' },
  timeout: { value: 'S', help: 'give up after this many seconds' },
  lines: { value: 'K', help: 'lines per log' },
  from: { value: 'N', help: 'the instance to copy' },
  'from-snapshot': { value: 'NAME', help: 'the snapshot to copy' },
  rm: { value: 'NAME', help: 'remove this snapshot' },
  compose: { value: 'FILE[,FILE…]', help: 'the compose files to read (default: the one compose itself would)' },
  'dry-run': { help: 'say what would happen; change nothing' },
  json: { help: 'one JSON document on stdout' },
  everywhere: { help: "every checkout's instances, not only this one's" },
  shared: { help: 'the shared infrastructure set too' },
  follow: { help: 'keep printing new lines' },
  'no-follow': { help: 'print what is there and stop' },
  yes: { help: 'go ahead without asking (required when not on a terminal)' },
  'no-backup': { help: 'no backup of the database first' },
  start: { help: 'start the apps too (a clone into an instance that never ran leaves them for just dev N)' },
  force: { help: 'write it again even if it exists' },
  words: { help: 'the words that fit here (what a completion script asks on each TAB)' },
  lan: { help: "also serve the instances to other devices on this network (a phone), over HTTPS, after pairing" },
} as const satisfies Record<string, { value?: string; help: string }>;
export type FlagName = keyof typeof FLAGS;
export type FlagKind = 'boolean' | 'string';

export const flagKind = (f: FlagName): FlagKind => ('value' in FLAGS[f] ? 'string' : 'boolean');

/** The flags that take a value, so `--lines 50` reads like `--lines=50`. */
export const VALUE_FLAGS: ReadonlySet<string> = new Set((Object.keys(FLAGS) as FlagName[]).filter((f) => flagKind(f) === 'string'));

/**
 * A parameter of a command's MCP tool: the flag (or the command's operand) it becomes, what it holds
 * (checked with the CLI's own rules before the CLI runs), and what it says to the agent.
 */
export interface McpParam {
  to: FlagName | 'operand';
  /** switch: a flag without a value, passed when the argument is true. */
  type: 'snapshot' | 'restore-name' | 'docker-host' | 'instance' | 'count' | 'seconds' | 'switch';
  describe: string;
  max?: number;
}

export interface McpTool {
  description: string;
  params?: Readonly<Record<string, McpParam>>;
  /** Replaces or deletes data: runs only with `confirm: true` (the CLI's --yes); says what it does. */
  confirm?: string;
  /** Words the tool always adds (logs: --no-follow). */
  fixed?: readonly string[];
}

export interface CommandSpec {
  name: string;
  /** Its positional words after the name, as usage shows them: 'N|all', 'N [APP]'. */
  form: string;
  summary: string;
  /** Whether `all` is a valid target. */
  acceptsAll: boolean;
  flags: readonly FlagName[];
  /** The one word the command takes after the instance (env's app), named as in its usage. */
  operand?: string;
  /** Runs for no instance (mcp): no number is resolved or leased. */
  noInstance?: boolean;
  /** Every word after the command's name goes to another program as it is (compose). */
  passthrough?: boolean;
  /** Used inside shell scripts (ports): loads nothing it does not need, reports no events. */
  quick?: boolean;
  /** Runs before there is a declaration (init writes it): its module's runSetup is called, in the working directory. */
  noDeclaration?: boolean;
  /** One command line that uses it, for `help CMD`. */
  example: string;
  /** Its tool on the MCP server, when agents get one. */
  mcp?: McpTool;
  load: () => Promise<CommandModule>;
}

/** `start N [--engine E] … [--json]`: the usage line of a command. Pure. */
export const usageOf = (c: Pick<CommandSpec, 'name' | 'form' | 'flags'>): string =>
  [c.name, c.form, ...c.flags.map((f) => { const v = FLAGS[f] as { value?: string }; return `[--${f}${v.value ? ` ${v.value}` : ''}]`; })].filter(Boolean).join(' ');

/** The flags a command takes, with their kinds, as the parser checks them. */
export const flagKinds = (c: Pick<CommandSpec, 'flags'>): Record<string, FlagKind> => Object.fromEntries(c.flags.map((f) => [f, flagKind(f)]));

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'start', form: 'N', acceptsAll: false,
    flags: ['engine', 'infra', 'host', 'seed', 'dry-run', 'json'],
    summary: 'start instance N: infrastructure, database/namespace/prefix, apps (the default action)',
    mcp: {
      description: 'Start an isolated instance of the stack (infrastructure, database, apps) and wait until its apps are healthy. Returns ports, URLs and names as JSON.',
      params: {
        seed: { to: 'seed', type: 'snapshot', describe: 'A snapshot a new database starts from (ignored when the instance has data)' },
        host: { to: 'host', type: 'docker-host', describe: "Docker host for the instance's own infrastructure: a context name, tcp://HOST:PORT, ssh://[USER@]HOST or 'local' (an instance that ran before stays where its data is)" },
      },
    },
    example: 'just dev 2 --seed demo-data',
    load: () => import('./commands/start.js'),
  },
  {
    name: 'stop', form: 'N|all', acceptsAll: true,
    flags: ['everywhere', 'shared', 'dry-run', 'json'],
    summary: "stop apps and own infrastructure, keep data (all: this checkout's; --everywhere: every checkout's)",
    mcp: { description: "Stop an instance's apps and infrastructure; its data is kept. 'all' stops this checkout's instances only." },
    example: 'just dev stop all',
    load: () => import('./commands/stop.js'),
  },
  {
    name: 'restart', form: 'N', acceptsAll: false, flags: ['engine', 'infra', 'json'],
    summary: 'stop, then start again with freshly rendered env files',
    example: 'just dev 2 restart',
    load: () => import('./commands/restart.js'),
  },
  {
    name: 'status', form: 'N|all', acceptsAll: true, flags: ['json'],
    summary: 'processes, ports, state, pid, uptime, restarts, health',
    mcp: { description: "Processes of an instance (or 'all': every checkout's) with state, port, pid, uptime, restarts and health, as JSON." },
    example: 'just dev status all --json',
    load: () => import('./commands/status.js'),
  },
  {
    name: 'wait', form: 'N', acceptsAll: false, flags: ['timeout', 'json'],
    summary: 'block until every process is healthy (exit 0), or name what is not when the time is up (exit 1)',
    mcp: {
      description: 'Block until every process of the instance is online and healthy; fails naming what is not when the time is up.',
      params: { timeoutSeconds: { to: 'timeout', type: 'seconds', max: 600, describe: 'Give up after this many seconds (default 120)' } },
    },
    example: 'just dev 2 wait --timeout 60',
    load: () => import('./commands/wait.js'),
  },
  {
    name: 'env', form: 'N [APP]', acceptsAll: false, flags: ['json'], operand: 'APP',
    summary: "an app's environment (without APP: what every app shares), as export lines for eval",
    example: 'eval "$(just dev 2 env backend)"',
    load: () => import('./commands/env.js'),
  },
  {
    name: 'compose', form: 'N ARGS...', acceptsAll: false, flags: [], passthrough: true,
    summary: "docker compose ARGS with the instance's project, files and environment (ps, config, logs -f postgres, exec postgres psql …)",
    example: 'just dev 2 compose logs -f postgres',
    load: () => import('./commands/compose.js'),
  },
  {
    name: 'logs', form: 'N|all [APP]', acceptsAll: true, operand: 'APP',
    flags: ['lines', 'follow', 'no-follow'],
    summary: 'log lines of apps and infrastructure (of one app or service with APP), prefixed; follows on a terminal',
    mcp: {
      description: `The last lines of every log of an instance, each prefixed with its process (at most ${MAX_MCP_LOG_LINES} per log).`,
      params: { lines: { to: 'lines', type: 'count', max: MAX_MCP_LOG_LINES, describe: 'Lines per log (default 50)' } },
      fixed: ['--no-follow'],
    },
    example: 'just dev 2 logs backend --lines 100',
    load: () => import('./commands/logs.js'),
  },
  {
    name: 'clean', form: 'N|all', acceptsAll: true,
    flags: ['yes', 'no-backup', 'dry-run', 'json'],
    summary: 'back up the database, then delete the instance: data, database, namespace, keys, files',
    mcp: {
      description: "DELETE an instance's data: back up its database, then drop its slices (database, Redis keys, Temporal namespace, S3 bucket, Kafka topics: those it has) and files, and give its number back. Requires confirm: true.",
      confirm: 'clean deletes data',
    },
    example: 'just dev 2 clean --yes',
    load: () => import('./commands/clean.js'),
  },
  {
    name: 'restore', form: 'N [BACKUP|SNAPSHOT]', acceptsAll: false, operand: 'NAME',
    flags: ['yes', 'no-backup', 'json'],
    summary: "replace the instance's database with a backup (the newest by default) or a snapshot (and its keys), all or nothing",
    mcp: {
      description: "REPLACE an instance's database with its newest backup, a backup by file name, or a snapshot by name (then its Redis keys too), all or nothing, after backing up what it has. Requires confirm: true.",
      params: { name: { to: 'operand', type: 'restore-name', describe: 'A backup file name or a snapshot name; default the newest backup' } },
      confirm: 'restore replaces data',
    },
    example: 'just dev 2 restore before-migration --yes',
    load: () => import('./commands/restore.js'),
  },
  {
    name: 'clone', form: 'M [N]', acceptsAll: false, operand: 'N',
    flags: ['from', 'from-snapshot', 'yes', 'no-backup', 'start', 'engine', 'infra', 'json'],
    summary: "replace M's database and keys with a copy of instance N's (N undisturbed) or of a snapshot's, all or nothing; a new M is created from it (--start: with its apps)",
    mcp: {
      description: "REPLACE an instance's database and Redis keys with a copy of another instance's, as they are now (it keeps running), or of a snapshot's. An instance that never ran is created from the copy instead (its apps left stopped unless start: true). Requires confirm: true.",
      params: {
        from: { to: 'from', type: 'instance', describe: 'The instance to copy' },
        fromSnapshot: { to: 'from-snapshot', type: 'snapshot', describe: 'Or the snapshot to copy' },
        start: { to: 'start', type: 'switch', describe: 'For an instance that never ran: start its apps too' },
      },
      confirm: 'clone replaces data',
    },
    example: 'just dev 3 clone 1 --yes',
    load: () => import('./commands/clone.js'),
  },
  {
    name: 'snapshot', form: 'N [NAME]', acceptsAll: false, operand: 'NAME', flags: ['json'],
    summary: "keep the instance's database and Redis keys under a name, for restore into any instance",
    mcp: {
      description: "Keep the instance's database and Redis keys under a name (e.g. before a risky migration), for restore into it or any other instance.",
      params: { name: { to: 'operand', type: 'snapshot', describe: 'Default: instance-N-<time>' } },
    },
    example: 'just dev 1 snapshot before-migration',
    load: () => import('./commands/snapshot.js'),
  },
  {
    name: 'snapshots', form: '', acceptsAll: false, flags: ['rm', 'yes', 'json'], noInstance: true,
    summary: "the checkout's snapshots: name, time, source instance, sizes, code; --rm removes one and its golden template",
    mcp: { description: "The checkout's snapshots (name, time, source instance, sizes, branch and commit) as JSON." },
    example: 'just dev snapshots --rm old-data --yes',
    load: () => import('./commands/snapshots.js'),
  },
  {
    name: 'backups', form: 'N|all', acceptsAll: true, flags: ['json'],
    summary: 'the database backups kept for the instance: name, time, size',
    example: 'just dev backups all',
    load: () => import('./commands/backups.js'),
  },
  {
    name: 'release', form: 'N', acceptsAll: false, flags: ['json'],
    summary: 'give back the number this checkout holds (an instance without data or processes)',
    example: 'just dev 4 release',
    load: () => import('./commands/release.js'),
  },
  {
    name: 'init', form: '', acceptsAll: false, flags: ['compose', 'dry-run', 'force'], noInstance: true, noDeclaration: true,
    summary: "write the declaration (dev-instances.config.ts) from the project's compose, PM2 and .env files; the justfile and .gitignore lines",
    example: 'npx dev-instances init --dry-run',
    load: () => import('./commands/init.js'),
  },
  {
    name: 'completions', form: 'bash|zsh|fish', acceptsAll: false, flags: ['words'], noInstance: true, noDeclaration: true, operand: 'SHELL',
    summary: 'a completion script for your shell (actions, instance numbers, apps, flags), to eval from its rc file',
    example: 'eval "$(npx dev-instances completions bash)"',
    load: () => import('./commands/completions.js'),
  },
  {
    name: 'render', form: 'N', acceptsAll: false, flags: ['json'],
    summary: 'write .instances/instance-N/: env files, compose override, PM2 app list',
    example: 'just dev 2 render',
    load: () => import('./commands/render.js'),
  },
  {
    name: 'info', form: 'N', acceptsAll: false, flags: ['json'],
    summary: "the instance's URLs, compose project, database, namespace and key prefix",
    mcp: { description: "The instance's checkout, URLs, ports, compose project, PM2 apps, database, Temporal namespace and Redis prefix as JSON." },
    example: 'just dev 2 info --json',
    load: () => import('./commands/info.js'),
  },
  {
    name: 'ports', form: 'N', acceptsAll: false, flags: ['json'], quick: true,
    summary: 'KEY=port lines for eval in shell scripts, or --json',
    mcp: { description: "The instance's ports by key (FRONTEND, BACKEND, POSTGRES, …) as JSON." },
    example: 'eval "$(just dev 2 ports)"',
    load: () => import('./commands/ports.js'),
  },
  {
    name: 'project-name', form: 'N', acceptsAll: false, flags: [], quick: true,
    summary: 'the compose project name of instance N',
    example: 'docker compose -p "$(just dev 2 project-name)" ps',
    load: () => import('./commands/project-name.js'),
  },
  {
    name: 'proxy', form: '[start|stop|status|unpair]', acceptsAll: false, flags: ['json', 'lan'], noInstance: true, operand: 'ACTION',
    summary: 'the local proxy behind named URLs (http://<app>.<N>.<project>.localhost:1380) and the dashboard',
    example: 'just dev proxy status',
    load: () => import('./commands/proxy.js'),
  },
  {
    name: 'trust', form: '', acceptsAll: false, flags: ['json'], noInstance: true,
    summary: "trust the machine's local CA (NSS for Chromium and Firefox; as root the system store, or the macOS keychain): named URLs turn HTTPS",
    example: 'just dev trust',
    load: () => import('./commands/trust.js'),
  },
  {
    name: 'untrust', form: '', acceptsAll: false, flags: ['json'], noInstance: true,
    summary: 'remove the local CA from every store trust added it to: named URLs turn back to HTTP',
    example: 'just dev untrust',
    load: () => import('./commands/untrust.js'),
  },
  {
    name: 'mcp', form: '', acceptsAll: false, flags: [], noInstance: true,
    summary: 'serve start, stop, status, logs, wait, ports, info, clean, snapshot(s), restore and clone to a coding agent (MCP over stdio)',
    example: 'claude mcp add dev-instances -- npx dev-instances mcp',
    load: () => import('./commands/mcp.js'),
  },
];
