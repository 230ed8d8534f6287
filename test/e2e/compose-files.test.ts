/**
 * A project's own compose files, as many as it keeps: what each instance's set gets beside them (its
 * ports only, its container names, its data folders and volumes) decided purely, and then two
 * instances of such a project side by side on a real Docker engine (compose v1 here).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { checkDeclaration } from '../../src/config/load.js';
import { composeHasTags, composeLayout } from '../../src/engines/docker/compose-files.js';
import { type ComposeSource, readComposeSources } from '../../src/engines/docker/compose-read.js';
import { ConfigError } from '../../src/errors.js';
import { plan } from '../../src/plan/plan.js';
import fixture from '../fixtures/compose-files-stack.config.js';
import { REPO, tempDir } from '../helpers/cli.js';
import { containers, docker, dockerForTests, redisCli, removeTestProjects, skipUnlessDocker } from '../helpers/docker.js';
import { stackRoot } from '../helpers/stack-root.js';

const FILES = join(REPO, 'test', 'fixtures', 'stacks', 'compose-files');
const decl = checkDeclaration(fixture, 'compose-files-stack.config.ts');
const ROOT = '/srv/project';
const doc = (text: string) => parse(text) as ComposeSource['doc'];
const source = (path: string, text: string): ComposeSource => ({ path, abs: join(ROOT, path), doc: doc(text) });
const sources = () => ['compose.yml', 'compose.dev.yml'].map((f) => source(f, readFileSync(join(FILES, f), 'utf8')));
const target = (n: number) => ({ scope: plan(decl, n).infra, root: ROOT });
const notInput = () => false;

describe('compose files of the project, per set (pure)', () => {
  it('compose v1: a copy of each file that publishes ports, without them; the override has the set\'s port, names and data homes', () => {
    const layout = composeLayout(target(1), sources(), { tags: false, isInput: (p) => p.endsWith('.conf') });
    assert.deepEqual(layout.files, [
      `${ROOT}/.instances/instance-1/compose/1-compose.yml`, `${ROOT}/.instances/instance-1/compose/2-compose.dev.yml`,
      `${ROOT}/.instances/instance-1/docker-compose.override.yml`]);
    assert.equal(layout.projectDirectory, ROOT, 'relative paths keep meaning the project folder');
    for (const c of layout.copies) assert.equal(doc(c.text).services?.redis?.ports, undefined, c.path);
    assert.deepEqual((doc(layout.copies[1]?.text ?? '').services?.redis as { environment?: unknown }).environment, { FROM_DEV_FILE: 'yes' }, 'the rest of the file is kept');
    const o = doc(layout.override);
    assert.deepEqual(o.services?.redis, {
      ports: ['127.0.0.1:6580:6379'],
      container_name: 'ditest-cf-dev-1-redis',
      volumes: [`${ROOT}/.instances/instance-1/volumes/redis/data:/data`],
    });
    assert.deepEqual(o.volumes, { cache: { name: 'ditest-cf-dev-1_cache' } });
    assert.deepEqual(layout.dataDirs, ['.instances/instance-1/volumes/redis/data']);
    assert.deepEqual(layout.data.redis, { '/data': { dir: '.instances/instance-1/volumes/redis/data' }, '/cache': { volume: 'ditest-cf-dev-1_cache' } });
  });

  it('compose v2.24.4 and later: the declared files as they are, the base files\' ports taken away by !override (!reset for a dependency the declaration does not publish)', () => {
    const files = [...sources(), source('extra.yml', 'services:\n  redis:\n    depends_on: [helper]\n  helper:\n    image: busybox\n    ports: ["7000:7000"]\n')];
    const layout = composeLayout(target(2), files, { tags: true, isInput: notInput });
    assert.deepEqual(layout.copies, []);
    assert.equal(layout.projectDirectory, undefined);
    assert.deepEqual(layout.files.slice(0, 3), files.map((f) => f.abs));
    assert.match(layout.override, /^ {4}ports: !override\n {6}- 127\.0\.0\.1:6680:6379$/m);
    assert.match(layout.override, /^ {2}helper:\n {4}ports: !reset \[\]$/m);
  });

  it('compose v1 and v2 before 2.24.4 have no tags', () => {
    assert.deepEqual(['1.29.2/1', '2.24.3/2', '2.24.4/2', '2.29.7/2', '3.0.0/2'].map((v) => {
      const [version = '', major] = v.split('/');
      return composeHasTags(version, Number(major) as 1 | 2);
    }), [false, false, true, true, true]);
  });

  it('an external volume or network of an instance\'s set is refused, naming it, the file and the fix; the shared set may use it', () => {
    const files = [source('compose.yml', 'services:\n  redis:\n    image: redis\n    volumes: ["data:/data"]\n    networks: [edge]\nvolumes:\n  data:\n    external: true\nnetworks:\n  edge:\n    external: true\n')];
    assert.throws(() => composeLayout(target(1), files, { tags: false, isInput: notInput }), (err: ConfigError) => {
      assert.deepEqual(err.problems, [
        `instance 1: volumes.data in ${ROOT}/compose.yml is external: every instance would share it. Remove \`external\` (each instance then gets its own), or serve its services from the shared set (infraSharing)`,
        `instance 1: networks.edge in ${ROOT}/compose.yml is external: every instance would share it. Remove \`external\` (each instance then gets its own), or serve its services from the shared set (infraSharing)`,
      ]);
      return true;
    });
    const shared = plan(checkDeclaration({ ...fixture, infraSharing: 'shared' }, 'x'), 1).sharedInfra;
    assert.ok(shared);
    const layout = composeLayout({ scope: shared, root: ROOT }, files, { tags: false, isInput: notInput });
    assert.deepEqual(layout.data.redis, { '/data': { volume: 'data' } }, 'the external volume is where its data is');
  });

  it('a volume with a fixed name keeps it on the shared set (its data home says so) and is renamed per instance', () => {
    const files = [source('compose.yml', 'services:\n  redis:\n    image: redis\n    volumes: ["data:/data"]\nvolumes:\n  data:\n    name: team-redis-data\n')];
    const shared = plan(checkDeclaration({ ...fixture, infraSharing: 'shared' }, 'x'), 1).sharedInfra;
    assert.ok(shared);
    assert.deepEqual(composeLayout({ scope: shared, root: ROOT }, files, { tags: false, isInput: notInput }).data.redis, { '/data': { volume: 'team-redis-data' } });
    const own = composeLayout(target(1), files, { tags: false, isInput: notInput });
    assert.deepEqual(own.data.redis, { '/data': { volume: 'ditest-cf-dev-1_data' } });
    assert.deepEqual(doc(own.override).volumes, { data: { name: 'ditest-cf-dev-1_data' } });
  });

  it('on another Docker host, a writable data folder becomes a volume of the set and a file of this machine is refused, naming it', () => {
    const placement = { name: 'build-box', docker: 'tcp://10.1.2.3:2375', address: '10.1.2.3' };
    const placed = { scope: plan(decl, 1, { placement }).infra, root: ROOT };
    const files = [source('compose.yml', 'services:\n  redis:\n    image: redis\n    volumes: ["./data/redis:/data"]\n')];
    const layout = composeLayout(placed, files, { tags: false, isInput: notInput });
    assert.deepEqual(layout.data.redis, { '/data': { volume: 'ditest-cf-dev-1_redis-data' } });
    assert.deepEqual(layout.dataDirs, []);
    const withConfig = [source('compose.yml', 'services:\n  redis:\n    image: redis\n    volumes: ["./redis.conf:/etc/redis.conf:ro"]\n')];
    assert.doesNotThrow(() => composeLayout(target(1), withConfig, { tags: false, isInput: notInput }), 'this machine\'s engine reads it');
    assert.throws(() => composeLayout(placed, withConfig, { tags: false, isInput: notInput }), (err: ConfigError) => {
      assert.deepEqual(err.problems, [`instance 1: services.redis.volumes in ${ROOT}/compose.yml: ./redis.conf is on this machine, which the Docker host build-box (tcp://10.1.2.3:2375) cannot read. Serve redis from this machine's engine (no --host), or build the file into its image`]);
      return true;
    });
  });

  describe('include: and extends:, read as compose reads them', () => {
    // compose.yml includes the database's file and extends a service of a file beside it.
    const project = tempDir('di-cf-inc-');
    const write = (path: string, text: string) => { mkdirSync(dirname(join(project.path, path)), { recursive: true }); writeFileSync(join(project.path, path), text); };
    write('compose.yml', 'include:\n  - infra/db.yml\nservices:\n  redis:\n    extends: { file: common.yml, service: cache }\n    volumes: ["./data/redis:/data"]\n');
    write('infra/db.yml', 'services:\n  db:\n    image: postgres:16\n    container_name: fixed-db\n    ports: ["5432:5432"]\n');
    write('common.yml', 'services:\n  cache:\n    image: redis:7\n    container_name: fixed-cache\n    ports: ["6379:6379"]\n    depends_on: [db]\n');
    const withDb = checkDeclaration({
      ...fixture, composeFiles: ['compose.yml'],
      services: { ...fixture.services, db: { label: 'PostgreSQL', portKey: 'DB', basePort: 5480, scheme: 'postgresql', container: { service: 'db', port: 5432 } } },
    }, 'x');
    const at = (n: number) => ({ scope: plan(withDb, n).infra, root: project.path });
    after(() => project.cleanup());

    it('an included file is read before the file that includes it, and never named with -f; an extended service brings its ports, name and image but not its dependencies', async () => {
      const files = await readComposeSources(project.path, withDb);
      assert.deepEqual(files.map((f) => [f.path, f.included ?? false]), [['infra/db.yml', true], ['compose.yml', false]]);
      const redis = files[1]?.doc.services?.redis;
      assert.deepEqual([redis?.image, redis?.container_name, redis?.ports, redis?.volumes, redis?.depends_on], ['redis:7', 'fixed-cache', ['6379:6379'], ['./data/redis:/data'], undefined]);
      assert.equal(files[1]?.written?.services?.redis?.image, undefined, 'the file as written is kept for copies');
    });

    it('compose v2.24.4 and later: every inherited or included port is taken away, every fixed name replaced', async () => {
      const layout = composeLayout(at(1), await readComposeSources(project.path, withDb), { tags: true, isInput: notInput });
      assert.deepEqual(layout.files, [join(project.path, 'compose.yml'), join(project.path, '.instances/instance-1/docker-compose.override.yml')]);
      const o = doc(layout.override).services ?? {};
      assert.deepEqual([o.db?.ports, o.db?.container_name], [['127.0.0.1:5580:5432'], 'ditest-cf-dev-1-db']);
      assert.deepEqual([o.redis?.ports, o.redis?.container_name], [['127.0.0.1:6580:6379'], 'ditest-cf-dev-1-redis']);
      assert.match(layout.override, /^ {2}db:\n {4}ports: !override\n/m);
      assert.match(layout.override, /^ {2}redis:\n {4}ports: !override\n/m);
    });

    it('compose v1 (no !override): ports it cannot take away are refused, naming the service, the file and the fix', async () => {
      const sources = await readComposeSources(project.path, withDb);
      assert.throws(() => composeLayout(at(1), sources, { tags: false, isInput: notInput }), (err: ConfigError) => {
        assert.deepEqual(err.problems, [
          `instance 1: services.db.ports in ${project.path}/infra/db.yml (an included file): this compose cannot take them away per set (v1 and v2 before 2.24.4 have no !override). Write the ports in db itself in a file named in composeFiles, or use compose v2.24.4 or later`,
          `instance 1: services.redis.ports in ${project.path}/compose.yml (taken from the service it extends): this compose cannot take them away per set (v1 and v2 before 2.24.4 have no !override). Write the ports in redis itself in a file named in composeFiles, or use compose v2.24.4 or later`,
        ]);
        return true;
      });
    });

    it('an include circle or an extends naming nothing is a ConfigError naming the file', async () => {
      const loop = tempDir('di-cf-loop-');
      try {
        writeFileSync(join(loop.path, 'compose.yml'), 'include: [other.yml]\nservices: {}\n');
        writeFileSync(join(loop.path, 'other.yml'), 'include: [compose.yml]\n');
        await assert.rejects(readComposeSources(loop.path, {}), /includes itself \(.*compose\.yml -> .*other\.yml -> .*compose\.yml\)/);
        writeFileSync(join(loop.path, 'compose.yml'), 'services:\n  a:\n    extends: { file: other.yml, service: nope }\n');
        writeFileSync(join(loop.path, 'other.yml'), 'services: {}\n');
        await assert.rejects(readComposeSources(loop.path, {}), /services\.a\.extends in .*compose\.yml: .*other\.yml has no service nope/);
      } finally {
        loop.cleanup();
      }
    });
  });

  it('a declared compose file that does not exist is a ConfigError naming the key and the path', async () => {
    await assert.rejects(readComposeSources(FILES, { composeFiles: ['compose.yml', 'nope.yml'] }),
      (err: ConfigError) => err instanceof ConfigError && err.problems[0] === `composeFiles[1]: ${FILES}/nope.yml does not exist; composeFiles lists the project's compose files, relative to ${FILES}`);
    await assert.rejects(readComposeSources(join(FILES, 'none'), {}), /composeFiles: no compose file in .*none \(looked for compose\.yaml, compose\.yml, docker-compose\.yaml, docker-compose\.yml\)/);
  });
});

const setup = dockerForTests();
const skip = skipUnlessDocker(setup, 'compose files on a real engine');

describe('a project\'s own compose files on a real Docker engine', { skip }, () => {
  const stack = stackRoot('di-cf-', { engine: 'docker', env: { DEV_INSTANCES_CONFIG: join(REPO, 'dist', 'test', 'fixtures', 'compose-files-stack.config.js'), ...setup.images } });
  const project = (n: number) => `ditest-cf-dev-${n}`;
  const redisPort = (n: number) => 6480 + n * 100;
  before(() => {
    assert.equal(setup.reason, undefined, `CI must run the docker tests: ${setup.reason}`);
    removeTestProjects();
    cpSync(FILES, stack.root, { recursive: true });
  });
  after(async () => {
    if (skip) return;
    await stack.teardown();
    removeTestProjects();
  });

  it('instances 1 and 2 side by side from files that publish ports and name a container: each only its own port, name, data folder and volume', () => {
    for (const n of [1, 2]) {
      const r = stack.just('dev', String(n));
      assert.equal(r.code, 0, `just dev ${n}:\n${r.stdout}\n${r.stderr}`);
    }
    const names = new Set<string>();
    for (const n of [1, 2]) {
      const [c, ...more] = [...containers(project(n)).values()];
      assert.ok(c && more.length === 0, `one container for ${project(n)}`);
      assert.equal(c.ports, `127.0.0.1:${redisPort(n)}->6379/tcp`, 'its own port only: neither 6480 nor 6481 of the files');
      names.add(c.name);
      assert.equal(docker('exec', c.name, 'printenv', 'FROM_DEV_FILE').stdout.trim(), 'yes', 'the second file is merged');
      assert.equal(redisCli(redisPort(n), 'SET', 'who', `instance ${n}`).stdout.trim(), 'OK');
      assert.match(docker('volume', 'ls', '--format', '{{.Name}}').stdout, new RegExp(`^${project(n)}_cache$`, 'm'));
    }
    assert.equal(names.size, 2);
    assert.ok(!names.has('cf-redis'));
    assert.doesNotMatch(docker('volume', 'ls', '--format', '{{.Name}}').stdout, /^cf-cache$/m, 'no volume under the fixed name');
    for (const n of [1, 2]) {
      const data = join(stack.root, `.instances/instance-${n}/volumes/redis/data`);
      assert.ok(readdirSync(data).length > 0, `instance ${n}'s Redis writes into its own folder`);
    }
    assert.equal(existsSync(join(stack.root, 'data', 'redis')), false, 'the shared folder of the file is never used');
  });

  it('compose N config shows the merged files as the instance runs them', () => {
    const r = stack.just('dev', '1', 'compose', 'config');
    assert.equal(r.code, 0, r.stderr);
    const cfg = parse(r.stdout) as { services: Record<string, { ports?: unknown[]; container_name?: string }> };
    assert.equal(cfg.services.redis?.container_name, 'ditest-cf-dev-1-redis');
    assert.equal(cfg.services.redis?.ports?.length, 1);
  });

  it('clean 1 removes 1\'s container, volume and folder; 2 keeps its data', () => {
    const r = stack.just('dev', '1', 'clean', '--yes');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(containers(project(1)).size, 0);
    assert.doesNotMatch(docker('volume', 'ls', '--format', '{{.Name}}').stdout, new RegExp(`^${project(1)}_`, 'm'));
    assert.equal(existsSync(join(stack.root, '.instances/instance-1')), false);
    assert.equal(redisCli(redisPort(2), 'GET', 'who').stdout.trim(), 'instance 2');
  });

  it('an external network, or a compose file that is gone: exit 2, one line each, nothing started', () => {
    const dev = join(stack.root, 'compose.dev.yml');
    writeFileSync(dev, 'services:\n  redis:\n    networks: [edge]\nnetworks:\n  edge:\n    external: true\n');
    let r = stack.just('dev', '3');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /networks\.edge in .*compose\.dev\.yml is external: every instance would share it/);
    renameSync(dev, `${dev}.gone`);
    r = stack.just('dev', '3');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /composeFiles\[1\]: .*compose\.dev\.yml does not exist/);
    assert.equal(containers(project(3)).size, 0);
    assert.equal(existsSync(join(stack.root, '.instances/instance-3/docker-compose.override.yml')), false);
  });
});
