/**
 * A PM2 daemon handover that was interrupted (the old daemon stopped, its processes not all started
 * again) is finished by the next start: every saved process that is not running comes back, one whose
 * script is gone is named, and the saved list is removed. Against a real PM2 daemon of its own.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Pm2Api, call, loadPm2, withPm2 } from '../../src/pm2/client.js';
import { ensureDaemonCanFork } from '../../src/pm2/daemon.js';
import { usePrivatePm2 } from '../helpers/pm2-home.js';

describe('an interrupted PM2 daemon handover', () => {
  const pm2 = usePrivatePm2();
  const dir = mkdtempSync('/tmp/di-ho-');
  after(() => { pm2.kill(); rmSync(dir, { recursive: true, force: true }); });

  it('is finished by the next start: the saved processes run again, one whose script is gone is named, the list is removed', async () => {
    const script = join(dir, 'user-app.js');
    writeFileSync(script, 'setInterval(() => {}, 1000);\n');
    const gone = join(dir, 'gone.js');
    writeFileSync(gone, 'setInterval(() => {}, 1000);\n');
    // Two processes as a daemon describes them, saved, then gone from the daemon: what a handover
    // interrupted between stopping the old daemon and starting them again leaves behind.
    await withPm2(async (s) => {
      await s.start({ name: 'user-app', namespace: 'default', script });
      await s.start({ name: 'from-removed-checkout', namespace: 'default', script: gone });
    });
    const mod = await loadPm2();
    const api: Pm2Api = new mod.custom({ pm2_home: pm2.home });
    await call<void>((cb) => api.connect((e) => cb(e, undefined)));
    let saved: Record<string, unknown>[];
    try {
      const list = await call<{ pm2_env: Record<string, unknown> }[]>((cb) => api.Client.executeRemote('getMonitorData', {}, cb));
      saved = list.map((p) => { const env = { ...p.pm2_env }; for (const k of ['pm_id', 'instances', 'prev_restart_delay']) delete env[k]; return env; });
    } finally {
      api.disconnect();
    }
    await withPm2(async (s) => { await s.delete('user-app'); await s.delete('from-removed-checkout'); });
    rmSync(gone);
    const file = join(pm2.home, 'dev-instances-handover.json');
    writeFileSync(file, JSON.stringify(saved));

    const done = await ensureDaemonCanFork();
    assert.deepEqual(done, { restored: ['user-app'], leftOut: ['from-removed-checkout'], failed: [] });
    assert.equal(existsSync(file), false, 'the saved list is gone');
    const running = await withPm2((s) => s.list());
    assert.deepEqual(running.map((p) => [p.name, p.status]), [['user-app', 'online']]);
    assert.equal(await ensureDaemonCanFork(), undefined, 'nothing more to do next time');
  });
});
