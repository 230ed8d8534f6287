/**
 * The one reaper (src/proc/stop.ts), on real processes: SIGTERM first, SIGKILL only after the grace
 * period, never with an infinite grace (a PM2 daemon stops its own processes), and a deadline whose
 * error names the process.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { stopProcess } from '../../src/proc/stop.js';

/** A Node child that answers SIGTERM by exiting, or ignores it; resolved once its handler is in place. */
async function child(onTerm: 'exit' | 'ignore'): Promise<{ proc: ChildProcess; ended: Promise<[number | null, NodeJS.Signals | null]> }> {
  const code = `process.on('SIGTERM', () => { ${onTerm === 'exit' ? 'process.exit(0)' : ''} }); console.log('ready'); setInterval(() => {}, 1000);`;
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  const ended = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await once(proc.stdout as NodeJS.ReadableStream, 'data');
  return { proc, ended };
}

describe('stopProcess', () => {
  it('a process that ends on SIGTERM is never sent SIGKILL', async () => {
    const { proc, ended } = await child('exit');
    await stopProcess(proc.pid as number, { graceMs: 5_000, deadlineMs: 10_000, what: 'the polite child' });
    assert.deepEqual(await ended, [0, null]);
  });

  it('a process that ignores SIGTERM is killed once the grace period has passed', async () => {
    const { proc, ended } = await child('ignore');
    await stopProcess(proc.pid as number, { graceMs: 300, deadlineMs: 10_000, what: 'the stubborn child' });
    assert.deepEqual(await ended, [null, 'SIGKILL']);
  });

  it('with no grace period to end, a process that ignores SIGTERM is left running, and the error names it and the hint', async () => {
    const { proc, ended } = await child('ignore');
    try {
      await assert.rejects(stopProcess(proc.pid as number, { graceMs: Infinity, deadlineMs: 1_000, what: 'the PM2 daemon (pid 1)', hint: 'Stop it by hand.' }),
        (err: Error & { hint?: string }) => {
          assert.equal(err.message, 'the PM2 daemon (pid 1) did not exit within 1 s of SIGTERM');
          assert.equal(err.hint, 'Stop it by hand.');
          return true;
        });
      assert.equal(proc.exitCode, null, 'still running: never SIGKILLed');
    } finally {
      proc.kill('SIGKILL');
      await ended;
    }
  });
});
