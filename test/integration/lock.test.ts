/**
 * The per-instance lock under real contention: separate processes race for it, as two terminals (or
 * two coding agents) running `just dev 7` at the same moment do.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const lockModule = fileURLToPath(new URL('../../src/fs/lock.js', import.meta.url));

/** One contender: a real process that tries the lock once, holds it a moment, and says how it went. */
function contender(dir: string, startAt: number): Promise<string> {
  const script = `
    const { acquireLock } = await import(${JSON.stringify(lockModule)});
    while (Date.now() < ${startAt}) {}
    try {
      const lock = await acquireLock(${JSON.stringify(dir)} + '/.lock', 'instance 7', { onRecovered: (pid) => console.error('recovered a stale lock of instance 7 left by a run that is gone (pid ' + pid + ')') });
      await new Promise((r) => setTimeout(r, 300));
      lock.release();
      console.log('won');
    } catch (err) {
      console.log(/is busy: another command \\(pid \\d+\\)/.test(err.message) ? 'busy' : 'error: ' + err.message);
    }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', () => resolve(`${out.trim()}${err ? ` [${err.trim()}]` : ''}`));
  });
}

describe('instance lock', () => {
  const root = mkdtempSync(join(tmpdir(), 'di-lock-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('six processes racing for one lock: exactly one wins each round, the others are told it is busy', async () => {
    for (let round = 0; round < 5; round++) {
      const dir = join(root, `round-${round}`);
      const startAt = Date.now() + 400; // all of them loaded and spinning, then let go together
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => contender(dir, startAt)));
      assert.equal(outcomes.filter((o) => o === 'won').length, 1, outcomes.join('\n'));
      assert.equal(outcomes.filter((o) => o === 'busy').length, 5, outcomes.join('\n'));
      assert.deepEqual(readdirSync(root).includes(`round-${round}`) ? readdirSync(dir) : [], [], 'lock files left behind');
    }
  });

  it('a lock left by a dead run is recovered once, with a message naming its pid', async () => {
    const dir = join(root, 'stale');
    const startAt = Date.now() + 400;
    mkdirSync(dir);
    writeFileSync(join(dir, '.lock'), '999999\n');
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => contender(dir, startAt)));
    assert.equal(outcomes.filter((o) => o.startsWith('won')).length, 1, outcomes.join('\n'));
    assert.equal(outcomes.filter((o) => o.startsWith('busy')).length, 3, outcomes.join('\n'));
    assert.equal(outcomes.filter((o) => o.includes('recovered a stale lock of instance 7 left by a run that is gone (pid 999999)')).length, 1, outcomes.join('\n'));
  });

  it('a lock whose pid now belongs to another process (a reboot, a pid reused) is recovered: the start time it recorded differs', async () => {
    const dir = join(root, 'reused');
    mkdirSync(dir);
    // This very test process is alive: only its recorded start time says the lock is not its own.
    writeFileSync(join(dir, '.lock'), `${process.pid} 1\n`);
    const outcome = await contender(dir, Date.now());
    assert.equal(outcome, `won [recovered a stale lock of instance 7 left by a run that is gone (pid ${process.pid})]`);
    writeFileSync(join(dir, '.lock'), `${process.pid}\n`); // no start time written: the pid alone decides, and it lives
    assert.equal(await contender(dir, Date.now()), 'busy');
  });
});
