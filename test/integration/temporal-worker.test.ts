/**
 * The demo worker's Temporal activity worker, with the real @temporalio/client long-polling the gRPC
 * fake: it takes the tasks of its own instance's queue, answers them, and leaves other queues alone.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SHIPSEC } from '../helpers/cli.js';
import { type TemporalFake, startTemporalFake } from '../helpers/temporal-fake.js';

type RunWorker = (o: {
  address: string; namespace: string; taskQueue: string; identity: string; signal: AbortSignal;
  activities: Record<string, (...a: any[]) => Promise<unknown>>; log?: (l: string) => void;
}) => Promise<void>;

describe('demo worker: Temporal activities on its own task queue', () => {
  let fake: TemporalFake;
  const stop = new AbortController();
  let running: Promise<void>;
  before(async () => {
    fake = await startTemporalFake({ pollTimeoutMs: 300 });
    const { runActivityWorker } = (await import(pathToFileURL(join(SHIPSEC, 'apps/worker/temporal-activities.mjs')).href)) as { runActivityWorker: RunWorker };
    running = runActivityWorker({
      address: fake.address, namespace: 'shipsec-dev-3', taskQueue: 'shipsec-dev-3', identity: 'worker-3', signal: stop.signal,
      activities: {
        double: async (x: number) => x * 2,
        boom: async () => { throw new Error('kaput'); },
      },
      log: () => {},
    });
  });
  after(async () => {
    stop.abort();
    await running;
    await fake.close();
  });

  it('completes an activity scheduled on its queue', async () => {
    assert.deepEqual(await fake.scheduleActivity('shipsec-dev-3', 'shipsec-dev-3', 'double', [21]), { result: 42, by: 'worker-3' });
  });

  it('reports a failing activity as failed', async () => {
    assert.deepEqual(await fake.scheduleActivity('shipsec-dev-3', 'shipsec-dev-3', 'boom', []), { failure: 'kaput', by: 'worker-3' });
  });

  it("leaves another instance's queue alone", async () => {
    void fake.scheduleActivity('shipsec-dev-4', 'shipsec-dev-4', 'double', [1]);
    await fake.scheduleActivity('shipsec-dev-3', 'shipsec-dev-3', 'double', [2]);
    assert.equal(fake.pending('shipsec-dev-4', 'shipsec-dev-4'), 1);
  });

  it('stops when asked, even in the middle of a long poll', async () => {
    const t0 = Date.now();
    stop.abort();
    await running;
    assert.ok(Date.now() - t0 < 2_000);
  });
});
