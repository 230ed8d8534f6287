import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateDeclaration } from '../../src/config/validate.js';
import stack from '../../examples/shipsec/dev-instances.config.js';

const withService = (id: string, patch: object) => ({
  ...stack, services: { ...stack.services, [id]: { ...(stack.services as Record<string, object>)[id], ...patch } },
});
const problems = (decl: unknown) => validateDeclaration(decl).map((p) => `${p.key}: ${p.message}`);

describe('validateDeclaration', () => {
  it('accepts the shipped declaration', () => assert.deepEqual(problems(stack), []));
  it('accepts every infrastructure piece left out: none at all, Postgres only, Redis only', () => {
    const { postgres, redis } = stack.infra ?? {};
    for (const infra of [undefined, {}, { postgres }, { redis }, { postgres, redis }]) assert.deepEqual(problems({ ...stack, infra }), [], JSON.stringify(infra));
  });

  const cases: [string, unknown, RegExp][] = [
    ['a duplicate base port', withService('loki', { basePort: 9000 }), /^services\.loki\.basePort: 9000 is already the base port of services\.minio-api$/],
    ['a port above 65535', withService('loki', { basePort: 70000 }), /^services\.loki\.basePort: 70000 is above 65535$/],
    ['a base port below 1024', withService('redis', { basePort: 80 }), /^services\.redis\.basePort: 80 is below 1024/],
    ['a duplicate port key', withService('loki', { portKey: 'REDIS' }), /^services\.loki\.portKey: 'REDIS' is already used by services\.redis$/],
    ['a bad project name', { ...stack, project: 'Ship Sec' }, /^project: 'Ship Sec' must be lower-case/],
    ['a project whose database names pass 63 bytes', { ...stack, project: `p${'x'.repeat(60)}` }, /^project: database name 'px{60}_dev_17' would be over 63 bytes/],
    ['an app on an unknown service', { ...stack, apps: { ...stack.apps, api: { ...stack.apps.backend, port: 'nope' } } }, /^apps\.api\.port: 'nope' is not a service/],
    ['a needsInfrastructure that is not a boolean', { ...stack, apps: { ...stack.apps, frontend: { ...stack.apps.frontend, needsInfrastructure: 'no' } } },
      /^apps\.frontend\.needsInfrastructure: 'no' must be true or false$/],
    ['a readiness path without a slash', withService('loki', { ready: { http: 'ready' } }), /^services\.loki\.ready: \{"http":"ready"\} must be \{ http: '\/path' \} .* or \{ command: \[/],
    ['a readiness command that is a string', withService('loki', { ready: { command: 'pg_isready' } }), /^services\.loki\.ready: \{"command":"pg_isready"\} must be/],
    ['compose files that are not a list of paths', { ...stack, composeFiles: ['docker-compose.yml', ''] }, /^composeFiles\[1\]: '' must be a path to a compose file/],
    ['no compose file in the list', { ...stack, composeFiles: [] }, /^composeFiles: \[\] must be a file or a non-empty list of files/],
    ['a Kafka topic with a space', { ...stack, infra: { ...stack.infra, redpanda: { service: 'redpanda', topics: ['audit log'] } } },
      /^infra\.redpanda\.topics\[0\]: 'audit log' must be a topic name: 1-200 letters, digits/],
    ['a native command that is a string', withService('loki', { native: { command: 'loki -config.file=x' } }), /^services\.loki\.native\.command: must be a command line as a list/],
    ['a zero stride', { ...stack, portStride: 0 }, /^portStride: 0 must be a positive integer$/],
    ['infra naming a missing service', { ...stack, infra: { ...stack.infra, redis: { service: 'valkey' } } }, /^infra\.redis\.service: 'valkey' is not a service in services$/],
    ['an infrastructure kind the tool does not know', { ...stack, infra: { ...stack.infra, mongo: { service: 'redis' } } }, /^infra\.mongo: 'mongo' is not a kind this tool knows: postgres, redis, temporal, minio, loki, redpanda$/],
    ['an app with neither command nor script', { ...stack, apps: { api: { cwd: '.', envSources: [] } } }, /^apps\.api: needs a command/],
    ['an app with both command and script', { ...stack, apps: { api: { cwd: '.', script: 'a.js', command: 'bun run dev', envSources: [] } } }, /^apps\.api: has both script and command: give one$/],
    ['an app named like a server the native engine runs under PM2', { ...stack, apps: { redis: { cwd: '.', command: 'redis-commander', envSources: [] } } }, /^apps\.redis: app name 'redis' is the name of a server's process under PM2 \(postgres, redis, temporal, minio, loki, redpanda are taken\): rename the app$/],
    ['a ready signal for a command', { ...stack, apps: { api: { cwd: '.', command: 'bun run dev', ready: 'signal', envSources: [] } } }, /^apps\.api\.ready: 'signal' is for Node scripts/],
    ['an empty command', { ...stack, apps: { api: { cwd: '.', command: '  ', envSources: [] } } }, /^apps\.api\.command: ' {2}' must be a command line/],
    ['a retention without unit', { ...stack, infra: { ...stack.infra, temporal: { service: 'temporal', retention: '72' } } }, /^infra\.temporal\.retention: '72' must be hours or days/],
    ['an image for a service that is not a container', { ...stack, images: { mysql: 'mysql:8' } }, /^images\.mysql: 'mysql' is not a container service of any port$/],
    ['an image reference with a space', { ...stack, images: { postgres: 'postgres 16' } }, /^images\.postgres: 'postgres 16' must be an image reference/],
    ['not an object', 42, /^\(root\): the default export must be an object/],
  ];
  for (const [what, decl, want] of cases) {
    it(`rejects ${what}, naming the key`, () => {
      const got = problems(decl);
      assert.ok(got.some((line) => want.test(line)), `no problem matched ${want}: ${JSON.stringify(got)}`);
    });
  }
});
