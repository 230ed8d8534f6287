/** A long wait says what it still waits for, every few seconds, and stops saying it once all answered. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { onLongWaits, sayingWhile } from '../../src/progress.js';
import { waitAllReady } from '../../src/readiness.js';

describe('progress of long waits', () => {
  after(() => onLongWaits(undefined));

  it('names what has not answered yet; what answered drops out; nothing after the wait ends', async () => {
    const lines: string[] = [];
    onLongWaits((l) => lines.push(l), 20);
    let fastReady = false;
    // The slow one answers once it has been named twice: no timing decides the outcome.
    const slowNamed = () => lines.filter((l) => l.includes('slow')).length >= 2;
    await waitAllReady([
      { name: 'fast', port: 0, deadlineMs: 60_000, probe: async () => { if (!fastReady) { fastReady = true; throw new Error('once'); } } },
      { name: 'slow', port: 0, deadlineMs: 60_000, probe: async () => { if (!slowNamed()) throw new Error('not yet'); } },
    ]);
    assert.ok(lines.length >= 2);
    assert.match(lines.at(-1) ?? '', /^still waiting for slow \(\d+ s of 60\)$/);
    const count = lines.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(lines.length, count, 'no line once the wait has ended');
  });

  it('a long step (initdb, an image pull) says it is still under way until it ends, then nothing', async () => {
    const lines: string[] = [];
    onLongWaits((l) => lines.push(l), 20);
    let end: (v: string) => void = () => {};
    const work = new Promise<string>((resolve) => { end = resolve; });
    const said = sayingWhile('pulling postgres:16', work);
    await new Promise<void>((resolve) => { const t = setInterval(() => { if (lines.length >= 2) { clearInterval(t); resolve(); } }, 5); });
    end('done');
    assert.equal(await said, 'done', 'the step\'s own result');
    assert.match(lines[0] ?? '', /^still pulling postgres:16 \(\d+ s\)$/);
    const count = lines.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(lines.length, count, 'no line once the step has ended');
    onLongWaits(undefined);
    assert.equal(await sayingWhile('quiet', Promise.resolve(1)), 1, 'nobody listening: the step alone');
  });
});
