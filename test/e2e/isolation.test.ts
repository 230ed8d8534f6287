/**
 * No command touches another instance: two instances on shared infrastructure (the hard case: one
 * Postgres, one Redis), every destructive action done to one, the other checked byte for byte; then
 * the same from a second checkout of the project (another worktree: its own folder and commands,
 * the machine's one PM2 daemon, lease registry and shared set).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { api, stackRoot } from '../helpers/stack-root.js';

const stack = stackRoot('di-iso-');
const { just } = stack;
/** A second checkout of the project beside the first: its instances use the same shared set. */
const other = stackRoot('di-iso-b-', { alongside: stack });

/** Every file the tool keeps for an instance, hashed (logs, caches and live server data excluded). */
function files(n: number): Record<string, string> {
  const dir = join(stack.root, `.instances/instance-${n}`);
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (['logs', '.vite', 'data'].includes(name)) continue;
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

async function database(n: number): Promise<unknown[]> {
  const c = new pg.Client({ host: '127.0.0.1', port: 5433, user: 'shipsec', password: stack.pgPassword(), database: `shipsec_dev_${n}` });
  c.on('error', () => {});
  await c.connect();
  try {
    const tables = (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename as string);
    const out: unknown[] = [];
    for (const t of tables) out.push(t, (await c.query(`SELECT * FROM "${t}" ORDER BY 1`)).rows);
    return out;
  } finally {
    await c.end();
  }
}

async function keys(prefix: string): Promise<[string, string | null][]> {
  return stack.withRedis(6379, async (r) => {
    const all = (await r.keys('*')).filter((k) => k.startsWith(prefix)).sort();
    return Promise.all(all.map(async (k) => [k, (await r.type(k)) === 'string' ? await r.get(k) : await r.type(k)] as [string, string | null]));
  });
}

/** What is done to instance 12, in order: every command that stops, replaces or deletes something. */
const ACTIONS = [
  ['restart', '--infra', 'shared'], ['stop'], ['clean', '--yes'], ['start', '--infra', 'shared'],
  ['snapshot', 'iso-12'], ['restore', 'iso-12', '--yes'], ['clone', '13', '--yes'], ['restore', '--yes'], ['clean', '--yes'],
  ['start', '--infra', 'shared', '--seed', 'iso-12'], ['clean', '--yes'],
];

const snapshot = async () => ({ files: files(13), database: await database(13), keys: await keys('shipsec-dev-13:') });

describe('isolation between instances on shared infrastructure', () => {
  after(async () => {
    assert.deepEqual(await other.teardown(), [], "processes of the second checkout left running");
    assert.deepEqual(await stack.teardown(), [], 'processes left running');
  });

  it('every destructive action on instance 12 leaves instance 13 exactly as it was', async () => {
    for (const n of ['12', '13']) {
      const r = just('dev', n, '--infra', 'shared');
      assert.equal(r.code, 0, r.stderr);
    }
    for (const [n, port] of [[12, 4411], [13, 4511]] as const) {
      await api(port, '/records', { body: `record of ${n}` });
      await api(port, '/kv/owner', { value: `instance ${n}` });
      await api(port, '/jobs', { n });
    }
    const before = await snapshot();
    assert.ok(before.keys.some(([k]) => k === 'shipsec-dev-13:owner'));

    for (const action of ACTIONS) {
      const r = just('dev', '12', ...action);
      assert.equal(r.code, 0, `${action.join(' ')}: ${r.stderr}`);
    }
    assert.deepEqual(await snapshot(), before);
    assert.equal((await api(4511, '/health')).status, 200);
    assert.deepEqual(await keys('shipsec-dev-12:'), []);
  });

  it("every destructive action on another checkout's instance, on the same shared infrastructure, leaves instance 13 exactly as it was", async () => {
    const before = await snapshot();
    const up = other.just('dev', '12', '--infra', 'shared');
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await api(4411, '/records', { body: 'record of the other checkout' })).status, 201);
    // clone 13 reads the first checkout's instance 13 (it holds that number), never writes it.
    for (const action of ACTIONS) {
      const r = other.just('dev', '12', ...action);
      assert.equal(r.code, 0, `${action.join(' ')} in the second checkout: ${r.stderr}`);
    }
    const all = other.just('dev', 'stop', 'all', '--shared');
    assert.equal(all.code, 1, 'stop --shared from the second checkout while the first uses the set');
    assert.match(all.stderr, /the shared infrastructure is still used by instance 13 \(of /);
    const cleaned = other.just('dev', 'clean', 'all', '--yes');
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.deepEqual(await snapshot(), before);
    assert.equal((await api(4511, '/health')).status, 200);
    assert.deepEqual(await keys('shipsec-dev-12:'), []);
  });
});
