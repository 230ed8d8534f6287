/**
 * One registry of commands, each loaded only when run: `ports` never pays for PM2, pg or Temporal.
 */
import type { FlagKind } from './args.js';
import type { CommandModule } from './commands/context.js';

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  /** Whether `all` is a valid target. */
  acceptsAll: boolean;
  flags: Readonly<Record<string, FlagKind>>;
  /** The one word the command takes after the instance (env's app), named as in its usage. */
  operand?: string;
  /** Runs for no instance (mcp): no number is resolved or leased. */
  noInstance?: boolean;
  /** Every word after the command's name goes to another program as it is (compose). */
  passthrough?: boolean;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'start', usage: 'start N [--engine E] [--infra M] [--host CONTEXT|URL] [--seed SNAPSHOT] [--dry-run] [--json]', acceptsAll: false,
    flags: { engine: 'string', infra: 'string', host: 'string', seed: 'string', 'dry-run': 'boolean', json: 'boolean' },
    summary: 'start instance N: infrastructure, database/namespace/prefix, apps (the default action)',
    load: () => import('./commands/start.js'),
  },
  {
    name: 'stop', usage: 'stop N|all [--everywhere] [--shared] [--dry-run] [--json]', acceptsAll: true,
    flags: { everywhere: 'boolean', shared: 'boolean', 'dry-run': 'boolean', json: 'boolean' },
    summary: "stop apps and own infrastructure, keep data (all: this checkout's; --everywhere: every checkout's)",
    load: () => import('./commands/stop.js'),
  },
  {
    name: 'restart', usage: 'restart N [--json]', acceptsAll: false, flags: { engine: 'string', infra: 'string', json: 'boolean' },
    summary: 'stop, then start again with freshly rendered env files',
    load: () => import('./commands/restart.js'),
  },
  {
    name: 'status', usage: 'status N|all [--json]', acceptsAll: true, flags: { json: 'boolean' },
    summary: 'processes, ports, state, pid, uptime, restarts, health',
    load: () => import('./commands/status.js'),
  },
  {
    name: 'wait', usage: 'wait N [--timeout S] [--json]', acceptsAll: false, flags: { timeout: 'string', json: 'boolean' },
    summary: 'block until every process is healthy (exit 0), or name what is not when the time is up (exit 1)',
    load: () => import('./commands/wait.js'),
  },
  {
    name: 'env', usage: 'env N [APP] [--json]', acceptsAll: false, flags: { json: 'boolean' }, operand: 'APP',
    summary: "an app's environment (without APP: what every app shares), as export lines for eval",
    load: () => import('./commands/env.js'),
  },
  {
    name: 'compose', usage: 'compose N ARGS...', acceptsAll: false, flags: {}, passthrough: true,
    summary: "docker compose ARGS with the instance's project, files and environment (ps, config, logs -f postgres, exec postgres psql …)",
    load: () => import('./commands/compose.js'),
  },
  {
    name: 'logs', usage: 'logs N|all [--lines K] [--no-follow]', acceptsAll: true,
    flags: { lines: 'string', follow: 'boolean', 'no-follow': 'boolean' },
    summary: 'log lines of apps and infrastructure, prefixed; follows on a terminal',
    load: () => import('./commands/logs.js'),
  },
  {
    name: 'clean', usage: 'clean N|all [--yes] [--no-backup] [--dry-run] [--json]', acceptsAll: true,
    flags: { yes: 'boolean', 'no-backup': 'boolean', 'dry-run': 'boolean', json: 'boolean' },
    summary: 'back up the database, then delete the instance: data, database, namespace, keys, files',
    load: () => import('./commands/clean.js'),
  },
  {
    name: 'restore', usage: 'restore N [BACKUP|SNAPSHOT] [--yes] [--no-backup] [--json]', acceptsAll: false, operand: 'NAME',
    flags: { yes: 'boolean', 'no-backup': 'boolean', json: 'boolean' },
    summary: "replace the instance's database with a backup (the newest by default) or a snapshot (and its keys), all or nothing",
    load: () => import('./commands/restore.js'),
  },
  {
    name: 'clone', usage: 'clone M N | clone M --from N | clone M --from-snapshot NAME [--yes] [--no-backup] [--json]', acceptsAll: false, operand: 'N',
    flags: { from: 'string', 'from-snapshot': 'string', yes: 'boolean', 'no-backup': 'boolean', json: 'boolean' },
    summary: "replace M's database and keys with a copy of instance N's (N undisturbed) or of a snapshot's, all or nothing",
    load: () => import('./commands/clone.js'),
  },
  {
    name: 'snapshot', usage: 'snapshot N [NAME] [--json]', acceptsAll: false, operand: 'NAME', flags: { json: 'boolean' },
    summary: "keep the instance's database and Redis keys under a name, for restore into any instance",
    load: () => import('./commands/snapshot.js'),
  },
  {
    name: 'snapshots', usage: 'snapshots [--rm NAME [--yes]] [--json]', acceptsAll: false, flags: { rm: 'string', yes: 'boolean', json: 'boolean' }, noInstance: true,
    summary: "the checkout's snapshots: name, time, source instance, sizes, code; --rm removes one and its golden template",
    load: () => import('./commands/snapshots.js'),
  },
  {
    name: 'backups', usage: 'backups N|all [--json]', acceptsAll: true, flags: { json: 'boolean' },
    summary: 'the database backups kept for the instance: name, time, size',
    load: () => import('./commands/backups.js'),
  },
  {
    name: 'release', usage: 'release N [--json]', acceptsAll: false, flags: { json: 'boolean' },
    summary: 'give back the number this checkout holds (an instance without data or processes)',
    load: () => import('./commands/release.js'),
  },
  {
    name: 'init', usage: 'init N', acceptsAll: false, flags: {},
    summary: 'write .instances/instance-N/: env files, compose override, PM2 app list',
    load: () => import('./commands/init.js'),
  },
  {
    name: 'info', usage: 'info N [--json]', acceptsAll: false, flags: { json: 'boolean' },
    summary: "the instance's URLs, compose project, database, namespace and key prefix",
    load: () => import('./commands/info.js'),
  },
  {
    name: 'ports', usage: 'ports N [--json]', acceptsAll: false, flags: { json: 'boolean' },
    summary: 'KEY=port lines for eval in shell scripts, or --json',
    load: () => import('./commands/ports.js'),
  },
  {
    name: 'project-name', usage: 'project-name N', acceptsAll: false, flags: {},
    summary: 'the compose project name of instance N',
    load: () => import('./commands/project-name.js'),
  },
  {
    name: 'proxy', usage: 'proxy [start|stop|status] [--json]', acceptsAll: false, flags: { json: 'boolean' }, noInstance: true, operand: 'ACTION',
    summary: 'the local proxy behind named URLs (http://<app>.<N>.<project>.localhost:1380) and the dashboard',
    load: () => import('./commands/proxy.js'),
  },
  {
    name: 'mcp', usage: 'mcp', acceptsAll: false, flags: {}, noInstance: true,
    summary: 'serve start, stop, status, logs, wait, ports, info, clean, snapshot(s), restore and clone to a coding agent (MCP over stdio)',
    load: () => import('./commands/mcp.js'),
  },
];
