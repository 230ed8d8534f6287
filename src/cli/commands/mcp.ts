/**
 * `mcp`: an MCP server on stdio for coding agents. Each tool runs this checkout's CLI with --json as
 * a child process, so an agent gets exactly what a person gets — the same leases, refusals, locks
 * and exit codes — and a tool's failure is the CLI's one-line error. Logs are bounded; the tools that
 * replace or delete data (clean, restore, clone) need `confirm: true`.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { cliScript } from '../../paths.js';
import { run as runProcess } from '../../proc/run.js';

const CLI = cliScript();
const MAX_LOG_LINES = 500;

interface ToolResult { [key: string]: unknown; content: { type: 'text'; text: string }[]; isError?: boolean }

async function runCli(args: string[]): Promise<ToolResult> {
  const r = await runProcess(process.execPath, [CLI, ...args], { reject: false });
  const text = r.code === 0 ? r.stdout.trim() || r.stderr.trim() : [r.stderr.trim(), r.stdout.trim()].filter(Boolean).join('\n');
  return { content: [{ type: 'text', text: text || `exit code ${r.code}` }], ...(r.code === 0 ? {} : { isError: true }) };
}

const instance = z.number().int().min(0).optional().describe("Instance number; omit for this checkout's own (leased) instance");
const instanceOrAll = z.union([z.number().int().min(0), z.literal('all')]).optional()
  .describe("Instance number or 'all'; omit for this checkout's own instance");
const target = (n: number | 'all' | undefined): string[] => (n === undefined ? [] : [String(n)]);
const snapshotName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).describe("A snapshot's name: letters, digits, '.', '_', '-'");
const confirm = (what: string) => z.boolean().describe(`Must be true: ${what}`);

/** A tool that replaces or deletes data runs only with confirm: true (the CLI's --yes). */
function confirmed(ok: boolean | undefined, tool: string, what: string, args: string[]): Promise<ToolResult> {
  if (ok === true) return runCli([...args, '--yes', '--json']);
  return Promise.resolve({ content: [{ type: 'text' as const, text: `${tool} ${what}: call it again with confirm: true to go ahead` }], isError: true });
}

export async function run(): Promise<void> {
  const server = new McpServer({ name: 'dev-instances', version: '0.1.0' });
  server.registerTool('start', {
    description: 'Start an isolated instance of the stack (infrastructure, database, apps) and wait until its apps are healthy. Returns ports, URLs and names as JSON.',
    inputSchema: {
      instance,
      seed: snapshotName.optional().describe('A snapshot a new database starts from (ignored when the instance has data)'),
      host: z.string().optional().describe("Docker host for the instance's own infrastructure: a context name, tcp://HOST:PORT, ssh://[USER@]HOST or 'local' (an instance that ran before stays where its data is)"),
    },
  }, ({ instance: n, seed, host }) => runCli(['start', ...target(n), ...(seed ? ['--seed', seed] : []), ...(host ? ['--host', host] : []), '--json']));
  server.registerTool('stop', {
    description: "Stop an instance's apps and infrastructure; its data is kept. 'all' stops this checkout's instances only.",
    inputSchema: { instance: instanceOrAll },
  }, ({ instance: n }) => runCli(['stop', ...target(n), '--json']));
  server.registerTool('status', {
    description: "Processes of an instance (or 'all': every checkout's) with state, port, pid, uptime, restarts and health, as JSON.",
    inputSchema: { instance: instanceOrAll },
  }, ({ instance: n }) => runCli(['status', ...target(n), '--json']));
  server.registerTool('logs', {
    description: `The last lines of every log of an instance, each prefixed with its process (at most ${MAX_LOG_LINES} per log).`,
    inputSchema: { instance: instanceOrAll, lines: z.number().int().min(1).max(MAX_LOG_LINES).optional().describe('Lines per log (default 50)') },
  }, ({ instance: n, lines }) => runCli(['logs', ...target(n), '--no-follow', '--lines', String(lines ?? 50)]));
  server.registerTool('wait', {
    description: 'Block until every process of the instance is online and healthy; fails naming what is not when the time is up.',
    inputSchema: { instance, timeoutSeconds: z.number().min(1).max(600).optional().describe('Give up after this many seconds (default 120)') },
  }, ({ instance: n, timeoutSeconds }) => runCli(['wait', ...target(n), '--json', ...(timeoutSeconds ? ['--timeout', String(timeoutSeconds)] : [])]));
  server.registerTool('ports', {
    description: "The instance's ports by key (FRONTEND, BACKEND, POSTGRES, …) as JSON.",
    inputSchema: { instance },
  }, ({ instance: n }) => runCli(['ports', ...target(n), '--json']));
  server.registerTool('info', {
    description: "The instance's checkout, URLs, ports, compose project, PM2 apps, database, Temporal namespace and Redis prefix as JSON.",
    inputSchema: { instance },
  }, ({ instance: n }) => runCli(['info', ...target(n), '--json']));
  server.registerTool('clean', {
    description: "DELETE an instance's data: back up its database, then drop its slices (database, Redis keys, Temporal namespace, S3 bucket: those it has) and files, and give its number back. Requires confirm: true.",
    inputSchema: { instance, confirm: confirm('clean deletes data') },
  }, ({ instance: n, confirm: ok }) => confirmed(ok, 'clean', 'deletes data', ['clean', ...target(n)]));
  server.registerTool('snapshot', {
    description: "Keep the instance's database and Redis keys under a name (e.g. before a risky migration), for restore into it or any other instance.",
    inputSchema: { instance, name: snapshotName.optional().describe('Default: instance-N-<time>') },
  }, ({ instance: n, name }) => runCli(['snapshot', ...target(n), ...(name ? [name] : []), '--json']));
  server.registerTool('snapshots', {
    description: "The checkout's snapshots (name, time, source instance, sizes, branch and commit) as JSON.",
    inputSchema: {},
  }, () => runCli(['snapshots', '--json']));
  server.registerTool('restore', {
    description: "REPLACE an instance's database with its newest backup, a backup by file name, or a snapshot by name (then its Redis keys too), all or nothing, after backing up what it has. Requires confirm: true.",
    inputSchema: { instance, name: z.string().optional().describe('A backup file name or a snapshot name; default the newest backup'), confirm: confirm('restore replaces data') },
  }, ({ instance: n, name, confirm: ok }) => confirmed(ok, 'restore', 'replaces data', ['restore', ...target(n), ...(name ? [name] : [])]));
  server.registerTool('clone', {
    description: "REPLACE an instance's database and Redis keys with a copy of another instance's, as they are now (it keeps running), or of a snapshot's. Requires confirm: true.",
    inputSchema: {
      instance, from: z.number().int().min(0).optional().describe('The instance to copy'), fromSnapshot: snapshotName.optional().describe('Or the snapshot to copy'),
      confirm: confirm('clone replaces data'),
    },
  }, ({ instance: n, from, fromSnapshot, confirm: ok }) => confirmed(ok, 'clone', 'replaces data', [
    'clone', ...target(n), ...(from === undefined ? [] : ['--from', String(from)]), ...(fromSnapshot ? ['--from-snapshot', fromSnapshot] : []),
  ]));
  await server.connect(new StdioServerTransport());
  // Serve until the client closes stdin.
  await new Promise<void>((resolve) => { process.stdin.once('close', resolve); process.stdin.once('end', resolve); });
}
