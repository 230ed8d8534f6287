import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDeclaration } from '../../src/config/load.js';
import { defineStack } from '../../src/config/types.js';
import { plan } from '../../src/plan/plan.js';
import { pgServerOf, redisUrlOf } from '../../src/provision/index.js';
import { instanceRange } from '../../src/plan/range.js';
import stack from '../../examples/shipsec/dev-instances.config.js';

const decl = checkDeclaration(stack, 'stack.config.ts');
const MAX = instanceRange(Object.entries(decl.services).map(([id, s]) => ({ id, basePort: s.basePort })), decl.portStride).max;

// ShipSec Studio's published port table (seed 004), column by column.
const SEED_TABLE: Record<string, Record<number, number>> = {
  FRONTEND: { 0: 5173, 1: 5273, 2: 5373, 5: 5673 },
  BACKEND: { 0: 3211, 1: 3311, 2: 3411, 5: 3711 },
  TEMPORAL_CLIENT: { 0: 7233, 1: 7333, 2: 7433, 5: 7733 },
  TEMPORAL_UI: { 0: 8081, 1: 8181, 2: 8281, 5: 8581 },
  POSTGRES: { 0: 5433, 1: 5533, 2: 5633, 5: 5933 },
  MINIO_API: { 0: 9000, 1: 9100, 2: 9200, 5: 9500 },
  MINIO_CONSOLE: { 0: 9001, 1: 9101, 2: 9201, 5: 9501 },
  REDIS: { 0: 6379, 1: 6479, 2: 6579, 5: 6879 },
  LOKI: { 0: 3100, 1: 3200, 2: 3300, 5: 3600 },
  REDPANDA: { 0: 9092, 1: 9192, 2: 9292, 5: 9592 },
  REDPANDA_UI: { 0: 8082, 1: 8182, 2: 8282, 5: 8582 },
};

describe('plan(N)', () => {
  for (const n of [0, 1, 2, 5]) {
    it(`reproduces the seed's port table for instance ${n}, keys in order`, () => {
      const got = plan(decl, n).ports.map((p) => [p.key, p.port]);
      const want = Object.entries(SEED_TABLE).map(([key, col]) => [key, col[n]]);
      assert.deepEqual(got, want);
    });
  }

  it('names everything after the instance, instance 0 included', () => {
    for (const n of [0, 3]) {
      const p = plan(decl, n);
      assert.equal(p.composeProject, `shipsec-dev-${n}`);
      assert.deepEqual(p.apps.map((a) => a.pm2Name), [`shipsec-frontend-${n}`, `shipsec-backend-${n}`, `shipsec-worker-${n}`]);
      assert.equal(p.pm2Namespace, `shipsec-dev-${n}`);
      assert.equal(p.database!.name, `shipsec_dev_${n}`);
      assert.equal(p.temporal!.namespace, `shipsec-dev-${n}`);
      assert.equal(p.temporal!.taskQueue, `shipsec-dev-${n}`);
      assert.equal(p.redis!.keyPrefix, `shipsec-dev-${n}:`);
      assert.equal(p.dir, `.instances/instance-${n}`);
    }
  });

  it("gives every app the instance's environment, PORT only to apps that listen", () => {
    const p = plan(decl, 2);
    const [frontend, backend, worker] = p.apps;
    for (const app of p.apps) {
      assert.equal(app.env.SHIPSEC_INSTANCE, '2');
      assert.equal(app.env.SHIPSEC_ENV, 'development');
      assert.equal(app.env.NODE_ENV, 'development');
      assert.equal(app.env.VITE_API_URL, 'http://localhost:3411');
      assert.equal(app.env.TEMPORAL_NAMESPACE, 'shipsec-dev-2');
      assert.equal(app.env.TEMPORAL_TASK_QUEUE, 'shipsec-dev-2');
      assert.equal(app.env.TERMINAL_REDIS_URL, 'redis://localhost:6579');
      assert.equal(app.env.LOG_KAFKA_BROKERS, 'localhost:9292');
      assert.equal(app.env.DATABASE_URL, 'postgresql://shipsec:shipsec@localhost:5633/shipsec_dev_2');
      assert.equal(app.env.REDIS_KEY_PREFIX, 'shipsec-dev-2:');
    }
    assert.equal(frontend?.env.PORT, '5373');
    assert.equal(backend?.env.PORT, '3411');
    assert.equal(worker?.env.PORT, undefined);
  });

  it("no instance's key prefix is a prefix of another's", () => {
    const prefixes = Array.from({ length: MAX + 1 }, (_, n) => plan(decl, n).redis!.keyPrefix);
    for (const a of prefixes) for (const b of prefixes) if (a !== b) assert.ok(!b.startsWith(a), `${a} prefixes ${b}`);
  });

  it('no two instances in 0..max share a port, and every port stays <= 65535', () => {
    const owner = new Map<number, string>();
    for (let n = 0; n <= MAX; n++) {
      for (const p of plan(decl, n).ports) {
        assert.ok(p.port <= 65535);
        const prev = owner.get(p.port);
        assert.equal(prev, undefined, `port ${p.port}: ${prev} and instance ${n} ${p.id}`);
        owner.set(p.port, `instance ${n} ${p.id}`);
      }
    }
  });

  it("stops the range one short of the first cross-instance clash (5433 + 18*100 = 7233)", () => {
    const r = instanceRange(Object.entries(decl.services).map(([id, s]) => ({ id, basePort: s.basePort })), 100);
    assert.equal(r.max, 17);
    assert.match(r.reason, /instance 18's postgres port would be instance 0's temporal port \(7233\)/);
    assert.throws(() => plan(decl, 18), RangeError);
  });

  it('is limited by 65535 when no base ports clash', () => {
    const r = instanceRange([{ id: 'a', basePort: 3000 }, { id: 'b', basePort: 9092 }], 100);
    assert.equal(r.max, Math.floor((65535 - 9092) / 100));
  });

  it('warns when a port falls in the ephemeral range', () => {
    const high = checkDeclaration(defineStack({ ...stack, services: { ...stack.services, frontend: { ...stack.services.frontend, basePort: 32700 } } }), 'test');
    assert.deepEqual(plan(high, 0).warnings, []);
    assert.match(plan(high, 1).warnings.join('\n'), /Frontend port 32800 is in the Linux ephemeral range/);
  });

  it('publishes exactly the instance ports in the compose override, with the per-instance redpanda address', () => {
    const o = plan(decl, 2).compose.override;
    assert.deepEqual(o.services.minio?.ports, ['127.0.0.1:9200:9000', '127.0.0.1:9201:9001']);
    assert.deepEqual(o.services.postgres?.ports, ['127.0.0.1:5633:5432']);
    assert.ok((o.services.redpanda?.command as string[]).includes('internal://redpanda:29092,external://localhost:9292'));
    assert.equal(o.services.frontend, undefined, 'apps are not compose services');
  });

  it('an IPv6 bindAddress is bracketed in the compose ports; a name that is not an address is refused', () => {
    const v6 = checkDeclaration({ ...stack, bindAddress: '::1' }, 'x');
    assert.deepEqual(plan(v6, 2).compose.override.services.postgres?.ports, ['[::1]:5633:5432']);
    assert.throws(() => checkDeclaration({ ...stack, bindAddress: 'localhost' }, 'x'), /bindAddress: 'localhost' must be an IP address such as 127\.0\.0\.1 or ::1/);
  });

  it('an env value that is no string (a misspelt field of a slice) is refused as the declaration loads, naming the key', () => {
    assert.throws(() => checkDeclaration({ ...stack, env: (ctx: Parameters<typeof stack.env>[0]) => ({ ...stack.env(ctx), REDIS_URL: (ctx.redis as unknown as Record<string, string>).ur1 as string }) }, 'dev-instances.config.ts'),
      /^ConfigError: dev-instances\.config\.ts: env\.REDIS_URL is undefined: expected a string/);
    const backend = (env: () => Record<string, unknown>) => ({ ...stack, apps: { ...stack.apps, backend: { ...stack.apps.backend, env: env as () => Record<string, string> } } });
    assert.throws(() => checkDeclaration(backend(() => ({ BAD: { a: 1 } })), 'x'), /x: apps\.backend\.env\.BAD is an object: expected a string/);
    assert.equal(plan(checkDeclaration(backend(() => ({ WORKERS: 4 })), 'x'), 2).apps.find((a) => a.id === 'backend')?.env.WORKERS, '4', 'a number is written as one');
  });

  it("placed on another Docker host: the instance's own infrastructure answers there (env, override, the tool's clients); apps and the shared set stay here", () => {
    const remote = { name: 'build-box', docker: 'tcp://10.77.0.2:2375', address: '10.77.0.2' };
    const p = plan(decl, 2, { placement: remote });
    const env = p.apps.find((a) => a.id === 'backend')?.env ?? {};
    assert.equal(env.DATABASE_URL, 'postgresql://shipsec:shipsec@10.77.0.2:5633/shipsec_dev_2');
    assert.equal(env.REDIS_URL, 'redis://10.77.0.2:6579');
    assert.equal(env.TEMPORAL_ADDRESS, '10.77.0.2:7433');
    assert.equal(env.LOG_KAFKA_BROKERS, '10.77.0.2:9292');
    assert.equal(env.PORT, '3411');
    assert.equal(p.apps.find((a) => a.id === 'frontend')?.url?.direct, 'http://localhost:5373', 'apps stay on this machine');
    assert.deepEqual(p.ports.filter((x) => x.host === 'localhost').map((x) => x.id), ['frontend', 'backend']);
    assert.deepEqual(p.infra.placement, remote, 'the engine is told which Docker host runs the set');
    assert.equal(p.sharedInfra, undefined);
    const o = p.compose.override;
    assert.deepEqual(o.services.postgres?.ports, ['10.77.0.2:5633:5432'], 'bound to the host\'s own address, never 0.0.0.0');
    assert.ok((o.services.redpanda?.command as string[]).includes('internal://redpanda:29092,external://10.77.0.2:9292'));
    assert.deepEqual(pgServerOf(p), { host: '10.77.0.2', port: 5633, user: 'shipsec', password: 'shipsec' });
    assert.equal(redisUrlOf(p), 'redis://10.77.0.2:6579');

    const local = plan(decl, 2);
    assert.equal(pgServerOf(local).host, '127.0.0.1', "the tool's clients reach local servers on IPv4 loopback");
    assert.equal(local.apps.find((a) => a.id === 'backend')?.env.DATABASE_URL, 'postgresql://shipsec:shipsec@localhost:5633/shipsec_dev_2');

    const shared = plan(decl, 2, { placement: remote, shared: new Set(['postgres', 'redis']) });
    assert.equal(redisUrlOf(shared), 'redis://127.0.0.1:6379', 'the shared set is not placed with the instance');
    assert.deepEqual(shared.sharedInfra?.compose.override.services.postgres?.ports, ['127.0.0.1:5433:5432']);
    assert.equal(shared.apps.find((a) => a.id === 'backend')?.env.TEMPORAL_ADDRESS, '10.77.0.2:7433');
  });

  it('points a service at another image: the declaration, and DEV_INSTANCES_IMAGE_<SERVICE> which wins', () => {
    const decl = { ...stack, images: { postgres: 'mirror.internal/postgres:16', redis: 'mirror.internal/redis:7' } } as typeof stack;
    const p = plan(decl, 2, { env: { DEV_INSTANCES_IMAGE_POSTGRES: 'dev-instances/postgres:local', DEV_INSTANCES_IMAGE_REDPANDA_CONSOLE: 'rc:1' } });
    const svc = p.infra.compose.override.services;
    assert.equal(svc.postgres?.image, 'dev-instances/postgres:local');
    assert.equal(svc.redis?.image, 'mirror.internal/redis:7');
    assert.equal(svc['redpanda-console']?.image, 'rc:1', 'a dashed service name becomes _ in the variable');
    assert.equal(svc.temporal?.image, undefined, 'no override: the base file decides');
    assert.deepEqual(p.infra.images.postgres, { image: 'dev-instances/postgres:local', from: 'DEV_INSTANCES_IMAGE_POSTGRES' });
    assert.deepEqual(p.infra.images.redis, { image: 'mirror.internal/redis:7', from: 'images in the declaration' });
    assert.deepEqual(plan(stack, 2).infra.images, {}, 'nothing without a declaration key or variable');
  });
});
