/**
 * `mcp`: an MCP server on stdio for coding agents, one tool per command whose spec has one
 * (src/cli/registry.ts). Each tool runs this checkout's CLI with --json as a child process, so an agent
 * gets exactly what a person gets — the same leases, refusals, locks and exit codes — and a tool's
 * failure is the CLI's one-line error. Every argument is checked with the CLI's own rules first and
 * handed over after `--`, so none can pass for a flag or an instance number. The tools that replace or
 * delete data need `confirm: true`.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { type ZodType, z } from 'zod';
import { DUMP_DEADLINE_MS } from '../../engines/dump.js';
import { cliScript, toolVersion } from '../../paths.js';
import { DOCKER_HOST_RE, isSnapshotName } from '../../plan/names.js';
import { onInterrupt, stopIfInterrupted } from '../../proc/interrupt.js';
import { run as runProcess } from '../../proc/run.js';
import { COMMANDS, type CommandSpec, type McpParam } from '../registry.js';

const CLI = cliScript();

interface ToolResult { [key: string]: unknown; content: { type: 'text'; text: string }[]; isError?: boolean }

const refusal = (text: string): ToolResult => ({ content: [{ type: 'text', text }], isError: true });

/** A command's own waits are 5 min at most (a start's); a data command's dumps and restores 30 min each; a wait's as asked. */
const PLAIN_DEADLINE_MS = 10 * 60_000;

/** How long one tool call may run before the CLI is stopped (SIGTERM: it undoes what it began) and the agent is told. Pure. */
export function deadlineOf(c: CommandSpec, input: Record<string, unknown>): number {
  if (c.name === 'wait') return (typeof input.timeoutSeconds === 'number' ? input.timeoutSeconds : 120) * 1000 + 60_000;
  if (c.mcp?.confirm || c.name === 'snapshot') return 2 * DUMP_DEADLINE_MS + PLAIN_DEADLINE_MS; // a backup, then the copy
  if (c.name === 'start') return DUMP_DEADLINE_MS + 2 * PLAIN_DEADLINE_MS; // image pulls, then a seed's restore
  return PLAIN_DEADLINE_MS;
}

async function runCli(args: string[], deadlineMs: number): Promise<ToolResult> {
  const r = await runProcess(process.execPath, [CLI, ...args], { reject: false, timeoutMs: deadlineMs, killAfterMs: 30_000 });
  if (r.timedOut) return refusal(`dev-instances ${args[0]} did not finish within ${Math.round(deadlineMs / 1000)} s and was stopped${r.stderr.trim() ? `; it said: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`);
  const text = r.code === 0 ? r.stdout.trim() || r.stderr.trim() : [r.stderr.trim(), r.stdout.trim()].filter(Boolean).join('\n');
  return { content: [{ type: 'text', text: text || `exit code ${r.code}` }], ...(r.code === 0 ? {} : { isError: true }) };
}


const number = z.number().int().min(0);
/** A backup's file name or a snapshot's name: a plain file name, never digits alone (that reads as an instance). */
const restoreName = (v: string) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(v) && !v.includes('..') && !/^\d+$/.test(v);

/** How an argument is checked before any CLI runs (exported for its test). */
export function schemaOf(p: McpParam): ZodType {
  const base = {
    snapshot: z.string().refine(isSnapshotName, "a snapshot's name: letters, digits, '.', '_', '-', not digits alone"),
    'restore-name': z.string().refine(restoreName, "a backup file name or a snapshot name: letters, digits, '.', '_', '-', not digits alone"),
    'docker-host': z.string().regex(DOCKER_HOST_RE, "a Docker context name, tcp://HOST:PORT, ssh://[USER@]HOST or 'local'"),
    instance: number,
    count: z.number().int().min(1).max(p.max ?? Number.MAX_SAFE_INTEGER),
    seconds: z.number().min(1).max(p.max ?? Number.MAX_SAFE_INTEGER),
    switch: z.boolean(),
  }[p.type];
  return base.optional().describe(p.describe);
}

/** The CLI words of one call: flags and fixed words, then `--`, then the instance and the operand. Pure. */
export function cliWords(c: CommandSpec, input: Record<string, unknown>): string[] {
  const flags: string[] = [];
  let operand: string | undefined;
  for (const [key, p] of Object.entries(c.mcp?.params ?? {})) {
    const v = input[key];
    if (v === undefined) continue;
    if (p.to === 'operand') operand = String(v);
    else if (p.type === 'switch') { if (v === true) flags.push(`--${p.to}`); }
    else flags.push(`--${p.to}`, String(v));
  }
  const target = input.instance === undefined ? [] : [String(input.instance)];
  return [c.name, ...flags, ...(c.mcp?.fixed ?? []), ...(c.mcp?.confirm ? ['--yes'] : []), ...(c.flags.includes('json') ? ['--json'] : []),
    '--', ...target, ...(operand === undefined ? [] : [operand])];
}

function register(server: McpServer, c: CommandSpec & { mcp: NonNullable<CommandSpec['mcp']> }): void {
  const inputSchema: Record<string, ZodType> = {};
  if (!c.noInstance) {
    inputSchema.instance = (c.acceptsAll ? z.union([number, z.literal('all')]) : number).optional()
      .describe(c.acceptsAll ? "Instance number or 'all'; omit for this checkout's own instance" : "Instance number; omit for this checkout's own (leased) instance");
  }
  for (const [key, p] of Object.entries(c.mcp.params ?? {})) inputSchema[key] = schemaOf(p);
  if (c.mcp.confirm) inputSchema.confirm = z.boolean().describe(`Must be true: ${c.mcp.confirm}`);
  server.registerTool(c.name, { description: c.mcp.description, inputSchema }, (input: Record<string, unknown>) => {
    if (c.mcp.confirm && input.confirm !== true) return refusal(`${c.mcp.confirm}: call it again with confirm: true to go ahead`);
    return runCli(cliWords(c, input), deadlineOf(c, input));
  });
}

export async function run(): Promise<void> {
  const server = new McpServer({ name: 'dev-instances', version: toolVersion() });
  for (const c of COMMANDS) if (c.mcp) register(server, c as Parameters<typeof register>[1]);
  await server.connect(new StdioServerTransport());
  // Serve until the client closes stdin, or a signal ends the server (its calls' CLIs get SIGTERM: run.ts).
  await new Promise<void>((resolve) => { process.stdin.once('close', resolve); process.stdin.once('end', resolve); onInterrupt(resolve); });
  stopIfInterrupted(); // ended by a signal: exit 128 + its number, as every command does
}
