/**
 * The lease registry and checkout identity on real files and real git worktrees; the PM2 daemon's
 * fitness rule. (End to end with several checkouts: worktrees.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assignInstance, claimInstance, refuseIfHeldElsewhere, releaseInstance } from '../../src/leases/assign.js';
import { checkoutAt, checkoutLive } from '../../src/leases/checkout.js';
import { leaseFile, leasedInstance, readLeases } from '../../src/leases/registry.js';
import { plan } from '../../src/plan/plan.js';
import { daemonProblem } from '../../src/pm2/daemon.js';
import stack from '../../examples/shipsec/dev-instances.config.js';
import { tempDir } from '../helpers/cli.js';

const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
};

describe('leases', () => {
  const dir = tempDir('di-leases-');
  const state = join(dir.path, 'state');
  process.env.DEV_INSTANCES_STATE_DIR = state; // this file's own registry
  const main = join(dir.path, 'repo');
  const wt = join(dir.path, 'wt');
  mkdirSync(main);
  git(main, 'init', '-q', '-b', 'trunk');
  writeFileSync(join(main, 'x'), 'x');
  git(main, 'add', '-A');
  git(main, 'commit', '-q', '-m', 'x');
  git(main, 'worktree', 'add', '-q', '-b', 'feat/y', wt);
  after(() => dir.cleanup());

  it('reads a checkout from the files git keeps: main worktree, linked worktree, branch, repository', () => {
    assert.deepEqual(checkoutAt(main), { path: main, branch: 'trunk', commonDir: join(main, '.git'), main: true });
    assert.deepEqual(checkoutAt(wt), { path: wt, branch: 'feat/y', commonDir: join(main, '.git'), main: false });
    assert.deepEqual(checkoutAt(dir.path), { path: dir.path, main: true }, 'a folder outside git');
  });

  it('a bare number: 0 for the main worktree; the lowest free number with free ports for a linked one; stable', async () => {
    assert.equal(await assignInstance(stack, main), 0);
    // Instance 1's backend port is busy: the linked worktree gets 2.
    const busy = createServer().listen(plan(stack, 1).apps.find((a) => a.id === 'backend')?.port, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    try {
      assert.equal(await assignInstance(stack, wt), 2);
    } finally {
      busy.close();
    }
    assert.equal(await assignInstance(stack, wt), 2, 'asked again: the same number');
    assert.equal(leasedInstance('shipsec', wt), 2);
    assert.equal(statSync(leaseFile()).mode & 0o777, 0o600, 'the registry is private');
  });

  it('a claim on a number another checkout holds is refused, naming it; release gives only its own back', async () => {
    await assert.rejects(claimInstance(plan(stack, 0), wt), (err: Error) => {
      assert.match(err.message, new RegExp(`instance 0 is held by another checkout: ${main} \\(branch trunk\\); nothing was started`));
      return true;
    });
    assert.throws(() => refuseIfHeldElsewhere('shipsec', wt, 0, 'a start would be refused'), /held by another checkout: .*; a start would be refused/);
    assert.doesNotThrow(() => refuseIfHeldElsewhere('shipsec', main, 0, 'x'), 'its own number');
    assert.equal(await releaseInstance('shipsec', wt, 0), false, "another checkout's lease is never removed");
    const claim = await claimInstance(plan(stack, 5), wt);
    assert.deepEqual(claim.lease.apps, ['shipsec-frontend-5', 'shipsec-backend-5', 'shipsec-worker-5']);
    assert.equal(await releaseInstance('shipsec', wt, 5), true);
    assert.deepEqual(readLeases().map((l) => [l.instance, l.checkout]).sort(), [[0, main], [2, wt]]);
  });

  it('a removed worktree no longer holds anything, even when a running process recreated folders in it', async () => {
    git(main, 'worktree', 'remove', '--force', wt);
    mkdirSync(join(wt, 'node_modules', '.vite'), { recursive: true }); // what a dev server still running there does
    assert.equal(checkoutLive(wt, true), false);
    assert.deepEqual(readLeases().map((l) => l.instance), [0]);
    const { pruned } = await claimInstance(plan(stack, 2), main);
    assert.deepEqual(pruned.map((l) => l.checkout), [wt], 'pruned from the file when it next changes');
    rmSync(wt, { recursive: true, force: true });
  });
});

describe('the PM2 daemon fitness rule', () => {
  const exists = (p: string) => p.startsWith('/here/');
  it('a daemon launched from a deleted install cannot fork', () => {
    assert.equal(daemonProblem({ version: '7.0.4', install: '/gone/node_modules/pm2' }, '7.0.4', exists),
      'it was launched from /gone/node_modules/pm2, which no longer exists (a removed checkout?)');
  });
  it('a daemon of an older version is replaced; the same or a newer one from a live install is kept (two checkouts never hand it back and forth)', () => {
    assert.equal(daemonProblem({ version: '6.0.14', install: '/here/node_modules/pm2' }, '7.0.4', exists),
      "it runs PM2 6.0.14, older than this checkout's 7.0.4");
    assert.equal(daemonProblem({ version: '7.0.4', install: '/here/node_modules/pm2' }, '7.0.4', exists), undefined);
    assert.equal(daemonProblem({ version: '7.0.10', install: '/here/node_modules/pm2' }, '7.0.4', exists), undefined, 'newer (7.0.10 > 7.0.4, by number)');
    assert.equal(daemonProblem({ version: '7.0.4' }, '7.0.10', exists), "it runs PM2 7.0.4, older than this checkout's 7.0.10");
  });
});
