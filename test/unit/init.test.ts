/** `init` reading a project's own files, as real projects write them: compose files, PM2 files, Procfiles, package.json scripts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { appsFromEcosystem, appsFromPackages, appsFromProcfile } from '../../src/init/apps.js';
import { interpolate, publishedPorts, readServices } from '../../src/init/compose.js';
import { declarationText } from '../../src/init/declaration.js';
import { urlKeys } from '../../src/init/env-urls.js';
import { parseComposeText } from '../../src/engines/docker/compose-text.js';

describe('init reads compose files', () => {
  it('published ports in every syntax, with .env interpolation; a bare target or a range publishes nothing fixed', () => {
    const env = { DB_PORT: '5433', EMPTY: '' };
    // A port compose reads from a variable .env sets (not empty) is said, for the apps' env.
    const cases: [unknown, { published: number; target: number; variable?: string }[]][] = [
      ['5432:5432', [{ published: 5432, target: 5432 }]],
      ['127.0.0.1:6379:6379', [{ published: 6379, target: 6379 }]],
      ['[::1]:8080:80/tcp', [{ published: 8080, target: 80 }]],
      ['${DB_PORT:-5432}:5432', [{ published: 5433, target: 5432, variable: 'DB_PORT' }]],
      ['${EMPTY:-5434}:5432', [{ published: 5434, target: 5432 }]],
      ['${MISSING-5435}:5432', [{ published: 5435, target: 5432 }]],
      [{ target: 6379, published: 6380 }, [{ published: 6380, target: 6379 }]],
      [{ target: 6379, published: '${DB_PORT}' }, [{ published: 5433, target: 6379, variable: 'DB_PORT' }]],
      ['5432', []],
      ['9000-9001:9000-9001', []],
    ];
    for (const [entry, want] of cases) assert.deepEqual(publishedPorts(entry, env), want, JSON.stringify(entry));
    assert.equal(interpolate('$A-${B:-b}-${C-c}', { A: 'a', C: '' }), 'a-b-');
  });

  it('several files merged in order (ports appended), profiles left out and said, kinds from image names, healthchecks, credentials', () => {
    const base = parse(`
services:
  db: { image: "postgis/postgis:16-3.4", environment: { POSTGRES_USER: app, POSTGRES_PASSWORD: "\${PG_PASS:-pw}" }, ports: ["5432:5432"] }
  kv: { image: valkey/valkey:8, healthcheck: { test: [CMD, valkey-cli, ping] } }
  odd: { image: ghcr.io/acme/thing:1, ports: ["7000:7000"] }
  tools: { image: busybox, profiles: [debug], ports: ["9999:9999"] }
  docs: { image: mongo:7, healthcheck: { disable: true }, ports: ["27017:27017"] }
`);
    const dev = parse('services:\n  kv: { ports: ["6380:6379"] }\n  db: { ports: ["15432:5432"] }\n');
    const r = readServices([base, dev], { PG_PASS: 'secret' });
    assert.deepEqual(r.skipped, ['tools: only in profile debug']);
    assert.deepEqual(r.services.map((s) => [s.name, s.kind ?? '-', s.ports.map((p) => p.published), s.healthcheck]), [
      ['db', 'postgres', [5432, 15432], false], ['kv', 'redis', [6380], true], ['odd', '-', [7000], false], ['docs', 'mongo', [27017], false],
    ]);
    assert.deepEqual(r.services[0]?.credentials, { user: 'app', password: 'secret', passwordFrom: 'PG_PASS' }, 'the password came from .env, and init says so');
  });
});

describe('compose text as compose reads it', () => {
  it('merge keys (<<: *anchor) resolved; v2 tags read as their value; $$ is a dollar', () => {
    const doc = parseComposeText('x-pg: &pg\n  image: postgres:16\n  ports: ["5432:5432"]\nservices:\n  db:\n    <<: *pg\n    ports: !override ["5433:5432"]\n') as { services: { db: { image: string; ports: string[] } } };
    assert.deepEqual(doc.services.db, { image: 'postgres:16', ports: ['5433:5432'] });
    assert.equal(interpolate('a$$b', {}), 'a$b');
  });
});

describe('init reads apps', () => {
  it('a PM2 ecosystem: Node scripts stay scripts, other programs become commands, the port from env or the arguments', () => {
    const apps = appsFromEcosystem({ apps: [
      { name: 'API', script: 'dist/server.js', cwd: '/srv/p/api', env: { PORT: 3000 } },
      { name: 'jobs', script: 'jobs.js', args: '--port 3100' },
      { name: 'web', script: 'npm', args: 'run dev -- --port 5173', cwd: './web' },
      { name: 'py', script: 'app.py', interpreter: 'python3', args: ['--port=8000'] },
    ] }, 'ecosystem.config.cjs', '/srv/p');
    assert.deepEqual(apps.map((a) => [a.id, a.cwd, a.script ?? a.command?.join(' '), a.port]), [
      ['api', 'api', 'dist/server.js', 3000], ['jobs', '.', 'jobs.js', 3100], ['web', 'web', 'npm run dev -- --port 5173', 5173], ['py', '.', 'python3 app.py --port=8000', 8000],
    ]);
  });

  it('a Procfile, and package.json dev scripts', () => {
    // Run by a shell, as a Procfile's lines are; release is a one-off step.
    assert.deepEqual(appsFromProcfile('# comment\nweb: bundle exec rails s -p 3000\nworker: bin/jobs && echo $PORT\nrelease: rake db:migrate\n').map((a) => [a.id, a.command, a.port]),
      [['web', ['sh', '-c', 'bundle exec rails s -p 3000'], 3000], ['worker', ['sh', '-c', 'bin/jobs && echo $PORT'], undefined]]);
    // A workspace: its packages' dev scripts, not the root's that runs them all; one naming its port runs itself with {port}.
    assert.deepEqual(appsFromPackages([
      { dir: '.', text: '{"name":"@acme/root","scripts":{"dev":"turbo dev"}}' },
      { dir: 'apps/web', text: '{"name":"web","scripts":{"dev":"vite --port 5173"}}' },
      { dir: 'apps/api', text: '{"name":"api","scripts":{"dev":"tsx watch src/main.ts && echo done"}}' },
    ]).map((a) => [a.id, a.cwd, a.command?.join(' '), a.port]), [['web', 'apps/web', 'npx --no-install vite --port 5173', 5173], ['api', 'apps/api', 'npm run dev', undefined]]);
  });
});

describe('init writes the declaration', () => {
  it('apps first, then each published port; a port named in a command becomes {port}; URL keys get the instance\'s database and Redis', () => {
    const { text, dropped } = declarationText({
      project: 'acme', composeFiles: ['docker-compose.yml'], envSources: ['.env'], sources: ['docker-compose.yml'],
      urlKeys: [{ key: 'DATABASE_URL', kind: 'database', tail: '', dropped: [] }, { key: 'CACHE_URL', kind: 'redis', tail: '', dropped: [] }],
      apps: [{ id: 'web', cwd: 'web', command: ['vite', '--port', '5173'], port: 5173, from: 'x' }],
      services: [
        { name: 'db', image: 'postgres:16', kind: 'postgres', label: 'PostgreSQL', infra: 'postgres', ports: [{ published: 5432, target: 5432 }], healthcheck: true, credentials: { user: 'u', password: 'p' } },
        { name: 'other', label: 'other', ports: [{ published: 5173, target: 80 }], healthcheck: false },
      ],
    });
    assert.match(text, /^ {4}web: \{ label: 'web', portKey: 'WEB', basePort: 5173, scheme: 'http' \},$/m);
    assert.match(text, /^ {4}postgres: \{ label: 'PostgreSQL', portKey: 'POSTGRES', basePort: 5432, scheme: 'postgresql', container: \{ service: 'db', port: 5432 \} \},$/m);
    assert.match(text, /command: \['vite', '--port', '\{port\}'\], port: 'web'/);
    assert.match(text, /infra: \{\n {4}postgres: \{ service: 'postgres', user: 'u', password: 'p' \},\n {2}\},/);
    assert.match(text, /env: \(\{ database \}\) => \(\{\n {4}DATABASE_URL: database\.url,\n {2}\}\),/, 'no Redis declared: its URL key is left to the env file');
    assert.deepEqual(dropped, ["left out other: port 5173 is already web's"]);
    assert.match(text, /^import \{ defineStack \} from 'dev-instances';$/m);
  });

  it('a Postgres password taken from .env stays there: the declaration reads the variable as it loads', () => {
    const { text } = declarationText({
      project: 'acme', composeFiles: ['compose.yml'], envSources: [], sources: ['compose.yml'], urlKeys: [], apps: [],
      services: [{ name: 'db', image: 'postgres:16', kind: 'postgres', label: 'PostgreSQL', infra: 'postgres', ports: [{ published: 5432, target: 5432 }], healthcheck: true, credentials: { user: 'u', password: 's3cret', passwordFrom: 'PG_PASS' } }],
    });
    assert.ok(!text.includes('s3cret'), 'the password is not written');
    assert.match(text, /^import \{ composeEnv, defineStack \} from 'dev-instances';$/m);
    assert.match(text, /postgres: \{ service: 'postgres', user: 'u', password: composeEnv\(new URL\('\.env', import\.meta\.url\)\)\.PG_PASS \},/);
  });
});

describe('init leaves no app on a fixed port, and keeps what the URLs say', () => {
  it('a port given as a server\'s positional argument, as -l or --bind host:port, or inside a Procfile\'s shell line becomes {port}', () => {
    const eco = appsFromEcosystem({ apps: [
      { name: 'web', script: 'python3', args: '-m http.server 8200 --bind 127.0.0.1' },
      { name: 'gunicorn', script: 'gunicorn', args: ['-b', '0.0.0.0:8300', 'app:app'] },
      { name: 'static', script: 'npx', args: 'serve -l 8400 dist' },
      { name: 'django', script: 'python3', args: 'manage.py runserver 0.0.0.0:8500' },
      { name: 'slow', script: 'python3', args: 'serve.py --port 8600 --timeout 8600' },
      { name: 'build', script: 'make', args: 'watch -j 4 -l 16' },
      { name: 'box', script: 'docker', args: 'run -p 8080:80 nginx' },
    ] }, 'ecosystem.config.js', '/p');
    assert.deepEqual(eco.map((a) => [a.id, a.port]), [['web', 8200], ['gunicorn', 8300], ['static', 8400], ['django', 8500], ['slow', 8600], ['build', undefined], ['box', undefined]],
      'a load average of 16 and a container\'s 80 are no ports to listen on');
    const proc = appsFromProcfile('api: node services/api/server.js --port 8100\n');
    const { text } = declarationText({ project: 'p', composeFiles: [], envSources: [], sources: [], urlKeys: [], services: [], apps: [...eco, ...proc] });
    assert.match(text, /web: \{ cwd: '\.', command: \['python3', '-m', 'http\.server', '\{port\}', '--bind', '127\.0\.0\.1'\], port: 'web'/);
    assert.match(text, /gunicorn: \{ cwd: '\.', command: \['gunicorn', '-b', '0\.0\.0\.0:\{port\}', 'app:app'\], port: 'gunicorn'/);
    assert.match(text, /static: \{ cwd: '\.', command: \['npx', 'serve', '-l', '\{port\}', 'dist'\]/);
    assert.match(text, /django: \{ cwd: '\.', command: \['python3', 'manage\.py', 'runserver', '0\.0\.0\.0:\{port\}'\]/);
    assert.match(text, /api: \{ cwd: '\.', command: \['sh', '-c', 'node services\/api\/server\.js --port \{port\}'\], port: 'api'/);
    assert.match(text, /slow: \{ cwd: '\.', command: \['python3', 'serve\.py', '--port', '\{port\}', '--timeout', '8600'\], port: 'slow'/, 'the same number elsewhere stays');
  });

  it('apps a hundred ports apart get a stride that leaves room for instances 0 to 9, and the summary says why', () => {
    const apps = [{ id: 'api', cwd: '.', script: 'api.js', port: 8100, from: 'x' }, { id: 'web', cwd: '.', script: 'web.js', port: 8200, from: 'x' }];
    const { text, stride } = declarationText({ project: 'p', composeFiles: [], envSources: [], sources: [], urlKeys: [], services: [], apps });
    assert.match(text, /^ {2}portStride: 1000,$/m);
    assert.equal(stride.range.max, 57);
    assert.equal(stride.passed, "with 100, only instances 0 to 0: instance 1's api port would be instance 0's web port (8200)");
    const apart = declarationText({ project: 'p', composeFiles: [], envSources: [], sources: [], urlKeys: [], services: [], apps: apps.map((a) => ({ ...a, port: a.port === 8200 ? 8210 : a.port })) });
    assert.match(apart.text, /^ {2}portStride: 100,$/m);
    assert.equal(apart.stride.passed, undefined);
  });

  it("a URL's options and Redis database number stay on the instance's URL; options naming another server or database do not", () => {
    const keys = urlKeys([[
      'DB_URL=postgresql://postgres:pw@127.0.0.1:6432/postgres?sslmode=disable&application_name=trial&host=db.internal',
      'PRISMA_URL="postgresql://u:p@localhost:5432/app?schema=public"',
      'CACHE_URL=redis://127.0.0.1:7379/3',
      'QUEUE_URL=rediss://:pw@localhost:7379/0?timeout=5',
      'PLAIN=redis://localhost:7379',
    ].join('\n')]);
    assert.deepEqual(keys.map((k) => [k.key, k.kind, k.tail, k.dropped]), [
      ['DB_URL', 'database', '?sslmode=disable&application_name=trial', ['host=db.internal']],
      ['PRISMA_URL', 'database', '?schema=public', []],
      ['CACHE_URL', 'redis', '/3', []],
      ['QUEUE_URL', 'redis', '/0?timeout=5', []],
      ['PLAIN', 'redis', '', []],
    ]);
    const { text, dropped } = declarationText({
      project: 'p', composeFiles: ['compose.yml'], envSources: ['.env'], sources: [], apps: [], urlKeys: keys,
      services: [
        { name: 'db', image: 'postgres:16', kind: 'postgres', label: 'PostgreSQL', infra: 'postgres', ports: [{ published: 6432, target: 5432 }], healthcheck: true, credentials: { user: 'u', password: 'p' } },
        { name: 'kv', image: 'redis:7', kind: 'redis', label: 'Redis', infra: 'redis', ports: [{ published: 7379, target: 6379 }], healthcheck: true },
      ],
    });
    assert.match(text, /^ {4}DB_URL: database\.url \+ '\?sslmode=disable&application_name=trial',$/m);
    assert.match(text, /^ {4}CACHE_URL: redis\.url \+ '\/3',$/m);
    assert.match(text, /^ {4}PLAIN: redis\.url,$/m);
    assert.deepEqual(dropped, ["DB_URL: left out host=db.internal of its options: each instance's URL names its own server and database"]);
  });

  it(".env port variables compose reads (PG_PORT) name each instance's port; a mail catcher's SMTP port gets no URL", () => {
    const env = { PG_PORT: '6432', REDIS_PORT: '7379' };
    const { services } = readServices([parseComposeText([
      'services:',
      '  database: { image: postgres:16, ports: ["127.0.0.1:${PG_PORT:-5432}:5432"] }',
      '  kv:',
      '    image: redis:7',
      '    ports: [{ published: "${REDIS_PORT}", target: 6379 }]',
      '  mail: { image: axllent/mailpit, ports: ["${MAIL_UI:-8025}:8025", "1025:1025"] }',
    ].join('\n'))], env);
    assert.deepEqual(services.map((s) => s.ports), [
      [{ published: 6432, target: 5432, variable: 'PG_PORT' }], [{ published: 7379, target: 6379, variable: 'REDIS_PORT' }],
      [{ published: 8025, target: 8025 }, { published: 1025, target: 1025 }],
    ], 'MAIL_UI is not in .env: its default is used, and no app reads it');
    const { text } = declarationText({ project: 'p', composeFiles: ['compose.yml'], envSources: ['.env'], sources: [], apps: [], urlKeys: [], services });
    assert.match(text, /env: \(\{ redis, ports \}\) => \(\{\n {4}REDIS_KEY_PREFIX: redis\.keyPrefix,\n {4}PG_PORT: String\(ports\.postgres\),\n {4}REDIS_PORT: String\(ports\.redis\),\n {2}\}\),/);
    assert.match(text, /mail: \{ label: 'Mail catcher', portKey: 'MAIL', basePort: 8025, scheme: 'http',/);
    assert.match(text, /'mail-1025': \{ label: 'Mail catcher 1025', portKey: 'MAIL_1025', basePort: 1025, container/, 'SMTP: no http scheme');
  });
});
