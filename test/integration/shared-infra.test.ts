/**
 * Shared infrastructure on the native engine: two instances on one Postgres and one Redis, isolated
 * by database and key prefix; stopping or cleaning one leaves the other working.
 */
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { checkDeclaration } from '../../src/config/load.js';
import { defineStack } from '../../src/config/types.js';
import { nativeEngine } from '../../src/engines/native/index.js';
import { composeServices, plan, rangeFor, sharedServices } from '../../src/plan/plan.js';
import { withPm2 } from '../../src/pm2/client.js';
import { portInUse } from '../../src/ports/holder.js';
import { dropDatabase, ensureDatabase } from '../../src/provision/postgres.js';
import { dropPrefix } from '../../src/provision/redis.js';
import stack from '../../examples/shipsec/dev-instances.config.js';
import { tempDir } from '../helpers/cli.js';
import { processesUnder, usePrivatePm2 } from '../helpers/pm2-home.js';

// Base ports moved by 10 so a system Redis on 6379 or Postgres on 5433 cannot get in the way.
const moved = Object.fromEntries(Object.entries(stack.services).map(([id, s]) => [id, { ...s, basePort: s.basePort + 10 }]));
const decl = checkDeclaration(defineStack({ ...stack, services: moved as typeof stack.services, infraSharing: 'shared' }), 'test');
const pm2 = usePrivatePm2();
const root = tempDir('di-shared-');
chmodSync(root.path, 0o755);
// As the CLI plans instances whose Redis the native engine runs: with the machine's password.
const redisPassword = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const [p7, p8] = [plan(decl, 7, { passwords: { redis: redisPassword } }), plan(decl, 8, { passwords: { redis: redisPassword } })];
const shared = p7.sharedInfra;

async function sql(p: typeof p7, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: p.database!.url.replace('localhost', '127.0.0.1') });
  c.on('error', () => {});
  await c.connect();
  try { return await c.query(text, params); } finally { await c.end(); }
}
const redisFor = (p: typeof p7) => new Redis(p.redis!.url, { keyPrefix: p.redis!.keyPrefix, lazyConnect: true });

describe('shared infrastructure', () => {
  before(async () => {
    assert.ok(shared);
    await nativeEngine.up({ decl, scope: shared, root: root.path });
    await Promise.all([p7, p8].map((p) => nativeEngine.up({ decl, scope: p.infra, root: root.path })));
    await Promise.all([p7, p8].map((p) => ensureDatabase({ ...p.database!, host: '127.0.0.1' }, p.database!.name)));
  });
  after(async () => {
    try {
      if (shared) await nativeEngine.down({ decl, scope: shared, root: root.path });
      assert.deepEqual(processesUnder(root.path), []);
    } finally {
      pm2.kill();
      root.cleanup();
    }
  });

  it('plans one set on the base ports for every instance, named once', () => {
    assert.equal(shared?.composeProject, 'shipsec-infra');
    assert.deepEqual(p8.sharedInfra?.ports.map((x) => x.port), shared?.ports.map((x) => x.port));
    assert.equal(p7.database!.port, 5443);
    assert.equal(p8.database!.port, 5443);
    assert.deepEqual(p7.infra.services, []);
    assert.notEqual(p7.database!.name, p8.database!.name);
    assert.deepEqual([...sharedServices(decl)], composeServices(decl));
    assert.ok(rangeFor(decl).max >= 20, 'sharing lifts the isolated limit of 17');
  });

  it('runs one Postgres and one Redis for both instances', async () => {
    const names = (await withPm2((s) => s.list())).map((x) => x.name).sort();
    assert.deepEqual(names, ['shipsec-postgres-infra', 'shipsec-redis-infra']);
  });

  it('keeps records and keys apart by database and prefix', async () => {
    await sql(p7, 'CREATE TABLE notes (body text)');
    await sql(p7, 'INSERT INTO notes VALUES ($1)', ['from instance 7']);
    await assert.rejects(sql(p8, 'SELECT * FROM notes'), /relation "notes" does not exist/);
    const [r7, r8] = [redisFor(p7), redisFor(p8)];
    try {
      await Promise.all([r7.connect(), r8.connect()]);
      await r7.set('greeting', 'seven');
      await r8.set('greeting', 'eight');
      assert.equal(await r7.get('greeting'), 'seven');
      assert.equal(await r8.get('greeting'), 'eight');
    } finally {
      r7.disconnect();
      r8.disconnect();
    }
  });

  it("stopping and cleaning instance 7 leaves instance 8's data and the shared servers alone", async () => {
    await nativeEngine.down({ decl, scope: p7.infra, root: root.path });
    await dropDatabase({ ...p7.database!, host: '127.0.0.1' }, p7.database!.name);
    await dropPrefix(p7.redis!.url, p7.redis!.keyPrefix);
    assert.equal(await portInUse(p8.database!.port), true);
    assert.equal((await sql(p8, 'SELECT 1 AS one')).rows[0].one, 1);
    const r8 = redisFor(p8);
    await r8.connect();
    try { assert.equal(await r8.get('greeting'), 'eight'); } finally { r8.disconnect(); }
  });
});
