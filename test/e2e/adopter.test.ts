/**
 * A team's own repository adopts the tool as a user would: the packed tarball installed with
 * `npm install -D`, then `npx dev-instances init`, which writes the declaration from what the
 * repository already has (examples/api-and-web: a compose file with Postgres and Redis on fixed ports
 * and names, a .env, a PM2 ecosystem file with a Node API and a shell-and-python app). Nothing of this
 * repository on the way — no DEV_INSTANCES_ROOT, no DEV_INSTANCES_CONFIG: the project is found from
 * the working directory. Two instances on the native engine (one through `npx`, one through `just`),
 * commands from a subfolder, PM2's own route, clean; then one on the docker engine with the test images.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import getPort from 'get-port';
import { pollUntil } from '../../src/poll.js';
import { REPO } from '../helpers/cli.js';
import { dockerForTests, removeTestProjects } from '../helpers/docker.js';
import { processesUnder, usePrivatePm2 } from '../helpers/pm2-home.js';

const EXAMPLE = join(REPO, 'examples', 'api-and-web');
const ports = (n: number) => ({ api: 4810 + n * 100, web: 4820 + n * 100 });

const page = (port: number): Promise<string> => new Promise((resolve, reject) => {
  get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
    let body = '';
    res.on('data', (d) => { body += d; });
    res.on('end', () => resolve(body));
  }).on('error', reject);
});

describe('adopted by another repository: npm install -D of the packed package, a declaration of its own', () => {
  const work = mkdtempSync('/tmp/di-adopt-');
  const repo = join(work, 'repo');
  const state = join(work, 'state');
  const pm2 = usePrivatePm2();
  // Only what a user's shell would have: no variable pointing into this repository.
  const env: NodeJS.ProcessEnv = { ...process.env, PM2_HOME: pm2.home, DEV_INSTANCES_STATE_DIR: state, DEV_INSTANCES_PROXY: 'off', DEV_INSTANCES_ENGINE: 'native' };
  for (const k of ['DEV_INSTANCES_ROOT', 'DEV_INSTANCES_CONFIG', 'DEV_INSTANCES_NO_REBUILD', 'INIT_CWD', 'npm_config_prefix']) delete env[k];
  const sh = (cwd: string, cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}, timeout = 300_000) => {
    const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', timeout });
    return { code: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
  };
  const ok = (r: { code: number | null; stdout: string; stderr: string }, what: string) => assert.equal(r.code, 0, `${what}:\n${r.stdout}\n${r.stderr}`);
  const npx = (cwd: string, ...args: string[]) => sh(cwd, 'npx', ['--no-install', ...args]);

  before(() => {
    // The tarball as `npm pack` makes it from this build (no scripts: the build is already there).
    const packed = sh(REPO, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work]);
    ok(packed, 'npm pack');
    const tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]?.filename ?? '');
    cpSync(EXAMPLE, repo, { recursive: true });
    // Under the test projects' prefix, so an interrupted run's containers are found and removed.
    writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'ditest-adopt', private: true, type: 'module' }));
    ok(sh(repo, 'git', ['init', '-q']), 'git init');
    ok(sh(repo, 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '-D', tarball], {}, 600_000), 'npm install -D');
  });
  after(() => {
    try {
      sh(repo, 'npx', ['--no-install', 'dev-instances', 'stop', 'all', '--shared']);
      pm2.kill(); // its daemon was started from the repository, as a user's would be
      assert.deepEqual(processesUnder(repo), [], 'no process of the adopter repository is left');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('init writes the declaration from the compose, PM2 and .env files, the justfile and .gitignore lines; a second run changes nothing', () => {
    const init = npx(repo, 'dev-instances', 'init');
    ok(init, 'init');
    assert.match(init.stdout, /^Read compose\.yml, ecosystem\.config\.cjs, \.env; wrote dev-instances\.config\.ts, justfile, \.gitignore\.$/m);
    assert.match(init.stdout, /^ {2}postgres +5840 +db \(compose\), ready by PostgreSQL's own probe$/m);
    assert.match(init.stdout, /^Next: npx dev-instances 1/m);
    const files = ['dev-instances.config.ts', 'justfile', '.gitignore'].map((f) => readFileSync(join(repo, f), 'utf8'));
    assert.match(files[0] ?? '', /password: composeEnv\(new URL\('\.env', import\.meta\.url\)\)\.DB_PASSWORD \}/, 'the password compose takes from .env stays there');
    const again = npx(repo, 'dev-instances', 'init');
    ok(again, 'init again');
    assert.match(again.stdout, /dev-instances\.config\.ts exists: kept/);
    assert.deepEqual(['dev-instances.config.ts', 'justfile', '.gitignore'].map((f) => readFileSync(join(repo, f), 'utf8')), files, 'nothing changed');
  });

  it('npx dev-instances 1 and just dev 2 (the package\'s dev.just imported): both healthy, each its own database and key prefix', async () => {
    ok(npx(repo, 'dev-instances', '1'), 'npx dev-instances 1');
    ok(npx(repo, 'just', 'dev', '2'), 'npx just dev 2');
    for (const n of [1, 2]) {
      // The .env's URL options and Redis database number kept on the instance's own URLs; its port variable is the instance's port.
      assert.deepEqual(JSON.parse(await page(ports(n).api)), {
        database: `ditest_adopt_dev_${n}`, options: '?application_name=api', dbPort: String(5840 + n * 100), redisDb: '2', prefix: `ditest-adopt-dev-${n}:`, port: ports(n).api,
      });
      assert.equal(await page(ports(n).web), `web ${ports(n).web}\n`);
    }
    assert.deepEqual(readdirSync(join(repo, '.instances')).sort(), ['instance-1', 'instance-2']);
    // Every app knows its instance, though the declaration init wrote never says so.
    for (const app of ['api', 'web']) assert.match(readFileSync(join(repo, '.instances', 'instance-2', `${app}.env`), 'utf8'), /^DITEST_ADOPT_INSTANCE="?2"?$/m);
    assert.equal(existsSync(join(repo, 'node_modules', 'dev-instances', '.instances')), false, 'nothing is written inside the installed package');
  });

  it('from a subfolder: status all, ports and info find the project', () => {
    const sub = join(repo, 'app', 'api');
    const status = npx(sub, 'dev-instances', 'status', 'all', '--json');
    ok(status, 'status all');
    assert.deepEqual((JSON.parse(status.stdout) as { instances: { instance: number; running: boolean }[] }).instances.map((i) => [i.instance, i.running]), [[1, true], [2, true]]);
    assert.equal(npx(sub, 'dev-instances', 'ports', '2').stdout, 'API=5010\nWEB=5020\nPOSTGRES=6040\nREDIS=7040\n');
    const outside = sh(work, process.execPath, [join(repo, 'node_modules', 'dev-instances', 'bin', 'dev.mjs'), 'ports', '2']);
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /no declaration \(dev-instances\.config\.ts\) in .* or any folder above it: run `npx dev-instances init`/);
  });

  it("named URLs over HTTPS from the installed package: trust, then instance 1's web answers at its https name with the machine's CA, and untrust takes the CA back", async () => {
    const home = join(work, 'home');
    const withProxy = { DEV_INSTANCES_PROXY: '', DEV_INSTANCES_PROXY_PORT: String(await getPort()), DEV_INSTANCES_PROXY_HTTPS_PORT: String(await getPort()), HOME: home };
    const run = (...args: string[]) => sh(repo, 'npx', ['--no-install', 'dev-instances', ...args], withProxy);
    try {
      const trusted = run('trust');
      ok(trusted, 'trust');
      assert.match(trusted.stdout, /^trusted the local CA in NSS /m);
      const restarted = run('1', 'restart');
      ok(restarted, 'restart 1 with the proxy');
      const url = `https://web.1.ditest-adopt.localhost:${withProxy.DEV_INSTANCES_PROXY_HTTPS_PORT}/`;
      assert.match(restarted.stdout, new RegExp(`^ +web +${url.slice(0, -1).replace(/[.]/g, '\\.')} `, 'm'));
      const got = spawnSync('curl', ['-sS', '--max-time', '10', '--cacert', join(state, 'tls', 'ca.pem'), '--resolve', `web.1.ditest-adopt.localhost:${withProxy.DEV_INSTANCES_PROXY_HTTPS_PORT}:127.0.0.1`, url], { encoding: 'utf8' });
      assert.equal(got.status, 0, got.stderr);
      assert.equal(got.stdout, `web ${ports(1).web}\n`);
    } finally {
      ok(run('untrust'), 'untrust');
      ok(run('proxy', 'stop'), 'proxy stop');
    }
  });

  it('PM2\'s own route: pm2 start ecosystem.config.cjs starts the instance its variable names, with its environment', async () => {
    // What the README says to put in the project's ecosystem file once the declaration exists.
    writeFileSync(join(repo, 'ecosystem.config.cjs'), "module.exports = require('dev-instances/pm2')(__dirname);\n");
    const started = sh(repo, 'npx', ['--no-install', 'pm2', 'start', 'ecosystem.config.cjs'], { DITEST_ADOPT_INSTANCE: '5' });
    ok(started, 'pm2 start ecosystem.config.cjs');
    try {
      assert.match(started.stdout, /ditest-adopt-api-5/);
      const answer = await pollUntil(() => page(ports(5).api).catch(() => undefined), { deadlineMs: 30_000, intervalMs: 200, timeout: () => new Error('the API of instance 5 did not answer in 30 s') });
      assert.deepEqual(JSON.parse(answer), { database: 'ditest_adopt_dev_5', options: '?application_name=api', dbPort: '6340', redisDb: '2', prefix: 'ditest-adopt-dev-5:', port: ports(5).api });
    } finally {
      ok(sh(repo, 'npx', ['--no-install', 'pm2', 'delete', 'ecosystem.config.cjs'], { DITEST_ADOPT_INSTANCE: '5' }), 'pm2 delete');
    }
  });

  it('clean --yes of each (5: the files PM2\'s route rendered): their databases, keys, folders and numbers are gone', () => {
    for (const n of [1, 2, 5]) ok(npx(repo, 'dev-instances', String(n), 'clean', '--yes'), `clean ${n}`);
    assert.deepEqual(readdirSync(join(repo, '.instances')).filter((d) => d.startsWith('instance-')), []);
  });

  it('the ShipSec example in a folder of the repository: its declaration takes defineStack from the installed package; ports, render and info from there', () => {
    // The example as a team would keep it: its declaration imports 'dev-instances', found in the
    // repository's node_modules (the packed package), never this checkout.
    const dir = join(repo, 'shipsec');
    for (const part of ['dev-instances.config.ts', 'docker', 'apps']) cpSync(join(REPO, 'examples', 'shipsec', part), join(dir, part), { recursive: true });
    assert.match(readFileSync(join(dir, 'dev-instances.config.ts'), 'utf8'), /^import \{ defineStack \} from 'dev-instances';$/m);
    const p = npx(dir, 'dev-instances', 'ports', '3');
    ok(p, 'ports 3');
    assert.match(p.stdout, /^FRONTEND=5473\nBACKEND=3511\n/);
    ok(npx(dir, 'dev-instances', 'render', '3'), 'render 3');
    assert.match(readFileSync(join(dir, '.instances', 'instance-3', 'backend.env'), 'utf8'), /^DATABASE_URL="?postgresql:\/\/shipsec:[0-9a-f]{32,}@localhost:5733\/shipsec_dev_3"?$/m);
    const info = npx(dir, 'dev-instances', 'info', '3');
    ok(info, 'info 3');
    assert.match(info.stdout, /shipsec-dev-3/);
    ok(npx(dir, 'dev-instances', '3', 'clean', '--yes'), 'clean 3 (rendered only)');
  });

  const docker = dockerForTests();
  it('the same repository on the docker engine: its compose file (fixed ports and names) run per instance', { skip: docker.reason }, async () => {
    removeTestProjects();
    const images = { DEV_INSTANCES_IMAGE_DB: docker.images.DEV_INSTANCES_IMAGE_POSTGRES, DEV_INSTANCES_IMAGE_CACHE: docker.images.DEV_INSTANCES_IMAGE_REDIS };
    try {
      // One instance: two side by side from files with fixed ports and names is test/e2e/compose-files.test.ts.
      ok(sh(repo, 'npx', ['--no-install', 'dev-instances', '3'], { DEV_INSTANCES_ENGINE: 'docker', ...images }), 'docker instance 3');
      assert.equal(JSON.parse(await page(ports(3).api)).database, 'ditest_adopt_dev_3');
    } finally {
      for (const n of [3]) sh(repo, 'npx', ['--no-install', 'dev-instances', String(n), 'clean', '--yes', '--no-backup'], images);
      removeTestProjects();
    }
  });
});
