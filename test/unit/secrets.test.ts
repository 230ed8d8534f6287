import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkDeclaration } from '../../src/config/load.js';
import { plan } from '../../src/plan/plan.js';
import { redisUrlOf } from '../../src/provision/index.js';
import { machineSecret, secretFile } from '../../src/secrets.js';
import { redis } from '../../src/slices/redis.js';
import stack from '../../examples/shipsec/dev-instances.config.js';

const dir = mkdtempSync(join(tmpdir(), 'di-secrets-'));
const env = { DEV_INSTANCES_STATE_DIR: dir };
after(() => rmSync(dir, { recursive: true, force: true }));

describe("the machine's password for native servers", () => {
  it('is made once, 0600 in a 0700 folder, and the same on every later read', () => {
    const made = machineSecret('redis', env);
    assert.match(made, /^[0-9a-f]{48}$/);
    assert.equal(machineSecret('redis', env), made);
    assert.equal(statSync(secretFile('redis', env)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'secrets')).mode & 0o777, 0o700);
  });

  it('is refused, with what to do, when others could have read it; and when it is not one the tool made', () => {
    const file = secretFile('redis', env);
    chmodSync(file, 0o644);
    const before = readFileSync(file, 'utf8');
    assert.throws(() => machineSecret('redis', env), /refusing the password in .*secrets\/redis: mode 0644, so other users may have read it/);
    assert.equal(readFileSync(file, 'utf8'), before, 'a refused file is left as it was, not replaced behind the user');
    writeFileSync(file, 'hunter2\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    assert.throws(() => machineSecret('redis', env), /does not hold a password this tool made/);
  });

  it("goes into the Redis URL apps get and the tool's clients use; what is printed masks it", () => {
    const decl = checkDeclaration(stack, 'stack.config.ts');
    const p = plan(decl, 2, { passwords: { redis: 'a'.repeat(48) } });
    assert.equal(p.apps.find((a) => a.id === 'backend')?.env.REDIS_URL, `redis://:${'a'.repeat(48)}@localhost:6579`);
    assert.equal(redisUrlOf(p), `redis://:${'a'.repeat(48)}@127.0.0.1:6579`);
    assert.equal(p.infra.redisPassword, 'a'.repeat(48), 'the native engine is told what to ask for');
    assert.equal(redis.show(p.redis!), "'shipsec-dev-2:' at redis://:****@localhost:6579");
    assert.equal(plan(decl, 2).apps.find((a) => a.id === 'backend')?.env.REDIS_URL, 'redis://localhost:6579', 'no password where none is asked (docker)');
  });
});
