/**
 * Parallel checkouts on one machine: real git worktrees, each with its own npm-installed PM2, one
 * PM2 daemon, one lease registry. Numbers are distinct and stable, a held number is refused, views
 * are machine-wide, and the daemon survives the removal of the checkout that launched it and a
 * daemon of another PM2 version — with a user's own PM2 app alive throughout.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import getPort from 'get-port';
import { processStart } from '../../src/proc/alive.js';
import { REPO } from '../helpers/cli.js';
import { processesUnder, usePrivatePm2 } from '../helpers/pm2-home.js';
import { until } from '../helpers/stack-root.js';
import { type Checkouts, makeCheckouts } from '../helpers/worktrees.js';

const exec = promisify(execFile);
const PM2 = join(REPO, 'node_modules', 'pm2', 'bin', 'pm2');

interface StatusJson { instances: { instance: number; running: boolean; checkout: { path: string; branch?: string; here: boolean }; processes: { name: string; state: string }[] }[] }

const get = (port: number): Promise<string> => new Promise((resolve) => {
  const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
    let body = '';
    res.on('data', (d) => { body += d; });
    res.on('end', () => resolve(body));
  });
  req.on('error', () => resolve(''));
  req.on('timeout', () => req.destroy());
  req.end();
});

/** The status code of GET path, or 0 when nothing answers. */
const getStatus = (port: number, path: string): Promise<number> => new Promise((resolve) => {
  const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
  req.on('error', () => resolve(0));
  req.on('timeout', () => req.destroy());
  req.end();
});

describe('parallel checkouts (git worktrees, one PM2 daemon)', { timeout: 600_000 }, () => {
  const pm2 = usePrivatePm2();
  let c: Checkouts;
  let wtA: string;
  let wtB: string;
  let wtD: string;
  let userPort: number;
  let userScript: string;
  const pm2Cli = (bin: string, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], {
    cwd: c.base, encoding: 'utf8', env: { ...process.env, PM2_HOME: pm2.home },
  });
  const number = (checkout: string): number => {
    const r = c.dev(checkout, 'ports', '--json');
    assert.equal(r.code, 0, r.stderr);
    // The instance is the one whose frontend port this is: base 5233 (5173 moved by 60), stride 100.
    return (JSON.parse(r.stdout).FRONTEND - 5233) / 100;
  };
  const status = (checkout: string): StatusJson => {
    const r = c.dev(checkout, 'status', 'all', '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as StatusJson;
  };
  // Polled: PM2 answers a start (and a handover restarts the app) before the app listens.
  const userAppAnswers = () => until("the user's own PM2 app answers", async () => (await get(userPort)) === 'user app');

  before(async () => {
    c = await makeCheckouts(pm2.home);
    [wtA, wtB] = await Promise.all([c.add('feat-a'), c.add('feat-b')]);
    userPort = await getPort();
    userScript = join(c.base, 'user-app.cjs');
    writeFileSync(userScript, `require('node:http').createServer((q, r) => r.end('user app')).listen(${userPort}, '127.0.0.1');\n`);
  });

  after(() => {
    try {
      if (c) c.dev(c.main, 'stop', 'all', '--everywhere');
      pm2.kill();
      assert.deepEqual(c ? processesUnder(c.base) : [], [], 'nothing of the checkouts is left running');
    } finally {
      c?.cleanup();
    }
  });

  test('three checkouts get distinct numbers that stay theirs across stop and start', async () => {
    // feat-a starts first: its PM2 install launches the daemon every checkout then uses.
    const a = c.dev(wtA);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /Instance 1 is up/, 'a linked worktree leaves 0 to the main worktree');
    assert.equal(pm2Cli(PM2, 'start', userScript, '--name', 'user-app').status, 0);
    for (const dir of [c.main, wtB]) assert.equal(c.dev(dir).code, 0);
    assert.deepEqual([number(c.main), number(wtA), number(wtB)], [0, 1, 2]);
    assert.equal(c.dev(wtB, 'stop').code, 0);
    assert.equal(number(wtB), 2, 'a stopped checkout keeps its number');
    const again = c.dev(wtB);
    assert.match(again.stdout, /Instance 2 is up/);
    await userAppAnswers();
  });

  test('a number another checkout holds is refused, naming it, and nothing starts', () => {
    const before = pm2Cli(PM2, 'jlist').stdout;
    const r = c.dev(wtB, '1');
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`instance 1 is held by another checkout: ${wtA} \\(branch feat-a\\); nothing was started`));
    assert.match(r.stderr, new RegExp(`cd ${wtA} && just dev 1 clean`));
    assert.ok(!existsSync(join(wtB, '.instances', 'instance-1')), 'nothing was written');
    const names = (list: string) => (JSON.parse(list) as { name: string; pid: number }[]).map((p) => `${p.name}:${p.pid}`).sort();
    assert.deepEqual(names(pm2Cli(PM2, 'jlist').stdout), names(before), 'no process started or restarted');
    assert.equal(c.dev(wtB, '1', 'stop').code, 1, "another checkout's instance is not stopped from here");
    const dry = c.dev(wtB, '1', '--dry-run');
    assert.equal(dry.code, 1, 'a dry run says the start would be refused');
    assert.match(dry.stderr, /instance 1 is held by another checkout: .*; a start would be refused/);
  });

  test('status all shows every checkout from any of them; stop all stops only this checkout', () => {
    for (const dir of [c.main, wtA, wtB]) {
      const s = status(dir);
      assert.deepEqual(s.instances.map((i) => [i.instance, i.checkout.path, i.checkout.here]).sort(),
        [[0, c.main, dir === c.main], [1, wtA, dir === wtA], [2, wtB, dir === wtB]]);
      assert.ok(s.instances.every((i) => i.running));
    }
    const table = c.dev(c.main, 'status', 'all').stdout;
    assert.match(table, /CHECKOUT/);
    assert.match(table, new RegExp(`instance 1 +${wtA} \\(branch feat-a\\)`));
    assert.equal(c.dev(wtB, 'stop', 'all').code, 0);
    const after = status(c.main);
    assert.deepEqual(after.instances.map((i) => [i.instance, i.running]), [[0, true], [1, true], [2, false]]);
    assert.equal(c.dev(wtB).code, 0);
  });

  test('two checkouts starting at once share one infrastructure, with one home: stop --shared in one is refused while another uses it', async () => {
    // The shared set runs on the base ports, which instance 0's own servers hold: 0 stops first.
    assert.equal(c.dev(c.main, 'stop').code, 0);
    // Two agents start at the same moment, neither finding the set up: one brings it up, the other waits for it and uses it.
    const [b, m] = await Promise.all([c.devAsync(wtB, '5', '--infra', 'shared'), c.devAsync(c.main, '6', '--infra', 'shared')]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(m.code, 0, m.stderr);
    const homes = [wtB, c.main].filter((dir) => existsSync(join(dir, '.instances', 'shared')));
    assert.equal(homes.length, 1, `one home for the set, no second data: ${homes.join(', ')}`);
    assert.ok(existsSync(join(homes[0] ?? '', '.instances', 'shared', 'data')));
    assert.equal(await getStatus(3271 + 600, '/health'), 200, "this checkout's backend reaches its database");
    const r = c.dev(c.main, 'stop', 'all', '--shared');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`the shared infrastructure is still used by instance 5 \\(of ${wtB} \\(branch feat-b\\)\\)`));
    const infra = (JSON.parse(pm2Cli(PM2, 'jlist').stdout) as { name: string; pm2_env: { status: string } }[]).filter((p) => p.name.endsWith('-infra'));
    assert.deepEqual(infra.map((p) => [p.name, p.pm2_env.status]).sort(), [['diwt-postgres-infra', 'online'], ['diwt-redis-infra', 'online']]);
    assert.equal(await getStatus(3271 + 500, '/health'), 200, "the other checkout's backend still reaches its database");
    // A new instance here from the other checkout's instance, which keeps running.
    const copied = c.dev(c.main, '7', 'clone', '5', '--infra', 'shared');
    assert.equal(copied.code, 0, copied.stderr);
    assert.match(copied.stderr, /instance 7 starts with the data of instance 5 \(pg_restore\)/);
    assert.equal(await getStatus(3271 + 500, '/health'), 200, 'the source instance runs on');
    // A command at work on the other checkout's instance 5 (its lock held by a live process, as a
    // start whose apps are not in PM2 yet holds it) makes 5 a user, though no app of it runs: counted
    // under the set's lock, after this checkout's instances are stopped.
    for (const [dir, n] of [[wtB, '5'], [c.main, '6']] as const) assert.equal(c.dev(dir, n, 'stop').code, 0);
    const worker = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      writeFileSync(join(wtB, '.instances/instance-5/.lock'), `${worker.pid} ${processStart(worker.pid ?? 0)}\n`);
      const busy = c.dev(c.main, 'stop', 'all', '--shared');
      assert.equal(busy.code, 1, busy.stderr);
      assert.match(busy.stderr, new RegExp(`the shared infrastructure is still used by instance 5 \\(of ${wtB} \\(branch feat-b\\)\\)$`, 'm'));
    } finally {
      worker.kill();
      rmSync(join(wtB, '.instances/instance-5/.lock'), { force: true });
    }
    for (const [dir, n] of [[wtB, '5'], [c.main, '6'], [c.main, '7']] as const) {
      const cleaned = c.dev(dir, n, 'clean', '--yes', '--no-backup');
      assert.equal(cleaned.code, 0, cleaned.stderr);
    }
    const stopped = c.dev(c.main, 'stop', 'all', '--shared');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /stopped the shared infrastructure/);
    assert.equal(c.dev(c.main).code, 0);
  });

  test("removing the worktree whose PM2 launched the daemon strands no one; its number goes to the next worktree", async () => {
    assert.equal(c.dev(wtA, 'stop').code, 0);
    c.git(c.main, 'worktree', 'remove', '--force', wtA);
    assert.ok(!existsSync(join(wtA, 'node_modules', 'pm2')), "the daemon's own install is gone");
    const r = c.dev(wtB, 'restart');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`the PM2 daemon could not start this checkout's apps \\(it was launched from ${wtA}/node_modules/pm2, which no longer exists`));
    assert.ok(status(c.main).instances.filter((i) => i.instance !== 1).every((i) => i.running), "the other checkouts' instances run again");
    await userAppAnswers();
    wtD = await c.add('feat-d');
    const d = c.dev(wtD);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /Instance 1 is up/, 'the removed worktree gave its number back');
  });

  test('a worktree removed while its instance runs: the next start of that number deletes what it left, data included', () => {
    c.git(c.main, 'worktree', 'remove', '--force', wtD);
    const r = c.dev(wtB, '1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`instance 1: deleted diwt-frontend-1, .*diwt-postgres-1.*, left running by ${wtD}, which no longer exists`));
    const one = status(wtB).instances.find((i) => i.instance === 1);
    assert.equal(one?.checkout.path, wtB);
    assert.ok(one?.running);
    assert.equal(c.dev(wtB, '1', 'clean', '--yes').code, 0);
  });

  test('a daemon of an older PM2 version is replaced; every process comes back', async () => {
    const old = mkdtempSync(join(c.base, 'pm2-old-'));
    await exec('npm', ['install', '--prefix', old, 'pm2@6', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund']);
    // The user's daemon is PM2 6: launched by their own `pm2 start`.
    assert.equal(c.dev(c.main, 'stop', 'all', '--everywhere').code, 0);
    assert.equal(pm2Cli(PM2, 'kill').status, 0);
    const pm2Old = join(old, 'node_modules', 'pm2', 'bin', 'pm2');
    assert.equal(pm2Cli(pm2Old, 'start', userScript, '--name', 'user-app').status, 0);
    await userAppAnswers();
    const r = c.dev(c.main);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /it runs PM2 6\.\d+\.\d+, older than this checkout's 7\./);
    await userAppAnswers();
    assert.ok(status(c.main).instances.find((i) => i.instance === 0)?.running);
    rmSync(old, { recursive: true, force: true });
  });
});
