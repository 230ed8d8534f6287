/**
 * The Temporal namespace provisioner, through the real @temporalio/client over real gRPC: against
 * the fake frontend by default, against `temporal server start-dev` when TEMPORAL_CLI is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import getPort from 'get-port';
import { dropNamespace, ensureNamespace, retentionSeconds, temporalAnswers } from '../../src/provision/temporal.js';
import { type TestTemporal, startTemporal } from '../helpers/temporal.js';
import { startTemporalFake } from '../helpers/temporal-fake.js';

let server: TestTemporal;
const describeNs = async (namespace: string) => {
  const c = await Connection.connect({ address: server.address });
  try {
    return await c.workflowService.describeNamespace({ namespace });
  } finally {
    await c.close();
  }
};

describe(`Temporal namespace provisioner (${process.env.TEMPORAL_CLI ? 'real dev server' : 'gRPC fake'})`, () => {
  before(async () => { server = await startTemporal(); });
  after(async () => { await server.close(); });

  it('the frontend answers GetSystemInfo; a closed port does not', async () => {
    await temporalAnswers(server.address);
    const closed = await getPort();
    await assert.rejects(temporalAnswers(`127.0.0.1:${closed}`, 1_000));
  });

  it('registers a namespace with the declared retention, visible once ensure returns', async () => {
    const t = { address: server.address, namespace: 'shipsec-dev-3' };
    assert.equal(await ensureNamespace(t, '72h'), true);
    const d = await describeNs('shipsec-dev-3');
    assert.equal(d.namespaceInfo?.name, 'shipsec-dev-3');
    assert.equal(Number(d.config?.workflowExecutionRetentionTtl?.seconds), 72 * 3600);
  });

  it('is idempotent: repeated, and from 8 concurrent callers', async () => {
    const t = { address: server.address, namespace: 'shipsec-dev-4' };
    const created = await Promise.all(Array.from({ length: 8 }, () => ensureNamespace(t, '3d')));
    assert.equal(created.filter(Boolean).length, 1);
    assert.equal(await ensureNamespace(t, '3d'), false);
  });

  it('drops exactly one namespace; dropping again is success', async () => {
    const t = { address: server.address, namespace: 'shipsec-dev-3' };
    assert.equal(await dropNamespace(t), true);
    assert.equal(await dropNamespace(t), false);
    assert.equal(await dropNamespace({ address: server.address, namespace: 'never-made' }), false);
    await assert.rejects(describeNs('shipsec-dev-3'), (err: { code?: number }) => err.code === 5);
    assert.equal((await describeNs('shipsec-dev-4')).namespaceInfo?.name, 'shipsec-dev-4');
  });

  it('a dropped namespace can be ensured again', async () => {
    assert.equal(await ensureNamespace({ address: server.address, namespace: 'shipsec-dev-3' }, '72h'), true);
  });

  it('rejects a retention without a unit', () => {
    assert.equal(retentionSeconds('3d'), 259_200);
    assert.throws(() => retentionSeconds('72'), /invalid retention '72'/);
  });
});

describe('Temporal fake protocol details', () => {
  it('waits through NOT_FOUND until a registered namespace becomes visible', async () => {
    const fake = await startTemporalFake({ visibilityDelayMs: 400 });
    try {
      assert.equal(await ensureNamespace({ address: fake.address, namespace: 'slow' }, '72h', { pollMs: 50 }), true);
      const describes = fake.calls.filter((c) => c === 'DescribeNamespace').length;
      assert.ok(describes > 1, `DescribeNamespace was called ${describes} time(s)`);
      assert.deepEqual(fake.calls.slice(0, 2), ['GetSystemInfo', 'RegisterNamespace']);
    } finally {
      await fake.close();
    }
  });
});
