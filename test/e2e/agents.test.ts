/**
 * What a coding agent uses: `wait`, `env`, `--json` results, and the MCP server driven by a real
 * MCP client from the same SDK over stdio, against a real instance (native engine, private PM2).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LAUNCHER, SHIPSEC } from '../helpers/cli.js';
import { api, stackRoot } from '../helpers/stack-root.js';

const stack = stackRoot('di-agents-');
const { just } = stack;

type ToolText = { content: { type: string; text: string }[]; isError?: boolean };
const textOf = (r: unknown): string => (r as ToolText).content.map((c) => c.text).join('\n');

describe('for coding agents: wait, env, --json, MCP', () => {
  after(async () => {
    assert.deepEqual(await stack.teardown(), [], 'processes left running');
  });

  it('wait on an instance that does not run names every process that is not healthy, and fails', () => {
    const r = just('dev', '3', 'wait', '--timeout', '1', '--json');
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout);
    assert.equal(j.healthy, false);
    assert.deepEqual(j.notHealthy.map((x: { name: string; state: string }) => `${x.name}:${x.state}`),
      ['shipsec-frontend-3:stopped', 'shipsec-backend-3:stopped', 'shipsec-worker-3:stopped']);
    assert.match(r.stderr, /instance 3 is not healthy after 1 s: shipsec-frontend-3 \(stopped\), shipsec-backend-3 \(stopped\)/);
    const bad = just('dev', '3', 'wait', '--timeout', 'soon');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid --timeout 'soon': expected seconds/);
  });

  it('env prints an app\'s environment as export lines a shell can eval', () => {
    const r = just('dev', '3', 'env', 'backend');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^export PORT='3511'$/m);
    const sh = spawnSync('bash', ['-c', `eval "$1"; echo "$PORT $DATABASE_URL $REDIS_KEY_PREFIX"`, '_', r.stdout], { encoding: 'utf8' });
    assert.equal(sh.stdout.trim(), `3511 postgresql://shipsec:${stack.pgPassword()}@localhost:5733/shipsec_dev_3 shipsec-dev-3:`);
    const shared = JSON.parse(just('dev', '3', 'env', '--json').stdout);
    assert.equal(shared.SHIPSEC_INSTANCE, '3');
    assert.equal(shared.PORT, undefined, 'each app has its own PORT: not shared');
    const unknown = just('dev', '3', 'env', 'nope');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown app 'nope': expected one of frontend, backend, worker/);
  });

  it('start --json ends with one JSON object; wait then says healthy', async () => {
    const r = just('dev', '3', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.instance, 3);
    assert.equal(j.ports.BACKEND, 3511);
    assert.deepEqual(j.apps, ['shipsec-frontend-3', 'shipsec-backend-3', 'shipsec-worker-3']);
    assert.equal((await api(3511, '/health')).status, 200);
    const w = just('dev', '3', 'wait', '--json');
    assert.equal(w.code, 0, w.stderr);
    assert.equal(JSON.parse(w.stdout).healthy, true);
  });

  it('the MCP server ended by SIGTERM (the agent host closing it) exits 143, as every command does', async () => {
    const server = spawn(process.execPath, [LAUNCHER, 'mcp'], {
      cwd: SHIPSEC, env: { ...process.env, DEV_INSTANCES_NO_REBUILD: '1', SHIPSEC_INSTANCE: '', ...stack.env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    // Serving once it answers an initialize request: its signal handling is in place by then.
    const answered = new Promise<void>((resolve) => server.stdout.on('data', (d: Buffer) => { if (d.toString().includes('"serverInfo"')) resolve(); }));
    server.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`);
    await answered;
    server.kill('SIGTERM');
    assert.equal(await exited, 143);
  });

  describe('the MCP server, driven by a real MCP client over stdio', () => {
    let client: Client;
    before(async () => {
      client = new Client({ name: 'test-agent', version: '1.0.0' });
      await client.connect(new StdioClientTransport({
        command: process.execPath, args: [LAUNCHER, 'mcp'], cwd: SHIPSEC,
        env: { ...process.env, DEV_INSTANCES_NO_REBUILD: '1', SHIPSEC_INSTANCE: '', ...stack.env } as Record<string, string>,
        stderr: 'pipe',
      }));
    });
    after(async () => { await client.close(); });

    it('lists its tools', async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['clean', 'clone', 'info', 'logs', 'ports', 'restore', 'snapshot', 'snapshots', 'start', 'status', 'stop', 'wait']);
    });

    it('start, wait, status, ports, info and bounded logs work on a second instance', async () => {
      const started = await client.callTool({ name: 'start', arguments: { instance: 4 } });
      assert.ok(!started.isError, textOf(started));
      assert.equal(JSON.parse(textOf(started)).ports.BACKEND, 3611);
      const waited = await client.callTool({ name: 'wait', arguments: { instance: 4, timeoutSeconds: 30 } });
      assert.equal(JSON.parse(textOf(waited)).healthy, true);
      const status = JSON.parse(textOf(await client.callTool({ name: 'status', arguments: { instance: 'all' } })));
      assert.deepEqual(status.instances.filter((i: { instance: unknown }) => typeof i.instance === 'number').map((i: { instance: number; running: boolean }) => [i.instance, i.running]), [[3, true], [4, true]]);
      assert.equal(JSON.parse(textOf(await client.callTool({ name: 'ports', arguments: { instance: 4 } }))).FRONTEND, 5573);
      assert.equal(JSON.parse(textOf(await client.callTool({ name: 'info', arguments: { instance: 4 } }))).database, 'shipsec_dev_4');
      const logs = textOf(await client.callTool({ name: 'logs', arguments: { instance: 4, lines: 2 } }));
      assert.match(logs, /^shipsec-backend-4/m);
      const perLog = new Map<string, number>();
      for (const line of logs.split('\n')) { const k = line.split(' | ')[0] ?? ''; perLog.set(k, (perLog.get(k) ?? 0) + 1); }
      assert.ok([...perLog.values()].every((n) => n <= 2), `at most 2 lines per log: ${JSON.stringify([...perLog])}`);
      const tooMany = await client.callTool({ name: 'logs', arguments: { instance: 4, lines: 100_000 } });
      assert.ok(tooMany.isError, 'logs are bounded');
    });

    it('snapshot, snapshots and restore: an agent keeps its data under a name and puts it back; restore needs confirm', async () => {
      assert.equal((await api(3611, '/records', { body: 'before the migration' })).status, 201);
      const taken = await client.callTool({ name: 'snapshot', arguments: { instance: 4, name: 'agent-4' } });
      assert.ok(!taken.isError, textOf(taken));
      assert.equal(JSON.parse(textOf(taken)).name, 'agent-4');
      const listed = JSON.parse(textOf(await client.callTool({ name: 'snapshots', arguments: {} }))) as { name: string; instance: number }[];
      assert.deepEqual(listed.map((x) => [x.name, x.instance]), [['agent-4', 4]]);
      assert.equal((await api(3611, '/records', { body: 'a bad migration' })).status, 201);
      const refused = await client.callTool({ name: 'restore', arguments: { instance: 4, name: 'agent-4', confirm: false } });
      assert.ok(refused.isError);
      assert.match(textOf(refused), /restore replaces data: call it again with confirm: true/);
      const restored = await client.callTool({ name: 'restore', arguments: { instance: 4, name: 'agent-4', confirm: true } });
      assert.ok(!restored.isError, textOf(restored));
      assert.deepEqual(((await api(3611, '/records')).json as { body: string }[]).map((x) => x.body), ['before the migration']);
    });

    it('a failing command is a tool error carrying the one-line message', async () => {
      const r = await client.callTool({ name: 'ports', arguments: { instance: 999_999 } });
      assert.ok(r.isError);
      assert.match(textOf(r), /invalid instance '999999': expected an integer from 0 to \d+/);
    });

    it('clean refuses without confirm: true, and cleans with it', async () => {
      const refused = await client.callTool({ name: 'clean', arguments: { instance: 4, confirm: false } });
      assert.ok(refused.isError);
      assert.match(textOf(refused), /call it again with confirm: true/);
      assert.equal((await api(3611, '/health')).status, 200, 'nothing was touched');
      const cleaned = await client.callTool({ name: 'clean', arguments: { instance: 4, confirm: true } });
      assert.ok(!cleaned.isError, textOf(cleaned));
      assert.deepEqual(JSON.parse(textOf(cleaned)).cleaned.map((c: { instance: number }) => c.instance), [4]);
      const stopped = await client.callTool({ name: 'stop', arguments: { instance: 3 } });
      assert.equal(JSON.parse(textOf(stopped)).stopped[0].wasRunning, true);
    });
  });
});
