/** What killed commands leave in .instances/: removed when their pid is gone, kept while it runs, never anything else. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sweepLeftovers } from '../../src/fs/leftovers.js';
import { tempDir } from '../helpers/cli.js';

describe('leftovers of interrupted commands', () => {
  const root = tempDir('di-left-');
  after(root.cleanup);
  const make = (path: string, dir = false) => {
    const abs = join(root.path, path);
    mkdirSync(dir ? abs : join(abs, '..'), { recursive: true });
    if (!dir) writeFileSync(abs, 'x');
  };

  it('removes those of dead pids (snapshot, backup, clone, password file) and keeps those of live ones and everything else', () => {
    const dead = 111;
    const live = 222;
    const leftovers = [
      `.instances/snapshots/.golden.${dead}.partial`, `.instances/snapshots/.old.${dead}.removing`, `.instances/.clone-3-${dead}`,
      `.instances/backups/instance-2/app_dev_2-20261202T101010.dump.${dead}.partial`, `.instances/instance-2/data/.pwfile-${dead}`,
    ];
    const kept = [
      `.instances/snapshots/.golden.${live}.partial`, '.instances/snapshots/golden/database.dump', '.instances/instance-2/backend.env',
      `.instances/instance-2/volumes/files/.data.${dead}.partial`, // a service's own data: never looked at
    ];
    for (const p of leftovers) make(p, p.includes('.clone-') || p.endsWith('.removing'));
    for (const p of kept) make(p);
    const removed = sweepLeftovers(root.path, (pid) => pid === live);
    assert.deepEqual(removed.sort(), [...leftovers].sort());
    for (const p of leftovers) assert.equal(existsSync(join(root.path, p)), false, p);
    for (const p of kept) assert.equal(existsSync(join(root.path, p)), true, p);
    assert.deepEqual(sweepLeftovers(root.path, (pid) => pid === live), [], 'nothing more the second time');
  });
});
