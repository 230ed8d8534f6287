/**
 * A Temporal frontend for tests: a real `temporal server start-dev` when TEMPORAL_CLI names the
 * binary, otherwise the gRPC fake. The same tests run against either.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { temporalAnswers } from '../../src/provision/temporal.js';
import { waitReady } from '../../src/readiness.js';
import { startTemporalFake } from './temporal-fake.js';

export interface TestTemporal {
  address: string;
  kind: 'real' | 'fake';
  close: () => Promise<void>;
}

export async function startTemporal(): Promise<TestTemporal> {
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) {
    const fake = await startTemporalFake();
    return { address: fake.address, kind: 'fake', close: fake.close };
  }
  const port = await getPort();
  const dir = mkdtempSync(join(tmpdir(), 'di-temporal-'));
  const child = spawn(cli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port),
    '--db-filename', join(dir, 'temporal.db'), '--log-level', 'error'], { stdio: 'ignore' });
  const address = `127.0.0.1:${port}`;
  await waitReady({ name: 'temporal dev server', port, probe: () => temporalAnswers(address), deadlineMs: 60_000 });
  return {
    address, kind: 'real',
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
